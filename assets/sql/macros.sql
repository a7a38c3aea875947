-- Connection-scoped helpers shared by every query. Temporary: created on each connection.
SET TimeZone = 'UTC';

-- An ISO-8601 text as TIMESTAMPTZ. A value without a zone is read in the time zone tz; one
-- with an offset, `Z` or a zone name keeps it (`Z` and HH:MM without seconds are spelled out
-- first, as DuckDB's cast wants them). NULL when the text is empty or not a timestamp.
CREATE OR REPLACE TEMP MACRO rh_parse_ts(s, tz) AS
    CASE
        WHEN s IS NULL THEN NULL
        -- the common case, without regular expressions: text the cast reads, read in UTC (the
        -- session's zone) unless it carries its own offset
        WHEN tz = 'UTC' AND TRY_CAST(s AS TIMESTAMPTZ) IS NOT NULL THEN TRY_CAST(s AS TIMESTAMPTZ)
        WHEN regexp_full_match(s, '\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?')
            THEN timezone(tz, TRY_CAST(s AS TIMESTAMP))
        ELSE TRY_CAST(
            regexp_replace(
                regexp_replace(s, '[zZ]$', '+00:00'),
                '([T ]\d{1,2}:\d{2})(\s*[+-]\d)',
                '\1:00\2'
            ) AS TIMESTAMPTZ)
    END;

-- Replace a value by its alias target when it has one.
CREATE OR REPLACE TEMP MACRO rh_alias(x, alias_keys, alias_values) AS
    coalesce(alias_values[list_position(alias_keys, x)], x);

-- The first day (Monday) of the week containing ts, in the reporting time zone tz.
CREATE OR REPLACE TEMP MACRO rh_week(ts, tz) AS
    CAST(date_trunc('week', timezone(tz, ts)) AS DATE);

-- One row per week start (Mondays) from first_week to last_week inclusive; none when
-- first_week comes after last_week.
CREATE OR REPLACE TEMP MACRO rh_weeks(first_week, last_week) AS TABLE
    SELECT CAST(g.week AS DATE) AS week_start
    FROM generate_series(
        CAST(first_week AS TIMESTAMP), CAST(last_week AS TIMESTAMP), INTERVAL 7 DAY
    ) AS g(week);

-- Local calendar day of ts in tz.
CREATE OR REPLACE TEMP MACRO rh_day(ts, tz) AS CAST(timezone(tz, ts) AS DATE);

-- Text that is empty after trimming counts as missing.
CREATE OR REPLACE TEMP MACRO rh_text(x) AS nullif(trim(CAST(x AS VARCHAR)), '');
