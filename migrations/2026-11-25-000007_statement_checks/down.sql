DROP FUNCTION aforro_check(boolean, text);
