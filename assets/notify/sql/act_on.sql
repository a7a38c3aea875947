-- What to act on as of week $week: held files, unexpected drift past its SLA (latest as_of up
-- to the end of the week) and freeze violations of the week (hotfixes counted apart).
SELECT 'held_file' AS topic, path AS subject, coalesce(error, 'held') AS why
FROM raw.ingested_files WHERE status = 'held'
UNION ALL
SELECT
    'drift_past_sla',
    service,
    drift_kind || ' in ' || target_env || ' for ' || CAST(round(drift_age_days, 1) AS VARCHAR)
        || ' days (' || coalesce(target_version, 'none') || ' vs '
        || coalesce(baseline_version, 'none') || ' in ' || baseline_env || ')'
FROM marts.drift
WHERE NOT expected
    AND drift_age_days * 24 > $sla_hours
    AND as_of = (SELECT max(as_of) FROM marts.drift WHERE as_of < $week + 7)
UNION ALL
SELECT
    'freeze_violation',
    service,
    CASE WHEN is_hotfix THEN 'hotfix ' ELSE '' END || 'deployment ' || deployment_id || ' ('
        || version || ') during ' || coalesce(event_summary, event_id)
FROM marts.freeze_violations
WHERE week_start = $week
ORDER BY topic, subject, why
