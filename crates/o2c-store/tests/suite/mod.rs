//! The store conformance suite: every behaviour once, run against each
//! backend by `tests/sqlite.rs` and `tests/postgres.rs`.

#![allow(dead_code)]

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use o2c_store::{
    AcceptOutcome, Acceptance, ApiKeyRecord, AuditVerification, ExceptionClosure, JobState, Lease,
    NewAuditEntry, NewException, NewInboxMessage, NewJob, NewJournalEvent, NewOrder,
    NewOutboxEvent, OrderFingerprint, RejectedMessage, StepCommit, Store, StoreError,
};
use o2c_store::{EDI_CONTROL_MAX, EdiNumbers, EdiPoClose};
use serde_json::{Value, json};
use uuid::Uuid;

pub type BoxFut = Pin<Box<dyn Future<Output = ()> + Send>>;

/// One backend under test.
pub struct Harness {
    pub store: Arc<dyn Store>,
    /// Runs raw SQL on the same database (for tampering).
    pub exec: Arc<dyn Fn(String) -> BoxFut + Send + Sync>,
    /// SQL that lifts the audit table's append-only guard.
    pub disable_audit_guard: &'static str,
    /// The backend's migration that starts the 855-override cursor at the
    /// audit head of an upgraded database.
    pub override_cursor_migration: &'static str,
    /// A second store on the same database: another hub instance.
    pub twin: Arc<dyn Store>,
}

/// Generates one `#[tokio::test]` per suite function for a backend.
/// `$setup` returns `Option<(Harness, cleanup future)>`; `None` skips.
macro_rules! store_tests {
    ($setup:path => $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some((harness, cleanup)) = $setup().await else { return };
                let outcome = tokio::spawn(suite::$name(harness)).await;
                cleanup.await;
                if let Err(e) = outcome {
                    std::panic::resume_unwind(e.into_panic());
                }
            }
        )+
    };
}

macro_rules! all_store_tests {
    ($setup:path) => {
        store_tests!($setup =>
            accept_new_orders,
            accept_duplicates_across_batches,
            accept_duplicates_within_batch,
            accept_same_channel_order_under_new_key,
            rejections_and_inbox_listing,
            claim_one_per_key_in_id_order,
            future_job_blocks_its_key,
            dead_job_blocks_key_until_retried_or_discarded,
            fail_job_retries_then_dies,
            expired_lease_is_reclaimed_and_old_owner_refused,
            release_job_does_not_count_attempt,
            enqueue_is_idempotent,
            commit_step_appends_and_completes,
            commit_step_version_conflict_writes_nothing,
            commit_step_lease_lost_writes_nothing,
            concurrent_claimers_never_double_lease,
            outbox_pending_and_published,
            exceptions_open_list_close,
            audit_chain_verifies_and_detects_tampering,
            api_keys_create_find_revoke,
            projections_counts_and_rewrite,
            commit_step_closes_exceptions_once,
            inbox_for_order_lists_every_message,
            fingerprints_match_other_orders_within_the_window,
            find_order_by_channel_id,
            cursors_saved_replaced_and_isolated,
            the_override_cursor_starts_at_the_audit_head_of_an_upgraded_store,
            edi_numbers_chosen_once_per_document,
            edi_counters_raised_never_lowered,
            edi_po_tracks_versioned_and_listed,
            edi_po_closed_with_its_audit_and_alert_in_one_commit,
            edi_allocators_never_share_a_number,
        );
    };
}

// ---------------------------------------------------------------- fixtures

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
}

pub fn at(secs: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(secs)
}

pub fn audit_entry(action: &str, subject: &str) -> NewAuditEntry {
    NewAuditEntry {
        actor: "test".into(),
        action: action.into(),
        subject: subject.into(),
        details: json!({"z": 1, "a": {"price": 12.50, "list": [1, "two", null]}}),
        correlation_id: "corr-audit".into(),
        at: t0() + Duration::nanoseconds(123_456_789),
    }
}

pub fn job(queue_key: &str, idem: &str, run_at: DateTime<Utc>, max_attempts: i32) -> NewJob {
    NewJob {
        queue_key: queue_key.into(),
        kind: "test.work".into(),
        payload: json!({"idem": idem}),
        idempotency_key: idem.into(),
        max_attempts,
        run_at,
        correlation_id: "corr-job".into(),
    }
}

pub fn event(event_type: &str, n: i64) -> NewJournalEvent {
    NewJournalEvent {
        event_id: Uuid::now_v7(),
        event_type: event_type.into(),
        data: json!({"n": n, "amount": 10.10}),
        correlation_id: "corr-event".into(),
        causation_id: Some(Uuid::now_v7()),
        recorded_at: at(n),
    }
}

/// An acceptance whose order gets one first job `validate` keyed by the order.
pub fn acceptance(key: &str, channel_order_id: &str) -> Acceptance {
    let order_id = Uuid::now_v7();
    let inbox_id = Uuid::now_v7();
    Acceptance {
        inbox: NewInboxMessage {
            id: inbox_id,
            idempotency_key: key.into(),
            channel: "shopify".into(),
            content_type: "application/json".into(),
            payload: format!(r#"{{"id": "{channel_order_id}", "total": 10.10}}"#),
            correlation_id: format!("corr-{key}"),
            received_at: at(0),
            response_status: 202,
            response_body: json!({"order_id": order_id.to_string(), "status": "received"}),
        },
        order: NewOrder {
            order_id,
            channel: "shopify".into(),
            channel_order_id: channel_order_id.into(),
            status: "received".into(),
            state: json!({"status": "received", "lines": [{"sku": "A", "qty": 1.000}]}),
            first_event: NewJournalEvent {
                event_id: Uuid::now_v7(),
                event_type: "o2c.order.received.v1".into(),
                data: json!({"channel_order_id": channel_order_id}),
                correlation_id: format!("corr-{key}"),
                causation_id: None,
                recorded_at: at(0),
            },
            first_jobs: vec![job(
                &order_id.to_string(),
                &format!("{order_id}:validate"),
                at(0),
                5,
            )],
            correlation_id: format!("corr-{key}"),
            created_at: at(0),
        },
        audit: audit_entry("order.accepted", &format!("order/{order_id}")),
    }
}

fn step(
    order_id: Uuid,
    expected_version: i64,
    events: usize,
    completes: Option<Lease>,
) -> StepCommit {
    StepCommit {
        order_id,
        expected_version,
        events: (0..events)
            .map(|i| event("o2c.order.validated.v1", expected_version + i as i64 + 1))
            .collect(),
        new_status: "validated".into(),
        new_state: json!({"status": "validated", "v": expected_version + events as i64}),
        outbox: Vec::new(),
        jobs: Vec::new(),
        exceptions: Vec::new(),
        closes: Vec::new(),
        audit: Vec::new(),
        completes,
        now: at(5),
    }
}

fn count_of(counts: &[(JobState, i64)], state: JobState) -> Option<i64> {
    counts.iter().find(|(s, _)| *s == state).map(|(_, n)| *n)
}

fn lease_of(j: &o2c_store::Job) -> Lease {
    Lease {
        job_id: j.id,
        owner: j.lease_owner.clone().expect("leased job has an owner"),
    }
}

async fn accept_one(store: &Arc<dyn Store>, a: Acceptance) -> Uuid {
    let order_id = a.order.order_id;
    let out = store.accept_batch(vec![a]).await.unwrap();
    assert!(matches!(out[0], AcceptOutcome::Accepted { .. }), "{out:?}");
    order_id
}

// ---------------------------------------------------------------- inbox

pub async fn accept_new_orders(h: Harness) {
    let s = h.store;
    let batch: Vec<Acceptance> = (0..3)
        .map(|i| acceptance(&format!("k{i}"), &format!("SO-{i}")))
        .collect();
    let expected: Vec<AcceptOutcome> = batch
        .iter()
        .map(|a| AcceptOutcome::Accepted {
            inbox_id: a.inbox.id,
            order_id: a.order.order_id,
        })
        .collect();
    let out = s.accept_batch(batch.clone()).await.unwrap();
    assert_eq!(out, expected, "outcomes in input order");

    for a in &batch {
        let order = s
            .get_order(a.order.order_id)
            .await
            .unwrap()
            .expect("order row");
        assert_eq!(order.version, 1);
        assert_eq!(order.status, "received");
        assert_eq!(order.state, a.order.state);
        assert_eq!(order.channel_order_id, a.order.channel_order_id);
        assert_eq!(order.created_at, at(0));

        let journal = s.load_journal(a.order.order_id).await.unwrap();
        assert_eq!(journal.len(), 1);
        assert_eq!(journal[0].seq, 1);
        assert_eq!(journal[0].event_id, a.order.first_event.event_id);
        assert_eq!(journal[0].data, a.order.first_event.data);

        let inbox = s.get_inbox(a.inbox.id).await.unwrap().expect("inbox row");
        assert_eq!(inbox.status, "accepted");
        assert_eq!(inbox.payload, a.inbox.payload);
        assert_eq!(
            inbox.idempotency_key.as_deref(),
            Some(a.inbox.idempotency_key.as_str())
        );
        assert_eq!(inbox.order_id, Some(a.order.order_id));
        assert!(!inbox.truncated);
    }
    let jobs = s.list_jobs(Some(JobState::Pending), 100).await.unwrap();
    assert_eq!(jobs.len(), 3);
    let keys: HashSet<String> = jobs.iter().map(|j| j.queue_key.clone()).collect();
    for a in &batch {
        assert!(keys.contains(&a.order.order_id.to_string()));
    }
    let audit = s.list_audit(0, 100).await.unwrap();
    assert_eq!(
        audit.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(
        audit[0].subject,
        format!("order/{}", batch[0].order.order_id)
    );
    assert_eq!(audit[1].prev_hash, audit[0].hash);
    assert_eq!(
        s.verify_audit().await.unwrap(),
        AuditVerification::Intact { rows: 3 }
    );
    assert_eq!(s.accept_batch(Vec::new()).await.unwrap(), Vec::new());
}

pub async fn accept_duplicates_across_batches(h: Harness) {
    let s = h.store;
    let first = acceptance("dup-key", "SO-1");
    s.accept_batch(vec![first.clone()]).await.unwrap();

    let mut again = acceptance("dup-key", "SO-1");
    again.inbox.response_body = json!({"different": true});
    let other = acceptance("other-key", "SO-2");
    let out = s
        .accept_batch(vec![again.clone(), other.clone()])
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![
            AcceptOutcome::Duplicate {
                inbox_id: first.inbox.id,
                response_status: 202,
                response_body: first.inbox.response_body.clone(),
            },
            AcceptOutcome::Accepted {
                inbox_id: other.inbox.id,
                order_id: other.order.order_id,
            },
        ]
    );
    assert!(
        s.get_order(again.order.order_id).await.unwrap().is_none(),
        "no order for a duplicate"
    );
    assert!(s.get_inbox(again.inbox.id).await.unwrap().is_none());
    assert_eq!(s.list_orders(None, 10).await.unwrap().len(), 2);
    assert_eq!(s.list_jobs(None, 10).await.unwrap().len(), 2);
    assert_eq!(
        s.list_audit(0, 10).await.unwrap().len(),
        2,
        "duplicates are not audited as new orders"
    );
}

pub async fn accept_duplicates_within_batch(h: Harness) {
    let s = h.store;
    let a = acceptance("a", "SO-A");
    let b = acceptance("b", "SO-B");
    let a2 = acceptance("a", "SO-A");
    let out = s
        .accept_batch(vec![a.clone(), b.clone(), a2.clone()])
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![
            AcceptOutcome::Accepted {
                inbox_id: a.inbox.id,
                order_id: a.order.order_id,
            },
            AcceptOutcome::Accepted {
                inbox_id: b.inbox.id,
                order_id: b.order.order_id,
            },
            AcceptOutcome::Duplicate {
                inbox_id: a.inbox.id,
                response_status: 202,
                response_body: a.inbox.response_body.clone(),
            },
        ]
    );
    assert!(s.get_order(a2.order.order_id).await.unwrap().is_none());

    // A stored key repeated twice in a later batch: both get the stored answer.
    let a3 = acceptance("a", "SO-A");
    let a4 = acceptance("a", "SO-A");
    let out = s.accept_batch(vec![a3, a4]).await.unwrap();
    let dup = AcceptOutcome::Duplicate {
        inbox_id: a.inbox.id,
        response_status: 202,
        response_body: a.inbox.response_body.clone(),
    };
    assert_eq!(out, vec![dup.clone(), dup]);
    assert_eq!(s.list_orders(None, 10).await.unwrap().len(), 2);
}

pub async fn accept_same_channel_order_under_new_key(h: Harness) {
    let s = h.store;
    let first = acceptance("sender-key-1", "SO-9");
    let second = acceptance("sender-key-2", "SO-9");
    let out = s
        .accept_batch(vec![first.clone(), second.clone()])
        .await
        .unwrap();
    let dup = AcceptOutcome::Duplicate {
        inbox_id: first.inbox.id,
        response_status: 202,
        response_body: first.inbox.response_body.clone(),
    };
    assert_eq!(out[1], dup);
    // The second message is kept, pointing at the existing order ...
    let kept = s
        .get_inbox(second.inbox.id)
        .await
        .unwrap()
        .expect("message kept");
    assert_eq!(kept.order_id, Some(first.order.order_id));
    // ... and its key now answers like the original (the kept message's id,
    // the original's HTTP answer).
    let out = s
        .accept_batch(vec![acceptance("sender-key-2", "SO-9")])
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![AcceptOutcome::Duplicate {
            inbox_id: second.inbox.id,
            response_status: 202,
            response_body: first.inbox.response_body.clone(),
        }]
    );
    assert_eq!(s.list_orders(None, 10).await.unwrap().len(), 1);
    assert_eq!(s.list_jobs(None, 10).await.unwrap().len(), 1);
}

pub async fn find_order_by_channel_id(h: Harness) {
    let s = h.store;
    let a = acceptance("key-find", "SO-77");
    s.accept_batch(vec![a.clone(), acceptance("key-other", "SO-78")])
        .await
        .unwrap();
    let found = s
        .find_order_by_channel_id("shopify", "SO-77")
        .await
        .unwrap()
        .expect("found");
    assert_eq!(found.order_id, a.order.order_id);
    assert_eq!(found.channel_order_id, "SO-77");
    assert!(
        s.find_order_by_channel_id("amazon", "SO-77")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.find_order_by_channel_id("shopify", "SO-79")
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn rejections_and_inbox_listing(h: Harness) {
    let s = h.store;
    let mut a = acceptance("k", "SO-1");
    a.inbox.received_at = at(1);
    s.accept_batch(vec![a.clone()]).await.unwrap();
    let rejected = RejectedMessage {
        id: Uuid::now_v7(),
        channel: "shopify".into(),
        content_type: "application/json".into(),
        payload: "{not json".into(),
        truncated: true,
        problem: json!({"type": "about:blank", "title": "Bad JSON", "status": 400}),
        correlation_id: "corr-r".into(),
        received_at: at(2),
    };
    s.record_rejection(rejected.clone()).await.unwrap();

    let rec = s
        .get_inbox(rejected.id)
        .await
        .unwrap()
        .expect("rejection stored");
    assert_eq!(rec.status, "rejected");
    assert!(rec.truncated);
    assert_eq!(rec.problem, Some(rejected.problem.clone()));
    assert_eq!(rec.payload, "{not json");
    assert_eq!(rec.idempotency_key, None);
    assert_eq!(rec.order_id, None);
    assert_eq!(rec.received_at, at(2));

    let all = s.list_inbox(None, 10).await.unwrap();
    assert_eq!(
        all.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![rejected.id, a.inbox.id],
        "newest first"
    );
    let only_rejected = s.list_inbox(Some("rejected"), 10).await.unwrap();
    assert_eq!(only_rejected.len(), 1);
    assert_eq!(only_rejected[0], rec);
    let only_accepted = s.list_inbox(Some("accepted"), 10).await.unwrap();
    assert_eq!(only_accepted.len(), 1);
    assert_eq!(only_accepted[0].id, a.inbox.id);
    assert_eq!(s.list_inbox(None, 1).await.unwrap().len(), 1);
    assert!(s.get_inbox(Uuid::now_v7()).await.unwrap().is_none());
}

// ---------------------------------------------------------------- jobs

pub async fn claim_one_per_key_in_id_order(h: Harness) {
    let s = h.store;
    let j1 = s.enqueue(job("k1", "j1", at(0), 3)).await.unwrap().unwrap();
    let j2 = s.enqueue(job("k1", "j2", at(0), 3)).await.unwrap().unwrap();
    let j3 = s.enqueue(job("k2", "j3", at(0), 3)).await.unwrap().unwrap();
    assert!(j1 < j2 && j2 < j3);

    let claimed = s
        .claim_jobs("w1", 10, Duration::seconds(30), at(1))
        .await
        .unwrap();
    let ids: Vec<i64> = claimed.iter().map(|j| j.id).collect();
    assert_eq!(ids, vec![j1, j3], "one per key, the oldest of each");
    for j in &claimed {
        assert_eq!(j.state, JobState::Leased);
        assert_eq!(j.attempts, 1);
        assert_eq!(j.lease_owner.as_deref(), Some("w1"));
        assert_eq!(j.lease_until, Some(at(31)));
    }
    // j1 still leased: j2 waits.
    assert!(
        s.claim_jobs("w2", 10, Duration::seconds(30), at(2))
            .await
            .unwrap()
            .is_empty()
    );

    // Limit is honoured.
    let j4 = s.enqueue(job("k3", "j4", at(0), 3)).await.unwrap().unwrap();
    let _j5 = s.enqueue(job("k4", "j5", at(0), 3)).await.unwrap().unwrap();
    let one = s
        .claim_jobs("w2", 1, Duration::seconds(30), at(2))
        .await
        .unwrap();
    assert_eq!(one.iter().map(|j| j.id).collect::<Vec<_>>(), vec![j4]);
    assert!(
        s.claim_jobs("w2", 0, Duration::seconds(30), at(2))
            .await
            .unwrap()
            .is_empty()
    );

    // Finishing j1 (here: killing and discarding it) frees j2.
    assert!(
        s.kill_job(&lease_of(&claimed[0]), "boom", at(3))
            .await
            .unwrap()
    );
    assert!(
        s.discard_dead(j1, audit_entry("dlq.discard", "job"), at(3))
            .await
            .unwrap()
    );
    let next = s
        .claim_jobs("w3", 10, Duration::seconds(30), at(4))
        .await
        .unwrap();
    assert!(next.iter().any(|j| j.id == j2));
    let got = s.get_job(j2).await.unwrap().unwrap();
    assert_eq!(got.state, JobState::Leased);
    assert_eq!(got.payload, json!({"idem": "j2"}));
}

pub async fn future_job_blocks_its_key(h: Harness) {
    let s = h.store;
    let later = s
        .enqueue(job("k", "later", at(100), 3))
        .await
        .unwrap()
        .unwrap();
    let _now = s.enqueue(job("k", "now", at(0), 3)).await.unwrap().unwrap();
    assert!(
        s.claim_jobs("w", 10, Duration::seconds(30), at(1))
            .await
            .unwrap()
            .is_empty()
    );
    let claimed = s
        .claim_jobs("w", 10, Duration::seconds(30), at(100))
        .await
        .unwrap();
    assert_eq!(
        claimed.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![later]
    );
}

pub async fn dead_job_blocks_key_until_retried_or_discarded(h: Harness) {
    let s = h.store;
    let a = s.enqueue(job("k", "a", at(0), 3)).await.unwrap().unwrap();
    let b = s.enqueue(job("k", "b", at(0), 3)).await.unwrap().unwrap();
    let claimed = s
        .claim_jobs("w", 10, Duration::seconds(30), at(1))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        s.kill_job(&lease_of(&claimed[0]), "permanent", at(2))
            .await
            .unwrap()
    );
    let dead = s.get_job(a).await.unwrap().unwrap();
    assert_eq!(dead.state, JobState::Dead);
    assert_eq!(dead.last_error.as_deref(), Some("permanent"));
    assert_eq!(dead.lease_owner, None);
    assert_eq!(
        s.list_jobs(Some(JobState::Dead), 10).await.unwrap().len(),
        1
    );
    assert!(
        s.claim_jobs("w", 10, Duration::seconds(30), at(3))
            .await
            .unwrap()
            .is_empty(),
        "dead blocks key"
    );

    // Retry: back to pending with attempts reset, and it runs before b.
    let retry = || audit_entry("dlq.retry", &format!("job:{a}"));
    assert!(s.retry_dead(a, retry(), at(4)).await.unwrap());
    assert!(
        !s.retry_dead(a, retry(), at(4)).await.unwrap(),
        "not dead any more"
    );
    let retried = s.get_job(a).await.unwrap().unwrap();
    assert_eq!((retried.state, retried.attempts), (JobState::Pending, 0));
    // Audited with the retry, once: the refused second retry wrote nothing.
    let audited = s.list_audit(0, 10).await.unwrap();
    assert_eq!(
        audited
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["dlq.retry"]
    );
    let claimed = s
        .claim_jobs("w", 10, Duration::seconds(30), at(5))
        .await
        .unwrap();
    assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![a]);
    assert_eq!(claimed[0].attempts, 1);

    // Dead again, then discarded: b becomes claimable.
    assert!(
        s.kill_job(&lease_of(&claimed[0]), "permanent", at(6))
            .await
            .unwrap()
    );
    let discard = |id: i64| audit_entry("dlq.discard", &format!("job:{id}"));
    assert!(
        !s.discard_dead(b, discard(b), at(7)).await.unwrap(),
        "b is not dead"
    );
    assert!(s.discard_dead(a, discard(a), at(7)).await.unwrap());
    assert_eq!(
        s.get_job(a).await.unwrap().unwrap().state,
        JobState::Discarded
    );
    // Audited with the discard; the refused one (b) wrote nothing.
    let audited = s.list_audit(0, 10).await.unwrap();
    assert_eq!(
        audited
            .iter()
            .map(|e| (e.action.as_str(), e.subject.clone()))
            .collect::<Vec<_>>(),
        [
            ("dlq.retry", format!("job:{a}")),
            ("dlq.discard", format!("job:{a}"))
        ]
    );
    let claimed = s
        .claim_jobs("w", 10, Duration::seconds(30), at(8))
        .await
        .unwrap();
    assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![b]);
    let counts = s.count_jobs_by_state().await.unwrap();
    assert_eq!(count_of(&counts, JobState::Discarded), Some(1));
    assert_eq!(count_of(&counts, JobState::Leased), Some(1));
}

pub async fn fail_job_retries_then_dies(h: Harness) {
    let s = h.store;
    let id = s.enqueue(job("k", "f", at(0), 2)).await.unwrap().unwrap();
    let c = s
        .claim_jobs("w", 1, Duration::seconds(30), at(1))
        .await
        .unwrap();
    assert_eq!(c[0].attempts, 1);
    let st = s
        .fail_job(&lease_of(&c[0]), "timeout", at(60), at(2))
        .await
        .unwrap();
    assert_eq!(st, Some(JobState::Pending));
    let j = s.get_job(id).await.unwrap().unwrap();
    assert_eq!(
        (j.state, j.run_at, j.lease_owner.clone()),
        (JobState::Pending, at(60), None)
    );
    assert_eq!(j.last_error.as_deref(), Some("timeout"));
    assert!(
        s.claim_jobs("w", 1, Duration::seconds(30), at(59))
            .await
            .unwrap()
            .is_empty(),
        "not before retry_at"
    );

    let c = s
        .claim_jobs("w", 1, Duration::seconds(30), at(60))
        .await
        .unwrap();
    assert_eq!(c[0].attempts, 2);
    let st = s
        .fail_job(&lease_of(&c[0]), "timeout again", at(120), at(61))
        .await
        .unwrap();
    assert_eq!(st, Some(JobState::Dead), "attempts reached max_attempts");
    let j = s.get_job(id).await.unwrap().unwrap();
    assert_eq!(j.state, JobState::Dead);
    assert_eq!(j.last_error.as_deref(), Some("timeout again"));
    // The lease is gone: failing again is a no-op.
    assert_eq!(
        s.fail_job(&lease_of(&c[0]), "x", at(130), at(62))
            .await
            .unwrap(),
        None
    );
}

pub async fn expired_lease_is_reclaimed_and_old_owner_refused(h: Harness) {
    let s = h.store;
    let id = s.enqueue(job("k", "e", at(0), 5)).await.unwrap().unwrap();
    let _next = s.enqueue(job("k", "e2", at(0), 5)).await.unwrap().unwrap();
    let a = s
        .claim_jobs("A", 10, Duration::seconds(30), at(1))
        .await
        .unwrap();
    assert_eq!(a.len(), 1);
    let lease_a = lease_of(&a[0]);
    assert!(s.extend_lease(&lease_a, at(40)).await.unwrap());
    assert!(
        s.claim_jobs("B", 10, Duration::seconds(30), at(35))
            .await
            .unwrap()
            .is_empty(),
        "extended"
    );

    let b = s
        .claim_jobs("B", 10, Duration::seconds(30), at(41))
        .await
        .unwrap();
    assert_eq!(
        b.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![id],
        "the expired job, not the next one"
    );
    assert_eq!(b[0].attempts, 2);
    assert_eq!(b[0].lease_owner.as_deref(), Some("B"));

    assert_eq!(
        s.fail_job(&lease_a, "late", at(90), at(42)).await.unwrap(),
        None
    );
    assert!(!s.kill_job(&lease_a, "late", at(42)).await.unwrap());
    assert!(!s.release_job(&lease_a, at(42)).await.unwrap());
    assert!(!s.extend_lease(&lease_a, at(100)).await.unwrap());
    let j = s.get_job(id).await.unwrap().unwrap();
    assert_eq!(
        (j.state, j.lease_owner.as_deref(), j.attempts),
        (JobState::Leased, Some("B"), 2)
    );
}

pub async fn release_job_does_not_count_attempt(h: Harness) {
    let s = h.store;
    let id = s.enqueue(job("k", "r", at(0), 1)).await.unwrap().unwrap();
    let c = s
        .claim_jobs("w", 1, Duration::seconds(30), at(1))
        .await
        .unwrap();
    assert!(s.release_job(&lease_of(&c[0]), at(2)).await.unwrap());
    let j = s.get_job(id).await.unwrap().unwrap();
    assert_eq!(
        (j.state, j.attempts, j.lease_owner.clone()),
        (JobState::Pending, 0, None)
    );
    let c = s
        .claim_jobs("w2", 1, Duration::seconds(30), at(2))
        .await
        .unwrap();
    assert_eq!((c[0].id, c[0].attempts), (id, 1));
}

pub async fn enqueue_is_idempotent(h: Harness) {
    let s = h.store;
    let first = s.enqueue(job("k", "same", at(0), 3)).await.unwrap();
    assert!(first.is_some());
    let mut other = job("k2", "same", at(5), 9);
    other.payload = json!({"other": true});
    assert_eq!(s.enqueue(other).await.unwrap(), None);
    let jobs = s.list_jobs(None, 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!((jobs[0].queue_key.as_str(), jobs[0].max_attempts), ("k", 3));
    assert!(s.get_job(first.unwrap() + 1000).await.unwrap().is_none());
}

// ---------------------------------------------------------------- steps

pub async fn commit_step_appends_and_completes(h: Harness) {
    let s = h.store;
    let a = acceptance("k", "SO-1");
    let order_id = accept_one(&s, a.clone()).await;
    let claimed = s
        .claim_jobs("w", 10, Duration::seconds(30), at(1))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let first_job = claimed[0].clone();

    let mut st = step(order_id, 1, 2, Some(lease_of(&first_job)));
    let key = order_id.to_string();
    st.jobs = vec![
        job(&key, &format!("{order_id}:submit"), at(5), 5),
        // Already enqueued by the acceptance: ignored.
        job(&key, &format!("{order_id}:validate"), at(5), 5),
    ];
    st.outbox = vec![
        NewOutboxEvent {
            event_id: st.events[0].event_id,
            topic: "o2c.order.validated.v1".into(),
            envelope: json!({"specversion": "1.0", "id": st.events[0].event_id.to_string()}),
            created_at: at(5),
        },
        NewOutboxEvent {
            event_id: st.events[1].event_id,
            topic: "o2c.order.validated.v1".into(),
            envelope: json!({"specversion": "1.0", "id": st.events[1].event_id.to_string()}),
            created_at: at(5),
        },
    ];
    st.exceptions = vec![NewException {
        id: Uuid::now_v7(),
        order_id: Some(order_id),
        inbox_id: Some(a.inbox.id),
        reasons: vec!["price_mismatch".into()],
        details: json!({"expected": 10.10, "got": 10.00}),
        correlation_id: "c".into(),
        created_at: at(5),
    }];
    st.audit = vec![audit_entry("order.validated", &format!("order/{order_id}"))];
    let events = st.events.clone();
    let version = s.commit_step(st).await.unwrap();
    assert_eq!(version, 3);

    let journal = s.load_journal(order_id).await.unwrap();
    assert_eq!(
        journal.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(journal[1].event_id, events[0].event_id);
    assert_eq!(journal[2].data, events[1].data);
    assert_eq!(journal[2].causation_id, events[1].causation_id);
    assert_eq!(journal[2].recorded_at, events[1].recorded_at);

    let order = s.get_order(order_id).await.unwrap().unwrap();
    assert_eq!((order.version, order.status.as_str()), (3, "validated"));
    assert_eq!(order.state, json!({"status": "validated", "v": 3}));
    assert_eq!(order.updated_at, at(5));

    let done = s.get_job(first_job.id).await.unwrap().unwrap();
    assert_eq!(
        (done.state, done.lease_owner.clone()),
        (JobState::Done, None)
    );
    let pending = s.list_jobs(Some(JobState::Pending), 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].idempotency_key, format!("{order_id}:submit"));
    assert_eq!(s.pending_outbox(10).await.unwrap().len(), 2);
    assert_eq!(s.list_exceptions(Some("open"), 10).await.unwrap().len(), 1);
    assert_eq!(
        s.verify_audit().await.unwrap(),
        AuditVerification::Intact { rows: 2 }
    );

    // The next step continues the sequence without a job to complete.
    let v = s.commit_step(step(order_id, 3, 1, None)).await.unwrap();
    assert_eq!(v, 4);
    assert_eq!(
        s.load_journal(order_id)
            .await
            .unwrap()
            .last()
            .map(|e| e.seq),
        Some(4)
    );
}

async fn snapshot(s: &Arc<dyn Store>, order_id: Uuid) -> (i64, usize, usize, usize, usize, usize) {
    (
        s.get_order(order_id).await.unwrap().unwrap().version,
        s.load_journal(order_id).await.unwrap().len(),
        s.pending_outbox(100).await.unwrap().len(),
        s.list_jobs(None, 100).await.unwrap().len(),
        s.list_exceptions(None, 100).await.unwrap().len(),
        s.list_audit(0, 100).await.unwrap().len(),
    )
}

fn loaded_step(order_id: Uuid, expected: i64, completes: Option<Lease>) -> StepCommit {
    let mut st = step(order_id, expected, 1, completes);
    st.jobs = vec![job(
        &order_id.to_string(),
        &format!("{order_id}:next"),
        at(5),
        5,
    )];
    st.outbox = vec![NewOutboxEvent {
        event_id: st.events[0].event_id,
        topic: "t".into(),
        envelope: json!({}),
        created_at: at(5),
    }];
    st.exceptions = vec![NewException {
        id: Uuid::now_v7(),
        order_id: Some(order_id),
        inbox_id: None,
        reasons: vec!["credit_hold".into()],
        details: json!({}),
        correlation_id: "c".into(),
        created_at: at(5),
    }];
    st.audit = vec![audit_entry("x", "y")];
    st
}

pub async fn commit_step_version_conflict_writes_nothing(h: Harness) {
    let s = h.store;
    let order_id = accept_one(&s, acceptance("k", "SO-1")).await;
    let claimed = s
        .claim_jobs("w", 10, Duration::seconds(30), at(1))
        .await
        .unwrap();
    s.commit_step(step(order_id, 1, 1, None)).await.unwrap();
    let before = snapshot(&s, order_id).await;

    let err = s
        .commit_step(loaded_step(order_id, 1, Some(lease_of(&claimed[0]))))
        .await
        .unwrap_err();
    match err {
        StoreError::VersionConflict {
            order_id: o,
            expected,
            actual,
        } => assert_eq!((o, expected, actual), (order_id, 1, 2)),
        other => panic!("expected VersionConflict, got {other:?}"),
    }
    assert!(!err_is_transient_conflict());
    assert_eq!(snapshot(&s, order_id).await, before, "nothing written");
    let j = s.get_job(claimed[0].id).await.unwrap().unwrap();
    assert_eq!(j.state, JobState::Leased, "the job was not completed");

    let missing = s
        .commit_step(step(Uuid::now_v7(), 1, 1, None))
        .await
        .unwrap_err();
    assert!(matches!(missing, StoreError::NotFound), "{missing:?}");
}

fn err_is_transient_conflict() -> bool {
    StoreError::VersionConflict {
        order_id: Uuid::nil(),
        expected: 1,
        actual: 2,
    }
    .is_transient()
}

pub async fn commit_step_lease_lost_writes_nothing(h: Harness) {
    let s = h.store;
    let order_id = accept_one(&s, acceptance("k", "SO-1")).await;
    let a = s
        .claim_jobs("A", 10, Duration::seconds(30), at(1))
        .await
        .unwrap();
    let b = s
        .claim_jobs("B", 10, Duration::seconds(30), at(40))
        .await
        .unwrap();
    assert_eq!(a[0].id, b[0].id, "B took over the expired lease");
    let before = snapshot(&s, order_id).await;

    let err = s
        .commit_step(loaded_step(order_id, 1, Some(lease_of(&a[0]))))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::LeaseLost { job_id } if job_id == a[0].id),
        "{err:?}"
    );
    assert_eq!(snapshot(&s, order_id).await, before, "nothing written");

    // B still holds it and can complete.
    assert_eq!(
        s.commit_step(loaded_step(order_id, 1, Some(lease_of(&b[0]))))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        s.get_job(b[0].id).await.unwrap().unwrap().state,
        JobState::Done
    );
}

pub async fn concurrent_claimers_never_double_lease(h: Harness) {
    let s = h.store;
    const KEYS: usize = 50;
    const PER_KEY: usize = 4;
    let mut orders = Vec::new();
    for chunk in 0..(KEYS / 25) {
        let mut batch: Vec<Acceptance> = (0..25)
            .map(|i| {
                let n = chunk * 25 + i;
                let mut a = acceptance(&format!("k{n}"), &format!("SO-{n}"));
                a.order.first_jobs.clear();
                a
            })
            .collect();
        orders.extend(batch.iter().map(|a| a.order.order_id));
        let out = s.accept_batch(std::mem::take(&mut batch)).await.unwrap();
        assert!(
            out.iter()
                .all(|o| matches!(o, AcceptOutcome::Accepted { .. }))
        );
    }
    // Interleave keys so ids of one key are spread out.
    for round in 0..PER_KEY {
        for o in &orders {
            s.enqueue(job(&o.to_string(), &format!("{o}:{round}"), at(0), 5))
                .await
                .unwrap()
                .unwrap();
        }
    }
    let total = KEYS * PER_KEY;
    let leased_keys: Arc<Mutex<HashSet<String>>> = Arc::default();
    let seen_jobs: Arc<Mutex<HashSet<i64>>> = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));

    let mut tasks = Vec::new();
    for w in 0..4 {
        let s = s.clone();
        let leased_keys = leased_keys.clone();
        let seen_jobs = seen_jobs.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            let owner = format!("worker-{w}");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            while done.load(std::sync::atomic::Ordering::SeqCst) < total {
                assert!(std::time::Instant::now() < deadline, "workers starved");
                let claimed = s
                    .claim_jobs(&owner, 5, Duration::seconds(600), at(1))
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    continue;
                }
                let mut keys_here = HashSet::new();
                for j in &claimed {
                    assert!(
                        keys_here.insert(j.queue_key.clone()),
                        "two jobs of one key in one claim"
                    );
                    assert!(
                        seen_jobs.lock().unwrap().insert(j.id),
                        "job {} leased twice",
                        j.id
                    );
                    assert!(
                        leased_keys.lock().unwrap().insert(j.queue_key.clone()),
                        "key {} leased twice at once",
                        j.queue_key
                    );
                }
                for j in claimed {
                    let order_id = Uuid::parse_str(&j.queue_key).unwrap();
                    let version = s.get_order(order_id).await.unwrap().unwrap().version;
                    let lease = lease_of(&j);
                    leased_keys.lock().unwrap().remove(&j.queue_key);
                    let v = s
                        .commit_step(step(order_id, version, 1, Some(lease)))
                        .await
                        .unwrap();
                    assert_eq!(v, version + 1);
                    done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(seen_jobs.lock().unwrap().len(), total);
    let counts = s.count_jobs_by_state().await.unwrap();
    assert_eq!(count_of(&counts, JobState::Done), Some(total as i64));
    for o in &orders {
        let journal = s.load_journal(*o).await.unwrap();
        assert_eq!(
            journal.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (1..=1 + PER_KEY as i64).collect::<Vec<_>>()
        );
    }
}

// ---------------------------------------------------------------- outbox, exceptions, audit, keys

pub async fn outbox_pending_and_published(h: Harness) {
    let s = h.store;
    let order_id = accept_one(&s, acceptance("k", "SO-1")).await;
    let mut st = step(order_id, 1, 3, None);
    st.outbox = st
        .events
        .iter()
        .map(|e| NewOutboxEvent {
            event_id: e.event_id,
            topic: e.event_type.clone(),
            envelope: json!({"id": e.event_id.to_string(), "data": {"amount": 1.10}}),
            created_at: at(5),
        })
        .collect();
    let outbox = st.outbox.clone();
    s.commit_step(st).await.unwrap();

    let pending = s.pending_outbox(10).await.unwrap();
    assert_eq!(
        pending.iter().map(|r| r.event_id).collect::<Vec<_>>(),
        outbox.iter().map(|e| e.event_id).collect::<Vec<_>>()
    );
    assert!(pending.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(pending[0].envelope, outbox[0].envelope);
    assert_eq!(pending[0].created_at, at(5));
    assert_eq!(s.pending_outbox(2).await.unwrap().len(), 2);

    s.mark_published(&[pending[0].position, pending[1].position], at(6))
        .await
        .unwrap();
    let rest = s.pending_outbox(10).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].event_id, outbox[2].event_id);
    s.mark_published(&[], at(7)).await.unwrap();
    s.mark_published(&[rest[0].position], at(7)).await.unwrap();
    assert!(s.pending_outbox(10).await.unwrap().is_empty());
}

pub async fn exceptions_open_list_close(h: Harness) {
    let s = h.store;
    let e1 = NewException {
        id: Uuid::now_v7(),
        order_id: Some(Uuid::now_v7()),
        inbox_id: None,
        reasons: vec!["unknown_product".into(), "price_mismatch".into()],
        details: json!({"sku": "X-1", "price": 9.990}),
        correlation_id: "c1".into(),
        created_at: at(1),
    };
    let e2 = NewException {
        id: Uuid::now_v7(),
        order_id: None,
        inbox_id: Some(Uuid::now_v7()),
        reasons: vec!["credit_hold".into()],
        details: json!({}),
        correlation_id: "c2".into(),
        created_at: at(2),
    };
    s.open_exception(e1.clone()).await.unwrap();
    s.open_exception(e2.clone()).await.unwrap();
    let got = s.get_exception(e1.id).await.unwrap().unwrap();
    assert_eq!(got.reasons, e1.reasons);
    assert_eq!(got.details, e1.details);
    assert_eq!(
        (got.status.as_str(), got.resolution.clone()),
        ("open", None)
    );
    assert_eq!(got.order_id, e1.order_id);
    assert_eq!(got.created_at, at(1));

    let open = s.list_exceptions(Some("open"), 10).await.unwrap();
    assert_eq!(
        open.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![e2.id, e1.id],
        "newest first"
    );

    let note = json!({"by": "ops", "note": "price confirmed"});
    let closing = |action: &str| audit_entry(action, &format!("exception:{}", e1.id));
    assert!(
        s.close_exception(
            e1.id,
            "overridden",
            note.clone(),
            closing("exception.override"),
            at(3)
        )
        .await
        .unwrap()
    );
    assert!(
        !s.close_exception(
            e1.id,
            "resolved",
            json!({}),
            closing("exception.resolve"),
            at(4)
        )
        .await
        .unwrap(),
        "not open any more"
    );
    // Audited with the close, once: the refused second close wrote nothing.
    let audited: Vec<_> = s
        .list_audit(0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.subject))
        .collect();
    assert_eq!(
        audited,
        [(
            "exception.override".to_owned(),
            format!("exception:{}", e1.id)
        )]
    );
    let closed = s.get_exception(e1.id).await.unwrap().unwrap();
    assert_eq!(
        (
            closed.status.as_str(),
            closed.resolution.clone(),
            closed.updated_at
        ),
        ("overridden", Some(note), at(3))
    );
    assert_eq!(s.list_exceptions(Some("open"), 10).await.unwrap().len(), 1);
    assert_eq!(
        s.list_exceptions(Some("overridden"), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(s.list_exceptions(None, 10).await.unwrap().len(), 2);
    assert!(s.get_exception(Uuid::now_v7()).await.unwrap().is_none());
}

pub async fn audit_chain_verifies_and_detects_tampering(h: Harness) {
    let s = h.store;
    assert_eq!(
        s.verify_audit().await.unwrap(),
        AuditVerification::Intact { rows: 0 }
    );
    let mut appended = Vec::new();
    for i in 1..=5 {
        let mut e = audit_entry("thing.done", &format!("thing/{i}"));
        e.details = json!({"i": i, "b": [1.50, {"y": "\"quoted\"\n", "x": null}], "a": true});
        appended.push(s.append_audit(e).await.unwrap());
    }
    assert_eq!(
        appended.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    assert_eq!(appended[0].prev_hash, "0".repeat(64));
    assert_eq!(
        appended[0].at,
        t0() + Duration::microseconds(123_456),
        "stored with microseconds"
    );
    let listed = s.list_audit(0, 100).await.unwrap();
    assert_eq!(listed, appended, "what was returned is what is stored");
    let page = s.list_audit(2, 2).await.unwrap();
    assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![3, 4]);
    assert_eq!(
        s.verify_audit().await.unwrap(),
        AuditVerification::Intact { rows: 5 }
    );

    // The table refuses updates ...
    let exec = h.exec.clone();
    let refused = tokio::spawn(async move {
        exec("UPDATE audit SET actor = 'mallory' WHERE seq = 3".into()).await
    })
    .await;
    assert!(refused.is_err(), "append-only guard");
    // ... but someone with raw access can lift the guard; the chain tells.
    (h.exec)(h.disable_audit_guard.to_string()).await;
    (h.exec)("UPDATE audit SET actor = 'mallory' WHERE seq = 3".into()).await;
    match s.verify_audit().await.unwrap() {
        AuditVerification::Broken { seq, reason } => {
            assert_eq!(seq, 3);
            assert!(reason.contains("hash mismatch"), "{reason}");
        }
        other => panic!("tampering not detected: {other:?}"),
    }
    (h.exec)("UPDATE audit SET actor = 'test' WHERE seq = 3".into()).await;
    assert_eq!(
        s.verify_audit().await.unwrap(),
        AuditVerification::Intact { rows: 5 }
    );
    (h.exec)("DELETE FROM audit WHERE seq = 4".into()).await;
    match s.verify_audit().await.unwrap() {
        AuditVerification::Broken { seq, reason } => {
            assert_eq!(seq, 4);
            assert!(reason.contains("gap"), "{reason}");
        }
        other => panic!("gap not detected: {other:?}"),
    }
}

pub async fn api_keys_create_find_revoke(h: Harness) {
    let s = h.store;
    let key = ApiKeyRecord {
        id: Uuid::now_v7(),
        name: "shopify-eu".into(),
        key_hash: "ab".repeat(32),
        scopes: vec!["orders:write".into(), "orders:read".into()],
        channel: Some("shopify".into()),
        created_at: at(1),
        revoked_at: None,
    };
    s.create_api_key(key.clone(), audit_entry("api_key.created", "api_key/1"))
        .await
        .unwrap();
    assert_eq!(
        s.find_api_key(&key.key_hash).await.unwrap(),
        Some(key.clone())
    );
    assert_eq!(s.find_api_key(&"cd".repeat(32)).await.unwrap(), None);
    assert_eq!(s.list_api_keys().await.unwrap(), vec![key.clone()]);

    let dup = s
        .create_api_key(key.clone(), audit_entry("api_key.created", "api_key/1"))
        .await;
    assert!(dup.is_err(), "same id/hash twice");

    assert!(
        s.revoke_api_key(key.id, audit_entry("api_key.revoked", "api_key/1"), at(2))
            .await
            .unwrap()
    );
    assert!(
        !s.revoke_api_key(key.id, audit_entry("api_key.revoked", "api_key/1"), at(3))
            .await
            .unwrap()
    );
    let found = s.find_api_key(&key.key_hash).await.unwrap().unwrap();
    assert_eq!(found.revoked_at, Some(at(2)));
    let audit = s.list_audit(0, 10).await.unwrap();
    assert_eq!(
        audit.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
        vec!["api_key.created", "api_key.revoked"]
    );
}

pub async fn projections_counts_and_rewrite(h: Harness) {
    let s = h.store;
    let batch: Vec<Acceptance> = (0..4)
        .map(|i| acceptance(&format!("k{i}"), &format!("SO-{i}")))
        .collect();
    s.accept_batch(batch.clone()).await.unwrap();
    let o = batch[0].order.order_id;
    s.commit_step(step(o, 1, 1, None)).await.unwrap();
    let counts = s.count_orders_by_status().await.unwrap();
    assert_eq!(
        counts,
        vec![("received".to_string(), 3), ("validated".to_string(), 1)]
    );
    let validated = s.list_orders(Some("validated"), 10).await.unwrap();
    assert_eq!(validated.len(), 1);
    assert_eq!(validated[0].order_id, o);
    assert_eq!(s.list_orders(None, 2).await.unwrap().len(), 2);
    assert_eq!(s.list_orders(Some("received"), 10).await.unwrap().len(), 3);

    s.rewrite_projection(o, "rebuilt", 2, json!({"rebuilt": true, "total": 10.10}))
        .await
        .unwrap();
    let r = s.get_order(o).await.unwrap().unwrap();
    assert_eq!(
        (r.status.as_str(), r.version, r.state.clone()),
        ("rebuilt", 2, json!({"rebuilt": true, "total": 10.10}))
    );
    let missing = s
        .rewrite_projection(Uuid::now_v7(), "x", 1, Value::Null)
        .await
        .unwrap_err();
    assert!(matches!(missing, StoreError::NotFound));
    assert!(s.get_order(Uuid::now_v7()).await.unwrap().is_none());
    assert!(s.load_journal(Uuid::now_v7()).await.unwrap().is_empty());
    let jobs = s.count_jobs_by_state().await.unwrap();
    assert_eq!(count_of(&jobs, JobState::Pending), Some(4));
}

pub async fn commit_step_closes_exceptions_once(h: Harness) {
    let s = h.store;
    let order_id = accept_one(&s, acceptance("k-close", "SO-CLOSE")).await;
    let opened = loaded_step(order_id, 1, None);
    let exception_id = opened.exceptions[0].id;
    s.commit_step(opened).await.unwrap();
    let closure = ExceptionClosure {
        id: exception_id,
        status: "overridden".into(),
        resolution: json!({"by": "api-key:ops", "reason": "price agreed by phone"}),
    };
    let mut resolve = step(order_id, 2, 1, None);
    resolve.closes = vec![closure.clone()];
    s.commit_step(resolve).await.unwrap();
    let closed = s.get_exception(exception_id).await.unwrap().unwrap();
    assert_eq!(closed.status, "overridden");
    assert_eq!(closed.resolution, Some(closure.resolution.clone()));

    // A second operator closing the same exception changes nothing.
    let before = snapshot(&s, order_id).await;
    let mut again = step(order_id, 3, 1, None);
    again.closes = vec![closure];
    match s.commit_step(again).await.unwrap_err() {
        StoreError::Conflict(message) => assert!(message.contains(&exception_id.to_string())),
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert_eq!(snapshot(&s, order_id).await, before, "nothing written");
}

pub async fn inbox_for_order_lists_every_message(h: Harness) {
    let s = h.store;
    let first = acceptance("key-a", "SO-INBOX");
    let order_id = first.order.order_id;
    s.accept_batch(vec![first.clone()]).await.unwrap();
    s.accept_batch(vec![acceptance("key-b", "SO-INBOX")])
        .await
        .unwrap();
    s.accept_batch(vec![acceptance("key-c", "SO-OTHER")])
        .await
        .unwrap();
    let messages = s.inbox_for_order(order_id).await.unwrap();
    assert_eq!(
        messages.len(),
        2,
        "the original and the duplicate under a new key"
    );
    assert_eq!(messages[0].id, first.inbox.id, "oldest first");
    assert!(messages.iter().all(|m| m.order_id == Some(order_id)));
    assert!(s.inbox_for_order(Uuid::now_v7()).await.unwrap().is_empty());
}

// ---------------------------------------------------------------- fingerprints

fn fingerprint(order_id: Uuid, print: &str, channel_order_id: &str, secs: i64) -> OrderFingerprint {
    OrderFingerprint {
        order_id,
        fingerprint: print.into(),
        channel: "shopify:acme".into(),
        channel_order_id: channel_order_id.into(),
        recorded_at: at(secs),
    }
}

pub async fn fingerprints_match_other_orders_within_the_window(h: Harness) {
    let s = h.store;
    let first = accept_one(&s, acceptance("k-fp-1", "SO-FP-1")).await;
    let second = accept_one(&s, acceptance("k-fp-2", "SO-FP-2")).await;
    let third = accept_one(&s, acceptance("k-fp-3", "SO-FP-3")).await;
    // The first of its kind matches nothing; recording it again neither.
    for _ in 0..2 {
        let none = s
            .record_fingerprint(fingerprint(first, "abc", "SO-FP-1", 0), at(-60))
            .await
            .unwrap();
        assert!(none.is_empty(), "{none:?}");
    }
    // The same print later names the first order, not itself.
    let found = s
        .record_fingerprint(fingerprint(second, "abc", "SO-FP-2", 30), at(-30))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].order_id, first);
    assert_eq!(found[0].channel_order_id, "SO-FP-1");
    assert_eq!(found[0].recorded_at, at(0));
    // Outside the window, or another print: no match.
    let outside = s
        .record_fingerprint(fingerprint(third, "abc", "SO-FP-3", 100), at(31))
        .await
        .unwrap();
    assert!(outside.is_empty(), "{outside:?}");
    let other = s
        .record_fingerprint(fingerprint(third, "xyz", "SO-FP-3", 100), at(-100))
        .await
        .unwrap();
    assert!(other.is_empty(), "{other:?}");
    // An amended order's new print replaces its old one.
    let replaced = s
        .record_fingerprint(fingerprint(third, "abc", "SO-FP-3", 100), at(-100))
        .await
        .unwrap();
    assert_eq!(
        replaced.iter().map(|m| m.order_id).collect::<Vec<_>>(),
        vec![first, second]
    );
    // A cancelled order is no longer a duplicate's original.
    let mut cancel = step(first, 1, 1, None);
    cancel.new_status = "cancelled".into();
    s.commit_step(cancel).await.unwrap();
    let after_cancel = s
        .record_fingerprint(fingerprint(third, "abc", "SO-FP-3", 100), at(-100))
        .await
        .unwrap();
    assert_eq!(
        after_cancel.iter().map(|m| m.order_id).collect::<Vec<_>>(),
        vec![second]
    );
}

pub async fn cursors_saved_replaced_and_isolated(h: Harness) {
    let s = h.store;
    assert_eq!(s.load_cursor("amazon:A1").await.unwrap(), None);
    let t1 = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap();
    let first =
        json!({"high_water": "2024-05-01T10:00:00Z", "seen": [["111-1", "2024-05-01T10:00:00Z"]]});
    s.save_cursor("amazon:A1", &first, t1).await.unwrap();
    let loaded = s.load_cursor("amazon:A1").await.unwrap().expect("saved");
    assert_eq!(loaded.name, "amazon:A1");
    assert_eq!(loaded.value, first);
    assert_eq!(loaded.updated_at, t1);
    // A second save replaces the value; other pullers are untouched.
    let t2 = t1 + Duration::minutes(5);
    let second = json!({"high_water": "2024-05-01T10:05:00Z", "seen": []});
    s.save_cursor("amazon:A1", &second, t2).await.unwrap();
    s.save_cursor("shopify:acme", &json!("2024-05-01T09:00:00Z"), t2)
        .await
        .unwrap();
    let loaded = s.load_cursor("amazon:A1").await.unwrap().expect("saved");
    assert_eq!((loaded.value, loaded.updated_at), (second, t2));
    assert_eq!(
        s.load_cursor("shopify:acme")
            .await
            .unwrap()
            .map(|c| c.value),
        Some(json!("2024-05-01T09:00:00Z"))
    );
}

// ---------------------------------------------------------------- EDI state

pub async fn edi_numbers_chosen_once_per_document(h: Harness) {
    let s = h.store;
    let first = s
        .edi_document_numbers("rk", "997:1-1", at(0))
        .await
        .unwrap();
    assert_eq!((first.interchange, first.group, first.set), (1, 1, 1));
    assert_eq!(first.at, at(0));
    // Asked again (a rebuild after a crash, or another instance): the same
    // numbers and time, and the counter does not move.
    let again = s
        .edi_document_numbers("rk", "997:1-1", at(60))
        .await
        .unwrap();
    assert_eq!(again, first);
    let twin = h
        .twin
        .edi_document_numbers("rk", "997:1-1", at(90))
        .await
        .unwrap();
    assert_eq!(twin, first);
    let next = s
        .edi_document_numbers("rk", "855:PO7", at(120))
        .await
        .unwrap();
    assert_eq!(
        next,
        EdiNumbers {
            interchange: 2,
            group: 2,
            set: 2,
            at: at(120)
        }
    );
    // Partners count apart.
    let other = s
        .edi_document_numbers("acme", "855:PO7", at(120))
        .await
        .unwrap();
    assert_eq!(other.interchange, 1);
}

pub async fn edi_counters_raised_never_lowered(h: Harness) {
    let s = h.store;
    // Numbers used before the store kept them (an imported state file).
    s.raise_edi_counters("rk", 41, 40, 39).await.unwrap();
    let n = s.edi_document_numbers("rk", "a", at(0)).await.unwrap();
    assert_eq!((n.interchange, n.group, n.set), (42, 41, 40));
    s.raise_edi_counters("rk", 5, 5, 5).await.unwrap();
    let n = s.edi_document_numbers("rk", "b", at(0)).await.unwrap();
    assert_eq!((n.interchange, n.group, n.set), (43, 42, 41));
    // Nine digits at most: the last number is refused, not wrapped silently.
    s.raise_edi_counters("full", EDI_CONTROL_MAX, 0, 0)
        .await
        .unwrap();
    assert!(matches!(
        s.edi_document_numbers("full", "c", at(0)).await,
        Err(StoreError::Exhausted(_))
    ));
    s.raise_edi_counters("edge", EDI_CONTROL_MAX - 1, 0, 0)
        .await
        .unwrap();
    let last = s.edi_document_numbers("edge", "d", at(0)).await.unwrap();
    assert_eq!(last.interchange, EDI_CONTROL_MAX);
}

pub async fn edi_po_tracks_versioned_and_listed(h: Harness) {
    let s = h.store;
    assert_eq!(s.load_edi_po("rk", "PO1").await.unwrap(), None);
    let track = json!({"orders": [{"id": 1}], "amount": "12.50"});
    let v1 = s
        .save_edi_po("rk", "PO1", true, &track, at(10), None, at(10))
        .await
        .unwrap();
    assert_eq!(v1, 1);
    // Created twice (two instances taking the same resent PO): one wins.
    assert!(matches!(
        h.twin
            .save_edi_po("rk", "PO1", true, &json!({}), at(11), None, at(11))
            .await,
        Err(StoreError::Conflict(_))
    ));
    s.save_edi_po("rk", "PO0", true, &json!({}), at(5), None, at(5))
        .await
        .unwrap();
    s.save_edi_po("acme", "PO9", true, &json!({}), at(1), None, at(1))
        .await
        .unwrap();
    let open = s.open_edi_pos("rk", 10).await.unwrap();
    assert_eq!(
        open.iter()
            .map(|p| p.po_number.as_str())
            .collect::<Vec<_>>(),
        ["PO0", "PO1"]
    );
    let loaded = s.load_edi_po("rk", "PO1").await.unwrap().expect("saved");
    assert_eq!(
        (loaded.track.clone(), loaded.version, loaded.open),
        (track, 1, true)
    );
    assert_eq!(loaded.received_at, at(10));
    let v2 = s
        .save_edi_po(
            "rk",
            "PO1",
            false,
            &json!({"done": true}),
            at(10),
            Some(1),
            at(20),
        )
        .await
        .unwrap();
    assert_eq!(v2, 2);
    // A stale writer changes nothing.
    assert!(matches!(
        h.twin
            .save_edi_po("rk", "PO1", true, &json!({}), at(10), Some(1), at(21))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let closed = s.load_edi_po("rk", "PO1").await.unwrap().expect("saved");
    assert_eq!((closed.open, closed.version), (false, 2));
    assert_eq!(closed.track, json!({"done": true}));
    assert_eq!(closed.updated_at, at(20));
    assert_eq!(
        s.open_edi_pos("rk", 10)
            .await
            .unwrap()
            .iter()
            .map(|p| p.po_number.as_str())
            .collect::<Vec<_>>(),
        ["PO0"]
    );
}

fn alert(id: Uuid) -> NewException {
    NewException {
        id,
        order_id: None,
        inbox_id: None,
        reasons: vec!["ack_deadline_at_risk".into()],
        details: json!({"partner": "rk", "po_number": "PO1"}),
        correlation_id: "edi:rk:PO1".into(),
        created_at: at(0),
    }
}

fn answered(po: &str, expected_version: i64, alert: Option<Uuid>) -> EdiPoClose {
    EdiPoClose {
        partner: "rk".into(),
        po_number: po.into(),
        track: json!({"answered": po}),
        expected_version,
        alert: alert.map(|id| ExceptionClosure {
            id,
            status: "resolved".into(),
            resolution: json!({"by": "edi", "detail": "855 sent"}),
        }),
        audit: NewAuditEntry {
            actor: "system:edi".into(),
            action: "edi.855.written".into(),
            subject: format!("edi:rk:po:{po}"),
            details: json!({"file": format!("855-{po}.x12")}),
            correlation_id: format!("edi:rk:{po}"),
            at: at(30),
        },
        at: at(30),
    }
}

/// The track's close, its deadline alert's close and its audit entry
/// land together or not at all; of two writers closing one version, one
/// wins and one entry is written.
pub async fn edi_po_closed_with_its_audit_and_alert_in_one_commit(h: Harness) {
    let s = h.store;
    let written = |s: Arc<dyn Store>| async move {
        s.list_audit(0, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.action == "edi.855.written")
            .collect::<Vec<_>>()
    };
    let alert_id = Uuid::now_v7();
    s.open_exception(alert(alert_id)).await.unwrap();
    s.save_edi_po("rk", "PO1", true, &json!({}), at(10), None, at(10))
        .await
        .unwrap();
    // Another instance moved the track on (v2): closing v1 writes nothing.
    h.twin
        .save_edi_po(
            "rk",
            "PO1",
            true,
            &json!({"alert": true}),
            at(10),
            Some(1),
            at(20),
        )
        .await
        .unwrap();
    assert!(matches!(
        s.close_edi_po(answered("PO1", 1, Some(alert_id))).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(written(s.clone()).await.is_empty());
    let open = s.get_exception(alert_id).await.unwrap().expect("alert");
    assert_eq!(open.status, "open");
    let track = s.load_edi_po("rk", "PO1").await.unwrap().expect("track");
    assert_eq!((track.open, track.version), (true, 2));

    // Over the version it was read at: all three, at once.
    assert_eq!(
        s.close_edi_po(answered("PO1", 2, Some(alert_id)))
            .await
            .unwrap(),
        3
    );
    let track = s.load_edi_po("rk", "PO1").await.unwrap().expect("track");
    assert_eq!((track.open, track.version), (false, 3));
    assert_eq!(track.track, json!({"answered": "PO1"}));
    assert_eq!(track.updated_at, at(30));
    let closed = s.get_exception(alert_id).await.unwrap().expect("alert");
    assert_eq!(closed.status, "resolved");
    assert_eq!(
        closed.resolution,
        Some(json!({"by": "edi", "detail": "855 sent"}))
    );
    let entries = written(s.clone()).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].subject, "edi:rk:po:PO1");
    assert_eq!(entries[0].details, json!({"file": "855-PO1.x12"}));
    // A second closer of the same version (another instance that wrote
    // the same file) is refused and audits nothing.
    assert!(matches!(
        h.twin
            .close_edi_po(answered("PO1", 2, Some(alert_id)))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(written(s.clone()).await.len(), 1);
    assert!(s.open_edi_pos("rk", 10).await.unwrap().is_empty());

    // An alert an operator dismissed meanwhile stays dismissed; the close
    // goes through.
    let dismissed = Uuid::now_v7();
    s.open_exception(alert(dismissed)).await.unwrap();
    assert!(
        s.close_exception(
            dismissed,
            "cancelled",
            json!({"by": "ops"}),
            audit_entry("exception.cancel", "alert"),
            at(15)
        )
        .await
        .unwrap()
    );
    s.save_edi_po("rk", "PO2", true, &json!({}), at(10), None, at(10))
        .await
        .unwrap();
    s.close_edi_po(answered("PO2", 1, Some(dismissed)))
        .await
        .unwrap();
    let kept = s.get_exception(dismissed).await.unwrap().expect("alert");
    assert_eq!(
        (kept.status.as_str(), kept.resolution),
        ("cancelled", Some(json!({"by": "ops"})))
    );
    assert_eq!(written(s.clone()).await.len(), 2);

    // Two instances closing one version at once: one commit, one entry.
    for po in ["PO3", "PO4", "PO5"] {
        s.save_edi_po("rk", po, true, &json!({}), at(10), None, at(10))
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            s.close_edi_po(answered(po, 1, None)),
            h.twin.close_edi_po(answered(po, 1, None))
        );
        assert!(
            a.is_ok() != b.is_ok(),
            "exactly one closer wins: {a:?} {b:?}"
        );
        let lost = if a.is_ok() { b } else { a };
        assert!(matches!(lost, Err(StoreError::Conflict(_))), "{lost:?}");
    }
    assert_eq!(written(s.clone()).await.len(), 5);
    // The five 855 entries and the operator's dismissal of the alert.
    assert_eq!(
        s.verify_audit().await.unwrap(),
        AuditVerification::Intact { rows: 6 }
    );
}

/// Two store instances on one database (two hub instances) allocating at
/// once: every new document gets numbers no other document has, and
/// documents asked for by both get one set of numbers.
pub async fn edi_allocators_never_share_a_number(h: Harness) {
    const PER_TASK: usize = 40;
    let mut tasks = Vec::new();
    for (i, store) in [
        h.store.clone(),
        h.twin.clone(),
        h.store.clone(),
        h.twin.clone(),
    ]
    .into_iter()
    .enumerate()
    {
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for n in 0..PER_TASK {
                // Half the documents are every task's (a 997 for one file
                // taken by both instances); half are this task's own.
                let document = if n % 2 == 0 {
                    format!("shared-{n}")
                } else {
                    format!("own-{i}-{n}")
                };
                let numbers = store
                    .edi_document_numbers("rk", &document, at(0))
                    .await
                    .unwrap();
                got.push((document, numbers));
            }
            got
        }));
    }
    let mut by_document: std::collections::HashMap<String, EdiNumbers> = Default::default();
    for t in tasks {
        for (document, numbers) in t.await.unwrap() {
            let first = *by_document.entry(document.clone()).or_insert(numbers);
            assert_eq!(
                first, numbers,
                "document {document} got two sets of numbers"
            );
        }
    }
    let documents = by_document.len();
    assert_eq!(documents, PER_TASK / 2 + 4 * PER_TASK / 2);
    let interchanges: HashSet<i64> = by_document.values().map(|n| n.interchange).collect();
    assert_eq!(
        interchanges.len(),
        documents,
        "an ISA13 was handed out twice"
    );
    // No gaps either: the counter moved once per document.
    assert_eq!(interchanges.iter().copied().max(), Some(documents as i64));
    let sets: HashSet<i64> = by_document.values().map(|n| n.set).collect();
    assert_eq!(sets.len(), documents);
}

pub async fn the_override_cursor_starts_at_the_audit_head_of_an_upgraded_store(h: Harness) {
    let s = h.store;
    let cursor = || async {
        s.load_cursor("edi:855-overrides")
            .await
            .unwrap()
            .map(|c| c.value)
    };
    // A new database: the reconcile reads the audit log from its start.
    assert_eq!(cursor().await, Some(json!(0)));
    // A database from before the cursor: its audit log already holds
    // entries (some maybe overrides whose partner was told by hand).
    for n in 1..=3 {
        s.append_audit(audit_entry("dlq.retry", &format!("job:{n}")))
            .await
            .unwrap();
    }
    (h.exec)("DELETE FROM pull_cursors WHERE name = 'edi:855-overrides'".into()).await;
    (h.exec)(h.override_cursor_migration.to_string()).await;
    assert_eq!(cursor().await, Some(json!(3)));
    // Applied again (it never is), it leaves a saved cursor alone.
    s.save_cursor("edi:855-overrides", &json!(2), at(1))
        .await
        .unwrap();
    (h.exec)(h.override_cursor_migration.to_string()).await;
    assert_eq!(cursor().await, Some(json!(2)));
}
