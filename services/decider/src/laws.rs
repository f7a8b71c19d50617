//! The laws every decider keeps, whatever its own rules, and the property test that checks them
//! with an aggregate's rules on random histories. Only with the `laws` feature, which the domain
//! crates turn on for their tests.
//!
//! After every step of a history: a refusal has a code and a message (it records nothing by
//! construction: `decide` answers it instead of events, and `run` keeps the state); every
//! event recorded reads back from its wire form as it was recorded; the state reads back from its
//! snapshot as it is. A property test writes only its aggregate's own rules, a function of a
//! [`Step`], and calls [`every_history`] with them, the histories to draw and the refusal's
//! `code` method (as `registration-domain/tests/partner_properties.rs` does).

use std::fmt::{Debug, Display};
use std::panic::Location;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestRunner};
use proto::contract::EventContract;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Decider, Step, run};

impl<'a, D> Step<'a, D>
where
    D: Decider,
    D::State: PartialEq + Debug + Serialize + DeserializeOwned,
    D::Event: EventContract + PartialEq + Debug,
    D::Error: Display,
{
    /// Asserts the laws every aggregate keeps on this step (see the [module](self)); `code` is
    /// the refusal's stable code. Returns the events recorded, or `None` when the command was
    /// refused.
    #[track_caller]
    pub fn keeps_the_laws(
        &self,
        code: impl Fn(&D::Error) -> &'static str,
    ) -> Option<&'a [D::Event]> {
        let events = match self.outcome {
            Err(refusal) => {
                assert!(!code(refusal).is_empty(), "a refusal without a code");
                assert!(
                    !refusal.to_string().is_empty(),
                    "a refusal without a message"
                );
                return None;
            }
            Ok(events) => events,
        };
        for event in events {
            let wire = event.encode().expect("an event encodes");
            let read =
                D::Event::decode(wire.event_type, wire.version, &wire.data).expect("and decodes");
            assert_eq!(&read, event, "an event reads back as recorded");
        }
        let snapshot = serde_json::to_string(self.after).expect("the state serialises");
        let read: D::State = serde_json::from_str(&snapshot).expect("and reads back");
        assert_eq!(&read, self.after, "the snapshot reads back as the state");
        Some(events)
    }
}

/// Runs `cases` random histories drawn from `histories` (each decided from the empty state, as
/// [`run`] does) and, after every step, asserts the laws of [`Step::keeps_the_laws`] and then
/// the aggregate's own `rules`. A failing history is shrunk to a smallest one and reported.
#[track_caller]
pub fn every_history<D>(
    cases: u32,
    histories: impl Strategy<Value = Vec<D::Command>>,
    code: impl Fn(&D::Error) -> &'static str,
    rules: impl Fn(Step<'_, D>),
) where
    D: Decider,
    D::Command: Debug,
    D::State: PartialEq + Debug + Serialize + DeserializeOwned,
    D::Event: EventContract + PartialEq + Debug,
    D::Error: Display,
{
    let mut runner = TestRunner::new(Config {
        cases,
        // Where a failing history is kept, as `proptest!` does: beside the calling test.
        source_file: Some(Location::caller().file()),
        ..Config::default()
    });
    let outcome = runner.run(&histories, |commands| {
        run::<D>(&commands, |step| {
            step.keeps_the_laws(&code);
            rules(step);
        });
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}\n{runner}");
    }
}
