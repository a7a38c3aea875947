-- Each team's cadence series for the $weeks weeks ending with $week_start.
SELECT week_start, team, successful_deployments, rolling_4w_mean, trend_per_week, trend
FROM marts.cadence
WHERE week_start BETWEEN $week_start - 7 * ($weeks - 1) AND $week_start
ORDER BY team, week_start
