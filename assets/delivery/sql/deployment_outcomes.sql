-- Change-failure classification (README: Metrics) of what may have changed since $since (NULL: all).
--
-- Version history is re-read for deployments started from $lower ($since less the incident
-- attribution window and a day, so every deployment an incident opened after $since can be
-- attributed to is inside), with each service and environment's last successful deployment
-- before $lower as context; incidents opened from $since are attributed again. Builds temp
-- tables `successful`, `rollbacks`, `attribution` and `outcomes`, queues the weeks whose
-- outcome changes, and writes the results into staging.

-- Successful deployments from $lower in time order per service and environment, after the
-- last one before $lower (the context: a rollback in the window may replace it).
CREATE OR REPLACE TEMP TABLE successful AS
WITH recent AS (
    SELECT deployment_id, service, environment, version, change_type, started_at,
           false AS context
    FROM staging.deployments
    WHERE status = 'succeeded' AND ($lower IS NULL OR started_at >= $lower)
),
context AS (
    SELECT
        arg_max(deployment_id, started_at) AS deployment_id, service, environment,
        arg_max(version, started_at) AS version, arg_max(change_type, started_at) AS change_type,
        max(started_at) AS started_at, true AS context
    FROM staging.deployments
    WHERE $lower IS NOT NULL AND status = 'succeeded' AND started_at < $lower
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

CREATE OR REPLACE TEMP TABLE outcomes AS
WITH links AS (
    -- every production incident's deployment after this run: attributed again, or as stored
    SELECT
        CASE WHEN a.incident_id IS NOT NULL THEN a.attributed_deployment_id
             ELSE i.attributed_deployment_id END AS deployment_id,
        i.deployment_id IS NOT NULL
            AND i.deployment_id = CASE WHEN a.incident_id IS NOT NULL
                THEN a.attributed_deployment_id ELSE i.attributed_deployment_id END AS explicit
    FROM staging.incidents i
    LEFT JOIN attribution a USING (incident_id)
    WHERE i.environment = $production
),
linked AS (
    SELECT deployment_id, bool_or(explicit) AS explicit
    FROM links WHERE deployment_id IS NOT NULL GROUP BY ALL
),
affected AS (
    SELECT deployment_id FROM staging.deployments WHERE $lower IS NULL OR started_at >= $lower
    UNION SELECT deployment_id FROM successful WHERE context
    UNION SELECT attributed_deployment_id FROM attribution
    UNION SELECT i.attributed_deployment_id
          FROM staging.incidents i JOIN attribution USING (incident_id)
),
classified AS (
    SELECT
        d.deployment_id,
        CASE WHEN $lower IS NULL OR d.started_at >= $lower
            THEN r.deployment_id IS NOT NULL ELSE d.is_rollback END AS is_rollback,
        CASE WHEN $lower IS NULL OR d.started_at >= $lower OR c.deployment_id IS NOT NULL
            THEN replaced.previous_id IS NOT NULL
            ELSE d.failure_reason = 'rolled_back_by_later_deploy' END AS replaced,
        d.environment, d.status, l.deployment_id IS NOT NULL AS linked, l.explicit
    FROM staging.deployments d
    SEMI JOIN affected USING (deployment_id)
    LEFT JOIN rollbacks r ON r.deployment_id = d.deployment_id
    LEFT JOIN (SELECT DISTINCT previous_id FROM rollbacks) replaced
        ON replaced.previous_id = d.deployment_id
    LEFT JOIN (SELECT deployment_id FROM successful WHERE context) c
        ON c.deployment_id = d.deployment_id
    LEFT JOIN linked l ON l.deployment_id = d.deployment_id
)
SELECT
    deployment_id,
    is_rollback,
    failure_reason,
    failure_reason IS NOT NULL AS is_change_failure
FROM (
    SELECT
        *,
        CASE
            WHEN environment <> $production OR status = 'cancelled' OR is_rollback THEN NULL
            WHEN status = 'failed' THEN 'failed'
            WHEN status = 'rolled_back' THEN 'rolled_back'
            WHEN replaced THEN 'rolled_back_by_later_deploy'
            WHEN explicit THEN 'incident_linked'
            WHEN linked THEN 'incident_attributed'
        END AS failure_reason
    FROM classified
);

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
