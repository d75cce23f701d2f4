-- A job for the worker when a server could not invalidate the cache after an order (Redis
-- unreachable from that process): the worker bumps the store's cache versions for every
-- process, also when that server dies first or stays cut off from a Redis the others use.
ALTER TABLE outbox
    ADD COLUMN store_id BIGINT REFERENCES stores (id),
    DROP CONSTRAINT outbox_kind_check,
    ADD CONSTRAINT outbox_kind_check
        CHECK (kind IN ('order_confirmation', 'inventory_summary', 'cache_invalidation')),
    ADD CONSTRAINT outbox_store_check CHECK ((kind = 'cache_invalidation') = (store_id IS NOT NULL));
-- One waiting job per store is enough (its bump comes after every order that found it
-- waiting): enqueueing looks for one here first, so an outage's failed bumps do not flood the
-- queue ahead of the confirmations.
CREATE INDEX outbox_cache_invalidation_waiting_idx ON outbox (store_id)
    WHERE kind = 'cache_invalidation' AND published_at IS NULL;
