-- Files held back by their data contract: their rows count nowhere until accepted or forgotten.
SELECT path, kind, error, ingested_at
FROM raw.ingested_files
WHERE status = 'held'
ORDER BY ingested_at DESC, path
