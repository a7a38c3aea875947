-- marts.environment_matrix from env_states: each state with the start of its current run of
-- the same version (`since`), found across the as-of days; a run that began before the
-- recomputed days continues from its seed (the kept row of the day before, its `since`).
WITH states AS (
    SELECT as_of, service, environment, version, image_digest, observed_at, source, day_index,
           false AS seed
    FROM env_states
    UNION ALL
    SELECT *, true FROM matrix_seeds
),
ordered AS (
    SELECT
        *,
        -- a new run starts when the version changes or the service was absent the day before
        CASE
            WHEN version IS DISTINCT FROM lag(version) OVER w
                OR day_index <> lag(day_index) OVER w + 1 THEN 1
            ELSE 0
        END AS changed
    FROM states
    WINDOW w AS (PARTITION BY service, environment ORDER BY as_of)
),
runs AS (
    SELECT *, sum(changed) OVER (PARTITION BY service, environment ORDER BY as_of) AS run
    FROM ordered
)
SELECT
    as_of, service, environment, version, image_digest,
    first(observed_at ORDER BY as_of) OVER (PARTITION BY service, environment, run) AS since,
    source
FROM runs
QUALIFY NOT seed
