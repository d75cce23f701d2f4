-- squawk: not online on a large products table. From the index build on products, product writes
-- wait until this migration commits; from DROP INDEX (ACCESS EXCLUSIVE) on, product reads too,
-- while rebuild_product_titles() reads every product. A large database that has yet to apply it
-- does so in a maintenance window.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- not online: see above

-- Distinct product titles for suggest: 1M products carry ~300k distinct titles, and suggest
-- returns distinct titles, so it reads this table (about a third the size) instead of products.
-- The representative of titles differing only in case is the smallest in byte order.

CREATE TABLE product_titles (
    title_key    TEXT COLLATE "C" PRIMARY KEY,   -- lower(title)
    title        TEXT NOT NULL,
    -- squawk-ignore prefer-bigint-over-int -- a title's length: at most 200 characters
    title_length INTEGER NOT NULL
);
CREATE INDEX product_titles_suggest_idx ON product_titles (title_length, title_key) INCLUDE (title);
CREATE INDEX product_titles_trgm_idx ON product_titles USING gin (title_key gin_trgm_ops);

-- Exact lookups of a key's products (for keeping product_titles current).
-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX products_title_key_idx ON products ((lower(title) COLLATE "C"));
-- Suggest no longer reads products.
-- squawk-ignore require-concurrent-index-deletion -- not online: see the top of this file
DROP INDEX products_title_suggest_idx;

-- Recomputes these keys from products. Each key is locked first (sorted, advisory), so
-- concurrent writers of one key take turns and each recomputes from committed data.
CREATE FUNCTION refresh_product_titles(keys TEXT[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(727276, hashtext(k)) FROM unnest(keys) AS k ORDER BY k COLLATE "C";
    DELETE FROM product_titles t
    WHERE t.title_key = ANY (keys)
      AND NOT EXISTS (SELECT 1 FROM products p WHERE lower(p.title) COLLATE "C" = t.title_key);
    INSERT INTO product_titles (title_key, title, title_length)
    SELECT lower(p.title) COLLATE "C", min(p.title COLLATE "C"), length(min(p.title COLLATE "C"))
    FROM products p
    WHERE lower(p.title) COLLATE "C" = ANY (keys)
    GROUP BY 1
    ON CONFLICT (title_key) DO UPDATE SET title = EXCLUDED.title, title_length = EXCLUDED.title_length;
END
$$;

-- Rebuilds the whole table: after bulk loads that switch the triggers off.
CREATE FUNCTION rebuild_product_titles() RETURNS void LANGUAGE sql AS $$
    DELETE FROM product_titles;
    INSERT INTO product_titles (title_key, title, title_length)
    SELECT lower(title) COLLATE "C", min(title COLLATE "C"), length(min(title COLLATE "C"))
    FROM products GROUP BY 1;
$$;

CREATE FUNCTION products_refresh_titles() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    keys TEXT[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT lower(title)) INTO keys FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT lower(title)) INTO keys FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT k) INTO keys FROM (
            SELECT lower(n.title) AS k FROM new_rows n JOIN old_rows o USING (id) WHERE n.title <> o.title
            UNION ALL
            SELECT lower(o.title) FROM new_rows n JOIN old_rows o USING (id) WHERE n.title <> o.title
        ) changed;
    END IF;
    IF keys IS NOT NULL THEN
        PERFORM refresh_product_titles(keys);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER products_titles_insert AFTER INSERT ON products
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION products_refresh_titles();
CREATE TRIGGER products_titles_update AFTER UPDATE ON products
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION products_refresh_titles();
CREATE TRIGGER products_titles_delete AFTER DELETE ON products
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION products_refresh_titles();

SELECT rebuild_product_titles();
