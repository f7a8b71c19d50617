//! The server: binds a TCP port and serves [`crate::app`] until told to stop.
//!
//! Shutdown is injected (any future), so the binary (SIGTERM, Ctrl-C) and the tests drive the
//! same code: once it resolves the listener closes, requests in flight finish, then
//! [`Gateway::run_until_stopped`] returns. Routes that are not the API's (the console's pages)
//! are merged in with [`Gateway::with_routes`].

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

use crate::routes::{AppState, app};

/// A bound, not yet running, gateway.
pub struct Gateway {
    /// The bound listener.
    listener: TcpListener,
    /// What it serves.
    state: AppState,
    /// Routes served beside the API's (the console's pages), without a fallback of their own.
    extra: Option<Router>,
}

impl Gateway {
    /// Binds `addr` (port 0: a free port, see [`Gateway::port`]).
    pub async fn bind(addr: SocketAddr, state: AppState) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self {
            listener,
            state,
            extra: None,
        })
    }

    /// Also serves these routes (which must have no fallback: the API's answers every path
    /// they do not route with a `404` problem).
    pub fn with_routes(mut self, routes: Router) -> Self {
        self.extra = Some(routes);
        self
    }

    /// The port it is bound to.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map_or(0, |addr| addr.port())
    }

    /// The address it is bound to.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The routes it serves, as it serves them: the API's, the others merged in, and the
    /// answer to a panic around them all (for requests sent in the process, in tests).
    pub fn router(&self) -> Router {
        let router = match &self.extra {
            Some(extra) => app(self.state.clone()).merge(extra.clone()),
            None => app(self.state.clone()),
        };
        // Around everything, the console's pages too: a panic is answered, never dropped; and
        // around that, the request's span and correlation id, which the answer to a panic names.
        router
            .layer(axum::middleware::from_fn_with_state(
                self.state.metrics.clone(),
                crate::panics::catch_panic,
            ))
            .layer(axum::middleware::from_fn(crate::correlation::correlate))
    }

    /// Serves until `shutdown` resolves, then drains the requests in flight.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(port = self.port(), "HTTP gateway listening");
        let router = self.router();
        // The peer's address goes with each request (`ConnectInfo`): the console's sign-in
        // counts attempts per client address.
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await
    }
}
