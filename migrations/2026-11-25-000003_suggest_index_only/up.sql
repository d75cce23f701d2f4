-- Suggest reads only this index: (length, lower-cased title in byte order) to find and order
-- candidates, the title itself INCLUDEd so no heap page is visited (index-only scans).
-- COLLATE "C" gives prefix ranges and "alphabetical" the same byte order on every cluster.
DROP INDEX products_title_length_prefix_idx;
CREATE INDEX products_title_suggest_idx
    ON products (length(title), (lower(title) COLLATE "C")) INCLUDE (title);
