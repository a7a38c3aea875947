-- Production deployments of the week that started inside a change freeze (hotfixes are
-- counted apart in the mart and are not listed here), for the "act on this" box.
SELECT service, team, started_at,
       coalesce(event_summary, event_id) AS freeze,
       CASE WHEN status = 'failed' THEN ' (it failed)' ELSE '' END AS why
FROM marts.freeze_violations
WHERE week_start = $week_start AND NOT is_hotfix
ORDER BY started_at, service
