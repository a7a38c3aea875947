-- Per service and version, from successful deployments and inventory captures: its first
-- arrival anywhere (first_seen: the first successful deployment to any environment, or the
-- first capture that showed it), in the baseline (baseline_at, with the batch size of that
-- first baseline deployment) and in production. Builds temp table version_history, read by
-- the classification and by promotion lag.
CREATE OR REPLACE TEMP TABLE version_history AS
SELECT
    service,
    version,
    min(arrived_at) AS first_seen,
    bool_or(environment = $baseline) AS in_baseline,
    arg_min(change_count, arrived_at) FILTER (environment = $baseline) AS change_count,
    min(arrived_at) FILTER (environment = $baseline) AS baseline_at,
    min(arrived_at) FILTER (environment = $production) AS production_at
FROM (
    SELECT service, version, environment, coalesce(finished_at, started_at) AS arrived_at,
           change_count
    FROM staging.deployments WHERE status = 'succeeded'
    UNION ALL
    SELECT service, version, environment, captured_at, NULL
    FROM staging.inventory
)
GROUP BY ALL;
