-- squawk: known not online. The triggers take SHARE ROW EXCLUSIVE on products, held until this
-- migration commits: no product is written while rebuild_product_search_terms() writes every term
-- of every product and their index is built (at the end). An upgrade of a large database must apply
-- it in a maintenance window until it is rewritten (that rewrite is separate work).
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- known not online: see above

-- Each product's search terms (the lexemes of its search_vector: title, category name and
-- description), one row per term, with what a search filters and sorts on beside it: whether
-- the term is in the title (the relevance tier), category, price, creation time and the stores
-- that carry the product (migration 25). Read through one btree, (term, product_id) INCLUDE
-- the rest, so a one-word search (a prefix range of terms) finds, filters, counts and sorts
-- its matches in the index alone, about 0.2 µs a match, where reading each matching product
-- cost 2–3 µs (q=tea&store_id=12&min_price=5: 26,598 products read for 2,844 matches, 70 ms).
--
-- Kept exact by statement triggers on products: a new, changed or deleted product (a store's
-- stock row created or deleted changes products.store_ids, so it comes through here too; a
-- category renamed rewrites its products' search_vector, so it does as well). The writer of a
-- product holds its row lock, so one product's terms are written by one transaction at a time.
CREATE TABLE product_search_terms (
    term        TEXT COLLATE "C" NOT NULL,
    product_id  BIGINT NOT NULL,
    in_title    BOOLEAN NOT NULL,
    category_id BIGINT NOT NULL,
    price       NUMERIC(12, 2) NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    store_ids   BIGINT[] NOT NULL
);

CREATE FUNCTION products_refresh_search_terms() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed BIGINT[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO product_search_terms
        SELECT t.lexeme, p.id, 'A' = ANY (t.weights), p.category_id, p.price, p.created_at, p.store_ids
        FROM new_rows p CROSS JOIN LATERAL unnest(p.search_vector) t;
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM product_search_terms s
        USING old_rows o CROSS JOIN LATERAL unnest(o.search_vector) t
        WHERE s.term = t.lexeme AND s.product_id = o.id;
    ELSE
        -- Only products whose terms or what is kept beside them changed.
        SELECT array_agg(n.id) INTO changed
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (n.search_vector, n.price, n.created_at, n.category_id, n.store_ids)
              IS DISTINCT FROM (o.search_vector, o.price, o.created_at, o.category_id, o.store_ids);
        IF changed IS NOT NULL THEN
            DELETE FROM product_search_terms s
            USING old_rows o CROSS JOIN LATERAL unnest(o.search_vector) t
            WHERE s.term = t.lexeme AND s.product_id = o.id AND o.id = ANY (changed);
            INSERT INTO product_search_terms
            SELECT t.lexeme, p.id, 'A' = ANY (t.weights), p.category_id, p.price, p.created_at, p.store_ids
            FROM new_rows p CROSS JOIN LATERAL unnest(p.search_vector) t
            WHERE p.id = ANY (changed);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER products_search_terms_insert AFTER INSERT ON products
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION products_refresh_search_terms();
CREATE TRIGGER products_search_terms_update AFTER UPDATE ON products
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION products_refresh_search_terms();
CREATE TRIGGER products_search_terms_delete AFTER DELETE ON products
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION products_refresh_search_terms();

CREATE FUNCTION truncate_product_search_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE product_search_terms;
    RETURN NULL;
END
$$;

CREATE TRIGGER products_search_terms_truncate AFTER TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION truncate_product_search_terms();

-- Every product's terms, recomputed (the seeder's bulk load runs it once at its end).
CREATE FUNCTION rebuild_product_search_terms() RETURNS void LANGUAGE sql AS $$
    TRUNCATE product_search_terms;
    INSERT INTO product_search_terms
    SELECT t.lexeme, p.id, 'A' = ANY (t.weights), p.category_id, p.price, p.created_at, p.store_ids
    FROM products p CROSS JOIN LATERAL unnest(p.search_vector) t;
$$;

SELECT rebuild_product_search_terms();

CREATE UNIQUE INDEX product_search_terms_term_idx ON product_search_terms (term, product_id)
    INCLUDE (in_title, category_id, price, created_at, store_ids);
