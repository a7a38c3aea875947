-- This week's release-calendar events for the release-calendar chart: freezes (one row each)
-- and planned releases (one row per planned service, with its version when one is named).
-- Days are local days of the reporting time zone, clipped to the week; an event's end is
-- exclusive, so a freeze ending at midnight does not cover the next day. Capped at $events rows.
WITH week AS (
    SELECT rh_local_midnight($week_start, $tz) AS from_ts,
           rh_local_midnight($week_start + 7, $tz) AS to_ts
),
events AS (
    SELECT
        e.event_id,
        e.kind,
        e.summary,
        e.starts_at,
        greatest(CAST(timezone($tz, e.starts_at) AS DATE), $week_start) AS first_day,
        least(
            CAST(timezone($tz, e.ends_at - INTERVAL 1 MICROSECOND) AS DATE), $week_start + 6
        ) AS last_day,
        coalesce(e.services, []) AS services,
        json_transform(coalesce(e.versions, CAST('{}' AS JSON)), '"MAP(VARCHAR, VARCHAR)"')
            AS versions
    FROM staging.calendar_events e, week w
    WHERE e.kind IN ('freeze', 'release')
      AND e.starts_at < w.to_ts
      AND e.ends_at > w.from_ts
),
rows AS (
    SELECT kind, event_id, summary, starts_at, first_day, last_day,
           array_to_string(services, ', ') AS services,
           CAST(NULL AS VARCHAR) AS service, CAST(NULL AS VARCHAR) AS version
    FROM events
    WHERE kind = 'freeze'
    UNION ALL
    SELECT kind, event_id, summary, starts_at, first_day, last_day,
           array_to_string(services, ', ') AS services,
           service, versions[service] AS version
    FROM (
        SELECT *, unnest(CASE WHEN len(services) = 0 THEN [NULL] ELSE services END) AS service
        FROM events
        WHERE kind = 'release'
    )
)
SELECT kind, event_id, summary, first_day, last_day, services, service, version
FROM rows
ORDER BY kind, starts_at, event_id, service NULLS FIRST
LIMIT $events
