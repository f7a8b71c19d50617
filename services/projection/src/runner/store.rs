//! Opening a projection's sled store on disk. A store sled finds damaged (or panics reading) is
//! moved aside, next to where it was (`<dir>.corrupt-<unix seconds>`), and a new, empty one
//! opened in its place: a read model is a cache of the log, so a lost store costs a replay,
//! never a crash loop.

use std::path::Path;
use std::time::Duration;

use tracing::warn;

/// A store and its trees, opened; and where a damaged store was moved, if one was.
type Opened = (sled::Db, Vec<sled::Tree>, Option<std::path::PathBuf>);

/// Opens the store in `dir` and its trees; if sled finds it damaged, moves it aside to
/// `<dir>.corrupt-<unix seconds>` and opens a new, empty one in its place.
pub(super) fn open_or_set_aside(dir: &Path, names: &[&str]) -> Result<Opened, sled::Error> {
    match open_with_trees(dir, names) {
        Ok((db, trees)) => Ok((db, trees, None)),
        Err(e) if is_damage(&e) => {
            let seconds = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let mut aside = dir.as_os_str().to_owned();
            aside.push(format!(".corrupt-{seconds}"));
            let aside = std::path::PathBuf::from(aside);
            warn!(store = %dir.display(), error = %e, "the store does not open: moving it aside");
            std::fs::rename(dir, &aside)?;
            let (db, trees) = open_with_trees(dir, names)?;
            Ok((db, trees, Some(aside)))
        }
        Err(e) => Err(e),
    }
}

/// Whether sled's error says the store's files are damaged (rather than, say, not readable by
/// this user, or locked by another process).
fn is_damage(error: &sled::Error) -> bool {
    match error {
        sled::Error::Corruption { .. } | sled::Error::ReportableBug(_) => true,
        sled::Error::Unsupported(_) => true,
        sled::Error::Io(e) => matches!(
            e.kind(),
            std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
        ),
        sled::Error::CollectionNotFound(_) => false,
    }
}

/// Opens the store and its trees; a panic inside sled while it reads a damaged store is turned
/// into a corruption error.
fn open_with_trees(dir: &Path, names: &[&str]) -> Result<(sled::Db, Vec<sled::Tree>), sled::Error> {
    let opening = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let db = open_store(dir)?;
        let trees = names
            .iter()
            .map(|name| db.open_tree(name))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((db, trees))
    }));
    opening.unwrap_or_else(|_| {
        Err(sled::Error::ReportableBug(
            "sled panicked while opening the store".into(),
        ))
    })
}

/// Opens a sled store, waiting (up to five seconds) for a previous instance that is still letting
/// go of it: sled's background flusher keeps the file lock for up to one flush interval after
/// the store is dropped, so a runner restarted at once would otherwise find it locked.
fn open_store(dir: &Path) -> Result<sled::Db, sled::Error> {
    let mut attempts = 0;
    loop {
        match sled::Config::new().path(dir).open() {
            Err(sled::Error::Io(e))
                if attempts < 100 && e.to_string().contains("could not acquire lock") =>
            {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            opened => return opened,
        }
    }
}

pub(super) fn decode_seq(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    if bytes.len() == 8 {
        buf.copy_from_slice(bytes);
    }
    u64::from_be_bytes(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled_store(dir: &Path) -> Result<(), sled::Error> {
        let db = sled::Config::new().path(dir).open()?;
        let tree = db.open_tree("rows")?;
        for n in 0u32..2_000 {
            tree.insert(n.to_be_bytes(), vec![7u8; 100])?;
        }
        db.flush()?;
        Ok(())
    }

    #[test]
    fn a_missing_store_is_created_and_nothing_set_aside() -> Result<(), sled::Error> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("catalogue");
        let (_, trees, aside) = open_or_set_aside(&path, &["rows"])?;
        assert!(aside.is_none());
        assert!(trees[0].is_empty());
        Ok(())
    }

    #[test]
    fn a_damaged_store_is_moved_aside_and_replaced_by_an_empty_one() -> Result<(), sled::Error> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("catalogue");
        filled_store(&path)?;
        for file in ["conf", "db"] {
            std::fs::write(path.join(file), vec![0xA5u8; 4096])?;
        }
        let (_, trees, aside) = open_or_set_aside(&path, &["rows"])?;
        let aside = aside.unwrap_or_else(|| panic!("the store was not set aside"));
        assert!(aside.join("db").exists(), "the damaged store is kept");
        assert!(trees[0].is_empty(), "the new store starts empty");
        Ok(())
    }

    #[test]
    fn a_truncated_store_opens_without_a_crash() -> Result<(), sled::Error> {
        // sled reads an emptied store as a new one (no checkpoint: the runner replays), and a
        // store cut in the middle as the transactions it holds whole.
        for keep in [0, 2] {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("catalogue");
            filled_store(&path)?;
            let db = path.join("db");
            let len = std::fs::metadata(&db)?.len();
            std::fs::OpenOptions::new()
                .write(true)
                .open(&db)?
                .set_len(len * keep / 4)?;
            let (_, trees, _) = open_or_set_aside(&path, &["rows"])?;
            assert!(trees[0].len() <= 2_000);
        }
        Ok(())
    }
}
