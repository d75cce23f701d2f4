-- squawk: not online on a large products table. DROP INDEX takes ACCESS EXCLUSIVE on products, held
-- until this migration commits: products can be neither read nor written while the new index is
-- built. A large database that has yet to apply it does so in a maintenance window.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- not online: see above

-- Suggest reads only this index: (length, lower-cased title in byte order) to find and order
-- candidates, the title itself INCLUDEd so no heap page is visited (index-only scans).
-- COLLATE "C" gives prefix ranges and "alphabetical" the same byte order on every cluster.
-- squawk-ignore require-concurrent-index-deletion -- not online: see the top of this file
DROP INDEX products_title_length_prefix_idx;
-- squawk-ignore require-concurrent-index-creation -- not online: see the top of this file
CREATE INDEX products_title_suggest_idx
    ON products (length(title), (lower(title) COLLATE "C")) INCLUDE (title);
