-- The week's planned releases against what shipped (marts.release_plan), for the "Planned
-- vs shipped" table: what needs a word first (slipped, pending, unplanned), then on time.
SELECT service, planned_version, state, deployment_id, shipped_version, shipped_at,
       slip_hours, coalesce(event_summary, event_id) AS release
FROM marts.release_plan
WHERE week_start = $week_start
ORDER BY CASE state WHEN 'slipped' THEN 0 WHEN 'pending' THEN 1 WHEN 'unplanned' THEN 2
                    ELSE 3 END,
         service, planned_at, shipped_at
