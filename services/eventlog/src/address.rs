//! Where an aggregate's events live: a stream and a subject.

pub use proto::subjects::Category;

/// The address of one aggregate: the stream that stores it and its own subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AggregateKey {
    stream: &'static str,
    subject: String,
}

/// An aggregate id that cannot be a NATS subject token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot use `{id}` as an aggregate id: it must be 1 to 128 characters of letters, digits, `-` or `_`"
)]
pub struct InvalidId {
    /// The refused id.
    pub id: String,
}

impl AggregateKey {
    /// The aggregate `id` of `category`. Ids are one subject token: letters, digits, `-`, `_`.
    pub fn new(category: Category, id: &str) -> Result<Self, InvalidId> {
        let valid = !id.is_empty()
            && id.len() <= 128
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(InvalidId { id: id.to_owned() });
        }
        Ok(Self {
            stream: category.stream,
            subject: format!("{}.{id}", category.prefix),
        })
    }

    /// The stream that stores this aggregate.
    pub fn stream(&self) -> &'static str {
        self.stream
    }

    /// The aggregate's subject, e.g. `reg.session.0193…`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The aggregate's id, the subject's last token.
    pub fn id(&self) -> &str {
        self.subject.rsplit('.').next().unwrap_or_default()
    }
}

impl std::fmt::Display for AggregateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.subject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: Category = Category {
        stream: "REGISTRATION",
        prefix: "reg.session",
    };

    #[test]
    fn ids_are_single_subject_tokens() {
        let key = AggregateKey::new(SESSION, "0193-ab_c").expect("valid");
        assert_eq!(key.subject(), "reg.session.0193-ab_c");
        assert_eq!(key.id(), "0193-ab_c");
        assert_eq!(key.stream(), "REGISTRATION");
        for bad in ["", "a.b", "a*", ">", "a b", "é", &"x".repeat(129)] {
            assert!(AggregateKey::new(SESSION, bad).is_err(), "{bad:?} accepted");
        }
    }
}
