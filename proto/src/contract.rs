//! Event families and their wire form.
//!
//! An event family (all the events of one aggregate kind) is a Rust enum that implements
//! [`EventContract`]: it writes itself at its current version, and reads back every version ever
//! published. Reading an old version *upcasts* it: the old shape is deserialised into its own
//! struct, kept forever, and converted into today's.

use thiserror::Error;

/// An event in wire form, ready to be put in a [`crate::StoredEvent`].
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedEvent {
    /// The event type, e.g. `SessionScheduled`.
    pub event_type: &'static str,
    /// The version of the payload's shape written today.
    pub version: u16,
    /// The payload.
    pub data: serde_json::Value,
}

/// Why a stored event cannot be read.
#[derive(Debug, Error)]
pub enum DecodeError {
    /// No event family of this code knows the type.
    #[error("cannot decode event: unknown type `{event_type}`")]
    UnknownType {
        /// The type found.
        event_type: String,
    },
    /// The type is known but the version is newer than this code, or was never published.
    #[error("cannot decode event `{event_type}`: unknown version {version}")]
    UnknownVersion {
        /// The type found.
        event_type: String,
        /// The version found.
        version: u16,
    },
    /// The payload does not have the shape of its type and version.
    #[error("cannot decode event `{event_type}` v{version}: {source}")]
    Malformed {
        /// The type found.
        event_type: String,
        /// The version found.
        version: u16,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// The message is not a commit at all (not JSON, wrong format header, no events).
    #[error("cannot decode commit: {reason}")]
    NotACommit {
        /// What is wrong with it.
        reason: String,
    },
}

/// A family of events: how it is written today and how every published version is read.
pub trait EventContract: Sized {
    /// The event in wire form at its current version.
    fn encode(&self) -> Result<EncodedEvent, serde_json::Error>;

    /// Reads any version of any type of this family ever published, upcasting old versions to
    /// today's shape.
    fn decode(
        event_type: &str,
        version: u16,
        data: &serde_json::Value,
    ) -> Result<Self, DecodeError>;
}

/// Deserialises one payload of a known type and version, for use inside
/// [`EventContract::decode`] implementations.
pub fn payload<T: serde::de::DeserializeOwned>(
    event_type: &str,
    version: u16,
    data: &serde_json::Value,
) -> Result<T, DecodeError> {
    T::deserialize(data).map_err(|source| DecodeError::Malformed {
        event_type: event_type.to_owned(),
        version,
        source,
    })
}

/// Serialises one payload for [`EventContract::encode`].
pub fn encode_payload<T: serde::Serialize>(
    event_type: &'static str,
    version: u16,
    payload: &T,
) -> Result<EncodedEvent, serde_json::Error> {
    Ok(EncodedEvent {
        event_type,
        version,
        data: serde_json::to_value(payload)?,
    })
}

/// Declares an event family: the enum, its [`EventContract`] (each variant's payload at its wire
/// type and version), the list of `(type, version)` it reads, and the JSON Schema of each payload.
///
/// A published version never changes. To change a payload's shape, give the variant a new
/// version and write the family's `decode` by hand with an upcaster from the old one.
macro_rules! event_family {
    ($(#[$doc:meta])* $family:ident {
        $($(#[$vdoc:meta])* $variant:ident($payload:ty) = $wire:literal v $version:literal),+ $(,)?
    }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        pub enum $family {
            $($(#[$vdoc])* $variant($payload)),+
        }

        impl $family {
            /// Every `(type, version)` this family reads.
            pub const VERSIONS: &'static [(&'static str, u16)] = &[$(($wire, $version)),+];

            /// The JSON Schema of every payload, named `<type>.v<version>`.
            pub fn schemas() -> Vec<(String, schemars::Schema)> {
                vec![$((format!("{}.v{}", $wire, $version), schemars::schema_for!($payload))),+]
            }

            /// The wire type of this event.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $wire),+
                }
            }
        }

        impl $crate::contract::EventContract for $family {
            fn encode(&self) -> Result<$crate::contract::EncodedEvent, serde_json::Error> {
                match self {
                    $(Self::$variant(e) => $crate::contract::encode_payload($wire, $version, e)),+
                }
            }

            fn decode(
                event_type: &str,
                version: u16,
                data: &serde_json::Value,
            ) -> Result<Self, $crate::contract::DecodeError> {
                match (event_type, version) {
                    $(($wire, $version) => Ok(Self::$variant($crate::contract::payload(event_type, version, data)?)),)+
                    _ if Self::VERSIONS.iter().any(|(t, _)| *t == event_type) => {
                        Err($crate::contract::DecodeError::UnknownVersion {
                            event_type: event_type.to_owned(),
                            version,
                        })
                    }
                    _ => Err($crate::contract::DecodeError::UnknownType {
                        event_type: event_type.to_owned(),
                    }),
                }
            }
        }
    };
}
pub(crate) use event_family;

#[cfg(test)]
mod tests {
    //! The upcasting pattern every family follows, shown on a family made for the test.
    use super::*;
    use serde::{Deserialize, Serialize};

    /// Today's shape: the capacity became a number of seats with a unit.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct CapacityConfirmedV2 {
        seats: u32,
        wheelchair_places: u32,
    }
    /// The first published shape, kept forever to read old events.
    #[derive(Deserialize)]
    struct CapacityConfirmedV1 {
        capacity: u32,
    }
    impl From<CapacityConfirmedV1> for CapacityConfirmedV2 {
        fn from(v1: CapacityConfirmedV1) -> Self {
            Self {
                seats: v1.capacity,
                wheelchair_places: 0,
            }
        }
    }
    #[derive(Debug, PartialEq)]
    enum VenueEvent {
        CapacityConfirmed(CapacityConfirmedV2),
    }
    impl EventContract for VenueEvent {
        fn encode(&self) -> Result<EncodedEvent, serde_json::Error> {
            match self {
                Self::CapacityConfirmed(e) => encode_payload("CapacityConfirmed", 2, e),
            }
        }
        fn decode(t: &str, v: u16, data: &serde_json::Value) -> Result<Self, DecodeError> {
            match (t, v) {
                ("CapacityConfirmed", 1) => Ok(Self::CapacityConfirmed(
                    payload::<CapacityConfirmedV1>(t, v, data)?.into(),
                )),
                ("CapacityConfirmed", 2) => Ok(Self::CapacityConfirmed(payload(t, v, data)?)),
                ("CapacityConfirmed", _) => Err(DecodeError::UnknownVersion {
                    event_type: t.into(),
                    version: v,
                }),
                _ => Err(DecodeError::UnknownType {
                    event_type: t.into(),
                }),
            }
        }
    }

    #[test]
    fn an_old_version_reads_as_todays_shape() {
        let old = serde_json::json!({"capacity": 30});
        let event = VenueEvent::decode("CapacityConfirmed", 1, &old).expect("v1 still reads");
        assert_eq!(
            event,
            VenueEvent::CapacityConfirmed(CapacityConfirmedV2 {
                seats: 30,
                wheelchair_places: 0
            })
        );
    }

    #[test]
    fn todays_version_round_trips() {
        let event = VenueEvent::CapacityConfirmed(CapacityConfirmedV2 {
            seats: 12,
            wheelchair_places: 2,
        });
        let wire = event.encode().expect("encodes");
        assert_eq!((wire.event_type, wire.version), ("CapacityConfirmed", 2));
        let back = VenueEvent::decode(wire.event_type, wire.version, &wire.data).expect("decodes");
        assert_eq!(back, event);
    }

    #[test]
    fn unknown_types_versions_and_shapes_are_typed_errors() {
        let data = serde_json::json!({"capacity": "thirty"});
        assert!(matches!(
            VenueEvent::decode("CapacityConfirmed", 1, &data),
            Err(DecodeError::Malformed { version: 1, .. })
        ));
        assert!(matches!(
            VenueEvent::decode("CapacityConfirmed", 9, &data),
            Err(DecodeError::UnknownVersion { version: 9, .. })
        ));
        assert!(matches!(
            VenueEvent::decode("SessionMoved", 1, &data),
            Err(DecodeError::UnknownType { .. })
        ));
    }
}
