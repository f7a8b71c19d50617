//! A batch: the commits the feeders handed over, folded into the view and written with the
//! quarantined messages and the new checkpoints in one sled transaction, so that a crash at any
//! instant neither loses nor applies twice.

use sled::Transactional;
use tracing::error;

use proto::Commit;

use super::feed::Fed;
use super::{Progress, QuarantinedMessage, Runner, RunnerError, Undecodable};
use crate::{Position, Projection, View};

impl<P: Projection> Runner<P> {
    #[tracing::instrument(
        name = "batch",
        level = "debug",
        skip_all,
        fields(projection = self.name(), messages = batch.len())
    )]
    pub(super) fn apply_batch(&mut self, batch: Vec<Fed>) -> Result<u64, RunnerError> {
        let streams = self.projection.streams();
        let names = self.projection.trees();
        // The projection's trees and the outbox after them.
        let view_trees = &self.trees[..=names.len()];
        let mut view = View::new(names, view_trees);
        let mut progress = self.progress.borrow().clone();
        let mut quarantined: Vec<QuarantinedMessage> = Vec::new();
        let mut taken = 0;
        for fed in batch {
            let stream = streams[fed.stream];
            let checkpoint = progress.checkpoints.entry(stream.to_owned()).or_default();
            if fed.seq <= *checkpoint {
                continue;
            }
            let Some(commit) = &fed.commit else {
                *checkpoint = fed.seq;
                taken += 1;
                continue;
            };
            let applied = commit
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|commit| self.apply_commit(&mut view, stream, fed.seq, commit));
            if let Err(reason) = applied {
                view.drop_commit();
                if self.config.on_undecodable == Undecodable::Halt {
                    self.commit(view, &progress, &quarantined)?;
                    return Err(RunnerError::Halted {
                        projection: self.name(),
                        stream: stream.to_owned(),
                        seq: fed.seq,
                        reason,
                    });
                }
                error!(projection = self.name(), stream, seq = fed.seq, %reason, "message quarantined");
                quarantined.push(QuarantinedMessage {
                    stream: stream.to_owned(),
                    seq: fed.seq,
                    subject: fed.message.subject.to_string(),
                    reason,
                    body: String::from_utf8_lossy(&fed.message.payload).into_owned(),
                });
            } else {
                view.keep_commit();
            }
            *progress.checkpoints.entry(stream.to_owned()).or_default() = fed.seq;
            taken += 1;
        }
        self.commit(view, &progress, &quarantined)?;
        Ok(taken)
    }

    /// Applies one message's commit to the view; its writes are staged, kept or dropped by the
    /// caller.
    fn apply_commit(
        &self,
        view: &mut View<'_>,
        stream: &str,
        seq: u64,
        commit: &Commit,
    ) -> Result<(), String> {
        for (index, event) in commit.events.iter().enumerate() {
            let at = Position { stream, seq, index };
            self.projection
                .apply(view, event, at)
                .map_err(|e| format!("event {index} ({}): {e}", event.event_type))?;
        }
        Ok(())
    }

    /// Writes the batch's view changes, quarantined messages and checkpoints in one sled
    /// transaction.
    fn commit(
        &self,
        view: View<'_>,
        progress: &Progress,
        quarantined: &[QuarantinedMessage],
    ) -> Result<(), RunnerError> {
        let writes = view.into_writes();
        let checkpoints_at = self.trees.len() - 2;
        let quarantine_at = self.trees.len() - 1;
        let quarantined: Vec<(Vec<u8>, Vec<u8>)> = quarantined
            .iter()
            .map(|q| {
                let mut key = q.stream.as_bytes().to_vec();
                key.push(0);
                key.extend_from_slice(&q.seq.to_be_bytes());
                (key, serde_json::to_vec(q).unwrap_or_default())
            })
            .collect();
        self.trees
            .as_slice()
            .transaction(|tx| {
                for ((tree, key), value) in &writes {
                    match value {
                        Some(value) => tx[*tree].insert(key.as_slice(), value.as_slice())?,
                        None => tx[*tree].remove(key.as_slice())?,
                    };
                }
                for (key, value) in &quarantined {
                    tx[quarantine_at].insert(key.as_slice(), value.as_slice())?;
                }
                for (stream, seq) in &progress.checkpoints {
                    tx[checkpoints_at].insert(stream.as_bytes(), &seq.to_be_bytes()[..])?;
                }
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| self.transaction_error(e))?;
        self.progress.send_replace(progress.clone());
        Ok(())
    }
}
