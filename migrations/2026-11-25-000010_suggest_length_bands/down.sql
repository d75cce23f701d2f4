-- squawk: down.sql undoes up.sql, and the project never runs it: `server migrate` applies pending
-- up.sql files only, and reverting is done by hand (diesel CLI). Accepted here for that reason:
-- squawk-ignore-file require-concurrent-index-creation -- undoes up.sql (above)
-- squawk-ignore-file require-concurrent-index-deletion -- undoes up.sql (above)
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- undoes up.sql (above)

DROP INDEX product_titles_trgm_0_16_idx, product_titles_trgm_17_20_idx,
    product_titles_trgm_21_24_idx, product_titles_trgm_25_28_idx,
    product_titles_trgm_29_34_idx, product_titles_trgm_35_idx;
CREATE INDEX product_titles_trgm_idx ON product_titles USING gin (title_key gin_trgm_ops);
