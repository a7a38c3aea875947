-- What the drift marts are built from, per UTC day number (days since 1970-01-01): the XOR of
-- the row hashes of the deployments started and the inventory rows captured that day. A day
-- whose digest differs from the last build's holds a fact added, changed or taken out.
-- Builds temp table drift_inputs.
CREATE OR REPLACE TEMP TABLE drift_inputs AS
SELECT day, bit_xor(h) AS digest
FROM (
    SELECT epoch_us(started_at) // 86400000000 AS day, hash(row_hash, 'deployment') AS h
    FROM staging.deployments
    UNION ALL
    SELECT epoch_us(captured_at) // 86400000000, hash(row_hash, 'capture')
    FROM staging.inventory
)
GROUP BY day;
