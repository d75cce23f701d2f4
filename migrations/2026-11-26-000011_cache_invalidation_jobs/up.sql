-- squawk: not online on a large outbox. ALTER TABLE takes ACCESS EXCLUSIVE on outbox, held until
-- this migration commits, and scans it for the new foreign key and CHECKs; then an index on it is
-- built. Every confirmed order writes to the outbox, so none is confirmed meanwhile. A large
-- database that has yet to apply it does so in a maintenance window.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- not online: see above

-- A job for the worker when a server could not invalidate the cache after an order (Redis
-- unreachable from that process): the worker bumps the store's cache versions for every
-- process, also when that server dies first or stays cut off from a Redis the others use.
ALTER TABLE outbox
    -- squawk-ignore adding-foreign-key-constraint -- not online: see the top of this file
    ADD COLUMN store_id BIGINT REFERENCES stores (id),
    -- squawk-ignore ban-drop-constraint -- replaced by a wider outbox_kind_check, same statement
    DROP CONSTRAINT outbox_kind_check,
    -- squawk-ignore constraint-missing-not-valid -- not online: see the top of this file
    ADD CONSTRAINT outbox_kind_check
        CHECK (kind IN ('order_confirmation', 'inventory_summary', 'cache_invalidation')),
    -- squawk-ignore constraint-missing-not-valid -- not online: see the top of this file
    ADD CONSTRAINT outbox_store_check CHECK ((kind = 'cache_invalidation') = (store_id IS NOT NULL));
-- One waiting job per store is enough (its bump comes after every order that found it
-- waiting): enqueueing looks for one here first, so an outage's failed bumps do not flood the
-- queue ahead of the confirmations.
-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX outbox_cache_invalidation_waiting_idx ON outbox (store_id)
    WHERE kind = 'cache_invalidation' AND published_at IS NULL;
