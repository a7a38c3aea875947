-- The latest production deployments (up to the end of the week) of the given services.
SELECT service, started_at, version, status, failure_reason, change_count
FROM (
    SELECT
        d.*,
        row_number() OVER (PARTITION BY service ORDER BY started_at DESC) AS recency
    FROM staging.deployments d
    WHERE environment = $production
      AND list_contains($services, service)
      AND started_at < rh_local_midnight($week_start + 7, $tz)
)
WHERE recency <= $per_service
ORDER BY service, started_at DESC
