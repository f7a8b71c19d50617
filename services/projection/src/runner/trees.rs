//! The runner's own trees beside the view: the checkpoints (with the layout and the rebuild
//! marker), the quarantine and the outbox. They are the last three trees of the store, after the
//! projection's; a rebuild clears them all, the checkpoints last.

use std::collections::BTreeMap;

use sled::Transactional;
use tracing::info;

use super::store::decode_seq;
use super::{LAYOUT, OUTBOX, Progress, QuarantinedMessage, REBUILDING, Runner, RunnerError};
use crate::Projection;

impl<P: Projection> Runner<P> {
    /// The layout the store was written under: `None` for a store that holds nothing yet, 1 for
    /// one written before layouts were kept.
    pub(super) fn written_layout(&self) -> Result<Option<u32>, RunnerError> {
        let checkpoints = self.checkpoints();
        match checkpoints.get(LAYOUT).map_err(|e| self.store_error(e))? {
            Some(bytes) => Ok(Some(
                <[u8; 4]>::try_from(bytes.as_ref()).map_or(0, u32::from_be_bytes),
            )),
            None if checkpoints.is_empty() => Ok(None),
            None => Ok(Some(1)),
        }
    }

    /// Stores the projection's layout beside the checkpoints (and flushes it) unless it is
    /// there already.
    pub(super) fn keep_layout(&self) -> Result<(), RunnerError> {
        let layout = self.projection.layout().to_be_bytes();
        let stored = self
            .checkpoints()
            .get(LAYOUT)
            .map_err(|e| self.store_error(e))?;
        if stored.as_deref() != Some(layout.as_slice()) {
            self.checkpoints()
                .insert(LAYOUT, &layout[..])
                .map_err(|e| self.store_error(e))?;
            self.db.flush().map_err(|e| self.store_error(e))?;
        }
        Ok(())
    }

    /// Drops the trees of the store that the projection does not own (any more): what an older
    /// layout kept and this one does not.
    pub(super) fn drop_other_trees(&self) -> Result<(), RunnerError> {
        let owned: Vec<sled::IVec> = self.trees.iter().map(sled::Tree::name).collect();
        for name in self.db.tree_names() {
            if name != self.db.name() && !owned.contains(&name) {
                info!(
                    projection = self.name(),
                    tree = %String::from_utf8_lossy(&name),
                    "dropping a tree of an older layout"
                );
                self.db.drop_tree(&name).map_err(|e| self.store_error(e))?;
            }
        }
        Ok(())
    }

    pub(super) fn checkpoints(&self) -> &sled::Tree {
        &self.trees[self.trees.len() - 2]
    }

    fn quarantine(&self) -> &sled::Tree {
        &self.trees[self.trees.len() - 1]
    }

    /// The reactions waiting in the outbox, in log order: key and payload.
    pub(crate) fn outbox(&self) -> Result<Vec<(sled::IVec, sled::IVec)>, RunnerError> {
        let outbox = &self.trees[self.trees.len() - 3];
        outbox
            .iter()
            .map(|row| row.map_err(|e| self.store_error(e)))
            .collect()
    }

    /// Takes a carried-out reaction out of the outbox.
    pub(crate) fn done(&self, key: &[u8]) -> Result<(), RunnerError> {
        let outbox = &self.trees[self.trees.len() - 3];
        outbox.remove(key).map_err(|e| self.store_error(e))?;
        Ok(())
    }

    /// Moves a reaction that can never be carried out to the quarantine, with its reason.
    pub(crate) fn quarantine_reaction(
        &self,
        key: &[u8],
        payload: &[u8],
        reason: String,
    ) -> Result<(), RunnerError> {
        let record = QuarantinedMessage {
            stream: OUTBOX.into(),
            seq: 0,
            subject: String::from_utf8_lossy(key).into_owned(),
            reason,
            body: String::from_utf8_lossy(payload).into_owned(),
        };
        let outbox = self.trees.len() - 3;
        let quarantine = self.trees.len() - 1;
        let value = serde_json::to_vec(&record).unwrap_or_default();
        let mut quarantine_key = OUTBOX.as_bytes().to_vec();
        quarantine_key.push(0);
        quarantine_key.extend_from_slice(key);
        (&self.trees[outbox], &self.trees[quarantine])
            .transaction(|(outbox, quarantine)| {
                outbox.remove(key)?;
                quarantine.insert(quarantine_key.as_slice(), value.as_slice())?;
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| self.transaction_error(e))
    }

    pub(super) fn read_progress(&self) -> Result<Progress, RunnerError> {
        let mut checkpoints = BTreeMap::new();
        for stream in self.projection.streams() {
            let seq = self
                .checkpoints()
                .get(stream.as_bytes())
                .map_err(|e| self.store_error(e))?
                .map_or(0, |v| decode_seq(&v));
            checkpoints.insert((*stream).to_owned(), seq);
        }
        Ok(Progress {
            checkpoints,
            caught_up: false,
        })
    }

    /// The messages in quarantine, in stream order.
    pub fn quarantined(&self) -> Result<Vec<QuarantinedMessage>, RunnerError> {
        self.quarantine()
            .iter()
            .values()
            .map(|v| {
                let v = v.map_err(|e| self.store_error(e))?;
                serde_json::from_slice(&v).map_err(|e| {
                    self.store_error(sled::Error::Unsupported(format!("quarantine entry: {e}")))
                })
            })
            .collect()
    }

    /// Marks a rebuild in progress (flushed), then clears every tree: a crash in between is
    /// finished at the next [`Runner::open`].
    pub(super) fn drop_view(&self) -> Result<(), RunnerError> {
        self.checkpoints()
            .insert(REBUILDING, &[1u8][..])
            .map_err(|e| self.store_error(e))?;
        self.db.flush().map_err(|e| self.store_error(e))?;
        self.clear_store()
    }

    /// Clears every tree, the checkpoints (and the rebuild marker, and the layout) last.
    pub(super) fn clear_store(&self) -> Result<(), RunnerError> {
        for tree in &self.trees {
            if tree.name() != self.checkpoints().name() {
                tree.clear().map_err(|e| self.store_error(e))?;
            }
        }
        self.checkpoints()
            .clear()
            .map_err(|e| self.store_error(e))?;
        self.db.flush().map_err(|e| self.store_error(e))?;
        Ok(())
    }
}
