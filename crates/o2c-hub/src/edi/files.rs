//! Durable files: written to a temporary name, synced, then renamed, so a
//! reader (or a crash) never sees half a file; and the per-partner control
//! number counters, which are saved before a number is used, so a number is
//! never handed out twice, across restarts too.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a valid state file: {message}")]
    Corrupt { path: String, message: String },
    #[error("control number {0} is exhausted (ISA13 has 9 digits)")]
    Exhausted(&'static str),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `bytes` to `path` atomically and durably.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        file.write_all(bytes).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(io(path))?;
    // The rename itself must survive a power cut.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The last numbers used for one partner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlNumbers {
    pub interchange: u32,
    pub group: u32,
    pub set: u32,
}

/// The numbers for one outbound interchange with one group and one set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocated {
    pub interchange: u32,
    pub group: u32,
    pub set: u32,
}

/// A partner's persisted counters (`<state_dir>/<partner>/control-numbers.json`).
pub struct ControlCounter {
    path: PathBuf,
    lock: Mutex<()>,
}

const MAX: u32 = 999_999_999;

impl ControlCounter {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            lock: Mutex::new(()),
        }
    }

    fn load(&self) -> Result<ControlNumbers, FileError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| FileError::Corrupt {
                path: self.path.display().to_string(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ControlNumbers::default()),
            Err(e) => Err(io(&self.path)(e)),
        }
    }

    /// The next numbers, saved before they are returned.
    pub async fn next(&self) -> Result<Allocated, FileError> {
        let _guard = self.lock.lock().await;
        let mut n = self.load()?;
        let bump = |v: u32, name| {
            if v >= MAX {
                Err(FileError::Exhausted(name))
            } else {
                Ok(v + 1)
            }
        };
        n.interchange = bump(n.interchange, "ISA13")?;
        n.group = bump(n.group, "GS06")?;
        n.set = bump(n.set, "ST02")?;
        let bytes = serde_json::to_vec_pretty(&n).map_err(|e| FileError::Corrupt {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })?;
        write_atomic(&self.path, &bytes)?;
        Ok(Allocated {
            interchange: n.interchange,
            group: n.group,
            set: n.set,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn numbers_increase_and_survive_a_restart() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("p/control-numbers.json");
        let counter = ControlCounter::new(path.clone());
        let first = counter.next().await.expect("next");
        let second = counter.next().await.expect("next");
        assert_eq!((first.interchange, second.interchange), (1, 2));
        assert_eq!((second.group, second.set), (2, 2));
        // A new counter on the same file (a restarted hub) goes on from there.
        let again = ControlCounter::new(path.clone());
        assert_eq!(again.next().await.expect("next").interchange, 3);
        std::fs::write(&path, "not json").expect("write");
        assert!(matches!(again.next().await, Err(FileError::Corrupt { .. })));
    }

    #[test]
    fn atomic_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("out/a.x12");
        write_atomic(&path, b"ISA").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"ISA");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("out"))
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 1);
    }
}
