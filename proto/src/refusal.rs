//! How a refusal or a failure reads from outside a service: its kind beside its stable code.
//!
//! Every refusal enum of the domains says, beside each variant's `code()`, which [`RefusalKind`]
//! it is; every service's error says which [`ErrorKind`]. The gateway turns kinds into HTTP
//! statuses and needs to know no domain's variants: a new refusal does not compile until its
//! domain gives it a kind, and the gateway answers it without a change.

/// What kind of refusal a code is: how a client should read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The thing named does not exist, or is another tenant's and so must look as if it did not.
    Unknown,
    /// The rules refuse it given the current state: the same command might pass at another time.
    Conflict,
    /// The command is inconsistent in itself, whatever the state.
    Invalid,
    /// The asker may not do this.
    Forbidden,
}

/// What kind of failure a service's error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The rules refused the command; nothing was recorded.
    Refused(RefusalKind),
    /// A store did not answer, or other writers kept winning: retrying the same command with the
    /// same idempotency key is safe.
    Unavailable,
    /// Something is broken inside (an unreadable history, a bug): nothing to tell the asker.
    Internal,
}

/// A service's error as its caller is told it: its kind, its stable code and what to say.
///
/// Made by the service, which knows what must not be told: another tenant's registration or
/// candidate is told exactly as one that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Told {
    /// How to read it.
    pub kind: ErrorKind,
    /// The stable code clients match on.
    pub code: &'static str,
    /// What happened, for a person; for [`ErrorKind::Internal`] and [`ErrorKind::Unavailable`]
    /// it is for the logs only, never answered.
    pub detail: String,
}

impl Told {
    /// A refusal of the rules, told as it is.
    pub fn refusal(kind: RefusalKind, code: &'static str, why: &dyn std::fmt::Display) -> Self {
        Self {
            kind: ErrorKind::Refused(kind),
            code,
            detail: why.to_string(),
        }
    }

    /// A failure of another kind, with its code and, for the logs, the error with every cause
    /// under it.
    pub fn failure(kind: ErrorKind, code: &'static str, error: &dyn std::error::Error) -> Self {
        let mut detail = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            detail.push_str(": ");
            detail.push_str(&cause.to_string());
            source = cause.source();
        }
        Self { kind, code, detail }
    }
}
