//! Value indexes over stored fields: `(model, field)` → stored value → ids.
//!
//! PostgreSQL answers "the lines of this order" or "the product with this
//! code" with an index; without one the sandbox scans a whole table per
//! lookup, and `action_confirm` on a batch does thousands of such lookups
//! under the store's one lock, so the sandbox slowed down as its tables
//! grew. An index is built the first time a `(model, field)` is looked up
//! and kept up to date by every change the ORM makes (`Env::insert_raw`,
//! `set_raw`, `remove_raw` and rollback), so answers are always those of
//! the scan they replace.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use crate::domain::{Node, Op};
use crate::orm::{Env, Record};
use crate::schema::{FieldType, ModelSpec};

/// The indexable form of a stored value: integers (many2one ids),
/// strings, and "no stored value" (where a compute may answer instead);
/// anything else (false, floats, lists) is not indexed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    Int(i64),
    Text(String),
    Missing,
}

impl Key {
    pub fn of(v: &Value) -> Option<Key> {
        match v {
            Value::Number(n) => n.as_i64().map(Key::Int),
            Value::String(s) => Some(Key::Text(s.clone())),
            _ => None,
        }
    }

    /// The key of `field` in a stored record (`None` for no record).
    fn in_record(rec: Option<&Record>, field: &str) -> Option<Key> {
        match rec?.get(field) {
            None => Some(Key::Missing),
            Some(v) => Key::of(v),
        }
    }
}

type FieldIndex = HashMap<Key, BTreeSet<i64>>;

/// The indexes of one store. Interior mutability because lookups happen
/// through `&Env` (computes, domain evaluation) and build lazily.
#[derive(Default, Clone, Debug)]
pub struct Indexes {
    by_model: RefCell<HashMap<String, HashMap<String, FieldIndex>>>,
}

impl Indexes {
    /// Ids of `model` whose stored `field` equals `key`, ascending; builds
    /// the index from `table` on first use.
    pub fn lookup(
        &self,
        table: Option<&BTreeMap<i64, Record>>,
        model: &str,
        field: &str,
        key: &Key,
    ) -> Vec<i64> {
        let mut all = self.by_model.borrow_mut();
        let fields = all.entry(model.to_string()).or_default();
        let index = fields
            .entry(field.to_string())
            .or_insert_with(|| build(table, field));
        index
            .get(key)
            .map(|ids| ids.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Records that `id` of `model` changed from `old` to `new` (either may
    /// be absent: a create or a delete).
    pub fn replace(&self, model: &str, id: i64, old: Option<&Record>, new: Option<&Record>) {
        let mut all = self.by_model.borrow_mut();
        let Some(fields) = all.get_mut(model) else {
            return;
        };
        for (field, index) in fields.iter_mut() {
            let before = Key::in_record(old, field);
            let after = Key::in_record(new, field);
            move_id(index, id, before, after);
        }
    }

    /// Records that the values `vals` are being merged into `id` of
    /// `model`, whose stored record is `old` (before the merge).
    pub fn merge(&self, model: &str, id: i64, old: &Record, vals: &serde_json::Map<String, Value>) {
        let mut all = self.by_model.borrow_mut();
        let Some(fields) = all.get_mut(model) else {
            return;
        };
        for (field, after) in vals {
            if let Some(index) = fields.get_mut(field) {
                move_id(index, id, Key::in_record(Some(old), field), Key::of(after));
            }
        }
    }
}

/// The ids a domain can possibly match, from the indexes, when one of its
/// conjuncts is an equality (or `in`) on `id`, a many2one, or a stored
/// text field; `None` when the whole table has to be scanned. A superset:
/// the search still evaluates the full domain on each candidate.
pub fn candidates(env: &Env, spec: &ModelSpec, node: &Node) -> Option<BTreeSet<i64>> {
    match node {
        Node::And(nodes) => nodes
            .iter()
            .filter_map(|n| candidates(env, spec, n))
            .min_by_key(BTreeSet::len),
        Node::Or(nodes) => {
            let mut all = BTreeSet::new();
            for n in nodes {
                all.extend(candidates(env, spec, n)?);
            }
            Some(all)
        }
        Node::False => Some(BTreeSet::new()),
        Node::Leaf { path, op, value } if path.len() == 1 => {
            let values: Vec<&Value> = match (op, value) {
                (Op::Eq, v) => vec![v],
                (Op::In, Value::Array(list)) => list.iter().collect(),
                _ => return None,
            };
            leaf_candidates(env, spec, &path[0], &values)
        }
        _ => None,
    }
}

fn leaf_candidates(
    env: &Env,
    spec: &ModelSpec,
    field: &str,
    values: &[&Value],
) -> Option<BTreeSet<i64>> {
    let def = spec.get(field)?;
    let mut out = BTreeSet::new();
    if field == "id" {
        for v in values {
            out.insert(v.as_i64()?);
        }
        return Some(out);
    }
    match def.ftype {
        FieldType::Many2one => {
            // compared as integers on the stored id (no compute involved)
            for v in values {
                let id = v.as_i64()?;
                out.extend(env.store.ids_where(&spec.name, field, &Value::from(id)));
            }
        }
        FieldType::Char | FieldType::Selection | FieldType::Text => {
            // compared as text; a record without a stored value may still
            // match through a compute, so those are candidates too
            if spec.hooks.computed(field) {
                return None;
            }
            for v in values {
                match v {
                    Value::String(s) if !s.is_empty() => {
                        out.extend(env.store.ids_where(&spec.name, field, v));
                    }
                    _ => return None,
                }
            }
            let table = env.store.tables.get(&spec.name);
            out.extend(
                env.store
                    .indexes
                    .lookup(table, &spec.name, field, &Key::Missing),
            );
        }
        _ => return None,
    }
    Some(out)
}

fn build(table: Option<&BTreeMap<i64, Record>>, field: &str) -> FieldIndex {
    let mut index = FieldIndex::new();
    for (id, rec) in table.into_iter().flatten() {
        if let Some(key) = Key::in_record(Some(rec), field) {
            index.entry(key).or_default().insert(*id);
        }
    }
    index
}

fn move_id(index: &mut FieldIndex, id: i64, before: Option<Key>, after: Option<Key>) {
    if before == after {
        return;
    }
    if let Some(k) = before
        && let Some(ids) = index.get_mut(&k)
    {
        ids.remove(&id);
        if ids.is_empty() {
            index.remove(&k);
        }
    }
    if let Some(k) = after {
        index.entry(k).or_default().insert(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Record {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn lookups_follow_creates_writes_and_deletes() {
        let mut table = BTreeMap::new();
        table.insert(1, rec(json!({"order_id": 7, "name": "a"})));
        table.insert(2, rec(json!({"order_id": 8, "name": "b"})));
        let idx = Indexes::default();
        assert_eq!(
            idx.lookup(Some(&table), "l", "order_id", &Key::Int(7)),
            vec![1]
        );
        let new = rec(json!({"order_id": 7}));
        idx.replace("l", 3, None, Some(&new));
        assert_eq!(idx.lookup(None, "l", "order_id", &Key::Int(7)), vec![1, 3]);
        idx.merge("l", 1, &table[&1], &rec(json!({"order_id": false})));
        assert_eq!(idx.lookup(None, "l", "order_id", &Key::Int(7)), vec![3]);
        idx.replace("l", 3, Some(&new), None);
        assert!(idx.lookup(None, "l", "order_id", &Key::Int(7)).is_empty());
        assert_eq!(idx.lookup(None, "l", "order_id", &Key::Int(8)), vec![2]);
        assert_eq!(
            idx.lookup(Some(&table), "l", "name", &Key::Text("b".into())),
            vec![2]
        );
    }

    /// The answers stay those of a scan across creates, writes, deletes
    /// and a rolled-back transaction.
    #[test]
    fn the_orm_keeps_indexes_in_step_with_rollback() {
        use crate::OdooVersion;
        use crate::orm::{Env, Store};

        let reg = crate::models::registry(OdooVersion::V17);
        let mut store = Store::default();
        let scan = |store: &Store, parent: i64| -> Vec<i64> {
            store.tables["res.partner"]
                .iter()
                .filter(|(_, r)| r.get("parent_id").and_then(Value::as_i64) == Some(parent))
                .map(|(id, _)| *id)
                .collect()
        };
        let (a, b) = {
            let mut env = Env::new(&reg, &mut store, 1, OdooVersion::V17, Default::default());
            let a = env
                .create("res.partner", rec(json!({"name": "A"})))
                .unwrap();
            let b = env
                .create("res.partner", rec(json!({"name": "B"})))
                .unwrap();
            env.create("res.partner", rec(json!({"name": "A1", "parent_id": a})))
                .unwrap();
            (a, b)
        };
        assert_eq!(
            store.ids_where("res.partner", "parent_id", &json!(a)),
            scan(&store, a)
        );
        {
            let mut env = Env::new(&reg, &mut store, 1, OdooVersion::V17, Default::default());
            let a2 = env
                .create("res.partner", rec(json!({"name": "A2", "parent_id": a})))
                .unwrap();
            env.write("res.partner", &[a2], &rec(json!({"parent_id": b})))
                .unwrap();
            assert_eq!(
                env.store.ids_where("res.partner", "parent_id", &json!(b)),
                vec![a2]
            );
            env.rollback();
        }
        assert_eq!(
            store.ids_where("res.partner", "parent_id", &json!(a)),
            scan(&store, a)
        );
        assert!(
            store
                .ids_where("res.partner", "parent_id", &json!(b))
                .is_empty()
        );
        {
            let mut env = Env::new(&reg, &mut store, 1, OdooVersion::V17, Default::default());
            let kids = env.store.ids_where("res.partner", "parent_id", &json!(a));
            env.unlink("res.partner", &kids).unwrap();
        }
        assert!(
            store
                .ids_where("res.partner", "parent_id", &json!(a))
                .is_empty()
        );
        assert_eq!(scan(&store, a), Vec::<i64>::new());
    }
}
