-- Input files that hold data of this week, plus every failed file, newest first.
SELECT path, kind, format, status, rows_read, rows_accepted, rows_rejected, rows_duplicate,
       ingested_at, error
FROM raw.ingested_files
WHERE status = 'failed'
   OR (first_event_at < rh_local_midnight($week_start + 7, $tz)
       AND last_event_at >= rh_local_midnight($week_start, $tz))
ORDER BY status = 'failed' DESC, ingested_at DESC, path
