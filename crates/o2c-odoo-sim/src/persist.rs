//! Optional persistence of the in-memory database to one JSON file, so a
//! demo can stop and resume. Writes are atomic: a temporary file next to the
//! target is written, flushed to disk and renamed over it.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::orm::{Record, Store};

/// File format version of the state file.
const FORMAT: u64 = 1;

/// What is saved besides the tables: the generated API keys.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    pub api_keys: Vec<Value>,
}

/// Serialises the store (and extras) to a JSON document.
pub fn to_json(version: OdooVersion, db: &str, store: &Store, extra: &Extra) -> Value {
    let mut tables = Map::new();
    let mut names: Vec<&String> = store.tables.keys().collect();
    names.sort();
    for name in names {
        let t = &store.tables[name];
        let rows: Map<String, Value> = t
            .iter()
            .map(|(id, rec)| (id.to_string(), Value::Object(rec.clone())))
            .collect();
        tables.insert(name.clone(), Value::Object(rows));
    }
    let sorted = |m: &HashMap<String, i64>| -> Value {
        let b: BTreeMap<&String, &i64> = m.iter().collect();
        json!(b)
    };
    json!({
        "format": FORMAT,
        "odoo_version": version.major(),
        "db": db,
        "tables": tables,
        "next_id": sorted(&store.next_id),
        "sequences": sorted(&store.sequences),
        "api_keys": extra.api_keys,
    })
}

/// Rebuilds a store from [`to_json`]'s output.
pub fn from_json(version: OdooVersion, v: &Value) -> Result<(Store, Extra), String> {
    if v.get("format").and_then(Value::as_u64) != Some(FORMAT) {
        return Err("unknown state file format".into());
    }
    let saved = v.get("odoo_version").and_then(Value::as_u64).unwrap_or(0);
    if saved != u64::from(version.major()) {
        return Err(format!(
            "the state file holds an Odoo {saved} database, the sandbox runs Odoo {}",
            version.major()
        ));
    }
    let mut store = Store::default();
    for (name, rows) in v
        .get("tables")
        .and_then(Value::as_object)
        .ok_or("no tables")?
    {
        let mut t: BTreeMap<i64, Record> = BTreeMap::new();
        for (id, rec) in rows.as_object().ok_or("a table is not an object")? {
            let id: i64 = id.parse().map_err(|_| format!("bad id {id:?} in {name}"))?;
            let rec = rec.as_object().ok_or("a record is not an object")?.clone();
            t.insert(id, rec);
        }
        store.tables.insert(name.clone(), t);
    }
    let counters = |key: &str| -> HashMap<String, i64> {
        v.get(key)
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, n)| n.as_i64().map(|n| (k.clone(), n)))
                    .collect()
            })
            .unwrap_or_default()
    };
    store.next_id = counters("next_id");
    store.sequences = counters("sequences");
    let extra = Extra {
        api_keys: v
            .get("api_keys")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    };
    Ok((store, extra))
}

/// Reads a state file; `Ok(None)` when it does not exist yet.
pub fn load(path: &Path, version: OdooVersion) -> Result<Option<(Store, Extra)>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a sandbox state file: {e}", path.display()))?;
    from_json(version, &v)
        .map(Some)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes `doc` to `path` atomically (temp file + fsync + rename).
pub fn save(path: &Path, doc: &Value) -> std::io::Result<()> {
    let tmp = temp_path(path);
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(doc.to_string().as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp{}", std::process::id()));
    path.with_file_name(name)
}
