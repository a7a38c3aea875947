-- marts.freeze_violations for the weeks $week_from .. $week_to: every production deployment
-- (not cancelled) that started inside a freeze naming its service (or naming no service,
-- which freezes every service). Hotfixes are kept with is_hotfix, so they are counted apart.
SELECT
    rh_week(d.started_at, $tz) AS week_start,
    d.deployment_id,
    d.service,
    d.team,
    d.version,
    d.status,
    d.started_at,
    d.change_type,
    d.change_type = 'hotfix' AS is_hotfix,
    e.event_id,
    e.summary AS event_summary,
    e.starts_at AS event_starts_at,
    e.ends_at AS event_ends_at
FROM staging.deployments d
JOIN staging.calendar_events e
    ON e.kind = 'freeze'
    AND d.started_at >= e.starts_at
    AND d.started_at < e.ends_at
    AND (len(e.services) = 0 OR list_contains(e.services, d.service))
WHERE d.environment = $production
    AND d.status <> 'cancelled'
    AND d.started_at >= rh_local_midnight($week_from, $tz)
    AND d.started_at < rh_local_midnight($week_to + 7, $tz)
ORDER BY d.started_at, d.deployment_id, e.event_id
