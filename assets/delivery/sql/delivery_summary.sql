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
    SELECT 'org' AS scope, * FROM facts
    UNION ALL
    SELECT 'team:' || team AS scope, * FROM facts
),
first_weeks AS (
    SELECT 'org' AS scope, min(rh_week(started_at, $tz)) AS first_week
    FROM staging.deployments WHERE environment = $production AND status <> 'cancelled'
    UNION ALL
    SELECT 'team:' || t.team, min(rh_week(d.started_at, $tz))
    FROM staging.deployments d JOIN rh_service_teams($production) t USING (service)
    WHERE d.environment = $production AND d.status <> 'cancelled'
    GROUP BY t.team
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
        count(DISTINCT local_day) FILTER (status = 'succeeded') AS deploy_days,
        count(*) FILTER (is_change_failure) AS change_failures,
        count(*) FILTER (NOT is_rollback) AS failure_denominator,
        median(lead_time_hours) AS median_lead_time_hours,
        median(recovery_hours) AS median_recovery_hours,
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
        w.change_failures / nullif(w.failure_denominator, 0) AS change_failure_rate,
        w.median_lead_time_hours,
        w.median_recovery_hours,
        w.median_change_count,
        coalesce(w.off_hours_deployments, 0) AS off_hours_deployments,
        coalesce(w.weekend_deployments, 0) AS weekend_deployments,
        coalesce(w.lead_time_excluded, 0) AS lead_time_excluded,
        median(coalesce(w.deploy_days, 0)) OVER (
            PARTITION BY sw.scope ORDER BY sw.week_start
            ROWS BETWEEN $trailing - 1 PRECEDING AND CURRENT ROW
        ) AS trailing_deploy_days_median
    FROM scope_weeks sw
    LEFT JOIN weekly w USING (scope, week_start)
),
-- pooled over the trailing window: medians of all values, not medians of weekly medians
pooled AS (
    SELECT
        s.scope,
        s.week_start,
        median(f.lead_time_hours) AS trailing_lead_time_hours,
        count(*) FILTER (f.is_change_failure)
            / nullif(count(*) FILTER (NOT f.is_rollback), 0) AS trailing_change_failure_rate,
        median(f.recovery_hours) AS trailing_recovery_hours
    FROM series s
    JOIN scoped f
        ON f.scope = s.scope
        AND f.week_start BETWEEN s.week_start - 7 * ($trailing - 1) AND s.week_start
    WHERE s.week_start BETWEEN $week_from AND $week_to
    GROUP BY ALL
),
restores AS (
    SELECT scope, week_start, count(*) AS incidents, median(restore_hours) AS restore_hours
    FROM (
        SELECT
            rh_week(i.opened_at, $tz) AS week_start,
            coalesce(t.team, 'unknown') AS team,
            date_diff('second', i.opened_at, i.resolved_at) / 3600.0 AS restore_hours
        FROM staging.incidents i
        LEFT JOIN rh_service_teams($production) t USING (service)
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
        p.trailing_lead_time_hours,
        p.trailing_change_failure_rate,
        p.trailing_recovery_hours,
        rh_tier($benchmark, 'deployment_frequency', s.trailing_deploy_days_median) AS df_tier,
        rh_tier($benchmark, 'lead_time', p.trailing_lead_time_hours) AS lt_tier,
        rh_tier($benchmark, 'change_failure_rate', p.trailing_change_failure_rate) AS cfr_tier,
        rh_tier($benchmark, 'recovery', p.trailing_recovery_hours) AS recovery_tier
    FROM series s
    LEFT JOIN pooled p USING (scope, week_start)
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
