//! The NATS headers on a commit message.
//!
//! JetStream's own headers drive the broker (de-duplication, optimistic concurrency); semaine's
//! headers let a consumer route or skip a commit without parsing its JSON body, and carry the
//! correlation id into traces.

/// JetStream de-duplication: the idempotency key of the command (or of the commit, for a group
/// commit). A second publish with the same id inside the stream's duplicate window is not stored
/// again; the broker answers with the first one's sequence.
pub const NATS_MSG_ID: &str = "Nats-Msg-Id";

/// JetStream optimistic concurrency: the stream sequence of the last message on this subject the
/// writer decided from (0: the subject must be empty). A stale writer is refused.
pub const NATS_EXPECTED_LAST_SUBJECT_SEQUENCE: &str = "Nats-Expected-Last-Subject-Sequence";

/// The commit's own id: the `Nats-Msg-Id` it is published with alone. A commit published in an
/// atomic batch (where JetStream allows no message id) is recognised by it when its
/// acknowledgement was lost and it is sent again.
pub const COMMIT_ID: &str = "Semaine-Commit-Id";

/// The format of the body, `commit/1` today: see [`crate::Commit`].
pub const FORMAT: &str = "Semaine-Format";

/// The `type/version` of every event in the body, comma-separated, in order.
pub const EVENT_TYPES: &str = "Semaine-Event-Types";

/// The correlation id of the first event in the body: the request that started it all.
pub const CORRELATION_ID: &str = "Semaine-Correlation-Id";

/// The value of [`FORMAT`] this code writes.
pub const COMMIT_FORMAT_V1: &str = "commit/1";
