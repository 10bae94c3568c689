-- o2c store, SQLite flavour.
-- Conventions: ids and UUIDs as TEXT (hyphenated), JSON as TEXT,
-- timestamps as INTEGER microseconds since the Unix epoch (UTC).

CREATE TABLE inbox (
    id              TEXT PRIMARY KEY,
    idempotency_key TEXT UNIQUE,                 -- NULL for rejected messages
    channel         TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    payload         TEXT NOT NULL,               -- raw, as received (or a prefix when truncated)
    status          TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
    truncated       INTEGER NOT NULL DEFAULT 0,
    problem         TEXT,                        -- RFC 9457 problem JSON for rejections
    response_status INTEGER,                     -- answer replayed for duplicates
    response_body   TEXT,
    order_id        TEXT,
    correlation_id  TEXT NOT NULL,
    received_at     INTEGER NOT NULL
);
CREATE INDEX inbox_by_received ON inbox (received_at DESC, id DESC);
CREATE INDEX inbox_by_status_received ON inbox (status, received_at DESC, id DESC);

CREATE TABLE orders (
    order_id         TEXT PRIMARY KEY,
    channel          TEXT NOT NULL,
    channel_order_id TEXT NOT NULL,
    status           TEXT NOT NULL,
    version          INTEGER NOT NULL,
    state            TEXT NOT NULL,
    correlation_id   TEXT NOT NULL,
    inbox_id         TEXT,                       -- the inbox message that created the order
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (channel, channel_order_id)
);
CREATE INDEX orders_by_status ON orders (status, updated_at DESC);
CREATE INDEX orders_by_updated ON orders (updated_at DESC);

CREATE TABLE journal (
    order_id       TEXT NOT NULL REFERENCES orders (order_id),
    seq            INTEGER NOT NULL CHECK (seq >= 1),
    event_id       TEXT NOT NULL UNIQUE,
    event_type     TEXT NOT NULL,
    data           TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    causation_id   TEXT,
    recorded_at    INTEGER NOT NULL,
    PRIMARY KEY (order_id, seq)
);

CREATE TABLE outbox (
    position     INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT NOT NULL UNIQUE,
    topic        TEXT NOT NULL,
    envelope     TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    published_at INTEGER
);
CREATE INDEX outbox_pending ON outbox (position) WHERE published_at IS NULL;

CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused: id order is queue order
    queue_key       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'done', 'dead', 'discarded')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL,
    run_at          INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER,
    last_error      TEXT,
    correlation_id  TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
-- Claiming: runnable candidates by state and time ...
CREATE INDEX jobs_by_state_run_at ON jobs (state, run_at, id);
-- ... and "is there an older unfinished job with my key?"
CREATE INDEX jobs_unfinished_by_key ON jobs (queue_key, id) WHERE state IN ('pending', 'leased', 'dead');

CREATE TABLE exceptions (
    id             TEXT PRIMARY KEY,
    order_id       TEXT,
    inbox_id       TEXT,
    reasons        TEXT NOT NULL,                -- JSON array of reason codes
    details        TEXT NOT NULL,
    status         TEXT NOT NULL,
    resolution     TEXT,
    correlation_id TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX exceptions_by_status ON exceptions (status, created_at DESC);
CREATE INDEX exceptions_by_order ON exceptions (order_id);

CREATE TABLE audit (
    seq            INTEGER PRIMARY KEY,
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    subject        TEXT NOT NULL,
    details        TEXT NOT NULL,                -- canonical JSON (see audit_hash.rs)
    correlation_id TEXT NOT NULL,
    at             INTEGER NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
-- Append-only. (A defence in depth: the hash chain is what detects tampering.)
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only');
END;

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    scopes     TEXT NOT NULL,                    -- JSON array
    channel    TEXT,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
