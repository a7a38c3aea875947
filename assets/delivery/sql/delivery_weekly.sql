-- marts.delivery_weekly rows for the weeks $week_from .. $week_to (week starts, local dates):
-- one row per production service and week, with zeros for the quiet weeks between the
-- service's first and last week of production deployments.
WITH facts AS (
    SELECT *
    FROM rh_production_deployments(
        $tz, $production, $bh_days, $bh_start, $bh_end,
        rh_local_midnight($week_from, $tz), rh_local_midnight($week_to + 7, $tz)
    )
),
span AS (
    SELECT
        service,
        team,
        rh_week(first_at, $tz) AS first_week,
        rh_week(last_at, $tz) AS last_week
    FROM rh_service_spans($production, NULL)
),
grid AS (
    SELECT s.service, s.team, w.week_start
    FROM span s, rh_weeks(greatest(s.first_week, $week_from), least(s.last_week, $week_to)) w
),
weekly AS (
    SELECT
        service,
        week_start,
        count(*) AS deployments,
        count(*) FILTER (status = 'succeeded') AS successful_deployments,
        count(*) FILTER (status = 'failed') AS failed_deployments,
        count(*) FILTER (status = 'rolled_back') AS rolled_back_deployments,
        count(*) FILTER (is_rollback) AS rollback_deployments,
        count(*) FILTER (is_change_failure) AS change_failures,
        -- distinct local days: one bit per day of the week
        coalesce(bit_count(bit_or(1 << weekday) FILTER (status = 'succeeded')), 0) AS deploy_days,
        median(lead_time_hours) AS median_lead_time_hours,
        count(*) FILTER (lead_time_excluded) AS lead_time_excluded,
        median(recovery_hours) AS median_recovery_hours,
        median(duration_seconds) AS median_duration_seconds,
        sum(change_count) FILTER (status = 'succeeded') AS changes_shipped,
        median(change_count) AS median_change_count,
        count(*) FILTER (is_off_hours) AS off_hours_deployments,
        count(*) FILTER (is_weekend) AS weekend_deployments,
        count(*) FILTER (is_off_hours AND is_change_failure) AS off_hours_change_failures
    FROM facts
    GROUP BY ALL
)
SELECT
    g.week_start,
    g.service,
    g.team,
    coalesce(w.deployments, 0) AS deployments,
    coalesce(w.successful_deployments, 0) AS successful_deployments,
    coalesce(w.failed_deployments, 0) AS failed_deployments,
    coalesce(w.rolled_back_deployments, 0) AS rolled_back_deployments,
    coalesce(w.rollback_deployments, 0) AS rollback_deployments,
    coalesce(w.change_failures, 0) AS change_failures,
    w.change_failures / nullif(w.deployments - w.rollback_deployments, 0) AS change_failure_rate,
    coalesce(w.deploy_days, 0) AS deploy_days,
    w.median_lead_time_hours,
    coalesce(w.lead_time_excluded, 0) AS lead_time_excluded,
    w.median_recovery_hours,
    w.median_duration_seconds,
    CASE WHEN w.service IS NULL THEN 0 ELSE w.changes_shipped END AS changes_shipped,
    w.median_change_count,
    coalesce(w.off_hours_deployments, 0) AS off_hours_deployments,
    coalesce(w.weekend_deployments, 0) AS weekend_deployments,
    coalesce(w.off_hours_change_failures, 0) AS off_hours_change_failures
FROM grid g
LEFT JOIN weekly w USING (service, week_start)
ORDER BY g.week_start, g.service
