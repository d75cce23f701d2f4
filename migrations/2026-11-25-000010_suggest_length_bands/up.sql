-- squawk: not online on a large product_titles table. DROP INDEX takes ACCESS EXCLUSIVE on it, held
-- until this migration commits: suggest cannot read it, and no product can be written (the triggers
-- of migration 5 write it), while six indexes are built. A large database that has yet to apply it
-- does so in a maintenance window.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- not online: see above

-- Suggest's contains group lists the shortest titles containing q. One trigram index over
-- every title made the database fetch all matches to sort them ("choc": 20,669 titles,
-- 20 ms); an ordered walk from the shortest title reads every non-matching title first
-- (26,000 for "choc", 4-5 ms). Partial trigram indexes per title-length band let the
-- adapter ask band by band, shortest band first, and stop once the list is full: each
-- band costs only its own matches. The bounds are SUGGEST_LENGTH_BANDS in
-- adapters/src/postgres/search/mod.rs; change both together. The predicates are written on
-- `title_length + 0`, as the adapter's queries are, so the planner cannot serve a band from
-- the (title_length, title_key) index instead (that walks every title of a band).
-- squawk-ignore require-concurrent-index-deletion -- not online: see the top of this file
DROP INDEX product_titles_trgm_idx;
-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX product_titles_trgm_0_16_idx ON product_titles USING gin (title_key gin_trgm_ops)
    WHERE (title_length + 0) BETWEEN 0 AND 16;
-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX product_titles_trgm_17_20_idx ON product_titles USING gin (title_key gin_trgm_ops)
    WHERE (title_length + 0) BETWEEN 17 AND 20;
-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX product_titles_trgm_21_24_idx ON product_titles USING gin (title_key gin_trgm_ops)
    WHERE (title_length + 0) BETWEEN 21 AND 24;
-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX product_titles_trgm_25_28_idx ON product_titles USING gin (title_key gin_trgm_ops)
    WHERE (title_length + 0) BETWEEN 25 AND 28;
-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX product_titles_trgm_29_34_idx ON product_titles USING gin (title_key gin_trgm_ops)
    WHERE (title_length + 0) BETWEEN 29 AND 34;
-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX product_titles_trgm_35_idx ON product_titles USING gin (title_key gin_trgm_ops)
    WHERE (title_length + 0) BETWEEN 35 AND 2147483647;
