//! An LRU + TTL cache of Odoo master data (partners, products, units,
//! taxes, pricelists and their rules, warehouses, carriers, journals),
//! invalidated by a `write_date` change feed.
//!
//! Two kinds of entries, both per model:
//! - records by id (`get_record` / `put_record`), as `read` returned them;
//! - lookups by a natural key (`"sku:ABC"`, `"barcode:400…"`), pointing to a
//!   record id, with the answer kept alongside.
//!
//! [`MasterDataCache::refresh`] polls one [`FeedCursor`] per master model
//! and evicts every changed id and every key pointing to it; a change in a
//! model also clears that model's cached *absences* (a new product may now
//! answer a SKU that had none). TTL bounds staleness when no one refreshes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::OdooError;
use crate::ops::{FeedCursor, Ops};

/// The models the cache holds and refreshes.
pub const MASTER_MODELS: &[&str] = &[
    "res.partner",
    "product.product",
    "uom.uom",
    "account.tax",
    "product.pricelist",
    "product.pricelist.item",
    "stock.warehouse",
    "delivery.carrier",
    "account.journal",
];

/// A bounded map with least-recently-used eviction and a time to live.
#[derive(Debug)]
pub struct LruTtl<K, V> {
    capacity: usize,
    ttl: Duration,
    tick: u64,
    map: HashMap<K, (V, Instant, u64)>,
    order: BTreeMap<u64, K>,
}

impl<K: std::hash::Hash + Eq + Clone, V: Clone> LruTtl<K, V> {
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        LruTtl {
            capacity: capacity.max(1),
            ttl,
            tick: 0,
            map: HashMap::new(),
            order: BTreeMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn get(&mut self, k: &K) -> Option<V> {
        let (v, at, t) = self.map.get(k)?.clone();
        if at.elapsed() > self.ttl {
            self.remove(k);
            return None;
        }
        self.tick += 1;
        self.order.remove(&t);
        self.order.insert(self.tick, k.clone());
        if let Some(e) = self.map.get_mut(k) {
            e.2 = self.tick;
        }
        Some(v)
    }

    pub fn put(&mut self, k: K, v: V) {
        self.remove(&k);
        self.tick += 1;
        self.order.insert(self.tick, k.clone());
        self.map.insert(k, (v, Instant::now(), self.tick));
        while self.map.len() > self.capacity {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.map.remove(&oldest);
        }
    }

    pub fn remove(&mut self, k: &K) -> Option<V> {
        let (v, _, t) = self.map.remove(k)?;
        self.order.remove(&t);
        Some(v)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        let drop: Vec<K> = self
            .map
            .iter()
            .filter(|(k, (v, _, _))| !keep(k, v))
            .map(|(k, _)| k.clone())
            .collect();
        for k in drop {
            self.remove(&k);
        }
    }
}

/// A key lookup's answer: the record id it points to (or none: a cached
/// absence) and the data kept with it.
#[derive(Debug, Clone)]
struct KeyEntry {
    id: Option<i64>,
    value: Value,
}

#[derive(Debug)]
struct Inner {
    records: LruTtl<(String, i64), Value>,
    keys: LruTtl<(String, String), KeyEntry>,
    cursors: HashMap<String, FeedCursor>,
    hits: u64,
    misses: u64,
}

/// The master-data cache. Share it behind an `Arc`; all methods take
/// `&self`.
#[derive(Debug)]
pub struct MasterDataCache {
    inner: Mutex<Inner>,
    overlap: Duration,
}

impl MasterDataCache {
    /// `capacity` entries of each kind, each valid `ttl` at most.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        MasterDataCache {
            inner: Mutex::new(Inner {
                records: LruTtl::new(capacity, ttl),
                keys: LruTtl::new(capacity, ttl),
                cursors: HashMap::new(),
                hits: 0,
                misses: 0,
            }),
            overlap: Duration::from_secs(180),
        }
    }

    /// The change-feed overlap used by [`MasterDataCache::refresh`].
    pub fn with_overlap(mut self, overlap: Duration) -> Self {
        self.overlap = overlap;
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// (hits, misses) so far.
    pub fn stats(&self) -> (u64, u64) {
        let g = self.lock();
        (g.hits, g.misses)
    }

    pub fn get_record(&self, model: &str, id: i64) -> Option<Value> {
        let mut g = self.lock();
        let r = g.records.get(&(model.to_string(), id));
        if r.is_some() {
            g.hits += 1;
        } else {
            g.misses += 1;
        }
        r
    }

    pub fn put_record(&self, model: &str, id: i64, rec: Value) {
        self.lock().records.put((model.to_string(), id), rec);
    }

    /// A cached lookup by natural key: `Some(value)` for a hit pointing to
    /// a record, `None` for a miss (absences are not answered here; see
    /// [`MasterDataCache::is_known_absent`]).
    pub fn get_key(&self, model: &str, key: &str) -> Option<Value> {
        let mut g = self.lock();
        let r = g.keys.get(&(model.to_string(), key.to_string()));
        match r {
            Some(KeyEntry { id: Some(_), value }) => {
                g.hits += 1;
                Some(value)
            }
            _ => {
                g.misses += 1;
                None
            }
        }
    }

    pub fn put_key(&self, model: &str, key: &str, id: i64, value: Value) {
        self.lock().keys.put(
            (model.to_string(), key.to_string()),
            KeyEntry {
                id: Some(id),
                value,
            },
        );
    }

    /// Remembers that `key` matched nothing.
    pub fn put_absent(&self, model: &str, key: &str) {
        self.lock().keys.put(
            (model.to_string(), key.to_string()),
            KeyEntry {
                id: None,
                value: Value::Null,
            },
        );
    }

    pub fn is_known_absent(&self, model: &str, key: &str) -> bool {
        matches!(
            self.lock().keys.get(&(model.to_string(), key.to_string())),
            Some(KeyEntry { id: None, .. })
        )
    }

    /// Evicts changed records of `model`, the keys pointing to them, and the
    /// model's cached absences.
    pub fn invalidate(&self, model: &str, ids: &[i64]) {
        if ids.is_empty() {
            return;
        }
        let mut g = self.lock();
        for id in ids {
            g.records.remove(&(model.to_string(), *id));
        }
        g.keys
            .retain(|(m, _), e| m != model || e.id.is_some_and(|i| !ids.contains(&i)));
    }

    /// Forgets everything of `model` (e.g. after a feed gap).
    pub fn clear_model(&self, model: &str) {
        let mut g = self.lock();
        g.records.retain(|(m, _), _| m != model);
        g.keys.retain(|(m, _), _| m != model);
    }

    /// Polls the `write_date` feed of every master model once and evicts
    /// what changed. The first call per model only sets its cursor (to the
    /// newest write_date it sees, minus the overlap) and clears the model,
    /// since anything cached before may be stale. Returns the number of
    /// changed records seen.
    pub async fn refresh(&self, ops: &Ops<'_>) -> Result<usize, OdooError> {
        let mut total = 0;
        for model in MASTER_MODELS {
            let cursor = self.lock().cursors.get(*model).cloned();
            let mut cursor = match cursor {
                Some(c) => c,
                None => {
                    let c = ops.feed_cursor_now(model, self.overlap).await?;
                    self.clear_model(model);
                    self.lock().cursors.insert(model.to_string(), c);
                    continue;
                }
            };
            loop {
                let page = ops.poll_changes(model, &mut cursor, 500).await?;
                let ids: Vec<i64> = page.changes.iter().map(|c| c.id).collect();
                total += ids.len();
                self.invalidate(model, &ids);
                if !page.more {
                    break;
                }
            }
            self.lock().cursors.insert(model.to_string(), cursor);
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lru_evicts_the_least_recently_used() {
        let mut c = LruTtl::new(2, Duration::from_secs(60));
        c.put(1, "a");
        c.put(2, "b");
        assert_eq!(c.get(&1), Some("a")); // 2 is now the oldest
        c.put(3, "c");
        assert_eq!(c.get(&2), None);
        assert_eq!(c.get(&1), Some("a"));
        assert_eq!(c.get(&3), Some("c"));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn ttl_expires() {
        let mut c = LruTtl::new(10, Duration::from_millis(5));
        c.put("k", 1);
        std::thread::sleep(Duration::from_millis(15));
        assert_eq!(c.get(&"k"), None);
        assert!(c.is_empty());
    }

    #[test]
    fn invalidation_drops_records_keys_and_absences() {
        let cache = MasterDataCache::new(100, Duration::from_secs(60));
        cache.put_record("product.product", 7, json!({"id": 7}));
        cache.put_record("product.product", 8, json!({"id": 8}));
        cache.put_key("product.product", "sku:A", 7, json!({"id": 7}));
        cache.put_key("product.product", "sku:B", 8, json!({"id": 8}));
        cache.put_absent("product.product", "sku:NEW");
        cache.put_record("uom.uom", 7, json!({"id": 7}));
        assert!(cache.is_known_absent("product.product", "sku:NEW"));
        cache.invalidate("product.product", &[7]);
        assert!(cache.get_record("product.product", 7).is_none());
        assert!(cache.get_key("product.product", "sku:A").is_none());
        assert!(cache.get_record("product.product", 8).is_some());
        assert!(cache.get_key("product.product", "sku:B").is_some());
        assert!(!cache.is_known_absent("product.product", "sku:NEW"));
        // other models untouched
        assert!(cache.get_record("uom.uom", 7).is_some());
        let (hits, misses) = cache.stats();
        assert!(hits >= 3 && misses >= 2);
    }
}
