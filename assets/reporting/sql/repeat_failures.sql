-- Services with change failures in at least $min_weeks of the $recent weeks ending with
-- $week_start, with their weekly change failures (oldest first) to show the trend.
WITH weeks AS (
    SELECT CAST($week_start - 7 * CAST(k AS INTEGER) AS DATE) AS week_start
    FROM range($recent) t(k)
),
per_week AS (
    SELECT service, week_start, max(team) AS team, sum(change_failures) AS failures,
           sum(deployments) AS deployments
    FROM marts.delivery_weekly
    WHERE week_start BETWEEN $week_start - 7 * ($recent - 1) AND $week_start
    GROUP BY ALL
),
failing AS (
    SELECT DISTINCT service FROM per_week WHERE failures > 0
),
grid AS (
    SELECT f.service, w.week_start, p.team, coalesce(p.failures, 0) AS failures,
           coalesce(p.deployments, 0) AS deployments
    FROM failing f CROSS JOIN weeks w
    LEFT JOIN per_week p ON p.service = f.service AND p.week_start = w.week_start
)
SELECT
    service,
    max(team) AS team,
    list(failures ORDER BY week_start) AS weekly_failures,
    sum(failures) AS change_failures,
    sum(deployments) AS deployments,
    count(*) FILTER (failures > 0) AS failing_weeks
FROM grid
GROUP BY service
HAVING count(*) FILTER (failures > 0) >= $min_weeks
ORDER BY failing_weeks DESC, change_failures DESC, service
