-- Baseline and production states side by side per as-of day and service (either may be
-- missing). Builds temp table drift_pairs; `pair_key` identifies the combination of states
-- so each distinct combination is classified once.
CREATE OR REPLACE TEMP TABLE drift_pairs AS
WITH b AS (SELECT * FROM env_states WHERE environment = $baseline),
p AS (SELECT * FROM env_states WHERE environment = $production)
SELECT
    coalesce(b.as_of, p.as_of) AS as_of,
    coalesce(b.day_index, p.day_index) AS day_index,
    coalesce(b.service, p.service) AS service,
    b.version AS baseline_version,
    p.version AS target_version,
    b.image_digest AS baseline_digest,
    p.image_digest AS target_digest,
    b.config_hash AS baseline_config_hash,
    p.config_hash AS target_config_hash,
    CAST(b.config AS VARCHAR) AS baseline_config,
    CAST(p.config AS VARCHAR) AS target_config,
    CAST(b.dependencies AS VARCHAR) AS baseline_dependencies,
    CAST(p.dependencies AS VARCHAR) AS target_dependencies,
    greatest(b.observed_at, p.observed_at) AS observed_at,
    d.until AS day_end,
    -- the moment the pair is judged: the capture time for inventories, else the day's end
    CASE WHEN 'inventory' IN (b.source, p.source) THEN greatest(b.observed_at, p.observed_at)
         ELSE d.until END AS measured_at,
    md5(to_json([
        coalesce(b.service, p.service), b.version, p.version, b.image_digest, p.image_digest,
        b.config_hash, p.config_hash, CAST(b.config AS VARCHAR), CAST(p.config AS VARCHAR),
        CAST(b.dependencies AS VARCHAR), CAST(p.dependencies AS VARCHAR)
    ])) AS pair_key
FROM b
FULL OUTER JOIN p USING (as_of, service)
JOIN as_of_days d ON d.as_of = coalesce(b.as_of, p.as_of);
