DELETE FROM outbox WHERE kind = 'catalogue_invalidation';
DROP INDEX outbox_catalogue_invalidation_waiting_idx;
ALTER TABLE outbox
    DROP CONSTRAINT outbox_kind_check,
    ADD CONSTRAINT outbox_kind_check
        CHECK (kind IN ('order_confirmation', 'inventory_summary', 'cache_invalidation'));
DROP INDEX categories_name_lower_key;
DROP TABLE adjustment_idempotency_keys;
DROP TABLE stock_adjustments;
DROP TABLE staff_tokens;
