//! The watched inbound folder of each partner (an SFTP drop in real life).
//! A file is taken once it has not changed for a poll interval (a sender
//! may still be writing it), processed like an HTTP delivery, and moved to
//! `processed/` only after its orders are committed, or to `failed/` with a
//! `.problem.json` beside it when it is refused. A file that hits a passing
//! failure (store unavailable) stays where it is and is tried again; since
//! orders are deduplicated by partner and PO number, a retry after a crash
//! stores nothing twice.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use serde_json::Value;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::inbound::{Source, receive};
use super::{EdiPartner, EdiRuntime};
use crate::api::AppState;
use crate::auth::{Principal, Scope};
use crate::problem::ProblemKind;

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    Processed(PathBuf),
    Failed(PathBuf),
    /// Left in place to be tried again.
    Retry,
}

/// The files ready to be read: regular, not hidden, unchanged for `settle`.
fn ready_files(dir: &Path, settle: std::time::Duration) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let now = SystemTime::now();
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter(|e| {
            e.metadata().is_ok_and(|m| {
                m.is_file()
                    && m.modified()
                        .ok()
                        .and_then(|t| now.duration_since(t).ok())
                        .is_some_and(|age| age >= settle)
            })
        })
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

/// Moves `file` into `dir/sub/`, keeping its name (a clash gets a suffix).
fn move_into(file: &Path, sub: &str) -> std::io::Result<PathBuf> {
    let dir = file.parent().unwrap_or(Path::new(".")).join(sub);
    std::fs::create_dir_all(&dir)?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut target = dir.join(&name);
    if target.exists() {
        target = dir.join(format!("{name}.{}", Uuid::now_v7()));
    }
    std::fs::rename(file, &target)?;
    Ok(target)
}

fn principal(partner: &EdiPartner) -> Principal {
    Principal {
        key_id: Uuid::nil(),
        name: format!("edi-folder:{}", partner.id),
        scopes: vec![Scope::OrdersWrite.as_str().to_owned()],
        channel: Some(partner.channel()),
    }
}

/// Reads and files one inbound file.
pub async fn take(app: &AppState, partner: &EdiPartner, file: &Path) -> Taken {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::warn!(error = %error, file = %file.display(), "cannot read an inbound EDI file");
            return Taken::Retry;
        }
    };
    let principal = principal(partner);
    let correlation_id = format!("edi-file:{}", Uuid::now_v7());
    let src = Source {
        principal: &principal,
        correlation_id: &correlation_id,
        origin: file.display().to_string(),
    };
    let moved = match receive(app, partner, &bytes, &src).await {
        Ok(received) => {
            tracing::info!(partner = partner.id, file = %file.display(), orders = received.stored, problems = received.failures, "inbound EDI file processed");
            move_into(file, "processed").map(Taken::Processed)
        }
        Err(problem)
            if matches!(
                problem.kind,
                ProblemKind::Unavailable | ProblemKind::Internal
            ) =>
        {
            tracing::warn!(partner = partner.id, file = %file.display(), detail = problem.detail, "inbound EDI file will be retried");
            return Taken::Retry;
        }
        Err(problem) => {
            tracing::warn!(partner = partner.id, file = %file.display(), detail = problem.detail, "inbound EDI file refused");
            move_into(file, "failed").map(|target| {
                let note = PathBuf::from(format!("{}.problem.json", target.display()));
                let body: Value = problem.body();
                if let Err(error) = std::fs::write(&note, body.to_string()) {
                    tracing::warn!(error = %error, "cannot write the problem beside a failed EDI file");
                }
                Taken::Failed(target)
            })
        }
    };
    moved.unwrap_or_else(|error| {
        tracing::error!(error = %error, file = %file.display(), "cannot move an inbound EDI file");
        Taken::Retry
    })
}

/// One pass over every partner's inbound folder.
pub async fn poll_once(app: &AppState, runtime: &EdiRuntime) -> Vec<Taken> {
    let mut taken = Vec::new();
    for partner in &runtime.config.partners {
        let Some(dir) = partner.inbound_dir() else {
            continue;
        };
        for file in ready_files(&dir, runtime.poll_interval()) {
            taken.push(take(app, partner, &file).await);
        }
    }
    taken
}

/// Watches the folders until shutdown.
pub async fn run(app: AppState, runtime: Arc<EdiRuntime>, shutdown: CancellationToken) {
    loop {
        poll_once(&app, &runtime).await;
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(runtime.poll_interval()) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_settled_visible_files_are_ready() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("a.x12"), "ISA").expect("write");
        std::fs::write(dir.path().join(".partial"), "ISA").expect("write");
        std::fs::create_dir(dir.path().join("processed")).expect("dir");
        assert_eq!(
            ready_files(dir.path(), std::time::Duration::ZERO),
            [dir.path().join("a.x12")]
        );
        assert!(ready_files(dir.path(), std::time::Duration::from_secs(3600)).is_empty());
    }

    #[test]
    fn moved_files_keep_their_name_and_never_overwrite() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("a.x12");
        std::fs::write(&file, "1").expect("write");
        let first = move_into(&file, "processed").expect("move");
        assert_eq!(first, dir.path().join("processed/a.x12"));
        std::fs::write(&file, "2").expect("write");
        let second = move_into(&file, "processed").expect("move");
        assert_ne!(second, first);
        assert_eq!(std::fs::read_to_string(first).expect("read"), "1");
    }
}
