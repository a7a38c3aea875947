-- Each service's drift kind per as-of day over the $weeks weeks to the week (runs are folded
-- in Python, so only the days where the kind changes reach the page).
SELECT service, as_of, drift_kind, expected
FROM marts.drift
WHERE list_contains($services, service)
  AND as_of BETWEEN $week_start - 7 * ($weeks - 1) AND $week_start + 6
ORDER BY service, as_of
