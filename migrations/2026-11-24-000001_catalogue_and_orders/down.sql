DROP TABLE idempotency_keys;
DROP TABLE order_items;
DROP TABLE orders;
DROP TABLE inventory;
DROP TABLE stores;
DROP TABLE products;
DROP TABLE categories;
