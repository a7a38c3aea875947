-- marts.drift from drift_pairs and their verdicts (temp table verdicts): the drift kind per
-- as-of day and service, the start of its current unbroken run (drift_since), its age, and
-- whether it is expected (behind within the promotion SLA, or only ignored config keys). A run
-- that began before the recomputed days continues from its seed (drift_seeds).
WITH judged AS (
    SELECT p.*, v.drift_kind, v.differing, v.only_ignored,
           -- behind: the change counts of the baseline versions production waits for that
           -- had reached the baseline by the end of the day
           [w[2] for w in list_zip(v.waiting_at, v.waiting_changes)
            if w[1] < epoch_us(p.day_end)] AS arrived
    FROM drift_pairs p JOIN verdicts v USING (pair_key)
),
classified AS (
    SELECT
        * EXCLUDE (arrived),
        CASE WHEN drift_kind = 'behind' THEN len(arrived) END AS versions_behind,
        -- list_sum skips unknown counts; none known is null
        CASE WHEN drift_kind = 'behind' THEN list_sum(arrived) END AS pending_changes,
        false AS seed
    FROM judged
    UNION ALL BY NAME
    SELECT *, true AS seed FROM drift_seeds
),
marked AS (
    SELECT
        *,
        CASE
            WHEN drift_kind IS DISTINCT FROM lag(drift_kind) OVER w
                OR day_index <> lag(day_index) OVER w + 1 THEN 1
            ELSE 0
        END AS changed
    FROM classified
    WINDOW w AS (PARTITION BY service ORDER BY as_of)
),
runs AS (
    SELECT *, sum(changed) OVER (PARTITION BY service ORDER BY as_of) AS run FROM marked
),
aged AS (
    SELECT
        *,
        CASE WHEN drift_kind <> 'in_sync'
            THEN min(observed_at) OVER (PARTITION BY service, run) END AS drift_since
    FROM runs
),
measured AS (
    SELECT *, greatest(date_diff('second', drift_since, measured_at), 0) / 86400.0 AS age_days
    FROM aged
)
SELECT
    as_of,
    service,
    $baseline AS baseline_env,
    $production AS target_env,
    baseline_version,
    target_version,
    drift_kind,
    versions_behind,
    pending_changes,
    drift_since,
    age_days AS drift_age_days,
    CASE drift_kind
        WHEN 'in_sync' THEN true
        WHEN 'behind' THEN age_days * 24 < $sla_hours
        WHEN 'config' THEN only_ignored
        ELSE false
    END AS expected,
    CASE drift_kind
        WHEN 'in_sync' THEN NULL
        WHEN 'behind' THEN
            CASE WHEN age_days * 24 < $sla_hours
                -- {:g}: whole hours read "168 h", as everywhere else on the page, not "168.0 h"
                THEN 'in flight: behind for ' || format('{:g}', round(age_days * 24)::DOUBLE)
                     || ' h, within the ' || format('{:g}', $sla_hours::DOUBLE)
                     || ' h promotion SLA'
                ELSE 'behind for longer than the ' || format('{:g}', $sla_hours::DOUBLE)
                     || ' h promotion SLA'
            END
        WHEN 'config' THEN
            CASE WHEN only_ignored THEN 'only ignored config keys differ: ' ELSE 'config differs: '
            END || differing
        WHEN 'dependency' THEN 'dependencies differ: ' || differing
        WHEN 'ahead' THEN 'production runs a version the baseline never had'
        WHEN 'missing_in_production' THEN 'in the baseline, not in production'
        WHEN 'missing_in_baseline' THEN 'in production, not in the baseline'
        WHEN 'unordered' THEN 'different versions that cannot be ordered'
        WHEN 'mutable_tag' THEN 'same tag, different image digest'
    END AS rule
FROM measured
WHERE NOT seed
ORDER BY as_of, service
