-- Durable cursors of the channel pullers (Amazon, Shopify catch-up,
-- Salesforce): one JSON value per puller, written after the orders it covers.
CREATE TABLE pull_cursors (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,                    -- JSON
    updated_at INTEGER NOT NULL
);
