-- One statement, outside a transaction (metadata.toml), as up.sql.
DROP INDEX CONCURRENTLY IF EXISTS orders_cancelled_at_idx;
