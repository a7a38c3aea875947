-- The organisation's weekly figures for the $weeks weeks ending with $week_start, with
-- off-hours and weekend shares, the change failure rate in and out of business hours and the
-- freeze violations.
WITH summary AS (
    SELECT * FROM marts.delivery_summary
    WHERE scope = 'org'
      AND week_start BETWEEN $week_start - 7 * ($weeks - 1) AND $week_start
),
windows AS (
    SELECT
        week_start,
        sum(off_hours_deployments) AS off_hours,
        sum(off_hours_change_failures) AS off_hours_failures,
        sum(deployments - rollback_deployments) AS denominator,
        sum(change_failures) AS failures
    FROM marts.delivery_weekly
    WHERE week_start BETWEEN $week_start - 7 * ($weeks - 1) AND $week_start
    GROUP BY ALL
),
freezes AS (
    -- production deployments inside a change freeze; hotfixes are counted apart
    SELECT week_start, count(*) FILTER (WHERE NOT is_hotfix) AS freeze_violations
    FROM marts.freeze_violations
    WHERE week_start BETWEEN $week_start - 7 * ($weeks - 1) AND $week_start
    GROUP BY ALL
)
SELECT
    s.week_start,
    s.deployments,
    s.deployment_frequency,
    s.deploy_days,
    s.change_failures,
    s.change_failure_rate,
    s.trailing_change_failure_rate,
    s.median_lead_time_hours,
    s.median_recovery_hours,
    s.median_incident_restore_hours,
    s.median_change_count,
    s.lead_time_excluded,
    s.off_hours_deployments / nullif(s.deployments, 0) AS off_hours_share,
    s.weekend_deployments / nullif(s.deployments, 0) AS weekend_share,
    w.off_hours_failures / nullif(w.off_hours, 0) AS off_hours_cfr,
    (w.failures - w.off_hours_failures) / nullif(w.denominator - w.off_hours, 0)
        AS business_hours_cfr,
    coalesce(f.freeze_violations, 0) AS freeze_violations,
    s.df_tier,
    s.lt_tier,
    s.cfr_tier,
    s.recovery_tier,
    s.overall_tier,
    avg(s.deployment_frequency) OVER (ORDER BY s.week_start ROWS BETWEEN 3 PRECEDING AND CURRENT ROW)
        AS rolling_4w_mean
FROM summary s
LEFT JOIN windows w USING (week_start)
LEFT JOIN freezes f USING (week_start)
ORDER BY s.week_start
