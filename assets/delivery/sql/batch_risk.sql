-- marts.batch_risk for the weeks $week_from .. $week_to: change failure rate by batch size
-- (change_count bucket) over the trailing $trailing weeks ending with each week (the weeks'
-- counts, summed). A batch of 0 or 1 changes falls in bucket '1'; rollbacks leave the
-- denominator as everywhere.
WITH weekly AS (
    SELECT
        week_start,
        CASE
            WHEN change_count IS NULL THEN 'unknown'
            WHEN change_count <= 1 THEN '1'
            WHEN change_count <= 5 THEN '2-5'
            WHEN change_count <= 20 THEN '6-20'
            ELSE '21+'
        END AS bucket,
        count(*) FILTER (NOT is_rollback) AS deployments,
        count(*) FILTER (is_change_failure) AS change_failures
    FROM rh_production_facts(
        $tz, $production, $bh_days, $bh_start, $bh_end,
        rh_local_midnight($week_from - 7 * ($trailing - 1), $tz),
        rh_local_midnight($week_to + 7, $tz)
    )
    GROUP BY ALL
)
SELECT
    t.window_week AS week_start,
    w.bucket,
    sum(w.deployments) AS deployments,
    sum(w.change_failures) AS change_failures,
    sum(w.change_failures) / nullif(sum(w.deployments), 0) AS change_failure_rate
FROM weekly w
JOIN rh_trailing_windows($week_from, $week_to, $trailing) t USING (week_start)
GROUP BY t.window_week, w.bucket
ORDER BY t.window_week, w.bucket
