-- Candidate staging.inventory rows from one file's text batch (registered as raw_batch).
-- The digest is split from the image reference; config and dependencies must be JSON maps.
WITH named AS (
    SELECT
        record_number,
        rh_text(captured_at) AS captured_at__text,
        rh_alias(lower(rh_text(environment)), $environment_alias_keys, $environment_alias_values)
            AS environment,
        rh_alias(rh_text(service), $service_alias_keys, $service_alias_values) AS service,
        rh_text(version) AS version,
        rh_text(image) AS image,
        rh_text(config_hash) AS config_hash,
        rh_text(config) AS config__text,
        rh_text(dependencies) AS dependencies__text,
        CAST(extra AS JSON) AS extra
    FROM raw_batch
),
typed AS (
    SELECT
        *,
        rh_parse_ts(captured_at__text, $source_timezone) AS captured_at,
        nullif(regexp_extract(image, '@(.*)$', 1), '') AS image_digest,
        CASE WHEN json_type(TRY_CAST(config__text AS JSON)) = 'OBJECT'
            THEN CAST(config__text AS JSON) END AS config,
        CASE WHEN json_type(TRY_CAST(dependencies__text AS JSON)) = 'OBJECT'
            THEN CAST(dependencies__text AS JSON) END AS dependencies
    FROM named
)
SELECT
    *,
    hash(
        captured_at,
        environment,
        service,
        version,
        image,
        config_hash,
        config,
        dependencies,
        extra
    ) AS row_hash
FROM typed
