-- Every environment's version per service as of the day, with production's version and the
-- service's drift kind beside it (the relation is worked out in Python).
SELECT
    m.service, m.environment, m.version, m.image_digest, m.since,
    p.version AS production_version, p.image_digest AS production_digest,
    d.drift_kind
FROM marts.environment_matrix m
LEFT JOIN marts.environment_matrix p
    ON p.as_of = m.as_of AND p.service = m.service AND p.environment = $production
LEFT JOIN marts.drift d ON d.as_of = m.as_of AND d.service = m.service
WHERE m.as_of = $as_of AND list_contains($chain, m.environment)
ORDER BY m.service, list_position($chain, m.environment)
