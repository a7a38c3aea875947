-- Drift opened (a run of a non-in_sync kind starting) and closed (such a run ending) on the
-- as-of days of the week.
WITH sequenced AS (
    SELECT
        service, as_of, drift_kind,
        lag(drift_kind) OVER (PARTITION BY service ORDER BY as_of) AS previous_kind
    FROM marts.drift
    WHERE as_of <= $week_start + 6
)
SELECT 'opened' AS change, service, drift_kind, as_of AS at
FROM sequenced
WHERE as_of BETWEEN $week_start AND $week_start + 6
  AND drift_kind <> 'in_sync' AND drift_kind IS DISTINCT FROM previous_kind
UNION ALL
SELECT 'closed', service, previous_kind, as_of
FROM sequenced
WHERE as_of BETWEEN $week_start AND $week_start + 6
  AND previous_kind <> 'in_sync' AND drift_kind IS DISTINCT FROM previous_kind
ORDER BY 1, 4, 2
