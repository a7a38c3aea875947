-- The latest $per_service production incidents of each service opened before the week ended.
SELECT
    service,
    incident_id,
    severity,
    opened_at,
    resolved_at,
    date_diff('second', opened_at, resolved_at) / 3600.0 AS restore_hours,
    coalesce(deployment_id, attributed_deployment_id) AS deployment_id
FROM staging.incidents
WHERE list_contains($services, service)
  AND environment = $production AND opened_at < rh_local_midnight($week_start + 7, $tz)
QUALIFY row_number() OVER (PARTITION BY service ORDER BY opened_at DESC) <= $per_service
ORDER BY service, opened_at DESC
