-- Headline numbers for the given weeks (organisation scope), with the services drifting
-- unexpectedly on each week's last snapshot day.
WITH last_days AS (
    SELECT week_start, max(d.as_of) AS as_of
    FROM (SELECT unnest($weeks) AS week_start) w
    JOIN marts.drift d ON d.as_of BETWEEN w.week_start AND w.week_start + 6
    GROUP BY ALL
),
drifting AS (
    SELECT l.week_start, count(*) FILTER (NOT d.expected) AS drifting_services
    FROM last_days l JOIN marts.drift d USING (as_of)
    GROUP BY ALL
)
SELECT s.week_start, s.deployments, s.deploy_days, s.change_failure_rate,
       s.median_lead_time_hours, s.overall_tier, d.drifting_services
FROM marts.delivery_summary s
LEFT JOIN drifting d USING (week_start)
WHERE s.scope = 'org' AND list_contains($weeks, s.week_start)
ORDER BY s.week_start DESC
