-- Delivery-metric building blocks (README: Metrics), created on every connection.

-- Per service deployed to production (not cancelled): the team it belongs to now (the team
-- of its latest production deployment) and its first and last production deployment. With
-- since (NULL: all), only the services deployed from since on, from those deployments: their
-- team and last deployment are the same (the latest is among them), their first is the first
-- from since on. Reading from since on skips the older row groups.
CREATE OR REPLACE TEMP MACRO rh_service_spans(production, since) AS TABLE
    SELECT
        service,
        arg_max(team, started_at) AS team,
        min(started_at) AS first_at,
        max(started_at) AS last_at
    FROM staging.deployments
    WHERE environment = production AND status <> 'cancelled'
      AND (since IS NULL OR started_at >= since)
    GROUP BY service;

-- Whole seconds from instant a to instant b, as date_diff('second', a, b) counts them (second
-- boundaries crossed), on the instants' microseconds: no time zone is involved.
CREATE OR REPLACE TEMP MACRO rh_seconds_between(a, b) AS
    date_diff('second', make_timestamp(epoch_us(a)), make_timestamp(epoch_us(b)));

-- Production deployments (not cancelled) started in [from_ts, to_ts), as the metrics see them:
-- their week, local day, weekday and hour in the reporting time zone tz, off-hours and weekend
-- flags against business hours, and lead time.
CREATE OR REPLACE TEMP MACRO rh_production_facts(
    tz, production, bh_days, bh_start, bh_end, from_ts, to_ts
) AS TABLE
    WITH prod AS (
        SELECT
            d.* EXCLUDE (team),
            t.team,
            timezone(tz, d.started_at) AS local_start,
            coalesce(d.finished_at, d.started_at) AS done_at
        FROM staging.deployments d
        -- every service deployed here was deployed from from_ts on
        JOIN rh_service_spans(production, from_ts) t USING (service)
        WHERE d.environment = production
          AND d.status <> 'cancelled'
          AND d.started_at >= from_ts
          AND d.started_at < to_ts
    ),
    located AS (
        SELECT
            p.*,
            CAST(date_trunc('week', p.local_start) AS DATE) AS week_start,
            CAST(p.local_start AS DATE) AS local_day,
            isodow(p.local_start) AS weekday,
            hour(p.local_start) AS hour,
            hour(p.local_start) * 60 + minute(p.local_start) AS local_minute,
            CASE WHEN p.status = 'succeeded' AND p.first_commit_at IS NOT NULL
                THEN rh_seconds_between(p.first_commit_at, p.done_at) / 3600.0
            END AS lead_time_measured_hours
        FROM prod p
    )
    SELECT
        l.*,
        l.weekday IN (6, 7) AS is_weekend,
        NOT (list_contains(bh_days, l.weekday) AND l.local_minute >= bh_start
             AND l.local_minute < bh_end) AS is_off_hours,
        CASE WHEN l.lead_time_measured_hours > 0 THEN l.lead_time_measured_hours END
            AS lead_time_hours,
        coalesce(l.lead_time_measured_hours <= 0, false) AS lead_time_excluded
    FROM located l;

-- The same with the recovery time of each change failure.
CREATE OR REPLACE TEMP MACRO rh_production_deployments(
    tz, production, bh_days, bh_start, bh_end, from_ts, to_ts
) AS TABLE
    WITH recovered AS (
        -- a change failure recovers at the next successful, non-failed production deployment
        -- of its service, which may start after to_ts: that side is bounded below only
        SELECT f.deployment_id, g.recovered_at
        FROM (
            SELECT deployment_id, service, coalesce(finished_at, started_at) AS done_at
            FROM staging.deployments
            WHERE environment = production
              AND is_change_failure
              AND started_at >= from_ts
              AND started_at < to_ts
        ) f
        ASOF JOIN (
            SELECT service, coalesce(finished_at, started_at) AS recovered_at
            FROM staging.deployments
            WHERE environment = production
              AND status = 'succeeded'
              AND NOT is_change_failure
              AND started_at >= from_ts
        ) g ON f.service = g.service AND f.done_at < g.recovered_at
    )
    SELECT f.*, rh_seconds_between(f.done_at, r.recovered_at) / 3600.0 AS recovery_hours
    FROM rh_production_facts(tz, production, bh_days, bh_start, bh_end, from_ts, to_ts) f
    LEFT JOIN recovered r USING (deployment_id);

-- Local midnight starting date d in time zone tz, as an instant.
CREATE OR REPLACE TEMP MACRO rh_local_midnight(d, tz) AS timezone(tz, CAST(d AS TIMESTAMP));

-- Tier of value v for a metric under a benchmark (marts.benchmark_tiers); 'low' below all.
CREATE OR REPLACE TEMP MACRO rh_tier(benchmark_name, metric_name, v) AS
    CASE WHEN v IS NOT NULL THEN coalesce(
        (SELECT t.tier FROM marts.benchmark_tiers t
         WHERE t.benchmark = benchmark_name AND t.metric = metric_name
           AND CASE
                   WHEN t.better = 'higher' THEN v >= t.bound
                   WHEN t.inclusive THEN v <= t.bound
                   ELSE v < t.bound
               END
         ORDER BY t.tier_rank LIMIT 1),
        'low')
    END;

CREATE OR REPLACE TEMP MACRO rh_tier_rank(tier) AS
    CASE tier WHEN 'elite' THEN 1 WHEN 'high' THEN 2 WHEN 'medium' THEN 3 WHEN 'low' THEN 4 END;

-- Each week from week_from to week_to (`window_week`) paired with every week of its trailing
-- window of window_weeks weeks, itself included (`week_start`).
CREATE OR REPLACE TEMP MACRO rh_trailing_windows(week_from, week_to, window_weeks) AS TABLE
    SELECT w.week_start AS window_week, w.week_start - CAST(7 * i AS INTEGER) AS week_start
    FROM rh_weeks(week_from, week_to) w, range(window_weeks) r(i);
