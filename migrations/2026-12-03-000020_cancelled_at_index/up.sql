-- squawk-disable-assume-in-transaction -- metadata.toml: run_in_transaction = false
-- squawk: CONCURRENTLY takes SHARE UPDATE EXCLUSIVE, which blocks no reader or writer while it
-- waits or builds; a statement_timeout would only leave an INVALID index behind (below). Written
-- before timeouts were checked.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- see above

-- The daily summary counts each store's orders cancelled on a UTC day (jobs/summary): a range
-- of `cancelled_at`. Partial: only cancelled orders have one, and few orders are cancelled, so
-- the index stays small and a day's range is a short scan whatever the orders table holds.
--
-- CONCURRENTLY, so building it (a scan of every order) does not block orders being placed or
-- cancelled. Postgres refuses it inside a transaction block, hence this migration's
-- metadata.toml (`run_in_transaction = false`) and a file of this one statement: several
-- statements sent together run in one implicit transaction, which it refuses as well.
-- If the build fails part-way it leaves an INVALID index of this name behind, and running the
-- migration again fails on it: `DROP INDEX CONCURRENTLY orders_cancelled_at_idx;`, then again.
-- squawk-ignore prefer-robust-stmts -- IF NOT EXISTS would accept a failed build's INVALID index
CREATE INDEX CONCURRENTLY orders_cancelled_at_idx ON orders (cancelled_at)
    WHERE cancelled_at IS NOT NULL;
