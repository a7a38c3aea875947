-- Change-failure classification (README: Metrics) of what may have changed since $since
-- (NULL: all), after rollbacks.sql and the incident attribution: builds temp table
-- `outcomes`, queues the weeks whose outcome changes, and writes is_rollback,
-- is_change_failure and failure_reason into staging.deployments where they changed.

CREATE OR REPLACE TEMP TABLE outcomes AS
WITH links AS (
    -- every production incident's deployment, as the incident attribution left it
    SELECT
        attributed_deployment_id AS deployment_id,
        deployment_id IS NOT NULL AND deployment_id = attributed_deployment_id AS explicit
    FROM staging.incidents
    WHERE environment = $production AND attributed_deployment_id IS NOT NULL
),
linked AS (
    SELECT deployment_id, bool_or(explicit) AS explicit FROM links GROUP BY ALL
),
affected AS (
    SELECT deployment_id FROM staging.deployments WHERE $lower IS NULL OR started_at >= $lower
    UNION SELECT deployment_id FROM successful WHERE context
    -- the deployments incidents opened from $since are attributed to now
    UNION SELECT attributed_deployment_id FROM staging.incidents
          WHERE environment = $production AND ($since IS NULL OR opened_at >= $since)
    -- and those an incident was attributed to before: marked as incident-linked (or
    -- attributed) while no incident links them so any more
    UNION SELECT d.deployment_id
          FROM staging.deployments d
          LEFT JOIN linked l USING (deployment_id)
          WHERE d.failure_reason IN ('incident_linked', 'incident_attributed')
            AND (l.deployment_id IS NULL
                 OR l.explicit IS DISTINCT FROM (d.failure_reason = 'incident_linked'))
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
