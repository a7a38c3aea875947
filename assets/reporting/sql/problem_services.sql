-- Services with the most change failures this week, with the reasons behind them.
WITH failures AS (
    SELECT service, string_agg(DISTINCT failure_reason, ', ' ORDER BY failure_reason) AS reasons
    FROM rh_production_deployments(
        $tz, $production, $bh_days, $bh_start, $bh_end,
        rh_local_midnight($week_start, $tz), rh_local_midnight($week_start + 7, $tz)
    )
    WHERE is_change_failure
    GROUP BY ALL
)
SELECT w.service, w.team, w.change_failures, w.deployments, f.reasons AS failure_reasons
FROM marts.delivery_weekly w
JOIN failures f USING (service)
WHERE w.week_start = $week_start AND w.change_failures > 0
ORDER BY w.change_failures DESC, w.deployments DESC, w.service
LIMIT $limit
