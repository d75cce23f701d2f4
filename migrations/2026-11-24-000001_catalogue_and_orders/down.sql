-- squawk: down.sql undoes up.sql, and the project never runs it: `server migrate` applies pending
-- up.sql files only, and reverting is done by hand (diesel CLI). Accepted here for that reason:
-- squawk-ignore-file ban-drop-table -- undoes up.sql (above)
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- undoes up.sql (above)

DROP TABLE idempotency_keys;
DROP TABLE order_items;
DROP TABLE orders;
DROP TABLE inventory;
DROP TABLE stores;
DROP TABLE products;
DROP TABLE categories;
