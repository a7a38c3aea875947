-- marts.cadence rows for the weeks $week_from .. $week_to: weekly successful production
-- deployments per team (zero weeks included from the team's first week), their rolling
-- 4-week mean, and the OLS slope over the trailing $trailing weeks, labelled accelerating /
-- slowing when the slope exceeds +/- 5 % of the window mean per week.
WITH team_weeks AS (
    SELECT team, week_start, sum(successful_deployments) AS successful_deployments
    FROM marts.delivery_weekly
    GROUP BY ALL
),
first_weeks AS (SELECT team, min(week_start) AS first_week FROM team_weeks GROUP BY ALL),
series AS (
    SELECT f.team, w.week_start
    FROM first_weeks f,
        rh_weeks(greatest(f.first_week, $week_from - 7 * ($trailing - 1)), $week_to) w
),
filled AS (
    SELECT
        s.team,
        s.week_start,
        coalesce(t.successful_deployments, 0) AS successful_deployments,
        date_diff('day', DATE '2000-01-03', s.week_start) / 7 AS week_number
    FROM series s LEFT JOIN team_weeks t USING (team, week_start)
),
trended AS (
    SELECT
        *,
        avg(successful_deployments) OVER (
            PARTITION BY team ORDER BY week_start ROWS BETWEEN 3 PRECEDING AND CURRENT ROW
        ) AS rolling_4w_mean,
        regr_slope(successful_deployments, week_number) OVER trailing_window AS trend_per_week,
        avg(successful_deployments) OVER trailing_window AS window_mean,
        count(*) OVER trailing_window AS window_weeks
    FROM filled
    WINDOW trailing_window AS (
        PARTITION BY team ORDER BY week_start
        ROWS BETWEEN $trailing - 1 PRECEDING AND CURRENT ROW
    )
)
SELECT
    week_start,
    team,
    successful_deployments,
    rolling_4w_mean,
    trend_per_week,
    window_mean,
    CASE
        WHEN window_weeks < 2 OR window_mean = 0 OR trend_per_week IS NULL THEN 'steady'
        WHEN trend_per_week > $trend_threshold * window_mean THEN 'accelerating'
        WHEN trend_per_week < -$trend_threshold * window_mean THEN 'slowing'
        ELSE 'steady'
    END AS trend
FROM trended
WHERE week_start BETWEEN $week_from AND $week_to
ORDER BY week_start, team
