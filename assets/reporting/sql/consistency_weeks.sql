-- Per week (the $weeks weeks to this one): services drifting unexpectedly on the week's last
-- as-of day, and the median promotion lag of versions that reached production that week.
WITH weeks AS (SELECT week_start FROM rh_weeks($week_start - 7 * ($weeks - 1), $week_start)),
last_days AS (
    SELECT w.week_start, max(d.as_of) AS as_of
    FROM weeks w JOIN marts.drift d ON d.as_of BETWEEN w.week_start AND w.week_start + 6
    GROUP BY ALL
),
drifting AS (
    SELECT l.week_start, count(*) FILTER (NOT d.expected) AS drifting_services
    FROM last_days l JOIN marts.drift d USING (as_of)
    GROUP BY ALL
),
lags AS (
    SELECT rh_week(production_at, $tz) AS week_start, median(lag_hours) AS median_promotion_lag_hours
    FROM marts.promotion_lag
    WHERE state = 'promoted'
    GROUP BY ALL
)
SELECT w.week_start, d.drifting_services, l.median_promotion_lag_hours
FROM weeks w
LEFT JOIN drifting d USING (week_start)
LEFT JOIN lags l USING (week_start)
ORDER BY w.week_start
