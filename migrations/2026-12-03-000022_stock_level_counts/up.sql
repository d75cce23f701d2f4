-- squawk: not online on a large inventory. The triggers take SHARE ROW EXCLUSIVE on inventory, held
-- until this migration commits: no stock row is written (no order completes) while
-- rebuild_stock_level_counts() counts every stock row (at the end). A large database that has yet
-- to apply it does so in a maintenance window.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- not online: see above

-- How many stock rows each store has at each quantity, kept as stock changes instead of
-- counted on read: the console's overview (in stock / low / out, per store) counted every
-- stock row on each view, ~1 s at 6,000,000 rows. Counts are kept per exact quantity, so any
-- low-stock threshold reads them exactly (a store has at most a few hundred distinct
-- quantities, so the overview sums a few thousand rows).
--
-- Writers only append. Each statement that changes stock rows appends its net change per
-- (store, quantity) to stock_level_changes. Updating shared count rows in place would make
-- concurrent orders of one store queue on those rows (and lock them in an order of their
-- own); an append takes no row lock. The scheduler folds changes into stock_level_counts
-- (fold_stock_level_changes, one statement), and readers add both tables in one statement, so
-- every snapshot sees each change exactly once.

CREATE TABLE stock_level_counts (
    store_id   BIGINT  NOT NULL,
    -- squawk-ignore prefer-bigint-over-int -- units of stock, an INTEGER as inventory.quantity is
    quantity   INTEGER NOT NULL,
    stock_rows BIGINT  NOT NULL,
    PRIMARY KEY (store_id, quantity)
);

CREATE TABLE stock_level_changes (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id   BIGINT  NOT NULL,
    -- squawk-ignore prefer-bigint-over-int -- units of stock, an INTEGER as inventory.quantity is
    quantity   INTEGER NOT NULL,
    stock_rows BIGINT  NOT NULL
);

CREATE FUNCTION inventory_record_level_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO stock_level_changes (store_id, quantity, stock_rows)
        SELECT store_id, quantity, count(*) FROM new_rows GROUP BY store_id, quantity;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO stock_level_changes (store_id, quantity, stock_rows)
        SELECT store_id, quantity, -count(*) FROM old_rows GROUP BY store_id, quantity;
    ELSE
        -- An order of three lines: at most six rows, fewer when quantities pass each other.
        INSERT INTO stock_level_changes (store_id, quantity, stock_rows)
        SELECT store_id, quantity, sum(change) FROM (
            SELECT store_id, quantity, 1 AS change FROM new_rows
            UNION ALL
            SELECT store_id, quantity, -1 FROM old_rows
        ) moved
        GROUP BY store_id, quantity
        HAVING sum(change) <> 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER inventory_level_changes_insert AFTER INSERT ON inventory
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_record_level_changes();
CREATE TRIGGER inventory_level_changes_update AFTER UPDATE ON inventory
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_record_level_changes();
CREATE TRIGGER inventory_level_changes_delete AFTER DELETE ON inventory
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_record_level_changes();

-- TRUNCATE (the seeder's --reset) empties both.
CREATE FUNCTION inventory_truncate_level_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM stock_level_changes;
    DELETE FROM stock_level_counts;
    RETURN NULL;
END
$$;

CREATE TRIGGER inventory_level_counts_truncate AFTER TRUNCATE ON inventory
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_truncate_level_counts();

-- Moves up to `batch` of the oldest changes into the counts; returns how many it moved.
-- SKIP LOCKED: two schedulers folding at once take different changes, and the upsert adds
-- each change once (its row is deleted in the same statement).
CREATE FUNCTION fold_stock_level_changes(batch INTEGER) RETURNS INTEGER LANGUAGE sql AS $$
    WITH folded AS (
        DELETE FROM stock_level_changes WHERE id IN (
            SELECT id FROM stock_level_changes ORDER BY id LIMIT batch FOR UPDATE SKIP LOCKED)
        RETURNING store_id, quantity, stock_rows
    ), added AS (
        INSERT INTO stock_level_counts AS c (store_id, quantity, stock_rows)
        SELECT store_id, quantity, sum(stock_rows) FROM folded
        GROUP BY store_id, quantity
        ORDER BY store_id, quantity
        ON CONFLICT (store_id, quantity) DO UPDATE SET stock_rows = c.stock_rows + EXCLUDED.stock_rows
        RETURNING 1
    )
    SELECT count(*)::INTEGER FROM folded;
$$;

-- Rebuilds the counts from the stock rows: after bulk loads that switch the triggers off.
CREATE FUNCTION rebuild_stock_level_counts() RETURNS void LANGUAGE sql AS $$
    DELETE FROM stock_level_changes;
    DELETE FROM stock_level_counts;
    INSERT INTO stock_level_counts (store_id, quantity, stock_rows)
    SELECT store_id, quantity, count(*) FROM inventory GROUP BY store_id, quantity;
$$;

-- The triggers exist before the first count, and creating them locks out stock writes until
-- this migration commits: no change can fall between the count and the triggers.
SELECT rebuild_stock_level_counts();
