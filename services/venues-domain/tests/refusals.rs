//! How a client reads a venue's refusals: each one's kind beside its code.

use proto::refusal::RefusalKind;
use venues_domain::VenueRefusal;

#[test]
fn each_kind_of_venue_refusal_reads_as_it_should() {
    for (refusal, code, kind) in [
        (
            VenueRefusal::ZeroCapacity,
            "capacity-zero",
            RefusalKind::Invalid,
        ),
        (
            VenueRefusal::NotRegistered,
            "venue-not-registered",
            RefusalKind::Unknown,
        ),
        (
            VenueRefusal::AlreadyRegistered,
            VenueRefusal::AlreadyRegistered.code(),
            RefusalKind::Conflict,
        ),
    ] {
        assert_eq!(
            (refusal.code(), refusal.kind()),
            (code, kind),
            "{refusal:?}"
        );
    }
}
