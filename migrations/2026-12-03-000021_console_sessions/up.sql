-- squawk: written before timeouts were checked. A new table, whose foreign key locks staff_tokens
-- (a row per staff token) until this migration commits, a moment.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- see above

-- Console sessions (docs/console.md): a staff token exchanged for a browser session. Only the
-- SHA-256 of the session's secret is stored. A session belongs to its token: deleting a token
-- deletes its sessions, and a revoked token's sessions are refused on their next request.
CREATE TABLE console_sessions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_hash bytea NOT NULL UNIQUE CHECK (octet_length(session_hash) = 32),
    token_id bigint NOT NULL REFERENCES staff_tokens (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL
);

-- Signing in deletes the sessions idle past their limit.
CREATE INDEX console_sessions_last_seen_at ON console_sessions (last_seen_at);
-- The foreign key's index (deleting a token).
CREATE INDEX console_sessions_token_id ON console_sessions (token_id);
