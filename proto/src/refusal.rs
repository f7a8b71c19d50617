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
        Self {
            kind,
            code,
            detail: explained(error),
        }
    }
}

/// An error with every cause under it (its `source`s), for the logs: `the event log is
/// unavailable: cannot read the log: JetStream is unavailable (timed out)`. A cause whose text
/// the message already ends with is not repeated.
pub fn explained(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.ends_with(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error of the test, with its cause.
    #[derive(Debug)]
    struct Failed(&'static str, Option<Box<Failed>>);

    impl std::fmt::Display for Failed {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Failed {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1
                .as_deref()
                .map(|cause| cause as &(dyn std::error::Error + 'static))
        }
    }

    #[test]
    fn a_failure_tells_the_logs_every_cause_once() {
        let timed_out = Failed("timed out", None);
        let reading = Failed("cannot read the log: timed out", Some(Box::new(timed_out)));
        let failure = Failed("the event log is unavailable", Some(Box::new(reading)));
        let told = Told::failure(ErrorKind::Unavailable, "log-unavailable", &failure);
        assert_eq!(
            told.detail,
            "the event log is unavailable: cannot read the log: timed out"
        );
        assert_eq!(
            (told.kind, told.code),
            (ErrorKind::Unavailable, "log-unavailable")
        );
    }

    #[test]
    fn a_refusal_is_told_as_it_is() {
        let told = Told::refusal(RefusalKind::Conflict, "seats-not-open", &"not open yet");
        assert_eq!(told.kind, ErrorKind::Refused(RefusalKind::Conflict));
        assert_eq!(told.detail, "not open yet");
    }
}
