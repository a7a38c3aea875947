-- Change-failure classification (DESIGN 6), for the services in $services (NULL: all).
-- Builds temp tables `outcomes` (one row per deployment) and `attribution` (per incident),
-- queues the weeks whose facts change, and writes the results into staging.

-- Successful deployments in time order per service and environment.
CREATE OR REPLACE TEMP TABLE successful AS
SELECT
    deployment_id, service, environment, version, change_type,
    row_number() OVER w AS position,
    lag(deployment_id) OVER w AS previous_id,
    lag(version) OVER w AS previous_version
FROM staging.deployments
WHERE status = 'succeeded' AND ($services IS NULL OR list_contains($services, service))
WINDOW w AS (PARTITION BY service, environment ORDER BY started_at, deployment_id);

-- A return to an earlier version that differs from the one just before it is a rollback; an
-- explicit change_type = rollback is one too. Either way the deployment it replaced failed.
CREATE OR REPLACE TEMP TABLE rollbacks AS
WITH first_seen AS (
    SELECT service, environment, version, min(position) AS first_position
    FROM successful GROUP BY ALL
)
SELECT s.deployment_id, s.previous_id
FROM successful s JOIN first_seen f USING (service, environment, version)
WHERE s.change_type = 'rollback'
   OR (f.first_position < s.position AND s.version IS DISTINCT FROM s.previous_version);

-- Incidents point at the deployment that caused them: explicitly by deployment_id, else the
-- latest successful, non-rollback production deployment of the same service that finished
-- before the incident opened, within the attribution window.
CREATE OR REPLACE TEMP TABLE attribution AS
WITH candidates AS (
    SELECT d.deployment_id, d.service, coalesce(d.finished_at, d.started_at) AS done_at
    FROM staging.deployments d
    WHERE d.environment = $production AND d.status = 'succeeded'
      AND d.deployment_id NOT IN (SELECT deployment_id FROM rollbacks)
      AND ($services IS NULL OR list_contains($services, d.service))
),
incidents AS (
    SELECT i.incident_id, i.service, i.opened_at, i.deployment_id,
           known.deployment_id IS NOT NULL AS known
    FROM staging.incidents i
    LEFT JOIN staging.deployments known ON known.deployment_id = i.deployment_id
    WHERE i.environment = $production
      AND ($services IS NULL OR list_contains($services, i.service))
)
SELECT
    i.incident_id,
    CASE
        WHEN i.known THEN i.deployment_id
        WHEN c.done_at >= i.opened_at - to_seconds($window_seconds) THEN c.deployment_id
    END AS attributed_deployment_id,
    i.known AS explicit
FROM incidents i
ASOF LEFT JOIN candidates c ON i.service = c.service AND i.opened_at > c.done_at;

CREATE OR REPLACE TEMP TABLE outcomes AS
WITH linked AS (
    SELECT attributed_deployment_id AS deployment_id, bool_or(explicit) AS explicit
    FROM attribution WHERE attributed_deployment_id IS NOT NULL GROUP BY ALL
),
classified AS (
    SELECT
        d.deployment_id,
        r.deployment_id IS NOT NULL AS is_rollback,
        CASE
            WHEN d.environment <> $production OR d.status = 'cancelled'
                OR r.deployment_id IS NOT NULL THEN NULL
            WHEN d.status = 'failed' THEN 'failed'
            WHEN d.status = 'rolled_back' THEN 'rolled_back'
            WHEN replaced.previous_id IS NOT NULL THEN 'rolled_back_by_later_deploy'
            WHEN l.explicit THEN 'incident_linked'
            WHEN l.deployment_id IS NOT NULL THEN 'incident_attributed'
        END AS failure_reason
    FROM staging.deployments d
    LEFT JOIN rollbacks r ON r.deployment_id = d.deployment_id
    LEFT JOIN (SELECT DISTINCT previous_id FROM rollbacks) replaced
        ON replaced.previous_id = d.deployment_id
    LEFT JOIN linked l ON l.deployment_id = d.deployment_id
    WHERE $services IS NULL OR list_contains($services, d.service)
)
SELECT *, failure_reason IS NOT NULL AS is_change_failure FROM classified;

INSERT INTO raw.pending_weeks
SELECT DISTINCT rh_week(d.started_at, $tz), now()
FROM staging.deployments d JOIN outcomes o USING (deployment_id)
WHERE d.environment = $production
  AND (d.is_rollback IS DISTINCT FROM o.is_rollback
       OR d.is_change_failure IS DISTINCT FROM o.is_change_failure
       OR d.failure_reason IS DISTINCT FROM o.failure_reason);

UPDATE staging.deployments d
SET is_rollback = o.is_rollback,
    is_change_failure = o.is_change_failure,
    failure_reason = o.failure_reason
FROM outcomes o
WHERE d.deployment_id = o.deployment_id
  AND (d.is_rollback IS DISTINCT FROM o.is_rollback
       OR d.is_change_failure IS DISTINCT FROM o.is_change_failure
       OR d.failure_reason IS DISTINCT FROM o.failure_reason);

UPDATE staging.incidents i
SET attributed_deployment_id = a.attributed_deployment_id
FROM attribution a
WHERE i.incident_id = a.incident_id
  AND i.attributed_deployment_id IS DISTINCT FROM a.attributed_deployment_id;
