//! Who may act, and on what: a role and its scope, the same for an API key (a machine's) and for
//! a person's membership. An **organiser** of one edition (or of all, `*`), a **venue** (its own
//! venue id) or a **partner** (its partner id).

use serde::{Deserialize, Serialize};

use crate::values::{EditionId, Invalid, PartnerId, VenueId};

/// Which editions an organiser (a key or a person's membership) acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Editions {
    /// Every edition (`*`): also creates editions and retires partners.
    All,
    /// One edition only.
    One(EditionId),
}

impl Editions {
    /// True when the key may act on `edition`.
    pub fn covers(&self, edition: EditionId) -> bool {
        match self {
            Self::All => true,
            Self::One(own) => *own == edition,
        }
    }
}

impl TryFrom<String> for Editions {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        if value == "*" {
            return Ok(Self::All);
        }
        value
            .parse()
            .map(|id| Self::One(EditionId(id)))
            .map_err(|_| Invalid(format!("an edition id or `*`, not {value:?}")))
    }
}

impl From<Editions> for String {
    fn from(value: Editions) -> String {
        match value {
            Editions::All => "*".into(),
            Editions::One(id) => id.to_string(),
        }
    }
}

/// A role and its scope, an API key's or a person's membership: what it may do, and on what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", content = "scope", rename_all = "snake_case")]
pub enum Role {
    /// Builds editions and their programmes, declares partners.
    Organiser(Editions),
    /// Answers the hosting requests of one venue and checks people in at its door.
    Venue(VenueId),
    /// Registers participants, as one partner.
    Partner(PartnerId),
}

impl Role {
    /// Reads a role and its scope as an operator types them (`organiser` with an edition id or
    /// `*`, `venue` with a venue id, `partner` with a partner id).
    pub fn parse(role: &str, scope: &str) -> Result<Self, Invalid> {
        let invalid = |what: &str| Invalid(format!("{what}, not {scope:?}"));
        match role {
            "organiser" => Editions::try_from(scope.to_owned()).map(Self::Organiser),
            "venue" => scope
                .parse()
                .map(|id| Self::Venue(VenueId(id)))
                .map_err(|_| invalid("a venue key's scope is a venue id")),
            "partner" => PartnerId::parse(scope)
                .map(Self::Partner)
                .map_err(|_| invalid("a partner key's scope is a partner id")),
            other => Err(Invalid(format!(
                "a role is organiser, venue or partner, not {other:?}"
            ))),
        }
    }

    /// The role's name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Organiser(_) => "organiser",
            Self::Venue(_) => "venue",
            Self::Partner(_) => "partner",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_with_their_scopes() {
        let edition = EditionId::generate();
        assert_eq!(
            Role::parse("organiser", "*").ok(),
            Some(Role::Organiser(Editions::All))
        );
        assert_eq!(
            Role::parse("organiser", &edition.to_string()).ok(),
            Some(Role::Organiser(Editions::One(edition)))
        );
        assert!(Role::parse("organiser", "dep-05").is_err());
        assert!(Role::parse("venue", "not-a-uuid").is_err());
        assert!(Role::parse("partner", "mission locale").is_err());
        assert!(Role::parse("admin", "*").is_err());
        assert!(matches!(
            Role::parse("partner", "ml-gap"),
            Ok(Role::Partner(_))
        ));
    }
}
