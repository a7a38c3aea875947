-- Services drifting unexpectedly per as-of day and kind, over the $weeks weeks to the week.
SELECT as_of, drift_kind, count(*) AS services
FROM marts.drift
WHERE NOT expected AND drift_kind <> 'in_sync'
  AND as_of BETWEEN $week_start - 7 * ($weeks - 1) AND $week_start + 6
GROUP BY ALL
ORDER BY as_of, drift_kind
