-- Retention (the worker's scheduler): completed outbox rows are deleted once older than
-- OUTBOX_RETENTION, idempotency keys once older than IDEMPOTENCY_KEY_TTL, a small batch per
-- statement. These indexes let each batch find its rows by a range scan instead of reading the
-- table. The outbox one covers completed rows only: the relay's index (migration 6) covers the
-- others, so neither grows with what the other holds.
CREATE INDEX outbox_completed_at_idx ON outbox (completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
CREATE INDEX adjustment_idempotency_keys_created_at_idx ON adjustment_idempotency_keys (created_at);
