-- Searches filtered by category and price count their matches from this index alone
-- (index-only scan) instead of visiting every product of the category on the heap:
-- `category=2&min_price=10` at 1,000,000 products counted in 5 ms instead of 82.
-- products_category_id_idx stays: deduplicated over a few categories it is the smallest
-- index of the table, and an unfiltered count reads it (31 ms; 60 ms through this one).
CREATE INDEX products_category_price_idx ON products (category_id, price);
