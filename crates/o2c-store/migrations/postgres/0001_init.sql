-- o2c store, PostgreSQL flavour. Tables live in the connection's search_path
-- schema (see PostgresStore::connect_with_schema).

CREATE TABLE inbox (
    id              uuid PRIMARY KEY,
    idempotency_key text UNIQUE,                 -- NULL for rejected messages
    channel         text NOT NULL,
    content_type    text NOT NULL,
    payload         text NOT NULL,               -- raw, as received (or a prefix when truncated)
    status          text NOT NULL CHECK (status IN ('accepted', 'rejected')),
    truncated       boolean NOT NULL DEFAULT false,
    problem         jsonb,
    response_status integer,                     -- answer replayed for duplicates
    response_body   jsonb,
    order_id        uuid,
    correlation_id  text NOT NULL,
    received_at     timestamptz NOT NULL
);
CREATE INDEX inbox_by_received ON inbox (received_at DESC, id DESC);
CREATE INDEX inbox_by_status_received ON inbox (status, received_at DESC, id DESC);

CREATE TABLE orders (
    order_id         uuid PRIMARY KEY,
    channel          text NOT NULL,
    channel_order_id text NOT NULL,
    status           text NOT NULL,
    version          bigint NOT NULL,
    state            jsonb NOT NULL,
    correlation_id   text NOT NULL,
    inbox_id         uuid,                       -- the inbox message that created the order
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    UNIQUE (channel, channel_order_id)
);
CREATE INDEX orders_by_status ON orders (status, updated_at DESC);
CREATE INDEX orders_by_updated ON orders (updated_at DESC);

CREATE TABLE journal (
    order_id       uuid NOT NULL REFERENCES orders (order_id),
    seq            bigint NOT NULL CHECK (seq >= 1),
    event_id       uuid NOT NULL UNIQUE,
    event_type     text NOT NULL,
    data           jsonb NOT NULL,
    correlation_id text NOT NULL,
    causation_id   uuid,
    recorded_at    timestamptz NOT NULL,
    PRIMARY KEY (order_id, seq)
);

CREATE TABLE outbox (
    position     bigserial PRIMARY KEY,
    event_id     uuid NOT NULL UNIQUE,
    topic        text NOT NULL,
    envelope     jsonb NOT NULL,
    created_at   timestamptz NOT NULL,
    published_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (position) WHERE published_at IS NULL;

CREATE TABLE jobs (
    id              bigserial PRIMARY KEY,
    queue_key       text NOT NULL,
    kind            text NOT NULL,
    payload         jsonb NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    state           text NOT NULL CHECK (state IN ('pending', 'leased', 'done', 'dead', 'discarded')),
    attempts        integer NOT NULL DEFAULT 0,
    max_attempts    integer NOT NULL,
    run_at          timestamptz NOT NULL,
    lease_owner     text,
    lease_until     timestamptz,
    last_error      text,
    correlation_id  text NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX jobs_runnable ON jobs (run_at, id) WHERE state IN ('pending', 'leased');
CREATE INDEX jobs_by_state ON jobs (state, id);
CREATE INDEX jobs_unfinished_by_key ON jobs (queue_key, id) WHERE state IN ('pending', 'leased', 'dead');

CREATE TABLE exceptions (
    id             uuid PRIMARY KEY,
    order_id       uuid,
    inbox_id       uuid,
    reasons        jsonb NOT NULL,               -- JSON array of reason codes
    details        jsonb NOT NULL,
    status         text NOT NULL,
    resolution     jsonb,
    correlation_id text NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX exceptions_by_status ON exceptions (status, created_at DESC);
CREATE INDEX exceptions_by_order ON exceptions (order_id);

CREATE TABLE audit (
    seq            bigint PRIMARY KEY,
    actor          text NOT NULL,
    action         text NOT NULL,
    subject        text NOT NULL,
    -- json, not jsonb: the canonical text must come back byte for byte
    -- (jsonb would reorder keys and renormalise numbers).
    details        json NOT NULL,
    correlation_id text NOT NULL,
    at             timestamptz NOT NULL,
    prev_hash      text NOT NULL,
    hash           text NOT NULL
);

-- Append-only. (A defence in depth: the hash chain is what detects tampering.)
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit is append-only';
END;
$$;
CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();

CREATE TABLE api_keys (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    key_hash   text NOT NULL UNIQUE,
    scopes     jsonb NOT NULL,
    channel    text,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);
