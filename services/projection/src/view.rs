//! [`View`]: a projection's reads and writes during one batch.
//!
//! Writes are staged in memory, over the trees as they stand: reads see the staged writes of the
//! batch, and the runner commits them all, with the checkpoints, in one sled transaction. The
//! writes of a commit that is rejected half-way are dropped with it.

use std::collections::BTreeMap;

use sled::{IVec, Tree};

/// A staged change to one key: `Some` to write, `None` to remove.
type Staged = BTreeMap<(usize, Vec<u8>), Option<Vec<u8>>>;

/// The projection's window on its trees during a batch.
pub struct View<'a> {
    names: &'static [&'static str],
    /// The projection's trees, in the order of `names`, then the outbox.
    trees: &'a [Tree],
    /// Writes of the commits already applied in this batch.
    batch: Staged,
    /// Writes of the commit being applied, merged into `batch` once it is applied whole.
    commit: Staged,
}

impl<'a> View<'a> {
    pub(crate) fn new(names: &'static [&'static str], trees: &'a [Tree]) -> Self {
        Self {
            names,
            trees,
            batch: BTreeMap::new(),
            commit: BTreeMap::new(),
        }
    }

    fn index(&self, tree: &str) -> usize {
        match self.names.iter().position(|n| *n == tree) {
            Some(i) => i,
            None => panic!("projection used tree `{tree}` it did not declare in trees()"),
        }
    }

    /// The value at `key` in `tree`, with this batch's writes applied.
    pub fn get(&self, tree: &str, key: &[u8]) -> Option<Vec<u8>> {
        let slot = (self.index(tree), key.to_vec());
        if let Some(staged) = self.commit.get(&slot).or_else(|| self.batch.get(&slot)) {
            return staged.clone();
        }
        self.trees[slot.0]
            .get(key)
            .ok()
            .flatten()
            .map(|v: IVec| v.to_vec())
    }

    /// The rows of `tree` whose key starts with `prefix`, with this batch's writes applied, in
    /// key order.
    pub fn scan_prefix(&self, tree: &str, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let index = self.index(tree);
        let mut merged: BTreeMap<Vec<u8>, Option<Vec<u8>>> = self.trees[index]
            .scan_prefix(prefix)
            .filter_map(Result::ok)
            .map(|(key, value)| (key.to_vec(), Some(value.to_vec())))
            .collect();
        // The commit's writes come after the batch's.
        let from = (index, prefix.to_vec());
        for staged in [&self.batch, &self.commit] {
            let rows = staged
                .range(&from..)
                .take_while(|((tree, key), _)| *tree == index && key.starts_with(prefix));
            for ((_, key), value) in rows {
                merged.insert(key.clone(), value.clone());
            }
        }
        merged
            .into_iter()
            .filter_map(|(key, value)| value.map(|value| (key, value)))
            .collect()
    }

    /// The JSON value at `key`, or `None` when absent or unreadable.
    pub fn get_json<T: serde::de::DeserializeOwned>(&self, tree: &str, key: &[u8]) -> Option<T> {
        self.get(tree, key)
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
    }

    /// Writes `value` at `key` in `tree`.
    pub fn insert(&mut self, tree: &str, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        let slot = (self.index(tree), key.into());
        self.commit.insert(slot, Some(value.into()));
    }

    /// Writes `value` as JSON.
    pub fn insert_json<T: serde::Serialize>(
        &mut self,
        tree: &str,
        key: impl Into<Vec<u8>>,
        value: &T,
    ) -> Result<(), crate::Rejected> {
        let bytes = serde_json::to_vec(value).map_err(|e| crate::Rejected(e.to_string()))?;
        self.insert(tree, key, bytes);
        Ok(())
    }

    /// Removes `key` from `tree`.
    pub fn remove(&mut self, tree: &str, key: impl Into<Vec<u8>>) {
        let slot = (self.index(tree), key.into());
        self.commit.insert(slot, None);
    }

    /// Stages a reaction in the outbox (the tree after the projection's own), to be carried out
    /// once the batch is committed; see [`crate::reactor`].
    pub(crate) fn emit(&mut self, key: Vec<u8>, payload: Vec<u8>) {
        self.commit.insert((self.names.len(), key), Some(payload));
    }

    pub(crate) fn keep_commit(&mut self) {
        let commit = std::mem::take(&mut self.commit);
        self.batch.extend(commit);
    }

    pub(crate) fn drop_commit(&mut self) {
        self.commit.clear();
    }

    pub(crate) fn into_writes(self) -> Staged {
        self.batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_see_the_commit_over_the_batch_over_the_tree() -> Result<(), sled::Error> {
        let db = sled::Config::new().temporary(true).open()?;
        let rows = db.open_tree("rows")?;
        for key in ["a/1", "a/2", "a/3", "b/1"] {
            rows.insert(key, "tree")?;
        }
        let trees = [rows, db.open_tree("outbox")?];
        let mut view = View::new(&["rows"], &trees);
        view.insert("rows", "a/2", "batch");
        view.remove("rows", "a/3");
        view.insert("rows", "a/4", "batch");
        view.keep_commit();
        view.insert("rows", "a/4", "commit");
        view.insert("rows", "a/5", "commit");
        view.insert("rows", "b/2", "commit");

        let read = |key: &str| view.get("rows", key.as_bytes());
        assert_eq!(read("a/1").as_deref(), Some(&b"tree"[..]));
        assert_eq!(read("a/2").as_deref(), Some(&b"batch"[..]));
        assert_eq!(read("a/3"), None, "removed by the batch");
        assert_eq!(read("a/4").as_deref(), Some(&b"commit"[..]));
        let scanned: Vec<(Vec<u8>, Vec<u8>)> = view.scan_prefix("rows", b"a/");
        let expected: Vec<(Vec<u8>, Vec<u8>)> = [
            ("a/1", "tree"),
            ("a/2", "batch"),
            ("a/4", "commit"),
            ("a/5", "commit"),
        ]
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
        assert_eq!(scanned, expected, "b/ is not in a/");
        Ok(())
    }
}
