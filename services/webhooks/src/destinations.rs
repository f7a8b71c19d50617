//! Where a webhook may be delivered: public addresses only, unless the deployment allows private
//! ones (a test, or receivers inside the same network on purpose).
//!
//! A partner chooses the URL, so without this guard a subscription could make semaine POST to
//! its own machine or to services on its private network (server-side request forgery). The
//! guard is checked where it cannot be dodged: on the addresses the destination's name resolves
//! to, when connecting (so a name that later resolves to a private address is refused too), and
//! on an address written in the URL itself, which is connected to without resolving.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::dns::Name;

/// Whether an address is one a webhook may be delivered to: not loopback, private, link-local,
/// shared (carrier-grade NAT), unspecified, broadcast, multicast or documentation.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let shared = a == 100 && (64..=127).contains(&b);
    let documentation =
        (a, b, c) == (192, 0, 2) || (a, b, c) == (198, 51, 100) || (a, b, c) == (203, 0, 113);
    let benchmarking = a == 198 && (b == 18 || b == 19);
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        || shared
        || documentation
        || benchmarking)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    let unique_local = first & 0xfe00 == 0xfc00;
    let link_local = first & 0xffc0 == 0xfe80;
    let documentation = first == 0x2001 && ip.segments()[1] == 0x0db8;
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || unique_local
        || link_local
        || documentation)
}

/// Whether a URL's host may be delivered to, when it is an address (a name is checked when it
/// resolves, by [`PublicResolver`]).
pub fn literal_host_allowed(host: &str, allow_private: bool) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<IpAddr>() {
        Ok(ip) => allow_private || is_public(ip),
        Err(_) => allow_private || !host.eq_ignore_ascii_case("localhost"),
    }
}

/// The resolver of the webhooks' HTTP client: the system's, keeping only the addresses
/// [`is_public`] accepts (all of them when private destinations are allowed).
#[derive(Debug, Clone, Copy)]
pub struct PublicResolver {
    /// Whether private addresses are kept.
    pub allow_private: bool,
}

impl tower::Service<Name> for PublicResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, io::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), io::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let kept: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|address| allow_private || is_public(address.ip()))
                .collect();
            if kept.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!("{name} resolves to no public address: not a webhook destination"),
                ));
            }
            Ok(kept.into_iter())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_destinations() {
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.10",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            let ip: IpAddr = refused.parse().unwrap_or_else(|e| panic!("{refused}: {e}"));
            assert!(!is_public(ip), "{refused} must not be a destination");
        }
        for accepted in [
            "8.8.8.8",
            "81.2.69.160",
            "2a01:e0a::1",
            "::ffff:81.2.69.160",
        ] {
            let ip: IpAddr = accepted
                .parse()
                .unwrap_or_else(|e| panic!("{accepted}: {e}"));
            assert!(is_public(ip), "{accepted} is a destination");
        }
    }

    #[test]
    fn literal_hosts_are_checked_and_names_left_to_the_resolver() {
        assert!(!literal_host_allowed("127.0.0.1", false));
        assert!(!literal_host_allowed("[::1]", false));
        assert!(!literal_host_allowed("localhost", false));
        assert!(literal_host_allowed("127.0.0.1", true));
        assert!(literal_host_allowed("hooks.mission-locale.example", false));
        assert!(literal_host_allowed("81.2.69.160", false));
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused_unless_allowed() {
        use tower::Service;
        let name: Name = "localhost".parse().unwrap_or_else(|e| panic!("{e}"));
        let mut strict = PublicResolver {
            allow_private: false,
        };
        assert!(strict.call(name.clone()).await.is_err());
        let mut open = PublicResolver {
            allow_private: true,
        };
        assert!(open.call(name).await.is_ok_and(|mut a| a.next().is_some()));
    }
}
