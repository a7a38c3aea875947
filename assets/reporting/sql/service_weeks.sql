-- Each service's production deployments and change failures per week, $weeks weeks to the week.
SELECT service, week_start, sum(deployments) AS deployments,
       sum(change_failures) AS change_failures
FROM marts.delivery_weekly
WHERE list_contains($services, service)
  AND week_start BETWEEN $week_start - 7 * ($weeks - 1) AND $week_start
GROUP BY ALL
ORDER BY service, week_start
