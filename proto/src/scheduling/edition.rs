//! An edition: one week or day of events, with its dates, territory, time zone and organisers.

use jiff::civil::Date;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contract::event_family;
use crate::values::{DepartementCode, Name, OrganiserId, TimeZoneName};

/// What an organiser can ask of an edition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Creates the edition.
    Create(Create),
    /// Moves its first or last day.
    AmendDates(AmendDates),
    /// Makes its programme public.
    Publish,
    /// Closes it: nothing more is scheduled or changed.
    Close,
}

/// Creates an edition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Create {
    /// Its name, e.g. "Semaine des métiers du social — Hautes-Alpes 2024".
    pub name: Name,
    /// The département it covers.
    pub territory: DepartementCode,
    /// Its first day, in its time zone.
    #[schemars(schema_with = "crate::values::strict::edition_day_schema")]
    #[serde(deserialize_with = "crate::values::strict::date")]
    pub first_day: Date,
    /// Its last day, inclusive.
    #[schemars(schema_with = "crate::values::strict::edition_day_schema")]
    #[serde(deserialize_with = "crate::values::strict::date")]
    pub last_day: Date,
    /// Its time zone; Europe/Paris when absent.
    #[serde(default = "TimeZoneName::paris")]
    pub time_zone: TimeZoneName,
    /// The organisers who run it; at least one.
    #[schemars(extend("minItems" = 1, "uniqueItems" = true))]
    pub organisers: Vec<OrganiserId>,
}

/// Moves an edition's days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendDates {
    /// The new first day.
    #[schemars(schema_with = "crate::values::strict::edition_day_schema")]
    #[serde(deserialize_with = "crate::values::strict::date")]
    pub first_day: Date,
    /// The new last day, inclusive.
    #[schemars(schema_with = "crate::values::strict::edition_day_schema")]
    #[serde(deserialize_with = "crate::values::strict::date")]
    pub last_day: Date,
}

/// An edition was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Created {
    /// Its name.
    pub name: Name,
    /// The département it covers.
    pub territory: DepartementCode,
    /// Its first day.
    #[schemars(schema_with = "crate::values::strict::date_schema")]
    #[serde(deserialize_with = "crate::values::strict::date")]
    pub first_day: Date,
    /// Its last day, inclusive.
    #[schemars(schema_with = "crate::values::strict::date_schema")]
    #[serde(deserialize_with = "crate::values::strict::date")]
    pub last_day: Date,
    /// Its time zone.
    pub time_zone: TimeZoneName,
    /// Its organisers.
    #[schemars(extend("minItems" = 1, "uniqueItems" = true))]
    pub organisers: Vec<OrganiserId>,
}

/// An edition's days moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DatesAmended {
    /// The new first day.
    #[schemars(schema_with = "crate::values::strict::date_schema")]
    #[serde(deserialize_with = "crate::values::strict::date")]
    pub first_day: Date,
    /// The new last day, inclusive.
    #[schemars(schema_with = "crate::values::strict::date_schema")]
    #[serde(deserialize_with = "crate::values::strict::date")]
    pub last_day: Date,
}

/// An edition's programme was made public.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Published {}

/// An edition was closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Closed {}

event_family!(
    /// What an edition records.
    Event {
        /// Created.
        Created(Created) = "EditionCreated" v 1,
        /// Its days moved.
        DatesAmended(DatesAmended) = "EditionDatesAmended" v 1,
        /// Published.
        Published(Published) = "EditionPublished" v 1,
        /// Closed.
        Closed(Closed) = "EditionClosed" v 1,
    }
);
