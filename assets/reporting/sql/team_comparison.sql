-- Each team's four keys over the trailing window ending with $week_start, with their tiers.
SELECT
    substr(scope, 6) AS team,
    deployments,
    trailing_deploy_days_median,
    trailing_lead_time_hours,
    trailing_change_failure_rate,
    trailing_recovery_hours,
    df_tier,
    lt_tier,
    cfr_tier,
    recovery_tier,
    overall_tier
FROM marts.delivery_summary
WHERE week_start = $week_start AND starts_with(scope, 'team:')
ORDER BY team
