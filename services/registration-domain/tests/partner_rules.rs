//! Partners are declared once by organisers, and may be retired.

use decider::{Decider, Spec};
use proto::registration::partner::{Command, Declared, Event, PartnerKind, Retired};
use proto::values::{Name, Reason};
use registration_domain::partner::{Partner, PartnerRefusal};

fn declared(name: &str) -> Declared {
    Declared {
        name: Name::parse(name).expect("valid"),
        kind: PartnerKind::MissionLocale,
    }
}

fn reason() -> Reason {
    Reason::parse("Fusion").expect("valid")
}

#[test]
fn a_partner_is_declared_once() {
    let gap = declared("Mission locale du Gapençais");
    Spec::<Partner>::given([])
        .when(Command::Declare(gap.clone()))
        .then([Event::Declared(gap.clone())]);
    Spec::<Partner>::given([Event::Declared(gap.clone())])
        .when(Command::Declare(gap.clone()))
        .then([]);
    // The same name typed with a combining cedilla is the same partner, declared again.
    Spec::<Partner>::given([Event::Declared(gap.clone())])
        .when(Command::Declare(declared(
            "Mission locale du Gapenc\u{327}ais",
        )))
        .then([]);
    Spec::<Partner>::given([Event::Declared(gap)])
        .when(Command::Declare(declared("Autre nom")))
        .then_error(PartnerRefusal::AlreadyDeclared);
}

#[test]
fn a_declared_partner_is_retired_once_and_registers_nobody_more() {
    let gap = declared("Mission locale du Gapençais");
    Spec::<Partner>::given([])
        .when(Command::Retire { reason: reason() })
        .then_error(PartnerRefusal::NotDeclared);
    let retired = Event::Retired(Retired { reason: reason() });
    Spec::<Partner>::given([Event::Declared(gap.clone())])
        .when(Command::Retire { reason: reason() })
        .then([retired.clone()]);
    Spec::<Partner>::given([Event::Declared(gap.clone()), retired.clone()])
        .when(Command::Retire { reason: reason() })
        .then([]);
    assert!(Partner::fold(&[Event::Declared(gap.clone())]).may_register());
    assert!(!Partner::fold(&[Event::Declared(gap), retired]).may_register());
    assert!(!Partner::fold(&[]).may_register());
}
