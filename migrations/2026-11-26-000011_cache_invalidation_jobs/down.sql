DELETE FROM outbox WHERE kind = 'cache_invalidation';
DROP INDEX outbox_cache_invalidation_waiting_idx;
ALTER TABLE outbox
    DROP CONSTRAINT outbox_store_check,
    DROP CONSTRAINT outbox_kind_check,
    ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('order_confirmation', 'inventory_summary')),
    DROP COLUMN store_id;
