//! Reading the views' rows: errors, cursors and pages, and the merging of a session's facts.
//!
//! **API Boundary.** [`ViewError`] (with its stable [`ViewError::code`]), [`Cursor`] and
//! [`Page`] are what the gateway receives.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The page size when a query does not say.
pub const DEFAULT_LIMIT: usize = 50;
/// The largest page: a larger `limit` is read as this.
pub const MAX_LIMIT: usize = 200;

/// Why a view could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// The cursor was not made by this listing (a client altered or invented it).
    #[error("cannot continue after `{0}`: not a cursor of this listing")]
    InvalidCursor(String),
    /// The sled store failed.
    #[error("cannot read the view's store: {0}")]
    Store(#[from] sled::Error),
    /// A row does not parse: the store was written by another version of the code and must be
    /// rebuilt.
    #[error("cannot read a row of `{tree}`: {reason}; rebuild the view")]
    CorruptRow {
        /// The tree.
        tree: &'static str,
        /// What serde said.
        reason: String,
    },
}

impl ViewError {
    /// A stable code: `invalid-cursor`, `store-unavailable`, `corrupt-row`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidCursor(_) => "invalid-cursor",
            Self::Store(_) => "store-unavailable",
            Self::CorruptRow { .. } => "corrupt-row",
        }
    }
}

/// Where a listing stopped: an opaque string, to pass back as `after`. Its contents are not a
/// contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
#[serde(transparent)]
pub struct Cursor(String);

impl Cursor {
    /// The cursor as received from a client; it is checked when used.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// Its text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn encode(position: &[u8]) -> Self {
        Self(position.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The position it names, `len` bytes long. A cursor is 16 or 32 bytes in hexadecimal (the
    /// pages of one listing give one length; another listing's is read as the nearest position:
    /// a shorter one padded with zeros, a longer one cut).
    pub(crate) fn decode(&self, len: usize) -> Result<Vec<u8>, ViewError> {
        let invalid = || ViewError::InvalidCursor(self.0.clone());
        let text = self.0.as_bytes();
        if !matches!(text.len(), 32 | 64) || !text.iter().all(u8::is_ascii_hexdigit) {
            return Err(invalid());
        }
        let mut position = text
            .chunks(2)
            .map(|pair| {
                std::str::from_utf8(pair)
                    .ok()
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                    .ok_or_else(invalid)
            })
            .collect::<Result<Vec<u8>, ViewError>>()?;
        position.resize(len, 0);
        Ok(position)
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
#[schemars(rename = "{T}Page")]
pub struct Page<T> {
    /// The items, in order.
    pub items: Vec<T>,
    /// The cursor of the next page; `null` when this page is the last.
    pub next: Option<Cursor>,
}

/// A row of `name`, read from an open tree.
pub(crate) fn row<T: DeserializeOwned>(
    db: &sled::Db,
    name: &'static str,
    key: &[u8],
) -> Result<Option<T>, ViewError> {
    db.open_tree(name)?
        .get(key)?
        .map(|bytes| {
            serde_json::from_slice(&bytes).map_err(|e| ViewError::CorruptRow {
                tree: name,
                reason: e.to_string(),
            })
        })
        .transpose()
}

/// The keys of `name` that start with `prefix`, without the prefix, in order.
pub(crate) fn tails(
    db: &sled::Db,
    name: &'static str,
    prefix: &[u8],
) -> Result<Vec<Vec<u8>>, ViewError> {
    let mut found = Vec::new();
    for entry in db.open_tree(name)?.scan_prefix(prefix) {
        let (key, _) = entry?;
        if let Some(tail) = key.get(prefix.len()..) {
            found.push(tail.to_vec());
        }
    }
    Ok(found)
}
