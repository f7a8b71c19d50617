//! How a client reads a job-dating floor's refusals: each one's kind beside its code, and another
//! partner's candidate told exactly as one not registered.

use jobdating_domain::FloorRefusal;
use proto::refusal::RefusalKind;

#[test]
fn each_kind_of_floor_refusal_reads_as_it_should() {
    for (refusal, code, kind) in [
        (FloorRefusal::NoSlot, "no-slot", RefusalKind::Invalid),
        (
            FloorRefusal::FloorInUse,
            FloorRefusal::FloorInUse.code(),
            RefusalKind::Conflict,
        ),
        (
            FloorRefusal::CandidateNotRegistered,
            FloorRefusal::CandidateNotRegistered.code(),
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
fn another_partners_candidate_is_told_as_not_registered() {
    let theirs = FloorRefusal::NotYourCandidate;
    assert_eq!(
        theirs.told_to_others().as_ref(),
        &FloorRefusal::CandidateNotRegistered
    );
    assert_eq!(theirs.kind(), RefusalKind::Unknown);
    assert_eq!(
        FloorRefusal::NoSlot.told_to_others().as_ref(),
        &FloorRefusal::NoSlot
    );
}
