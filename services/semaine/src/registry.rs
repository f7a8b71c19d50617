//! What this binary runs: the JetStream streams it ensures at start-up and the projections it
//! keeps up to date.
//!
//! No domain service exists yet, so both lists are empty. A service adds its stream to
//! [`streams`] and each of its read models to [`projections`], one line each; the rest of the
//! binary (`up`, `rebuild`, `projections`) picks them up from here. [`check`] refuses a list
//! that could not run: two projections sharing a store, a projection reading a stream that is
//! not ensured.

use std::collections::BTreeSet;

use anyhow::{Result, bail};
use eventlog::StreamSpec;
use projection::{Position, Projection, Rejected, View};
use proto::StoredEvent;

/// The streams ensured at start-up, one per bounded context.
pub fn streams() -> Vec<StreamSpec> {
    vec![
        // One line per bounded context, e.g. the registration service's stream.
    ]
}

/// The projections `semaine up` runs and `semaine rebuild` replays.
pub fn projections() -> Vec<Registered> {
    vec![
        // One line per read model, e.g. `Registered::new(registration::SessionsView),`.
    ]
}

/// A projection in the registry, whatever its type: every runner the binary opens is a
/// `Runner<Registered>`, so the lists above can hold different read models side by side.
pub struct Registered(Box<dyn Projection>);

impl Registered {
    /// Registers a projection.
    pub fn new(projection: impl Projection) -> Self {
        Self(Box::new(projection))
    }
}

impl std::fmt::Debug for Registered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Registered").field(&self.0.name()).finish()
    }
}

impl Projection for Registered {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn streams(&self) -> &'static [&'static str] {
        self.0.streams()
    }

    fn trees(&self) -> &'static [&'static str] {
        self.0.trees()
    }

    fn apply(
        &self,
        view: &mut View<'_>,
        event: &StoredEvent,
        at: Position<'_>,
    ) -> Result<(), Rejected> {
        self.0.apply(view, event, at)
    }
}

/// Refuses a registry that cannot run.
///
/// Every projection needs a name usable as a directory name and as `semaine rebuild <name>`
/// (letters, digits, `-`, `_`; not `all`), unique, and reads at least one stream, each of them
/// in `streams`.
pub fn check(streams: &[StreamSpec], projections: &[Registered]) -> Result<()> {
    let mut stream_names = BTreeSet::new();
    for stream in streams {
        if !stream_names.insert(stream.name) {
            bail!("stream `{}` is registered twice", stream.name);
        }
    }
    let mut names = BTreeSet::new();
    for projection in projections {
        let name = projection.name();
        let usable = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !usable || name == "all" {
            bail!(
                "projection name `{name}` cannot name a store and a rebuild target: use letters, \
                 digits, `-` and `_`, and not `all`"
            );
        }
        if !names.insert(name) {
            bail!("two projections are named `{name}`: each owns the store of that name");
        }
        if projection.streams().is_empty() {
            bail!("projection `{name}` reads no stream");
        }
        for stream in projection.streams() {
            if !stream_names.contains(stream) {
                bail!(
                    "projection `{name}` reads stream `{stream}`, which the registry does not \
                     ensure: add it to registry::streams()"
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A read model that reads a stream and writes nothing: enough to exercise [`check`].
    struct Reads(&'static str, &'static [&'static str]);

    impl Projection for Reads {
        fn name(&self) -> &'static str {
            self.0
        }
        fn streams(&self) -> &'static [&'static str] {
            self.1
        }
        fn trees(&self) -> &'static [&'static str] {
            &[]
        }
        fn apply(
            &self,
            _: &mut View<'_>,
            _: &StoredEvent,
            _: Position<'_>,
        ) -> Result<(), Rejected> {
            Ok(())
        }
    }

    const AGENDA: StreamSpec = StreamSpec {
        name: "AGENDA",
        subjects: "agenda.>",
        description: "a stream for the registry's tests",
    };

    #[test]
    fn the_registry_as_shipped_is_runnable() -> Result<()> {
        check(&streams(), &projections())
    }

    #[test]
    fn a_registered_projection_is_its_inner_projection() {
        let registered = Registered::new(Reads("agenda", &["AGENDA"]));
        assert_eq!(registered.name(), "agenda");
        assert_eq!(registered.streams(), ["AGENDA"]);
    }

    #[test]
    fn registries_that_cannot_run_are_refused() {
        let ok = [Registered::new(Reads("agenda", &["AGENDA"]))];
        assert!(check(&[AGENDA], &ok).is_ok());
        assert!(check(&[], &ok).is_err(), "unknown stream");
        let twice = [
            Registered::new(Reads("agenda", &["AGENDA"])),
            Registered::new(Reads("agenda", &["AGENDA"])),
        ];
        assert!(check(&[AGENDA], &twice).is_err(), "same store twice");
        for bad in ["all", "", "../agenda", "a b"] {
            let named = [Registered::new(Reads(bad, &["AGENDA"]))];
            assert!(check(&[AGENDA], &named).is_err(), "name `{bad}`");
        }
        let reads_nothing = [Registered::new(Reads("agenda", &[]))];
        assert!(check(&[AGENDA], &reads_nothing).is_err(), "no stream");
        assert!(check(&[AGENDA, AGENDA], &[]).is_err(), "stream twice");
    }
}
