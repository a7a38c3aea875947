-- This week's production deployments by local day and team, with change failures.
SELECT local_day AS day, team, count(*) AS deployments,
       count(*) FILTER (is_change_failure) AS change_failures
FROM rh_production_deployments(
    $tz, $production, $bh_days, $bh_start, $bh_end,
    rh_local_midnight($week_start, $tz), rh_local_midnight($week_start + 7, $tz)
)
GROUP BY ALL
ORDER BY day, team
