-- Durable cursors of the channel pullers (Amazon, Shopify catch-up,
-- Salesforce): one JSON value per puller, written after the orders it covers.
CREATE TABLE pull_cursors (
    name       text PRIMARY KEY,
    value      jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);
