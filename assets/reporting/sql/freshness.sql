-- The latest event seen in any input.
SELECT max(latest) FROM (
    SELECT max(coalesce(finished_at, started_at)) AS latest FROM staging.deployments
    UNION ALL SELECT max(opened_at) FROM staging.incidents
    UNION ALL SELECT max(captured_at) FROM staging.inventory
)
