-- Rollbacks (README: Metrics) among the successful deployments from $lower ($since less the
-- incident attribution window and a day; NULL: all) in $environment (NULL: every one), with
-- each service and environment's last successful deployment before $lower as context. Builds
-- temp tables `successful` and `rollbacks`, which the incident attribution and the deployment
-- outcomes both start from.

-- Successful deployments from $lower in time order per service and environment, after the
-- last one before $lower (the context: a rollback in the window may replace it).
CREATE OR REPLACE TEMP TABLE successful AS
WITH recent AS (
    SELECT deployment_id, service, environment, version, change_type, started_at,
           false AS context
    FROM staging.deployments
    WHERE status = 'succeeded' AND ($lower IS NULL OR started_at >= $lower)
      AND ($environment IS NULL OR environment = $environment)
),
context AS (
    SELECT
        arg_max(deployment_id, started_at) AS deployment_id, service, environment,
        arg_max(version, started_at) AS version, arg_max(change_type, started_at) AS change_type,
        max(started_at) AS started_at, true AS context
    FROM staging.deployments
    WHERE $lower IS NOT NULL AND status = 'succeeded' AND started_at < $lower
      AND ($environment IS NULL OR environment = $environment)
    GROUP BY service, environment
)
SELECT
    *,
    row_number() OVER w AS position,
    lag(deployment_id) OVER w AS previous_id,
    lag(version) OVER w AS previous_version
FROM (SELECT * FROM recent UNION ALL SELECT * FROM context)
WINDOW w AS (PARTITION BY service, environment ORDER BY started_at, deployment_id);

-- A return to an earlier version that differs from the one just before it is a rollback; an
-- explicit change_type = rollback is one too. Either way the deployment it replaced failed.
-- "Earlier" reaches before $lower: versions some older successful deployment already ran.
CREATE OR REPLACE TEMP TABLE rollbacks AS
WITH first_seen AS (
    SELECT service, environment, version, min(position) AS first_position
    FROM successful GROUP BY ALL
),
seen_before AS (
    SELECT DISTINCT d.service, d.environment, d.version
    FROM staging.deployments d
    SEMI JOIN (SELECT DISTINCT service, environment, version FROM successful WHERE NOT context) w
        USING (service, environment, version)
    WHERE $lower IS NOT NULL AND d.status = 'succeeded' AND d.started_at < $lower
)
SELECT s.deployment_id, s.previous_id
FROM successful s
JOIN first_seen f USING (service, environment, version)
LEFT JOIN seen_before b USING (service, environment, version)
WHERE NOT s.context
  AND (s.change_type = 'rollback'
       OR (s.version IS DISTINCT FROM s.previous_version
           AND (f.first_position < s.position OR b.version IS NOT NULL)));
