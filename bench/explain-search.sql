-- EXPLAIN ANALYZE of the main search and suggest queries, as adapters/src/postgres/search/
-- builds them (parameters inlined). Run by scripts/bench-search against the bench database.
\echo '== search: q=choc (65,490 matches), bounded count at the default 5,001: the scan stops at the bound (Limit rows=5001)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT count(*) AS n FROM (SELECT 1 FROM products p
WHERE true AND p.search_vector @@ to_tsquery('english', '''choc'':*') LIMIT 5001) AS bounded;
\echo '== search: q=choc, first page by relevance: the title tier walks products_pkey and stops after 20 rows'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT p.id, p.title, p.description, p.price, p.category_id, c.name, p.created_at
FROM products p JOIN categories c ON c.id = p.category_id
WHERE true AND p.title_vector @@ to_tsquery('english', '''choc'':*')
ORDER BY p.id LIMIT 20 OFFSET 0;
\echo '== search: q=green&store_id=11, bounded count (through the index, as the server runs it): each match probes the store stock, stops at the bound'
BEGIN;
SET LOCAL enable_seqscan = off;
SET LOCAL jit = off;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT count(*) AS n FROM (SELECT 1 FROM products p
CROSS JOIN LATERAL (SELECT i.quantity FROM inventory i WHERE i.product_id = p.id AND i.store_id = 11 LIMIT 1) i
WHERE true AND p.search_vector @@ to_tsquery('english', '''green'':*') LIMIT 5001) AS bounded;
COMMIT;
\echo '== search: q=mango&store_id=7&in_stock=true, first page: title tier in id order, merged with the store stock'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT p.id, p.title, p.price, c.name, i.quantity
FROM products p JOIN categories c ON c.id = p.category_id
JOIN inventory i ON i.product_id = p.id AND i.store_id = 7
WHERE true AND p.title_vector @@ to_tsquery('english', '''mango'':*') AND i.quantity > 0
ORDER BY p.id LIMIT 20 OFFSET 0;
\echo '== search: q=green tea, first tier (the phrase in the title): a bitmap of its few titles'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT p.id FROM products p JOIN categories c ON c.id = p.category_id
WHERE true AND p.title_vector @@ to_tsquery('english', '''green'':* <-> ''tea'':*')
ORDER BY p.id LIMIT 20 OFFSET 0;
\echo '== search: q=crunchy&sort=price: the price index walk stops after the page'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT p.id FROM products p JOIN categories c ON c.id = p.category_id
WHERE true AND p.search_vector @@ to_tsquery('english', '''crunchy'':*')
ORDER BY p.price, p.id LIMIT 20 OFFSET 0;
\echo '== search fallback: q=olate (no word starts so), trigram substring'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT count(*) FROM products p WHERE true AND lower(p.title) LIKE '%olate%';
\echo '== search: in_stock=false without store (out_of_stock_products)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT p.id FROM products p JOIN categories c ON c.id = p.category_id
WHERE true AND p.id = ANY (ARRAY(SELECT product_id FROM out_of_stock_products))
ORDER BY p.price DESC, p.id LIMIT 20;
\echo '== search: store_id=5, in_stock, sort=price'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT p.id, p.title, p.price, i.quantity FROM products p JOIN categories c ON c.id = p.category_id
JOIN inventory i ON i.product_id = p.id AND i.store_id = 5
WHERE true AND i.quantity > 0 ORDER BY p.price, p.id LIMIT 20 OFFSET 0;
\echo '== suggest: prefix group for "gre" (product_titles)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT hit.title FROM generate_series(3, (SELECT coalesce(max(title_length), 0) FROM product_titles)) AS len
CROSS JOIN LATERAL (
    SELECT t.title, t.title_key FROM product_titles t
    WHERE t.title_length = len AND t.title_key >= 'gre' AND t.title_key < 'gre' || chr(1114111)
      AND t.title_key LIKE 'gre%'
    ORDER BY t.title_key LIMIT 10
) hit ORDER BY len, hit.title_key LIMIT 10;
\echo '== suggest: contains group for "cho", bands 0-16, 17-20, 21-24 (partial trigram indexes)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT t.title FROM product_titles t
WHERE (t.title_length + 0) BETWEEN 0 AND 16 AND t.title_key LIKE '%cho%' AND t.title_key NOT LIKE 'cho%'
ORDER BY t.title_length + 0, t.title_key LIMIT 10;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT t.title FROM product_titles t
WHERE (t.title_length + 0) BETWEEN 17 AND 20 AND t.title_key LIKE '%cho%' AND t.title_key NOT LIKE 'cho%'
ORDER BY t.title_length + 0, t.title_key LIMIT 10;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT t.title FROM product_titles t
WHERE (t.title_length + 0) BETWEEN 21 AND 24 AND t.title_key LIKE '%cho%' AND t.title_key NOT LIKE 'cho%'
ORDER BY t.title_length + 0, t.title_key LIMIT 3;
