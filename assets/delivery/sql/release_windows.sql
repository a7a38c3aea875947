-- marts.release_windows for the weeks $week_from .. $week_to: for each week, production
-- deployments and change failures by local weekday and hour over the trailing $trailing weeks
-- ending with that week.
WITH facts AS (
    SELECT week_start, weekday, hour, is_change_failure, is_rollback
    FROM rh_production_deployments(
        $tz, $production, $bh_days, $bh_start, $bh_end,
        rh_local_midnight($week_from - 7 * ($trailing - 1), $tz),
        rh_local_midnight($week_to + 7, $tz)
    )
),
weeks AS (
    SELECT CAST(g.week AS DATE) AS week_start
    FROM generate_series(
        CAST($week_from AS TIMESTAMP), CAST($week_to AS TIMESTAMP), INTERVAL 7 DAY
    ) AS g(week)
)
SELECT
    w.week_start,
    f.weekday,
    f.hour,
    count(*) AS deployments,
    count(*) FILTER (f.is_change_failure) AS change_failures,
    count(*) FILTER (f.is_change_failure) / nullif(count(*) FILTER (NOT f.is_rollback), 0)
        AS change_failure_rate
FROM weeks w
JOIN facts f ON f.week_start BETWEEN w.week_start - 7 * ($trailing - 1) AND w.week_start
GROUP BY ALL
ORDER BY w.week_start, f.weekday, f.hour
