-- marts.batch_risk for the weeks $week_from .. $week_to: change failure rate by batch size
-- (change_count bucket) over the trailing $trailing weeks ending with each week. A batch of
-- 0 or 1 changes falls in bucket '1'; rollbacks leave the denominator as everywhere.
SELECT
    window_week AS week_start,
    CASE
        WHEN change_count IS NULL THEN 'unknown'
        WHEN change_count <= 1 THEN '1'
        WHEN change_count <= 5 THEN '2-5'
        WHEN change_count <= 20 THEN '6-20'
        ELSE '21+'
    END AS bucket,
    count(*) FILTER (NOT is_rollback) AS deployments,
    count(*) FILTER (is_change_failure) AS change_failures,
    count(*) FILTER (is_change_failure) / nullif(count(*) FILTER (NOT is_rollback), 0)
        AS change_failure_rate
FROM rh_trailing_deployments(
    $tz, $production, $bh_days, $bh_start, $bh_end, $week_from, $week_to, $trailing
)
GROUP BY ALL
ORDER BY week_start, bucket
