//! How a client reads the scheduling context's refusals: each one's kind beside its code.

use proto::refusal::RefusalKind;
use scheduling_domain::{ClaimRefusal, EditionRefusal, EventRefusal};

#[test]
fn each_kind_of_scheduling_refusal_reads_as_it_should() {
    let edition = [
        (
            EditionRefusal::NotCreated,
            "edition-not-created",
            RefusalKind::Unknown,
        ),
        (
            EditionRefusal::Closed,
            "edition-closed",
            RefusalKind::Conflict,
        ),
        (
            EditionRefusal::NoOrganiser,
            "no-organiser",
            RefusalKind::Invalid,
        ),
    ];
    for (refusal, code, kind) in edition {
        assert_eq!(
            (refusal.code(), refusal.kind()),
            (code, kind),
            "{refusal:?}"
        );
    }
    for (refusal, kind) in [
        (EventRefusal::NoTheme, RefusalKind::Invalid),
        (EventRefusal::NotAdded, RefusalKind::Unknown),
    ] {
        assert_eq!(refusal.kind(), kind, "{refusal:?}");
    }
    assert_eq!(ClaimRefusal::Taken.kind(), RefusalKind::Conflict);
}
