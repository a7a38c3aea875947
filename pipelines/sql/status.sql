-- The warehouse at a glance: (label, value) rows for `release-health status`.
SELECT 'files loaded', CAST(count(*) FILTER (status = 'loaded') AS VARCHAR) FROM raw.ingested_files
UNION ALL
SELECT 'files held', CAST(count(*) FILTER (status = 'held') AS VARCHAR) FROM raw.ingested_files
UNION ALL
SELECT 'files accepted', CAST(count(*) FILTER (status = 'accepted') AS VARCHAR) FROM raw.ingested_files
UNION ALL
SELECT 'files failed', CAST(count(*) FILTER (status = 'failed') AS VARCHAR) FROM raw.ingested_files
UNION ALL
SELECT 'files forgotten', CAST(count(*) FILTER (status = 'forgotten') AS VARCHAR) FROM raw.ingested_files
UNION ALL
SELECT 'files empty', CAST(count(*) FILTER (status = 'empty') AS VARCHAR) FROM raw.ingested_files
UNION ALL
SELECT 'deployments', CAST(count(*) AS VARCHAR) FROM staging.deployments
UNION ALL
SELECT 'incidents', CAST(count(*) AS VARCHAR) FROM staging.incidents
UNION ALL
SELECT 'inventory rows', CAST(count(*) AS VARCHAR) FROM staging.inventory
UNION ALL
SELECT 'quarantined rows', CAST(count(*) AS VARCHAR) FROM quarantine.rejected_rows
UNION ALL
SELECT 'latest deployment', CAST(max(started_at) AS VARCHAR) FROM staging.deployments
UNION ALL
SELECT 'latest snapshot', CAST(max(captured_at) AS VARCHAR) FROM staging.inventory
UNION ALL
SELECT 'weeks waiting for a run', CAST(count(DISTINCT week_start) AS VARCHAR) FROM raw.pending_weeks
UNION ALL
SELECT 'weeks in marts', CAST(count(DISTINCT week_start) AS VARCHAR) FROM marts.delivery_summary
