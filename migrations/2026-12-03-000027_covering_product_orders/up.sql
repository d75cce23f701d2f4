-- squawk: known not online. Product writes wait from the first of its four index builds (each over
-- every product) until this migration commits, and the DROP INDEX statements at the end (ACCESS
-- EXCLUSIVE) block product reads as well until then. An upgrade of a large database must apply it
-- in a maintenance window until it is rewritten (that rewrite is separate work).
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- known not online: see above

-- The product orders searches walk (newest, price both ways) and the category-and-price index
-- carry what a search without words filters on: category, price, creation time and the stores
-- that carry the product (migration 25). A walk or a range then checks each product in the
-- index alone (an index-only scan, about 0.3 µs a product) instead of reading its row (about
-- 2 µs): `store_id=5&category=7` walked 167,000 products by newest to find the 5,001 its count
-- needs (360 ms). Same keys as the indexes they replace, so every other reader keeps its plan.
-- squawk-ignore require-concurrent-index-creation -- known not online: see the top of this file
CREATE INDEX products_newest_cover_idx ON products (created_at DESC, id)
    INCLUDE (price, category_id, store_ids);
-- squawk-ignore require-concurrent-index-creation -- known not online: see the top of this file
CREATE INDEX products_price_cover_idx ON products (price, id)
    INCLUDE (created_at, category_id, store_ids);
-- squawk-ignore require-concurrent-index-creation -- known not online: see the top of this file
CREATE INDEX products_price_desc_cover_idx ON products (price DESC, id)
    INCLUDE (created_at, category_id, store_ids);
-- squawk-ignore require-concurrent-index-creation -- known not online: see the top of this file
CREATE INDEX products_category_price_cover_idx ON products (category_id, price)
    INCLUDE (id, created_at, store_ids);
-- squawk-ignore require-concurrent-index-deletion -- known not online: see the top of this file
DROP INDEX products_newest_idx;
-- squawk-ignore require-concurrent-index-deletion -- known not online: see the top of this file
DROP INDEX products_price_idx;
-- squawk-ignore require-concurrent-index-deletion -- known not online: see the top of this file
DROP INDEX products_price_desc_idx;
-- squawk-ignore require-concurrent-index-deletion -- known not online: see the top of this file
DROP INDEX products_category_price_idx;
