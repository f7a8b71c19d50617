//! A partner on random histories of declarations (the same, or another) and retirements. After
//! every step: a refusal is a typed [`PartnerRefusal`] with its code, and records nothing; the
//! events recorded read back from their wire form; a partner registers only once declared and
//! until retired, keeps the name it was declared with, and stays retired. No I/O.

use decider::Step;
use proptest::prelude::*;
use proto::contract::EventContract;
use proto::registration::partner::{Command, Declared, Event, PartnerKind};
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

fn check(step: Step<'_, Partner>) {
    let Step {
        before,
        command,
        outcome,
        after,
    } = step;
    match outcome {
        Err(refusal) => {
            let refusal: &PartnerRefusal = refusal;
            assert!(!refusal.to_string().is_empty());
            assert_eq!(after, before, "a refusal changes nothing");
        }
        Ok(events) => {
            for event in events {
                let wire = event.encode().expect("an event encodes");
                let read =
                    Event::decode(wire.event_type, wire.version, &wire.data).expect("and decodes");
                assert_eq!(&read, event, "an event reads back as recorded");
            }
        }
    }
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_history_keeps_the_partner_rules(
        commands in proptest::collection::vec(command(), 1..8),
    ) {
        decider::run::<Partner>(&commands, check);
    }
}
