-- Connection-scoped helpers shared by every query. Temporary: created on each connection.
SET TimeZone = 'UTC';

-- An ISO-8601 text as TIMESTAMPTZ: a trailing Z or offset is honoured, a naive value is read
-- in the time zone tz. NULL when the text is empty or not a timestamp.
CREATE OR REPLACE TEMP MACRO rh_parse_ts(s, tz) AS
    CASE
        WHEN s IS NULL THEN NULL
        WHEN regexp_matches(s, '\d:\d\d(:\d\d(\.\d+)?)?\s*([zZ]|[+-]\d\d(:?\d\d)?)$')
            THEN TRY_CAST(s AS TIMESTAMPTZ)
        ELSE timezone(tz, TRY_CAST(s AS TIMESTAMP))
    END;

-- Replace a value by its alias target when it has one.
CREATE OR REPLACE TEMP MACRO rh_alias(x, alias_keys, alias_values) AS
    coalesce(alias_values[list_position(alias_keys, x)], x);

-- The first day (Monday) of the week containing ts, in the reporting time zone tz.
CREATE OR REPLACE TEMP MACRO rh_week(ts, tz) AS
    CAST(date_trunc('week', timezone(tz, ts)) AS DATE);

-- Local calendar day of ts in tz.
CREATE OR REPLACE TEMP MACRO rh_day(ts, tz) AS CAST(timezone(tz, ts) AS DATE);

-- Text that is empty after trimming counts as missing.
CREATE OR REPLACE TEMP MACRO rh_text(x) AS nullif(trim(CAST(x AS VARCHAR)), '');
