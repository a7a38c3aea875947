-- marts.batch_risk for the weeks $week_from .. $week_to: change failure rate by batch size
-- (change_count bucket) over the trailing $trailing weeks ending with each week. A batch of
-- 0 or 1 changes falls in bucket '1'; rollbacks leave the denominator as everywhere.
WITH facts AS (
    SELECT
        week_start,
        is_change_failure,
        is_rollback,
        CASE
            WHEN change_count IS NULL THEN 'unknown'
            WHEN change_count <= 1 THEN '1'
            WHEN change_count <= 5 THEN '2-5'
            WHEN change_count <= 20 THEN '6-20'
            ELSE '21+'
        END AS bucket
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
    f.bucket,
    count(*) FILTER (NOT f.is_rollback) AS deployments,
    count(*) FILTER (f.is_change_failure) AS change_failures,
    count(*) FILTER (f.is_change_failure) / nullif(count(*) FILTER (NOT f.is_rollback), 0)
        AS change_failure_rate
FROM weeks w
JOIN facts f ON f.week_start BETWEEN w.week_start - 7 * ($trailing - 1) AND w.week_start
GROUP BY ALL
ORDER BY w.week_start, f.bucket
