-- squawk: creates one function, which locks no table and runs in no time.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout -- see above

-- Raises `message` unless `condition` is true, so that one statement can refuse to finish —
-- and Postgres undoes everything it wrote — when a check on its own results fails. The order
-- statement uses it to make sure it deducted exactly one stock row per line: with COMMIT
-- pipelined behind the statement, a check made afterwards by the server would come too late.
CREATE FUNCTION aforro_check(condition boolean, message text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF condition IS NOT TRUE THEN
        RAISE EXCEPTION '%', message;
    END IF;
    RETURN true;
END
$$;
