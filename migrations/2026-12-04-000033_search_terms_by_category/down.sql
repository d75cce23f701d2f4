-- squawk-disable-assume-in-transaction -- metadata.toml: run_in_transaction = false
-- squawk: down.sql undoes up.sql, and the project never runs it: `server migrate` applies pending
-- up.sql files only, and reverting is done by hand (diesel CLI). Accepted here for that reason:
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- undoes up.sql (above)

-- One statement, outside a transaction (metadata.toml), as up.sql.
DROP INDEX CONCURRENTLY IF EXISTS product_search_terms_category_idx;
