-- The organisation's headline numbers for week $week and the week before it.
SELECT
    week_start,
    deployments,
    deploy_days,
    change_failure_rate,
    median_lead_time_hours,
    median_recovery_hours
FROM marts.delivery_summary
WHERE scope = 'org' AND week_start IN ($week, $week - 7)
ORDER BY week_start
