//! A partner on random histories of declarations (the same, or another) and retirements. After
//! every step: the laws every decider keeps (`decider::laws`: a refusal is a typed
//! [`PartnerRefusal`] with its code, and records nothing; the events recorded read back from their
//! wire form; the state survives its snapshot); a partner registers only once declared and until
//! retired, keeps the name it was declared with, and stays retired. No I/O.

use decider::Step;
use proptest::prelude::*;
use proto::registration::partner::{Command, Declared, PartnerKind};
use proto::values::{Name, Reason};
use registration_domain::partner::{Partner, PartnerRefusal};

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (
            prop_oneof![
                Just("Mission locale du Gapençais"),
                Just("Collège de Fontreyne")
            ],
            prop_oneof![Just(PartnerKind::MissionLocale), Just(PartnerKind::School)],
        )
            .prop_map(|(name, kind)| Command::Declare(Declared {
                name: Name::parse(name).expect("a name"),
                kind,
            })),
        Just(Command::Retire {
            reason: Reason::parse("Convention terminée").expect("a reason"),
        }),
    ]
}

/// The partner's own rules after one step, refused or not.
fn check(step: Step<'_, Partner>) {
    let Step {
        before,
        command,
        after,
        ..
    } = step;
    assert_eq!(
        after.may_register(),
        after.declared.is_some() && after.retired.is_none()
    );
    if before.declared.is_some() {
        assert_eq!(
            after.declared, before.declared,
            "{command:?} renamed the partner"
        );
    }
    if before.retired.is_some() {
        assert!(
            after.retired.is_some(),
            "{command:?} brought a retired partner back"
        );
    }
}

#[test]
fn every_history_keeps_the_partner_rules() {
    let histories = proptest::collection::vec(command(), 1..8);
    decider::laws::every_history::<Partner>(128, histories, PartnerRefusal::code, check);
}
