-- Drift as of the day, oldest first.
SELECT service, drift_kind, baseline_version, target_version, versions_behind, pending_changes,
       CAST(timezone($tz, drift_since) AS DATE) AS drift_since, drift_age_days, expected, rule
FROM marts.drift
WHERE as_of = $as_of AND drift_kind <> 'in_sync'
ORDER BY drift_age_days DESC NULLS LAST, service
