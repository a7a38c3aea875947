-- Candidate staging.incidents rows from one file's text batch (registered as raw_batch).
WITH named AS (
    SELECT
        record_number,
        rh_text(incident_id) AS incident_id,
        rh_alias(rh_text(service), $service_alias_keys, $service_alias_values) AS service,
        coalesce(
            rh_alias(lower(rh_text(environment)), $environment_alias_keys, $environment_alias_values),
            $production_environment
        ) AS environment,
        rh_text(opened_at) AS opened_at__text,
        rh_text(resolved_at) AS resolved_at__text,
        lower(rh_text(severity)) AS severity,
        rh_text(deployment_id) AS deployment_id,
        CAST(extra AS JSON) AS extra
    FROM raw_batch
),
typed AS (
    SELECT
        *,
        rh_parse_ts(opened_at__text, $source_timezone) AS opened_at,
        rh_parse_ts(resolved_at__text, $source_timezone) AS resolved_at
    FROM named
)
SELECT
    *,
    hash(
        incident_id,
        service,
        environment,
        opened_at,
        resolved_at,
        severity,
        deployment_id,
        extra
    ) AS row_hash
FROM typed
