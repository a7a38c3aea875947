-- Incident attribution (README: Metrics) of the production incidents opened from $since
-- (NULL: all), after rollbacks.sql: builds temp table `attribution` and writes each
-- incident's attributed_deployment_id into staging.incidents where it changed. $lower is
-- $since less the attribution window and a day, so every deployment such an incident can be
-- attributed to is among the candidates.

-- Incidents opened from $since point at the deployment that caused them: explicitly by
-- deployment_id, else the latest successful, non-rollback production deployment of the same
-- service that finished before the incident opened, within the attribution window.
CREATE OR REPLACE TEMP TABLE attribution AS
WITH candidates AS (
    SELECT d.deployment_id, d.service, coalesce(d.finished_at, d.started_at) AS done_at
    FROM staging.deployments d
    WHERE d.environment = $production AND d.status = 'succeeded'
      AND ($lower IS NULL OR d.started_at >= $lower)
      AND d.deployment_id NOT IN (SELECT deployment_id FROM rollbacks)
),
incidents AS (
    SELECT i.incident_id, i.service, i.opened_at, i.deployment_id,
           known.deployment_id IS NOT NULL AS known
    FROM staging.incidents i
    LEFT JOIN staging.deployments known ON known.deployment_id = i.deployment_id
    WHERE i.environment = $production AND ($since IS NULL OR i.opened_at >= $since)
)
SELECT
    i.incident_id,
    CASE
        WHEN i.known THEN i.deployment_id
        WHEN c.done_at >= i.opened_at - to_seconds($window_seconds) THEN c.deployment_id
    END AS attributed_deployment_id
FROM incidents i
ASOF LEFT JOIN candidates c ON i.service = c.service AND i.opened_at > c.done_at;

UPDATE staging.incidents i
SET attributed_deployment_id = a.attributed_deployment_id
FROM attribution a
WHERE i.incident_id = a.incident_id
  AND i.attributed_deployment_id IS DISTINCT FROM a.attributed_deployment_id;
