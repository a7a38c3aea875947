-- Input files that hold data of this week, plus every failed or held file, newest first.
SELECT path, kind, format, status, rows_read, rows_accepted, rows_rejected, rows_duplicate,
       ingested_at, error, contract_detail->>'validation_id' AS validation_id
FROM raw.ingested_files
WHERE status IN ('failed', 'held')
   OR (first_event_at < rh_local_midnight($week_start + 7, $tz)
       AND last_event_at >= rh_local_midnight($week_start, $tz))
ORDER BY status IN ('failed', 'held') DESC, ingested_at DESC, path
