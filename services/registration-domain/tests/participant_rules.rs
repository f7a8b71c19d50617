//! The rules of a participant's record: an erasure is recorded once.

use decider::Spec;
use proto::registration::participant::{Erased, ErasureReason, Event};
use registration_domain::participant::{ParticipantCommand, ParticipantRecord};

#[test]
fn an_erasure_is_recorded_with_its_reason() {
    Spec::<ParticipantRecord>::given(vec![])
        .when(ParticipantCommand::Erase {
            reason: ErasureReason::Request,
        })
        .then(vec![Event::Erased(Erased {
            reason: ErasureReason::Request,
        })]);
}

#[test]
fn an_erasure_asked_again_records_nothing_more() {
    let erased = Event::Erased(Erased {
        reason: ErasureReason::Request,
    });
    for reason in [ErasureReason::Request, ErasureReason::Retention] {
        Spec::<ParticipantRecord>::given(vec![erased.clone()])
            .when(ParticipantCommand::Erase { reason })
            .then(vec![]);
    }
}
