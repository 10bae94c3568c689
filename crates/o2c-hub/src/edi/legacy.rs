//! A one-time import of the EDI state files older hubs kept under
//! `edi.state_dir` (before ADR 0014 moved the state into the store): each
//! partner's `control-numbers.json` raises the store's counters to at
//! least the numbers already sent, and each `acks/open|done/*.json` PO
//! track is created in the store unless it is there already. Idempotent:
//! counters only rise and existing tracks are never overwritten, so it
//! runs at every start and a missing directory is nothing to do.

use std::path::Path;

use o2c_store::{Store, StoreError};
use serde::Deserialize;

use super::files::{FileError, io};
use super::partner::EdiConfig;
use super::tracking::PoTrack;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The last numbers a file-based hub used for one partner.
#[derive(Debug, Deserialize)]
struct ControlNumbers {
    interchange: u32,
    group: u32,
    set: u32,
}

/// What was taken over.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub counters: usize,
    pub tracks: usize,
}

fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, FileError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| FileError::Corrupt {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path)(e)),
    }
}

/// Imports every configured partner's state files into `store`.
pub async fn import_state_dir(
    store: &dyn Store,
    config: &EdiConfig,
) -> Result<Imported, ImportError> {
    let mut imported = Imported::default();
    for partner in &config.partners {
        let dir = Path::new(&config.state_dir).join(&partner.id);
        if let Some(n) = read::<ControlNumbers>(&dir.join("control-numbers.json"))? {
            store
                .raise_edi_counters(
                    &partner.id,
                    i64::from(n.interchange),
                    i64::from(n.group),
                    i64::from(n.set),
                )
                .await?;
            imported.counters += 1;
        }
        for (sub, open) in [("acks/open", true), ("acks/done", false)] {
            let folder = dir.join(sub);
            let entries = match std::fs::read_dir(&folder) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(&folder)(e).into()),
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let is_track = path.extension().is_some_and(|e| e == "json")
                    && !entry.file_name().to_string_lossy().starts_with('.');
                let Some(track) = is_track
                    .then(|| read::<PoTrack>(&path))
                    .transpose()?
                    .flatten()
                else {
                    continue;
                };
                if store
                    .load_edi_po(&partner.id, &track.po_number)
                    .await?
                    .is_some()
                {
                    continue;
                }
                let json = serde_json::to_value(&track).map_err(|e| FileError::Corrupt {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?;
                match store
                    .save_edi_po(
                        &partner.id,
                        &track.po_number,
                        open,
                        &json,
                        track.received_at,
                        None,
                        chrono::Utc::now(),
                    )
                    .await
                {
                    Ok(_) => imported.tracks += 1,
                    // Another instance imported it first.
                    Err(StoreError::Conflict(_)) => {}
                    Err(other) => return Err(other.into()),
                }
            }
        }
    }
    Ok(imported)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edi::EdiPartner;
    use chrono::Utc;

    #[tokio::test]
    async fn old_state_files_are_taken_over_once() {
        let dir = tempfile::tempdir().expect("dir");
        let state = dir.path().join("rk");
        std::fs::create_dir_all(state.join("acks/open")).expect("dir");
        std::fs::create_dir_all(state.join("acks/done")).expect("dir");
        std::fs::write(
            state.join("control-numbers.json"),
            r#"{"interchange": 41, "group": 41, "set": 41}"#,
        )
        .expect("write");
        let track = |po: &str| {
            serde_json::json!({
                "partner": "rk", "po_number": po, "received_at": Utc::now(), "deadline": Utc::now(),
                "document": {}, "orders": [], "alert": null, "alert_open": false, "ack": null
            })
        };
        std::fs::write(state.join("acks/open/PO1.json"), track("PO1").to_string()).expect("w");
        std::fs::write(state.join("acks/done/PO0.json"), track("PO0").to_string()).expect("w");
        let config = EdiConfig {
            state_dir: dir.path().display().to_string(),
            partners: vec![EdiPartner {
                id: "rk".into(),
                ..EdiPartner::default()
            }],
            ..EdiConfig::default()
        };
        let store = o2c_store::open("sqlite::memory:").await.expect("store");
        let imported = import_state_dir(store.as_ref(), &config)
            .await
            .expect("import");
        assert_eq!(
            imported,
            Imported {
                counters: 1,
                tracks: 2
            }
        );
        // The next number follows the last one sent by the file-based hub.
        let next = store
            .edi_document_numbers("rk", "855:x", Utc::now())
            .await
            .expect("numbers");
        assert_eq!(next.interchange, 42);
        let open = store.open_edi_pos("rk", 10).await.expect("open");
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].po_number, "PO1");
        assert!(
            !store
                .load_edi_po("rk", "PO0")
                .await
                .expect("load")
                .expect("done")
                .open
        );
        // Again (every start): nothing new, nothing lowered.
        let again = import_state_dir(store.as_ref(), &config)
            .await
            .expect("import");
        assert_eq!(again.tracks, 0);
        let after = store
            .edi_document_numbers("rk", "855:y", Utc::now())
            .await
            .expect("numbers");
        assert_eq!(after.interchange, 43);
    }
}
