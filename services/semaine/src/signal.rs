//! [`shutdown_signal`]: the future that completes when the operator asks semaine to stop.
//!
//! It is created once, before start-up, and handed to whatever runs: a command stops cleanly
//! whether the signal comes while it starts, runs or drains.

use tracing::{error, info};

/// Completes on the first Ctrl-C (SIGINT) or SIGTERM.
///
/// The handlers are installed on the first poll; from then on these signals no longer end the
/// process by themselves. A handler that cannot be installed is logged and waited on forever,
/// leaving the other one.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };

    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(e) => {
                error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => info!("Ctrl-C received: stopping"),
        () = terminate => info!("SIGTERM received: stopping"),
    }
}
