-- squawk: not online on large tables. Each index blocks writes to its table from its build until
-- this migration commits: outbox (every confirmed order writes it, so none is confirmed meanwhile),
-- idempotency_keys (every order sent with an Idempotency-Key) and adjustment_idempotency_keys. A
-- large database that has yet to apply it does so in a maintenance window.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- not online: see above

-- Retention (the worker's scheduler): completed outbox rows are deleted once older than
-- OUTBOX_RETENTION, idempotency keys once older than IDEMPOTENCY_KEY_TTL, a small batch per
-- statement. These indexes let each batch find its rows by a range scan instead of reading the
-- table. The outbox one covers completed rows only: the relay's index (migration 6) covers the
-- others, so neither grows with what the other holds.
-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX outbox_completed_at_idx ON outbox (completed_at) WHERE completed_at IS NOT NULL;
-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX adjustment_idempotency_keys_created_at_idx ON adjustment_idempotency_keys (created_at);
