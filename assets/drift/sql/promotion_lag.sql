-- marts.promotion_lag from version_history: per service and version, its first successful
-- arrival in the baseline and in production (deployments, or the first capture that showed
-- it), the lag between, and its state: promoted, in_flight (baseline only), skipped (baseline
-- only, and production has since run a version that reached the baseline later) or
-- bypassed_baseline (in production without, or before, the baseline).
--
-- With $from_ts, only the rows this build may change (the rows to replace): those of the
-- versions in version_changes, and every version of their services not in production yet,
-- whose state turns on the service's latest promoted version. Else every row.
WITH firsts AS (
    SELECT service, version, baseline_at, production_at
    FROM version_history
    WHERE (baseline_at IS NOT NULL OR production_at IS NOT NULL)
      AND ($from_ts IS NULL OR service IN (SELECT service FROM version_changes))
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
-- one row per service and version at most (a join: a correlated EXISTS plans slower here)
LEFT JOIN version_changes c ON c.service = f.service AND c.version = f.version
WHERE $from_ts IS NULL OR f.production_at IS NULL OR c.version IS NOT NULL
