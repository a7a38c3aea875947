-- marts.release_windows for the weeks $week_from .. $week_to: for each week, production
-- deployments and change failures by local weekday and hour over the trailing $trailing weeks
-- ending with that week (the weeks' counts, summed).
WITH weekly AS (
    SELECT
        week_start,
        weekday,
        hour,
        count(*) AS deployments,
        count(*) FILTER (is_change_failure) AS change_failures,
        count(*) FILTER (NOT is_rollback) AS failure_denominator
    FROM rh_production_facts(
        $tz, $production, $bh_days, $bh_start, $bh_end,
        rh_local_midnight($week_from - 7 * ($trailing - 1), $tz),
        rh_local_midnight($week_to + 7, $tz)
    )
    GROUP BY ALL
)
SELECT
    t.window_week AS week_start,
    w.weekday,
    w.hour,
    sum(w.deployments) AS deployments,
    sum(w.change_failures) AS change_failures,
    sum(w.change_failures) / nullif(sum(w.failure_denominator), 0) AS change_failure_rate
FROM weekly w
JOIN rh_trailing_windows($week_from, $week_to, $trailing) t USING (week_start)
GROUP BY t.window_week, w.weekday, w.hour
ORDER BY t.window_week, w.weekday, w.hour
