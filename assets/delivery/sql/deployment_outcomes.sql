-- Change-failure classification (README: Metrics) of what may have changed since $since (NULL: all).
--
-- Version history is re-read for deployments started from $lower ($since less the incident
-- attribution window and a day, so every deployment an incident opened after $since can be
-- attributed to is inside), with each service and environment's last successful deployment
-- before $lower as context; incidents opened from $since are attributed again. Builds temp
-- tables `context`, `reverts`, `attribution` and `outcomes`, queues the weeks whose outcome
-- changes, and writes the changes into staging.

-- The context: each service and environment's last successful deployment before $lower (the
-- latest deployment_id where several started at once, as the version history orders them),
-- with its stored outcome. Found from each pair's latest start, so the wide columns are read
-- for those rows only. Empty without $lower.
CREATE OR REPLACE TEMP TABLE context AS
WITH latest AS (
    SELECT service, environment, max(started_at) AS started_at
    FROM staging.deployments
    WHERE $lower IS NOT NULL AND status = 'succeeded' AND started_at < $lower
    GROUP BY service, environment
)
SELECT d.deployment_id, d.service, d.environment, d.version, d.change_type, d.status,
       d.started_at, d.is_rollback, d.is_change_failure, d.failure_reason
FROM staging.deployments d
JOIN latest USING (service, environment, started_at)
WHERE d.status = 'succeeded'
QUALIFY row_number() OVER (
    PARTITION BY d.service, d.environment ORDER BY d.deployment_id DESC
) = 1;

-- Successful deployments from $lower in time order per service and environment, after the
-- context (a rollback in the window may replace it). A return to an earlier version that
-- differs from the one just before it is a rollback; an explicit change_type = rollback is one
-- too. Either way the deployment it replaced (the one just before it) failed. "Earlier"
-- reaches before $lower: versions some older successful deployment already ran. Kept: the
-- rollbacks, the deployments they replaced, the context.
CREATE OR REPLACE TEMP TABLE reverts AS
WITH recent AS (
    SELECT deployment_id, service, environment, version, change_type, started_at,
           false AS context
    FROM staging.deployments
    WHERE status = 'succeeded' AND ($lower IS NULL OR started_at >= $lower)
),
seen_before AS (
    SELECT DISTINCT d.service, d.environment, d.version
    FROM staging.deployments d
    SEMI JOIN (SELECT DISTINCT service, environment, version FROM recent) w
        USING (service, environment, version)
    WHERE $lower IS NOT NULL AND d.status = 'succeeded' AND d.started_at < $lower
),
-- whether each deployment's version ran before it (the context's never matters)
repeats AS (
    SELECT
        r.*,
        row_number() OVER (
            PARTITION BY r.service, r.environment, r.version
            ORDER BY r.started_at, r.deployment_id
        ) > 1 OR b.version IS NOT NULL AS ran_before
    FROM (
        SELECT * FROM recent
        UNION ALL
        SELECT deployment_id, service, environment, version, change_type, started_at, true
        FROM context
    ) r
    LEFT JOIN seen_before b USING (service, environment, version)
),
-- each deployment and the one after it (never the context, which comes first)
steps AS (
    SELECT
        deployment_id,
        context,
        NOT context AND (change_type = 'rollback'
            OR (version IS DISTINCT FROM lag(version) OVER w AND ran_before)) AS is_rollback,
        coalesce(lead(change_type) OVER w = 'rollback'
            OR (lead(version) OVER w IS DISTINCT FROM version AND lead(ran_before) OVER w),
            false) AS replaced
    FROM repeats
    WINDOW w AS (PARTITION BY service, environment ORDER BY started_at, deployment_id)
)
SELECT * FROM steps WHERE is_rollback OR replaced OR context;

-- Incidents opened from $since point at the deployment that caused them: explicitly by
-- deployment_id, else the latest successful, non-rollback production deployment of the same
-- service that finished before the incident opened, within the attribution window.
CREATE OR REPLACE TEMP TABLE attribution AS
WITH incidents AS (
    SELECT i.incident_id, i.service, i.opened_at, i.deployment_id,
           known.deployment_id IS NOT NULL AS known
    FROM staging.incidents i
    LEFT JOIN staging.deployments known ON known.deployment_id = i.deployment_id
    WHERE i.environment = $production AND ($since IS NULL OR i.opened_at >= $since)
),
-- read only when there are incidents to attribute
candidates AS (
    SELECT d.deployment_id, d.service, coalesce(d.finished_at, d.started_at) AS done_at
    FROM staging.deployments d
    WHERE d.environment = $production AND d.status = 'succeeded'
      AND ($lower IS NULL OR d.started_at >= $lower)
      AND EXISTS (SELECT 1 FROM incidents)
      AND d.deployment_id NOT IN (SELECT deployment_id FROM reverts WHERE is_rollback)
)
SELECT
    i.incident_id,
    CASE
        WHEN i.known THEN i.deployment_id
        WHEN c.done_at >= i.opened_at - to_seconds($window_seconds) THEN c.deployment_id
    END AS attributed_deployment_id
FROM incidents i
ASOF LEFT JOIN candidates c ON i.service = c.service AND i.opened_at > c.done_at;

-- The outcome of every deployment this run may change, kept where it changed or is a change
-- failure.
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
stored AS NOT MATERIALIZED (
    SELECT deployment_id, environment, status, started_at, is_rollback, is_change_failure,
           failure_reason
    FROM staging.deployments
),
-- from $lower every deployment; before it the context (as read above), deployments whose
-- incidents were attributed again, and deployments failed by an incident that is gone (its
-- file forgotten)
affected AS (
    SELECT * FROM stored WHERE $lower IS NULL OR started_at >= $lower
    UNION ALL
    SELECT deployment_id, environment, status, started_at, is_rollback, is_change_failure,
           failure_reason
    FROM context
    UNION ALL
    SELECT * FROM stored
    WHERE started_at < $lower AND deployment_id IN (
        (SELECT attributed_deployment_id FROM attribution
         UNION SELECT i.attributed_deployment_id
               FROM staging.incidents i JOIN attribution USING (incident_id)
         UNION SELECT deployment_id FROM stored
               WHERE starts_with(failure_reason, 'incident_')
                 AND deployment_id NOT IN (SELECT deployment_id FROM linked))
        EXCEPT SELECT deployment_id FROM context
    )
),
classified AS (
    SELECT
        d.deployment_id,
        d.environment,
        d.status,
        d.started_at,
        d.is_rollback AS was_rollback,
        d.is_change_failure AS was_failure,
        d.failure_reason AS was_reason,
        CASE WHEN $lower IS NULL OR d.started_at >= $lower
            THEN coalesce(r.is_rollback, false) ELSE d.is_rollback END AS is_rollback,
        CASE WHEN $lower IS NULL OR d.started_at >= $lower OR r.context
            THEN coalesce(r.replaced, false)
            ELSE d.failure_reason = 'rolled_back_by_later_deploy' END AS replaced,
        l.deployment_id IS NOT NULL AS linked,
        l.explicit
    FROM affected d
    LEFT JOIN reverts r USING (deployment_id)
    LEFT JOIN linked l USING (deployment_id)
),
reasoned AS (
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
)
SELECT
    deployment_id,
    environment,
    started_at,
    is_rollback,
    failure_reason,
    failure_reason IS NOT NULL AS is_change_failure,
    was_rollback IS DISTINCT FROM is_rollback
        OR was_failure IS DISTINCT FROM (failure_reason IS NOT NULL)
        OR was_reason IS DISTINCT FROM failure_reason AS changed
FROM reasoned
-- is_change_failure OR changed, spelled so the reason is worked out once: a change failure now,
-- a rollback before or now, or a change failure before (the stored flags are never NULL)
WHERE failure_reason IS NOT NULL OR was_rollback IS DISTINCT FROM is_rollback
   OR was_failure OR was_reason IS NOT NULL;

INSERT INTO raw.pending_weeks
SELECT DISTINCT rh_week(started_at, $tz), now()
FROM outcomes
WHERE changed AND environment = $production;

UPDATE staging.deployments d
SET is_rollback = o.is_rollback,
    is_change_failure = o.is_change_failure,
    failure_reason = o.failure_reason
FROM outcomes o
WHERE d.deployment_id = o.deployment_id AND o.changed;

UPDATE staging.incidents i
SET attributed_deployment_id = a.attributed_deployment_id
FROM attribution a
WHERE i.incident_id = a.incident_id
  AND i.attributed_deployment_id IS DISTINCT FROM a.attributed_deployment_id;
