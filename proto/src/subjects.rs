//! Where the log keeps each aggregate: five JetStream streams, and in them one subject per
//! aggregate, `<prefix>.<id>`. Plain names, for every writer and every reader: a read model or a
//! process learns here where an aggregate lives, without depending on the service that writes it.
//!
//! **API Boundary.** A stream's name and an aggregate's prefix are part of the stored log: they
//! never change.

/// A JetStream stream: its name and the subjects it stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stream {
    /// Its name, e.g. `REGISTRATION`.
    pub name: &'static str,
    /// The subjects it stores, e.g. `reg.>`.
    pub subjects: &'static str,
}

/// An aggregate kind's place in the log: its stream and its subject prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Category {
    /// The JetStream stream, e.g. `REGISTRATION`.
    pub stream: &'static str,
    /// The subject prefix, e.g. `reg.session`; one aggregate is `<prefix>.<id>`.
    pub prefix: &'static str,
}

impl Category {
    /// The aggregate id in `subject` when it is one of this kind's (`reg.session.<id>` gives
    /// `<id>`); `None` for another kind's.
    pub fn id_in<'a>(&self, subject: &'a str) -> Option<&'a str> {
        subject
            .strip_prefix(self.prefix)?
            .strip_prefix('.')
            .filter(|id| !id.is_empty())
    }

    /// The aggregate id in `subject`, as a UUID, when it is one of this kind's.
    pub fn uuid_in(&self, subject: &str) -> Option<uuid::Uuid> {
        self.id_in(subject)
            .and_then(|id| uuid::Uuid::parse_str(id).ok())
    }
}

/// The scheduling context's stream.
pub const SCHEDULING: Stream = Stream {
    name: "SCHEDULING",
    subjects: "sched.>",
};
/// The venue-logistics context's stream.
pub const VENUES: Stream = Stream {
    name: "VENUES",
    subjects: "venue.>",
};
/// The registration context's stream.
pub const REGISTRATION: Stream = Stream {
    name: "REGISTRATION",
    subjects: "reg.>",
};
/// The job-dating context's stream.
pub const JOBDATING: Stream = Stream {
    name: "JOBDATING",
    subjects: "jd.>",
};
/// The webhooks' stream.
pub const WEBHOOKS: Stream = Stream {
    name: "WEBHOOKS",
    subjects: "hook.>",
};
/// Every stream, in the order the contexts depend on one another.
pub const STREAMS: [Stream; 5] = [SCHEDULING, VENUES, REGISTRATION, JOBDATING, WEBHOOKS];

/// Editions: `sched.edition.<id>`.
pub const EDITIONS: Category = Category {
    stream: SCHEDULING.name,
    prefix: "sched.edition",
};
/// Events of a programme, with their sessions: `sched.event.<id>`.
pub const EVENTS: Category = Category {
    stream: SCHEDULING.name,
    prefix: "sched.event",
};
/// Session ids, each claimed once by the event that scheduled it: `sched.session.<id>`.
pub const SESSION_IDS: Category = Category {
    stream: SCHEDULING.name,
    prefix: "sched.session",
};
/// Venues: `venue.venue.<id>`.
pub const VENUE_RECORDS: Category = Category {
    stream: VENUES.name,
    prefix: "venue.venue",
};
/// The seats of a session: `reg.session.<session id>`.
pub const SEATS: Category = Category {
    stream: REGISTRATION.name,
    prefix: "reg.session",
};
/// Partners: `reg.partner.<partner id>`.
pub const PARTNERS: Category = Category {
    stream: REGISTRATION.name,
    prefix: "reg.partner",
};
/// Participants' agendas: `reg.agenda.<participant id>`.
pub const AGENDAS: Category = Category {
    stream: REGISTRATION.name,
    prefix: "reg.agenda",
};
/// Participants' records (their identities' erasure): `reg.participant.<participant id>`.
pub const PARTICIPANTS: Category = Category {
    stream: REGISTRATION.name,
    prefix: "reg.participant",
};
/// Job-dating sessions' floors: `jd.session.<session id>`.
pub const FLOORS: Category = Category {
    stream: JOBDATING.name,
    prefix: "jd.session",
};
/// A partner's webhook subscriptions: `hook.partner.<partner id>`.
pub const PARTNER_HOOKS: Category = Category {
    stream: WEBHOOKS.name,
    prefix: "hook.partner",
};
/// A venue's webhook subscriptions: `hook.venue.<venue id>`.
pub const VENUE_HOOKS: Category = Category {
    stream: WEBHOOKS.name,
    prefix: "hook.venue",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_aggregate_id_is_read_from_its_own_kind_of_subject_only() {
        assert_eq!(SEATS.id_in("reg.session.abc"), Some("abc"));
        assert_eq!(SEATS.id_in("reg.sessions.abc"), None);
        assert_eq!(SEATS.id_in("reg.session."), None);
        assert_eq!(SEATS.id_in("reg.partner.abc"), None);
        let id = uuid::Uuid::from_u128(7);
        assert_eq!(EVENTS.uuid_in(&format!("sched.event.{id}")), Some(id));
        assert_eq!(EVENTS.uuid_in("sched.event.not-a-uuid"), None);
    }

    #[test]
    fn every_kind_lives_in_a_stream_that_stores_its_subjects() {
        for kind in [
            EDITIONS,
            EVENTS,
            SESSION_IDS,
            VENUE_RECORDS,
            SEATS,
            PARTNERS,
            AGENDAS,
            PARTICIPANTS,
            FLOORS,
            PARTNER_HOOKS,
            VENUE_HOOKS,
        ] {
            let stream = STREAMS.iter().find(|s| s.name == kind.stream);
            let stored = stream.and_then(|s| s.subjects.strip_suffix('>'));
            assert!(
                stored.is_some_and(|root| kind.prefix.starts_with(root)),
                "{kind:?}"
            );
        }
    }
}
