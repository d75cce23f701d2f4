-- A job for the worker when a server could not invalidate the cache after an order (Redis
-- unreachable from that process): the worker bumps the order's cache versions for every
-- process, also when that server dies first or stays cut off from a Redis the others use.
ALTER TABLE outbox
    DROP CONSTRAINT outbox_kind_check,
    DROP CONSTRAINT outbox_check,
    ADD CONSTRAINT outbox_kind_check
        CHECK (kind IN ('order_confirmation', 'inventory_summary', 'cache_invalidation')),
    ADD CONSTRAINT outbox_order_check
        CHECK ((kind IN ('order_confirmation', 'cache_invalidation')) = (order_id IS NOT NULL));
-- At most one per order (an order's bump fails at most once), so enqueueing is idempotent.
CREATE UNIQUE INDEX outbox_cache_invalidation_key ON outbox (order_id) WHERE kind = 'cache_invalidation';
