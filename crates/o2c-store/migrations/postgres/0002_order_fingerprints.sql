-- Fingerprints of validated orders (customer + lines + total), for the
-- duplicate-suspect rule: same fingerprint, another channel order id,
-- within a time window.
CREATE TABLE order_fingerprints (
    order_id         uuid PRIMARY KEY REFERENCES orders (order_id),
    fingerprint      text NOT NULL,
    channel          text NOT NULL,
    channel_order_id text NOT NULL,
    recorded_at      timestamptz NOT NULL
);
CREATE INDEX order_fingerprints_by_print ON order_fingerprints (fingerprint, recorded_at);
