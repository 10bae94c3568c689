//! Batch `create` with bad-row isolation.
//!
//! `create([vals, ...])` is ONE transaction in Odoo: one invalid row fails
//! the whole batch and nothing is created (16 TIMINGS §3). So a failed batch
//! is bisected until the bad rows stand alone. Every row carries a natural
//! key (fields the create itself stores, e.g. `client_order_ref` +
//! `partner_id`); before any (re)try of a chunk its keys are looked up, and
//! rows found are reported as existing, never created twice — this covers a
//! timed-out call that committed after all (16 README §26).

use serde_json::{Value, json};

use super::{Ops, m2o_id, or_domains};
use crate::OdooError;

/// One row of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRow {
    /// The `create` values.
    pub values: Value,
    /// The natural key: (field, value) pairs, all stored by the create.
    pub key: Vec<(String, Value)>,
}

/// What happened to one row.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchOutcome {
    Created(i64),
    /// A record with the row's key existed already (a repeat).
    Existed(i64),
    Failed(OdooError),
}

impl BatchOutcome {
    pub fn id(&self) -> Option<i64> {
        match self {
            BatchOutcome::Created(i) | BatchOutcome::Existed(i) => Some(*i),
            BatchOutcome::Failed(_) => None,
        }
    }
}

/// Attempts of one chunk on transient errors before its rows fail.
const TRANSIENT_ATTEMPTS: u32 = 3;

fn matches_key(rec: &Value, key: &[(String, Value)]) -> bool {
    key.iter().all(|(f, want)| {
        let got = rec.get(f).unwrap_or(&Value::Null);
        match (got, want) {
            (Value::Array(_), Value::Number(_)) => m2o_id(got) == want.as_i64(),
            (Value::Bool(false), Value::Bool(false)) => true,
            _ => got == want,
        }
    })
}

impl Ops<'_> {
    /// Ids of existing records for the rows `idx` (by natural key), in one
    /// `search_read`.
    async fn existing(
        &self,
        model: &str,
        rows: &[BatchRow],
        idx: &[usize],
    ) -> Result<Vec<(usize, i64)>, OdooError> {
        let domains: Vec<Vec<Value>> = idx
            .iter()
            .map(|i| {
                rows[*i]
                    .key
                    .iter()
                    .map(|(f, v)| json!([f, "=", v]))
                    .collect()
            })
            .collect();
        if domains.iter().any(Vec::is_empty) {
            return Err(OdooError::Validation {
                message: "every batch row needs a natural key".into(),
            });
        }
        let mut fields: Vec<&str> = vec!["id"];
        for i in idx {
            for (f, _) in &rows[*i].key {
                if !fields.contains(&f.as_str()) {
                    fields.push(f);
                }
            }
        }
        let found = self
            .search_read(model, or_domains(&domains), &fields, Some("id asc"), None)
            .await?;
        let mut out = Vec::new();
        for i in idx {
            if let Some(id) = found
                .iter()
                .find(|r| matches_key(r, &rows[*i].key))
                .and_then(|r| r.get("id"))
                .and_then(Value::as_i64)
            {
                out.push((*i, id));
            }
        }
        Ok(out)
    }

    /// Creates `rows` in as few `create` calls as the data allows: one for
    /// a clean batch; on a refusal, halves until each bad row fails alone.
    /// Returns one outcome per row, in order. Only a failure of a key lookup
    /// aborts the whole batch (then nothing is known about the rest).
    pub async fn create_batch(
        &self,
        model: &str,
        rows: &[BatchRow],
    ) -> Result<Vec<BatchOutcome>, OdooError> {
        let mut out: Vec<Option<BatchOutcome>> = vec![None; rows.len()];
        let mut stack: Vec<(Vec<usize>, u32)> = vec![((0..rows.len()).collect(), 0)];
        while let Some((chunk, attempt)) = stack.pop() {
            if chunk.is_empty() {
                continue;
            }
            let found = self.existing(model, rows, &chunk).await?;
            for (i, id) in &found {
                out[*i] = Some(BatchOutcome::Existed(*id));
            }
            let todo: Vec<usize> = chunk.into_iter().filter(|i| out[*i].is_none()).collect();
            if todo.is_empty() {
                continue;
            }
            let vals: Vec<Value> = todo.iter().map(|i| rows[*i].values.clone()).collect();
            match self.call(model, "create", json!([vals]), json!({})).await {
                Ok(Value::Array(ids)) if ids.len() == todo.len() => {
                    for (i, id) in todo.iter().zip(ids) {
                        out[*i] = Some(match id.as_i64() {
                            Some(id) => BatchOutcome::Created(id),
                            None => BatchOutcome::Failed(OdooError::protocol(format!(
                                "{model}.create returned {id}"
                            ))),
                        });
                    }
                }
                Ok(other) => {
                    let e = OdooError::protocol(format!(
                        "{model}.create of {} rows returned {other}",
                        todo.len()
                    ));
                    for i in todo {
                        out[i] = Some(BatchOutcome::Failed(e.clone()));
                    }
                }
                Err(e) if e.is_transient() => {
                    if attempt + 1 < TRANSIENT_ATTEMPTS {
                        // the call may have committed: the next round looks
                        // the keys up again before creating anything
                        stack.push((todo, attempt + 1));
                    } else {
                        for i in todo {
                            out[i] = Some(BatchOutcome::Failed(e.clone()));
                        }
                    }
                }
                Err(e) => {
                    if todo.len() == 1 {
                        out[todo[0]] = Some(BatchOutcome::Failed(e));
                    } else {
                        let (a, b) = todo.split_at(todo.len() / 2);
                        // second half below the first: the first runs next
                        stack.push((b.to_vec(), 0));
                        stack.push((a.to_vec(), 0));
                    }
                }
            }
        }
        Ok(out
            .into_iter()
            .map(|o| {
                o.unwrap_or_else(|| BatchOutcome::Failed(OdooError::protocol("row not processed")))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_many2one_reads() {
        let rec = json!({"id": 1, "client_order_ref": "A", "partner_id": [7, "X"]});
        assert!(matches_key(
            &rec,
            &[
                ("client_order_ref".into(), json!("A")),
                ("partner_id".into(), json!(7))
            ]
        ));
        assert!(!matches_key(&rec, &[("partner_id".into(), json!(8))]));
    }
}
