-- squawk-disable-assume-in-transaction -- metadata.toml: run_in_transaction = false
-- squawk: CONCURRENTLY takes SHARE UPDATE EXCLUSIVE, which blocks no reader or writer while it
-- waits or builds (about 60 s at 1,000,000 products, 11,800,000 terms); a statement_timeout would
-- only leave an INVALID index behind (below).
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- see above

-- A word's search terms in one category, in product order: a one-word search with a category
-- reads the word's entries in that category alone. Through (term, product_id) it read every
-- entry of the word and filtered the category out of them, and a word that names another
-- category reads them by the hundred thousand: q=Car&category=Frozen read the 99,745 entries of
-- "care" (every product of Personal Care) for none (30 ms of 48). Its columns are those of
-- product_search_terms_term_idx, so the search reads it alone as it reads that one.
--
-- CONCURRENTLY, so building it blocks no product or stock write: Postgres refuses it inside a
-- transaction block, hence this migration's metadata.toml (`run_in_transaction = false`) and a
-- file of this one statement. If the build fails part-way it leaves an INVALID index of this
-- name behind, and running the migration again fails on it:
-- `DROP INDEX CONCURRENTLY product_search_terms_category_idx;`, then again.
-- squawk-ignore prefer-robust-stmts -- IF NOT EXISTS would accept a failed build's INVALID index
CREATE INDEX CONCURRENTLY product_search_terms_category_idx
    ON product_search_terms (term, category_id, product_id)
    INCLUDE (in_title, price, created_at, store_ids, sold_out_store_ids);
