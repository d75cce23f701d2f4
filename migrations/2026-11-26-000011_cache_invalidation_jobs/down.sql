DELETE FROM outbox WHERE kind = 'cache_invalidation';
DROP INDEX outbox_cache_invalidation_key;
ALTER TABLE outbox
    DROP CONSTRAINT outbox_kind_check,
    DROP CONSTRAINT outbox_order_check,
    ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('order_confirmation', 'inventory_summary')),
    ADD CONSTRAINT outbox_check CHECK ((kind = 'order_confirmation') = (order_id IS NOT NULL));
