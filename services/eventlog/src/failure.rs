//! [`LogFailure`]: why the log recorded or read nothing, whatever the aggregate.
//!
//! Every service's error has its own refusals, and the same three ways the log may fail under
//! them: unavailable, contended, broken. They are this one type, which each service's error
//! carries as it is, with the cause kept as its `source` rather than flattened into text.

use std::sync::Arc;

use proto::DecodeError;
use proto::refusal::ErrorKind;

use crate::{AppendError, LoadError};

/// The cause of a failure, shared: one failure answers every command of a group commit.
pub type Cause = Arc<dyn std::error::Error + Send + Sync>;

/// Why the log recorded or read nothing.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LogFailure {
    /// JetStream did not answer. The command may or may not be stored: the same command with
    /// the same idempotency key may be retried.
    #[error("the event log is unavailable")]
    Unavailable(#[source] Cause),
    /// Other writers kept changing the aggregate, more times than the command loop decides
    /// again; retry with the same idempotency key.
    #[error("other writers changed the aggregate {attempts} times in a row; retry")]
    Contended {
        /// How many times the command was decided.
        attempts: u32,
    },
    /// The aggregate's history cannot be read, or the commit cannot be written (an unreadable
    /// event, a commit the server refuses): retrying will not help until it is repaired.
    #[error("the event log failed")]
    Broken(#[source] Cause),
}

impl LogFailure {
    /// A failure the log itself found, explained in words (no other error to point at).
    pub fn broken(why: impl Into<String>) -> Self {
        let why: Box<dyn std::error::Error + Send + Sync> = why.into().into();
        Self::Broken(Arc::from(why))
    }

    /// NATS did not answer a request the log made around its streams (a bucket, a consumer).
    pub fn unavailable(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Unavailable(Arc::from(error.into()))
    }

    /// A stable code for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "log-unavailable",
            Self::Contended { .. } => "contended",
            Self::Broken(_) => "log-failed",
        }
    }

    /// How a caller should read it: unavailable and contended pass with a retry.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Unavailable(_) | Self::Contended { .. } => ErrorKind::Unavailable,
            Self::Broken(_) => ErrorKind::Internal,
        }
    }
}

impl From<LoadError> for LogFailure {
    fn from(error: LoadError) -> Self {
        match error {
            LoadError::Unavailable { .. } => Self::Unavailable(Arc::new(error)),
            other => Self::Broken(Arc::new(other)),
        }
    }
}

impl From<AppendError> for LogFailure {
    fn from(error: AppendError) -> Self {
        match error {
            AppendError::Unavailable { .. } => Self::Unavailable(Arc::new(error)),
            // Another writer was first: deciding again may pass.
            AppendError::Conflict { .. } | AppendError::CompanionConflict { .. } => {
                Self::Contended { attempts: 1 }
            }
            other => Self::Broken(Arc::new(other)),
        }
    }
}

impl From<DecodeError> for LogFailure {
    /// A stored event today's code cannot read back.
    fn from(error: DecodeError) -> Self {
        Self::Broken(Arc::new(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_append_fails_as_what_a_caller_can_do_about_it() {
        let failed = |error| LogFailure::from(error);
        assert!(matches!(
            failed(AppendError::Conflict { expected: 3 }),
            LogFailure::Contended { attempts: 1 }
        ));
        let unavailable = failed(AppendError::Unavailable {
            reason: "timed out".into(),
        });
        assert_eq!(unavailable.kind(), ErrorKind::Unavailable);
        assert_eq!(unavailable.code(), "log-unavailable");
        let broken = failed(AppendError::TooLarge);
        assert_eq!(
            (broken.kind(), broken.code()),
            (ErrorKind::Internal, "log-failed")
        );
        // The cause is kept as the source, for the logs.
        assert_eq!(
            proto::refusal::explained(&broken),
            "the event log failed: cannot append: the commit is larger than the server's maximum \
             payload"
        );
    }
}
