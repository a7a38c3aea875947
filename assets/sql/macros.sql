-- Connection-scoped helpers shared by every query. Temporary: created on each connection.
SET TimeZone = 'UTC';

-- An ISO-8601 text as TIMESTAMPTZ, each value read on its own. A value without a zone is read
-- in the time zone tz; one with an offset or `Z` keeps it (`Z`, `z` and HH:MM without seconds
-- are spelled out first, as DuckDB's cast wants them); one ending in a zone name
-- ('2026-11-20 15:00:00 America/New_York') is read in that zone. NULL when the text is empty,
-- not a timestamp, names an unknown zone, or has a year of other than four digits.
--
-- DuckDB's own cast must never see a zone name: over a column it carries the zone of one value
-- to the naive values after it. So values with a space and letters other than T/Z go to
-- rh_parse_zoned, which splits the name off and applies it with timezone(). (The cast reads a
-- zone name only after a space, so values without one skip the letter search.) A wall time
-- that occurs twice (the hour the clocks go back) reads as the later one, as ICU does.
-- rh_time_zones() is DuckDB's zone names, lower case, each between two '|': the warehouse
-- module creates it on each connection before this file. A zone is looked up by a search in
-- that text rather than in a list made of it, which every query would build anew while it
-- binds each timestamp column (the zone cannot hold a '|': see rh_parse_text).
CREATE OR REPLACE TEMP MACRO rh_parse_zoned(parts) AS
    CASE
        WHEN contains(rh_time_zones(), '|' || lower(parts.zone) || '|')
            THEN timezone(parts.zone, TRY_CAST(parts.local AS TIMESTAMP))
    END;

CREATE OR REPLACE TEMP MACRO rh_parse_text(s, tz) AS
    CASE
        WHEN contains(s, ' ') AND regexp_matches(s, '[A-SU-Ya-su-y]')
            THEN rh_parse_zoned(regexp_extract(
            s,
            '^(\d{4}-\d{1,2}-\d{1,2}(?:[Tt ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?)'
                || '\s+([A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*)$',
            ['local', 'zone']
        ))
        -- the common case, without further regular expressions: text the cast reads, read in
        -- UTC (the session's zone) unless it carries its own offset; coalesce casts each
        -- value once and tries the rest only where the cast found no timestamp
        ELSE coalesce(
            CASE WHEN tz = 'UTC' THEN TRY_CAST(s AS TIMESTAMPTZ) END,
            CASE
                WHEN regexp_full_match(
                    s, '\d{4}-\d{1,2}-\d{1,2}([Tt ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?'
                )
                    THEN timezone(tz, TRY_CAST(s AS TIMESTAMP))
                ELSE TRY_CAST(
                    regexp_replace(
                        regexp_replace(s, '[zZ]$', '+00:00'),
                        '([Tt ]\d{1,2}:\d{2})(\s*[+-]\d)',
                        '\1:00\2'
                    ) AS TIMESTAMPTZ)
            END
        )
    END;

-- An instant Python and pandas can hold (years 1 to 9999 in UTC), else NULL. ts appears once,
-- as the lambda's argument: a macro's argument is copied wherever the macro names it (a CASE
-- would name it twice), and binding each copy of rh_parse_text, its regular expressions
-- compiled anew, costs more than parsing a week's rows does.
CREATE OR REPLACE TEMP MACRO rh_python_years(ts) AS
    list_filter(
        [ts],
        t -> t BETWEEN TIMESTAMPTZ '0001-01-01 00:00:00+00'
            AND TIMESTAMPTZ '9999-12-31 23:59:59.999999+00'
    )[1];

CREATE OR REPLACE TEMP MACRO rh_parse_ts(s, tz) AS
    CASE
        -- four-digit years only: longer ones reach DuckDB's range limit, where its cast raises
        -- an error instead of returning NULL
        WHEN s IS NULL OR substr(s, 5, 1) <> '-' THEN NULL
        -- in years 0001 and 9999 an offset or zone can carry the instant out of the years
        -- Python holds (the contract check reads these values in pandas)
        WHEN s < '0002' OR s >= '9999' THEN rh_python_years(rh_parse_text(s, tz))
        ELSE rh_parse_text(s, tz)
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

-- nullif(trim(s), ''), which costs a copy of every value, taken only where trim may change
-- it. trim takes exactly the 17 Unicode space separators, of which only ' ' is ASCII; every
-- other one is encoded in bytes of 0x80 and up. So a value whose first byte is printable
-- ASCII (compared bytewise), that does not end in ' ' and whose characters are all ASCII
-- (as many bytes as characters) is its own trim, and not empty.
CREATE OR REPLACE TEMP MACRO rh_trimmed(s) AS
    CASE
        WHEN s < '!' OR s >= chr(127) OR ends_with(s, ' ') OR strlen(s) <> length(s)
            THEN nullif(trim(s), '')
        ELSE s
    END;

-- Text that is empty after trimming counts as missing.
CREATE OR REPLACE TEMP MACRO rh_text(x) AS rh_trimmed(CAST(x AS VARCHAR));
