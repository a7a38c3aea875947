-- Per service and version, from successful deployments and inventory captures: its first
-- arrival anywhere (first_seen: the first successful deployment to any environment, or the
-- first capture that showed it), in the baseline (baseline_at, with the batch size of that
-- first baseline deployment) and in production. Kept in raw.version_history between builds,
-- read by the classification and by promotion lag (through temp view version_history).
--
-- A build brings it up to date from the arrivals from $from_ts on (every arrival when NULL).
-- That is exact: a fact that changed since the last build started on or after the first
-- changed day, after $from_ts, so it arrived then or later (a deployment never finishes
-- before it started: the contract holds it). So a kept moment before $from_ts comes from
-- facts that did not change and stays; a kept moment from $from_ts on has no such fact
-- before it, and is found again among the arrivals. The rows it changed (gone ones with a
-- NULL first_seen) are left in temp table version_changes for promotion lag.
CREATE OR REPLACE TEMP TABLE version_arrivals AS
SELECT
    service,
    version,
    min(arrived_at) AS first_seen,
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
WHERE $from_ts IS NULL OR arrived_at >= $from_ts
GROUP BY ALL;

-- the kept rows the arrivals may change: those with a moment from $from_ts on (the fact
-- behind it may be gone) and those of the versions that arrived
CREATE OR REPLACE TEMP TABLE version_changes AS
WITH kept AS (
    SELECT * FROM raw.version_history h
    WHERE $from_ts IS NOT NULL
      AND (h.first_seen >= $from_ts OR h.baseline_at >= $from_ts OR h.production_at >= $from_ts
           OR EXISTS (SELECT 1 FROM version_arrivals a
                      WHERE a.service = h.service AND a.version = h.version))
)
SELECT
    service,
    version,
    CASE WHEN k.first_seen < $from_ts THEN k.first_seen ELSE a.first_seen END AS first_seen,
    CASE WHEN k.baseline_at < $from_ts THEN k.change_count ELSE a.change_count END
        AS change_count,
    CASE WHEN k.baseline_at < $from_ts THEN k.baseline_at ELSE a.baseline_at END AS baseline_at,
    CASE WHEN k.production_at < $from_ts THEN k.production_at ELSE a.production_at END
        AS production_at
FROM kept k
FULL JOIN version_arrivals a USING (service, version);

DELETE FROM raw.version_history h
WHERE $from_ts IS NULL
   OR EXISTS (SELECT 1 FROM version_changes c WHERE c.service = h.service AND c.version = h.version);

INSERT INTO raw.version_history
SELECT service, version, first_seen, baseline_at IS NOT NULL, change_count, baseline_at,
       production_at
FROM version_changes
WHERE first_seen IS NOT NULL;

CREATE OR REPLACE TEMP VIEW version_history AS SELECT * FROM raw.version_history;
