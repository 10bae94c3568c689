-- The acknowledgment sweeper reads 855 overrides from the audit log after
-- its cursor `edi:855-overrides` (ADR 0019). A database from before that
-- reconcile starts it at the audit head: overrides recorded earlier were
-- answered 503 "tell the partner by hand" when their reopen failed, and
-- must not be replayed into late replacing 855s. A new database starts at 0.
INSERT OR IGNORE INTO pull_cursors (name, value, updated_at)
SELECT 'edi:855-overrides',
       CAST(COALESCE(MAX(seq), 0) AS TEXT),
       CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)
FROM audit;
