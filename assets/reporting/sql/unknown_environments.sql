-- Deployments this week to environments outside the promotion chain (kept, not compared).
SELECT environment, count(*) AS deployments
FROM staging.deployments
WHERE NOT list_contains($chain, environment)
  AND started_at >= rh_local_midnight($week_start, $tz)
  AND started_at < rh_local_midnight($week_start + 7, $tz)
GROUP BY ALL
ORDER BY deployments DESC, environment
