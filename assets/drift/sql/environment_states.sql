-- The state of every (service, environment of the chain) as of each snapshot date (README: Drift):
-- the record of that environment's latest inventory capture at or before the end of the day,
-- or, for environments without any inventory, the last successful deployment by then.
-- As-of dates are the local days with a capture; with no inventory at all, every Sunday of
-- the deployment history. Builds temp table as_of_days (every day) and env_states (the days
-- from $from_day on: the days a build recomputes), and the seeds: the marts' rows of the last
-- day before $from_day, where the runs of versions and drift kinds continue from.
CREATE OR REPLACE TEMP TABLE as_of_days AS
WITH capture_days AS (
    SELECT DISTINCT rh_day(captured_at, $tz) AS as_of
    FROM staging.inventory WHERE list_contains($chain, environment)
),
deployment_sundays AS (
    SELECT CAST(g.day AS DATE) AS as_of
    FROM (
        -- only moments within a day of the first and last are converted: a local week runs
        -- backwards in time by a DST fall-back at most, never by a day
        SELECT min(rh_week(d.started_at, $tz)) FILTER (d.started_at < m.lo + INTERVAL 1 DAY) + 6
                   AS first_sunday,
               max(rh_week(d.started_at, $tz)) FILTER (d.started_at > m.hi - INTERVAL 1 DAY) + 6
                   AS last_sunday
        FROM staging.deployments d,
             (SELECT min(started_at) AS lo, max(started_at) AS hi
              FROM staging.deployments WHERE status = 'succeeded') m
        WHERE d.status = 'succeeded'
          AND (d.started_at < m.lo + INTERVAL 1 DAY OR d.started_at > m.hi - INTERVAL 1 DAY)
    ) span,
    generate_series(CAST(span.first_sunday AS TIMESTAMP), CAST(span.last_sunday AS TIMESTAMP),
                    INTERVAL 7 DAY) AS g(day)
    WHERE NOT EXISTS (SELECT 1 FROM capture_days)
)
SELECT
    as_of,
    rh_local_midnight(as_of + 1, $tz) AS until,
    row_number() OVER (ORDER BY as_of) AS day_index
FROM (SELECT as_of FROM capture_days UNION SELECT as_of FROM deployment_sundays);

CREATE OR REPLACE TEMP TABLE env_states AS
WITH inventoried AS (
    SELECT DISTINCT environment FROM staging.inventory WHERE list_contains($chain, environment)
),
captures AS (
    SELECT DISTINCT environment, captured_at FROM staging.inventory
    WHERE environment IN (SELECT environment FROM inventoried)
),
recomputed AS (SELECT * FROM as_of_days WHERE as_of >= $from_day),
latest_capture AS (
    SELECT d.as_of, c.environment, c.captured_at
    FROM recomputed d CROSS JOIN inventoried e
    ASOF JOIN captures c ON c.environment = e.environment AND d.until > c.captured_at
),
from_inventory AS (
    SELECT
        l.as_of, i.service, i.environment, i.version, i.image_digest, i.config_hash,
        i.config, i.dependencies, i.captured_at AS observed_at, 'inventory' AS source
    FROM latest_capture l
    JOIN staging.inventory i USING (environment, captured_at)
),
successful AS NOT MATERIALIZED (
    SELECT service, environment, version, coalesce(finished_at, started_at) AS done_at
    FROM staging.deployments
    WHERE status = 'succeeded'
      AND list_contains($chain, environment)
      AND environment NOT IN (SELECT environment FROM inventoried)
),
first_until AS (SELECT min(until) AS at FROM recomputed),
-- every (service, environment) deployed to, with its last deployment before the first
-- recomputed day ended (NULL when none): one group over all history, cheaper than sorting it
pairs AS (
    SELECT
        s.service,
        s.environment,
        arg_max(s.version, s.done_at) FILTER (s.done_at < f.at) AS version,
        max(s.done_at) FILTER (s.done_at < f.at) AS done_at
    FROM successful s, first_until f
    GROUP BY s.service, s.environment
),
grid AS (SELECT d.as_of, d.until, p.service, p.environment FROM recomputed d, pairs p),
-- what the recomputed days can see: the deployments since the first of them ended, and each
-- pair's last one before
seen AS (
    SELECT s.* FROM successful s, first_until f WHERE s.done_at >= f.at
    UNION ALL
    SELECT * FROM pairs WHERE done_at IS NOT NULL
),
from_deployments AS (
    SELECT
        g.as_of, g.service, g.environment, s.version, NULL AS image_digest, NULL AS config_hash,
        NULL::JSON AS config, NULL::JSON AS dependencies, s.done_at AS observed_at,
        'deployments' AS source
    FROM grid g
    ASOF JOIN seen s
        ON g.service = s.service AND g.environment = s.environment AND g.until > s.done_at
)
SELECT s.*, d.day_index
FROM (SELECT * FROM from_inventory UNION ALL SELECT * FROM from_deployments) s
JOIN as_of_days d USING (as_of);

CREATE OR REPLACE TEMP TABLE seed_day AS
SELECT max(as_of) AS as_of, max(day_index) AS day_index FROM as_of_days WHERE as_of < $from_day;

CREATE OR REPLACE TEMP TABLE matrix_seeds AS
SELECT m.as_of, m.service, m.environment, m.version, m.image_digest, m.since AS observed_at,
       m.source, d.day_index
FROM marts.environment_matrix m JOIN seed_day d USING (as_of);

CREATE OR REPLACE TEMP TABLE drift_seeds AS
SELECT m.as_of, m.service, m.drift_kind, m.drift_since AS observed_at, d.day_index
FROM marts.drift m JOIN seed_day d USING (as_of);
