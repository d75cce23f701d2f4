-- squawk: not online on a large products table. A STORED generated column rewrites every product
-- under ACCESS EXCLUSIVE, held until this migration commits, and the GIN index is built after:
-- products can be neither read nor written meanwhile. A large database that has yet to apply it
-- does so in a maintenance window.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- not online: see above

-- Relevance tiers (adapters/src/postgres/search/query.rs, `Tier`): whether every word of a
-- search is in a product's title. `search_vector` holds the title too (weight A), but the
-- planner's estimates ignore weights, so a title test on it looks as common as a match
-- anywhere and the planner would walk the primary key for a word that no title holds. A
-- title-only vector has statistics of its own: an id-ordered walk for a word common in
-- titles (stops after the page), a bitmap of the few titles otherwise.
-- Generated, so every write path (API, seeder, SQL) keeps it; `english` as search_vector.
ALTER TABLE products
    -- squawk-ignore adding-field-with-default -- not online: see the top of this file
    ADD COLUMN title_vector tsvector GENERATED ALWAYS AS (to_tsvector('english', title)) STORED;

-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX products_title_vector_idx ON products USING gin (title_vector);
