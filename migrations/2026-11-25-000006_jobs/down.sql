DROP INDEX orders_created_at_idx;
DROP TABLE inventory_summaries;
DROP TABLE sent_emails;
DROP TABLE outbox;
