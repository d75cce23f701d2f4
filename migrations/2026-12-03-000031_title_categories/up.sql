-- squawk: known not online: the rebuild at the end rewrites product_titles (300,000 rows at
-- 1,000,000 products, a few seconds) while product writes that change a title wait for it. An
-- upgrade of a large database must apply it in a maintenance window until it is rewritten (that
-- rewrite is separate work).
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- known not online: see above

-- The categories of each distinct title's products. The substring fallback finds the titles
-- that contain `q` before their products (migration 29); with a category filter it now keeps
-- only the titles sold in that category: "ice" is in 24,000 titles, of which a category has a
-- tenth, and each title kept costs a probe of its products.
-- A constant default: no table rewrite (the rebuild below fills it).
ALTER TABLE product_titles ADD COLUMN category_ids BIGINT[] NOT NULL DEFAULT '{}';

-- As in migration 5, plus the categories.
CREATE OR REPLACE FUNCTION refresh_product_titles(keys TEXT[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(727276, hashtext(k)) FROM unnest(keys) AS k ORDER BY k COLLATE "C";
    DELETE FROM product_titles t
    WHERE t.title_key = ANY (keys)
      AND NOT EXISTS (SELECT 1 FROM products p WHERE lower(p.title) COLLATE "C" = t.title_key);
    INSERT INTO product_titles (title_key, title, title_length, category_ids)
    SELECT lower(p.title) COLLATE "C", min(p.title COLLATE "C"), length(min(p.title COLLATE "C")),
           array_agg(DISTINCT p.category_id ORDER BY p.category_id)
    FROM products p
    WHERE lower(p.title) COLLATE "C" = ANY (keys)
    GROUP BY 1
    ON CONFLICT (title_key) DO UPDATE
        SET title = EXCLUDED.title, title_length = EXCLUDED.title_length, category_ids = EXCLUDED.category_ids;
END
$$;

CREATE OR REPLACE FUNCTION rebuild_product_titles() RETURNS void LANGUAGE sql AS $$
    DELETE FROM product_titles;
    INSERT INTO product_titles (title_key, title, title_length, category_ids)
    SELECT lower(title) COLLATE "C", min(title COLLATE "C"), length(min(title COLLATE "C")),
           array_agg(DISTINCT category_id ORDER BY category_id)
    FROM products GROUP BY 1;
$$;

-- A product moved to another category changes its title's categories, as a new title does.
CREATE OR REPLACE FUNCTION products_refresh_titles() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    keys TEXT[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT lower(title)) INTO keys FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT lower(title)) INTO keys FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT k) INTO keys FROM (
            SELECT lower(n.title) AS k FROM new_rows n JOIN old_rows o USING (id)
            WHERE n.title <> o.title OR n.category_id <> o.category_id
            UNION ALL
            SELECT lower(o.title) FROM new_rows n JOIN old_rows o USING (id)
            WHERE n.title <> o.title OR n.category_id <> o.category_id
        ) changed;
    END IF;
    IF keys IS NOT NULL THEN
        PERFORM refresh_product_titles(keys);
    END IF;
    RETURN NULL;
END
$$;

SELECT rebuild_product_titles();
