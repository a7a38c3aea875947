-- marts.release_plan for the weeks $week_from .. $week_to. A planned release (calendar kind
-- `release`) names services and optionally their versions; per release and service, the
-- shipped deployment is the first successful production deployment of that service (of the
-- planned version, when one is named) that started no earlier than $tolerance_hours before
-- the release and before the service's next planned release. On time: shipped by the end of
-- the release window plus $tolerance_hours; slipped: later, or not shipped while the data
-- already runs past that point; pending: not shipped and not yet due. Unplanned: a successful
-- production deployment (not a rollback) of a service planned that week that no plan claims.
-- A week's rows belong to the week of the planned start (unplanned: of the deployment).
WITH planned AS (
    SELECT
        e.event_id,
        e.summary AS event_summary,
        unnest(e.services) AS service,
        e.versions,
        e.starts_at AS planned_at,
        e.ends_at AS planned_until
    FROM staging.calendar_events e
    WHERE e.kind = 'release'
),
plans AS (
    SELECT
        * EXCLUDE (versions),
        json_transform(coalesce(versions, CAST('{}' AS JSON)), '"MAP(VARCHAR, VARCHAR)"')[service]
            AS planned_version,
        lead(planned_at) OVER (PARTITION BY service ORDER BY planned_at, event_id)
            AS next_planned_at
    FROM planned
),
shipped AS (
    SELECT deployment_id, service, version, started_at, is_rollback
    FROM staging.deployments
    WHERE environment = $production AND status = 'succeeded'
),
matched AS (
    SELECT
        p.event_id,
        p.service,
        arg_min(
            {'deployment_id': s.deployment_id, 'version': s.version, 'at': s.started_at},
            s.started_at
        ) AS hit
    FROM plans p
    JOIN shipped s
        ON s.service = p.service
        AND (p.planned_version IS NULL OR s.version = p.planned_version)
        AND s.started_at >= p.planned_at - to_seconds(CAST($tolerance_hours AS DOUBLE) * 3600)
        AND (p.next_planned_at IS NULL
            OR s.started_at < p.next_planned_at - to_seconds(CAST($tolerance_hours AS DOUBLE) * 3600))
    GROUP BY ALL
),
freshness AS (
    SELECT max(started_at) AS latest FROM staging.deployments WHERE environment = $production
),
plan_rows AS (
    SELECT
        rh_week(p.planned_at, $tz) AS week_start,
        p.event_id,
        p.event_summary,
        p.service,
        p.planned_version,
        p.planned_at,
        p.planned_until,
        m.hit.deployment_id AS deployment_id,
        m.hit.version AS shipped_version,
        m.hit.at AS shipped_at,
        p.planned_until + to_seconds(CAST($tolerance_hours AS DOUBLE) * 3600) AS due_at
    FROM plans p
    LEFT JOIN matched m USING (event_id, service)
),
planned_weeks AS (
    SELECT DISTINCT week_start, service FROM plan_rows
)
SELECT
    week_start,
    event_id,
    event_summary,
    service,
    planned_version,
    planned_at,
    planned_until,
    deployment_id,
    shipped_version,
    shipped_at,
    CASE
        WHEN shipped_at IS NOT NULL AND shipped_at > due_at
            THEN epoch(shipped_at - planned_until) / 3600
        WHEN shipped_at IS NOT NULL THEN 0.0
        WHEN due_at < (SELECT latest FROM freshness)
            THEN epoch((SELECT latest FROM freshness) - planned_until) / 3600
    END AS slip_hours,
    CASE
        WHEN shipped_at IS NOT NULL AND shipped_at <= due_at THEN 'on_time'
        WHEN shipped_at IS NOT NULL THEN 'slipped'
        WHEN due_at < (SELECT latest FROM freshness) THEN 'slipped'
        ELSE 'pending'
    END AS state
FROM plan_rows
WHERE week_start BETWEEN $week_from AND $week_to
UNION ALL
SELECT
    w.week_start,
    NULL,
    NULL,
    s.service,
    NULL,
    NULL,
    NULL,
    s.deployment_id,
    s.version,
    s.started_at,
    NULL,
    'unplanned'
FROM shipped s
JOIN planned_weeks w
    ON w.service = s.service AND w.week_start = rh_week(s.started_at, $tz)
WHERE NOT coalesce(s.is_rollback, false)
    AND w.week_start BETWEEN $week_from AND $week_to
    AND s.deployment_id NOT IN (
        SELECT m.hit.deployment_id FROM matched m WHERE m.hit.deployment_id IS NOT NULL
    )
ORDER BY week_start, service, planned_at NULLS LAST, shipped_at
