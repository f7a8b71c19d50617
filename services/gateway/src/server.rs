//! The server: binds a TCP port and serves [`crate::app`] until told to stop.
//!
//! Shutdown is injected (any future), so the binary (SIGTERM, Ctrl-C) and the tests drive the
//! same code: once it resolves the listener closes, requests in flight finish, then
//! [`Gateway::run_until_stopped`] returns.

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::routes::{AppState, app};

/// A bound, not yet running, gateway.
pub struct Gateway {
    /// The bound listener.
    listener: TcpListener,
    /// What it serves.
    state: AppState,
}

impl Gateway {
    /// Binds `addr` (port 0: a free port, see [`Gateway::port`]).
    pub async fn bind(addr: SocketAddr, state: AppState) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self { listener, state })
    }

    /// The port it is bound to.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map_or(0, |addr| addr.port())
    }

    /// The address it is bound to.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, then drains the requests in flight.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(port = self.port(), "HTTP gateway listening");
        axum::serve(self.listener, app(self.state))
            .with_graceful_shutdown(shutdown)
            .await
    }
}
