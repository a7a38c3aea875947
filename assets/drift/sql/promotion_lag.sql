-- marts.promotion_lag: per service and version, its first successful arrival in the baseline
-- and in production (deployments, or the first capture that showed it), the lag between, and
-- its state: promoted, in_flight (baseline only), skipped (baseline only, and production has
-- since run a version that reached the baseline later) or bypassed_baseline (in production
-- without, or before, the baseline).
WITH arrivals AS (
    SELECT service, version, environment, coalesce(finished_at, started_at) AS arrived_at
    FROM staging.deployments
    WHERE status = 'succeeded' AND environment IN ($baseline, $production)
    UNION ALL
    SELECT service, version, environment, captured_at
    FROM staging.inventory
    WHERE environment IN ($baseline, $production)
),
firsts AS (
    SELECT
        service,
        version,
        min(arrived_at) FILTER (environment = $baseline) AS baseline_at,
        min(arrived_at) FILTER (environment = $production) AS production_at
    FROM arrivals
    GROUP BY ALL
),
promoted_later AS (
    SELECT service, max(baseline_at) AS latest_promoted_baseline_at
    FROM firsts
    WHERE production_at IS NOT NULL AND baseline_at IS NOT NULL
    GROUP BY ALL
)
SELECT
    f.service,
    f.version,
    f.baseline_at,
    f.production_at,
    CASE WHEN f.production_at >= f.baseline_at
        THEN date_diff('second', f.baseline_at, f.production_at) / 3600.0 END AS lag_hours,
    CASE
        WHEN f.production_at IS NOT NULL
            AND (f.baseline_at IS NULL OR f.production_at < f.baseline_at) THEN 'bypassed_baseline'
        WHEN f.production_at IS NOT NULL THEN 'promoted'
        WHEN p.latest_promoted_baseline_at > f.baseline_at THEN 'skipped'
        ELSE 'in_flight'
    END AS state
FROM firsts f
LEFT JOIN promoted_later p USING (service)
ORDER BY f.service, coalesce(f.baseline_at, f.production_at)
