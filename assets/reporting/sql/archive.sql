-- Headline numbers for the given weeks (organisation scope).
SELECT week_start, deployments, deploy_days, change_failure_rate, median_lead_time_hours,
       overall_tier
FROM marts.delivery_summary
WHERE scope = 'org' AND list_contains($weeks, week_start)
ORDER BY week_start DESC
