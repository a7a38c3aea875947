-- marts.delivery_summary rows for the weeks $week_from .. $week_to: per week, for the whole
-- organisation (scope 'org') and each team ('team:<name>'), the week's figures and the four
-- keys over the trailing window of $trailing weeks ending with that week, with their tiers
-- under $benchmark.
WITH facts AS (
    SELECT *
    FROM rh_production_deployments(
        $tz, $production, $bh_days, $bh_start, $bh_end,
        rh_local_midnight($week_from - 7 * ($trailing - 1), $tz),
        rh_local_midnight($week_to + 7, $tz)
    )
),
scoped AS (
    SELECT unnest(['org', 'team:' || team]) AS scope, * FROM facts
),
services AS MATERIALIZED (
    SELECT service, team, first_at FROM rh_service_spans($production, NULL)
),
-- a team's first week: the first of the services it has now
first_weeks AS (
    SELECT 'org' AS scope, rh_week(min(first_at), $tz) AS first_week FROM services
    UNION ALL
    SELECT 'team:' || team, rh_week(min(first_at), $tz) FROM services GROUP BY team
),
-- every week of every scope from its first week (or the window start) to $week_to
scope_weeks AS (
    SELECT f.scope, w.week_start
    FROM first_weeks f,
        rh_weeks(greatest(f.first_week, $week_from - 7 * ($trailing - 1)), $week_to) w
    WHERE f.first_week IS NOT NULL
),
weekly AS (
    SELECT
        scope,
        week_start,
        count(*) AS deployments,
        count(*) FILTER (status = 'succeeded') AS deployment_frequency,
        -- distinct local days: one bit per day of the week
        coalesce(bit_count(bit_or(1 << weekday) FILTER (status = 'succeeded')), 0) AS deploy_days,
        count(*) FILTER (is_change_failure) AS change_failures,
        count(*) FILTER (NOT is_rollback) AS failure_denominator,
        -- the week's values, for its medians and the trailing windows' pooled ones
        list(lead_time_hours) FILTER (lead_time_hours IS NOT NULL) AS lead_times,
        list(recovery_hours) FILTER (recovery_hours IS NOT NULL) AS recoveries,
        median(change_count) AS median_change_count,
        count(*) FILTER (is_off_hours) AS off_hours_deployments,
        count(*) FILTER (is_weekend) AS weekend_deployments,
        count(*) FILTER (lead_time_excluded) AS lead_time_excluded
    FROM scoped
    GROUP BY ALL
),
series AS (
    SELECT
        sw.scope,
        sw.week_start,
        coalesce(w.deployments, 0) AS deployments,
        coalesce(w.deployment_frequency, 0) AS deployment_frequency,
        coalesce(w.deploy_days, 0) AS deploy_days,
        coalesce(w.change_failures, 0) AS change_failures,
        coalesce(w.failure_denominator, 0) AS failure_denominator,
        w.change_failures / nullif(w.failure_denominator, 0) AS change_failure_rate,
        w.lead_times,
        w.recoveries,
        list_median(w.lead_times) AS median_lead_time_hours,
        list_median(w.recoveries) AS median_recovery_hours,
        w.median_change_count,
        coalesce(w.off_hours_deployments, 0) AS off_hours_deployments,
        coalesce(w.weekend_deployments, 0) AS weekend_deployments,
        coalesce(w.lead_time_excluded, 0) AS lead_time_excluded
    FROM scope_weeks sw
    LEFT JOIN weekly w USING (scope, week_start)
),
-- over the trailing window; pooled: medians of all values, not medians of weekly medians
windowed AS (
    SELECT
        *,
        median(deploy_days) OVER trailing_window AS trailing_deploy_days_median,
        list_median(flatten(list(lead_times) OVER trailing_window)) AS trailing_lead_time_hours,
        sum(change_failures) OVER trailing_window
            / nullif(sum(failure_denominator) OVER trailing_window, 0)
            AS trailing_change_failure_rate,
        list_median(flatten(list(recoveries) OVER trailing_window)) AS trailing_recovery_hours
    FROM series
    WINDOW trailing_window AS (
        PARTITION BY scope ORDER BY week_start
        ROWS BETWEEN $trailing - 1 PRECEDING AND CURRENT ROW
    )
),
restores AS (
    SELECT scope, week_start, count(*) AS incidents, median(restore_hours) AS restore_hours
    FROM (
        SELECT
            rh_week(i.opened_at, $tz) AS week_start,
            coalesce(t.team, 'unknown') AS team,
            date_diff('second', i.opened_at, i.resolved_at) / 3600.0 AS restore_hours
        FROM staging.incidents i
        LEFT JOIN services t USING (service)
        WHERE i.environment = $production
          AND i.opened_at >= rh_local_midnight($week_from, $tz)
          AND i.opened_at < rh_local_midnight($week_to + 7, $tz)
    ) i,
    LATERAL (SELECT unnest(['org', 'team:' || i.team]) AS scope)
    GROUP BY ALL
),
measured AS (
    SELECT
        s.*,
        coalesce(r.incidents, 0) AS incidents,
        r.restore_hours AS median_incident_restore_hours,
        rh_tier($benchmark, 'deployment_frequency', s.trailing_deploy_days_median) AS df_tier,
        rh_tier($benchmark, 'lead_time', s.trailing_lead_time_hours) AS lt_tier,
        rh_tier($benchmark, 'change_failure_rate', s.trailing_change_failure_rate) AS cfr_tier,
        rh_tier($benchmark, 'recovery', s.trailing_recovery_hours) AS recovery_tier
    FROM windowed s
    LEFT JOIN restores r USING (scope, week_start)
    WHERE s.week_start BETWEEN $week_from AND $week_to
)
SELECT
    week_start,
    scope,
    deployments,
    deployment_frequency,
    deploy_days,
    change_failures,
    change_failure_rate,
    median_lead_time_hours,
    median_recovery_hours,
    median_incident_restore_hours,
    incidents,
    median_change_count,
    off_hours_deployments,
    weekend_deployments,
    lead_time_excluded,
    $trailing AS trailing_weeks,
    trailing_deploy_days_median,
    trailing_lead_time_hours,
    trailing_change_failure_rate,
    trailing_recovery_hours,
    $benchmark AS benchmark,
    df_tier,
    lt_tier,
    cfr_tier,
    recovery_tier,
    CASE greatest(rh_tier_rank(df_tier), rh_tier_rank(lt_tier), rh_tier_rank(cfr_tier),
                  rh_tier_rank(recovery_tier))
        WHEN 1 THEN 'elite' WHEN 2 THEN 'high' WHEN 3 THEN 'medium' WHEN 4 THEN 'low'
    END AS overall_tier
FROM measured
ORDER BY week_start, scope
