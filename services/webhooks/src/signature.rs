//! The signature of a delivery: `hex(HMAC-SHA256(secret, timestamp + "." + body))`, where the
//! key is the subscription's secret as shown (its UTF-8 bytes), `timestamp` the attempt's Unix
//! time in seconds as decimal digits, and `body` the exact bytes POSTed. Pure.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header naming the delivery's stable id (the domain event's id): the same on every
/// attempt, for the receiver to de-duplicate.
pub const ID_HEADER: &str = "semaine-webhook-id";
/// The header with the attempt's Unix time in seconds.
pub const TIMESTAMP_HEADER: &str = "semaine-webhook-timestamp";
/// The header with the signature, lower-case hex.
pub const SIGNATURE_HEADER: &str = "semaine-webhook-signature";
/// The header naming the kind (`registration.promoted`…).
pub const KIND_HEADER: &str = "semaine-webhook-kind";
/// The header counting the attempts, 1 for the first.
pub const ATTEMPT_HEADER: &str = "semaine-webhook-attempt";

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The signature of `body` sent at `timestamp` (Unix seconds), as lower-case hex.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let bytes = mac(secret, timestamp, body).finalize().into_bytes();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `signature` (hex) is the signature of `body` at `timestamp`, compared in constant
/// time. What a receiver does; semaine's tests use it.
pub fn verify(secret: &[u8], timestamp: i64, body: &[u8], signature: &str) -> bool {
    let Some(bytes) = from_hex(signature) else {
        return false;
    };
    mac(secret, timestamp, body).verify_slice(&bytes).is_ok()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The framing: the timestamp's digits, a dot, the body, under the secret's bytes.
    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        let mut direct = match HmacSha256::new_from_slice(b"Jefe") {
            Ok(mac) => mac,
            Err(e) => panic!("{e}"),
        };
        direct.update(b"1800000000.{\"id\":1}");
        let expected: String = direct
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(sign(b"Jefe", 1_800_000_000, b"{\"id\":1}"), expected);
        assert_eq!(expected.len(), 64);
    }

    #[test]
    fn the_rfc_4231_vector_holds() {
        // RFC 4231, test case 2: the MAC underneath is HMAC-SHA256.
        let mut mac = match HmacSha256::new_from_slice(b"Jefe") {
            Ok(mac) => mac,
            Err(e) => panic!("{e}"),
        };
        mac.update(b"what do ya want for nothing?");
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verification_refuses_any_change() {
        let signature = sign(b"whsec_k", 42, b"{}");
        assert!(verify(b"whsec_k", 42, b"{}", &signature));
        assert!(!verify(b"whsec_x", 42, b"{}", &signature));
        assert!(!verify(b"whsec_k", 43, b"{}", &signature));
        assert!(!verify(b"whsec_k", 42, b"{ }", &signature));
        assert!(!verify(b"whsec_k", 42, b"{}", &signature[1..]));
        assert!(!verify(b"whsec_k", 42, b"{}", "zz"));
    }
}
