-- squawk: not online on large tables. The triggers take SHARE ROW EXCLUSIVE on products and
-- inventory, held until this migration commits: no product or stock row is created, changed or
-- deleted while rebuild_product_title_words() writes every word of every title (at the end). A
-- large database that has yet to apply it does so in a maintenance window.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- not online: see above

-- Each word of each product's title (its lexemes, as title_vector holds them), with the title's
-- sort key and the stores that carry the product, so that "these title words, in this store,
-- by title" is read from one btree index alone: a range of word prefixes, index-only, the
-- store checked on the index entry. At 1,000,000 products and 6,000,000 stock rows the GIN
-- index of title_vector cannot do it: GIN returns rows to recheck, not sorted, and fetching a
-- common word's ~30,000 products (a third of them in the store) to sort them by title took
-- 60–110 ms; walking the title index instead passed 700,000 titles for "organic" (1.4 s).
--
-- Kept exact by triggers: on products (a new, retitled or deleted product) and on inventory
-- (a stock row created or deleted changes which stores carry a product; orders only change
-- quantities and never touch this table). Both lock the product's row first, so writers of
-- one product take turns, and each recomputes from committed data.
CREATE TABLE product_title_words (
    word        TEXT COLLATE "C" NOT NULL,
    title_key   TEXT COLLATE "C" NOT NULL,   -- lower(title), as products_title_key_idx sorts
    product_id  BIGINT NOT NULL,
    store_ids   BIGINT[] NOT NULL,
    title_words TEXT[] NOT NULL              -- every word of the title (tsvector_to_array)
);

-- The one index reads use: word prefixes are ranges of `word`, and each entry carries all a
-- query needs (index-only scans): the stores, and the title's other words, so a search of
-- several words reads the list of its rarest word alone and checks the others on each entry
-- (two common words took two whole lists and a join: ~100,000 entries for 340 matches).
CREATE INDEX product_title_words_idx ON product_title_words (word, title_key, product_id) INCLUDE (store_ids, title_words);
-- The planner's count of a word's entries decides between walking a store's rows and reading
-- the word's list: with the default 100 most common values, "fish" (14,000 entries at
-- 1,000,000 products) was estimated at 1,700 and a page walked all 300,000 rows of a store
-- (70 ms instead of a few). A catalogue's title vocabulary is small: keep 1,000.
ALTER TABLE product_title_words ALTER COLUMN word SET STATISTICS 1000;

-- A product's words: the other words of a search are checked on it (index-only), and the
-- triggers find a product's rows with it.
CREATE INDEX product_title_words_product_idx ON product_title_words (product_id, word);

-- The rows of these products, recomputed from products and inventory.
CREATE FUNCTION refresh_product_title_words(ids BIGINT[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM products WHERE id = ANY (ids) ORDER BY id FOR NO KEY UPDATE;
    DELETE FROM product_title_words WHERE product_id = ANY (ids);
    INSERT INTO product_title_words (word, title_key, product_id, store_ids, title_words)
    SELECT w.lexeme, lower(p.title), p.id,
           ARRAY(SELECT i.store_id FROM inventory i WHERE i.product_id = p.id ORDER BY i.store_id),
           tsvector_to_array(p.title_vector)
    FROM products p CROSS JOIN LATERAL unnest(p.title_vector) AS w
    WHERE p.id = ANY (ids);
END
$$;

CREATE FUNCTION products_refresh_title_words() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids BIGINT[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(id) INTO ids FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM product_title_words w USING old_rows o WHERE w.product_id = o.id;
        RETURN NULL;
    ELSE
        SELECT array_agg(n.id) INTO ids
        FROM new_rows n JOIN old_rows o USING (id) WHERE n.title <> o.title;
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM refresh_product_title_words(ids);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER products_title_words_insert AFTER INSERT ON products
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION products_refresh_title_words();
CREATE TRIGGER products_title_words_update AFTER UPDATE ON products
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION products_refresh_title_words();
CREATE TRIGGER products_title_words_delete AFTER DELETE ON products
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION products_refresh_title_words();

-- A stock row created or deleted: the product's stores change.
CREATE FUNCTION inventory_refresh_title_words() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids BIGINT[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT product_id) INTO ids FROM new_rows;
    ELSE
        SELECT array_agg(DISTINCT product_id) INTO ids FROM old_rows;
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM 1 FROM products WHERE id = ANY (ids) ORDER BY id FOR NO KEY UPDATE;
        UPDATE product_title_words w
        SET store_ids = ARRAY(SELECT i.store_id FROM inventory i WHERE i.product_id = w.product_id ORDER BY i.store_id)
        WHERE w.product_id = ANY (ids);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER inventory_title_words_insert AFTER INSERT ON inventory
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_refresh_title_words();
CREATE TRIGGER inventory_title_words_delete AFTER DELETE ON inventory
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_refresh_title_words();

-- TRUNCATE of products (the seeder's --reset cascades to inventory too).
CREATE FUNCTION truncate_product_title_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM product_title_words;
    RETURN NULL;
END
$$;

CREATE TRIGGER products_title_words_truncate AFTER TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION truncate_product_title_words();

-- Rebuilds the whole table: after bulk loads that switch the triggers off.
CREATE FUNCTION rebuild_product_title_words() RETURNS void LANGUAGE sql AS $$
    DELETE FROM product_title_words;
    INSERT INTO product_title_words (word, title_key, product_id, store_ids, title_words)
    SELECT w.lexeme, lower(p.title), p.id, coalesce(carried.store_ids, '{}'), tsvector_to_array(p.title_vector)
    FROM products p
    CROSS JOIN LATERAL unnest(p.title_vector) AS w
    LEFT JOIN (
        SELECT product_id, array_agg(store_id ORDER BY store_id) AS store_ids
        FROM inventory GROUP BY product_id
    ) carried ON carried.product_id = p.id;
$$;

SELECT rebuild_product_title_words();
