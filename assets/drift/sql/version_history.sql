-- Per service and version: the first successful deployment to any environment (or, without
-- one, the first capture that showed it), and the baseline's versions with their batch size and
-- first arrival in the baseline.
SELECT
    service,
    version,
    min(first_seen) AS first_seen,
    bool_or(in_baseline) AS in_baseline,
    arg_min(change_count, first_seen) FILTER (in_baseline) AS change_count,
    min(first_seen) FILTER (in_baseline) AS baseline_at
FROM (
    SELECT service, version, coalesce(finished_at, started_at) AS first_seen,
           environment = $baseline AS in_baseline, change_count
    FROM staging.deployments WHERE status = 'succeeded'
    UNION ALL
    SELECT service, version, captured_at, environment = $baseline, NULL
    FROM staging.inventory
)
GROUP BY ALL
