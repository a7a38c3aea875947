-- Successful production deployments per team and week, for the $weeks weeks ending with
-- $week_start.
SELECT week_start, team, sum(successful_deployments) AS successful_deployments
FROM marts.delivery_weekly
WHERE week_start BETWEEN $week_start - 7 * ($weeks - 1) AND $week_start
GROUP BY ALL
ORDER BY week_start, team
