//! How a client reads the registration context's refusals: each one's kind beside its code, and
//! another partner's registration told exactly as one that does not exist.

use proto::refusal::RefusalKind;
use proto::registration::RegistrationId;
use proto::values::SessionId;
use registration_domain::agenda::AgendaRefusal;
use registration_domain::partner::PartnerRefusal;
use registration_domain::seats::SeatsRefusal;
use uuid::Uuid;

fn registration() -> RegistrationId {
    RegistrationId(Uuid::from_u128(0x5ea7))
}

#[test]
fn each_kind_of_seats_refusal_reads_as_it_should() {
    for (refusal, code, kind) in [
        (
            SeatsRefusal::NotOpen,
            "seats-not-open",
            RefusalKind::Conflict,
        ),
        (
            SeatsRefusal::GroupTooSmall { size: 1 },
            "group-too-small",
            RefusalKind::Invalid,
        ),
        (
            SeatsRefusal::UnknownRegistration {
                registration: registration(),
            },
            "unknown-registration",
            RefusalKind::Unknown,
        ),
    ] {
        assert_eq!(
            (refusal.code(), refusal.kind()),
            (code, kind),
            "{refusal:?}"
        );
    }
}

#[test]
fn another_partners_registration_is_told_as_unknown() {
    let theirs = SeatsRefusal::NotYourRegistration {
        registration: registration(),
    };
    let unknown = SeatsRefusal::UnknownRegistration {
        registration: registration(),
    };
    assert_eq!(theirs.told_to_others().as_ref(), &unknown);
    assert_eq!(theirs.kind(), RefusalKind::Unknown);
    // Every other refusal is told as it is.
    assert_eq!(
        SeatsRefusal::NotOpen.told_to_others().as_ref(),
        &SeatsRefusal::NotOpen
    );
}

#[test]
fn an_agenda_or_a_partner_refuses_by_the_state() {
    let overlap = AgendaRefusal::Overlap {
        session: SessionId(Uuid::from_u128(1)),
    };
    assert_eq!(overlap.kind(), RefusalKind::Conflict);
    assert_eq!(PartnerRefusal::NotDeclared.kind(), RefusalKind::Conflict);
}
