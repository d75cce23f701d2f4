-- squawk: written before timeouts were checked; one ALTER TABLE, which rewrites nothing (below).
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- see above

-- The W3C trace id of the request (or job) that wrote the row, so the worker can log it with
-- the job: one id finds an order's request, its transaction and its confirmation email.
-- NULL for rows written outside a trace (the scheduler's summaries, rows from before this).
-- Nullable with no default: adding it rewrites nothing, whatever the table holds.
ALTER TABLE outbox ADD COLUMN trace_id TEXT CHECK (trace_id ~ '^[0-9a-f]{32}$');
