-- marts.release_windows for the weeks $week_from .. $week_to: for each week, production
-- deployments and change failures by local weekday and hour over the trailing $trailing weeks
-- ending with that week.
SELECT
    window_week AS week_start,
    weekday,
    hour,
    count(*) AS deployments,
    count(*) FILTER (is_change_failure) AS change_failures,
    count(*) FILTER (is_change_failure) / nullif(count(*) FILTER (NOT is_rollback), 0)
        AS change_failure_rate
FROM rh_trailing_deployments(
    $tz, $production, $bh_days, $bh_start, $bh_end, $week_from, $week_to, $trailing
)
GROUP BY ALL
ORDER BY week_start, weekday, hour
