-- The most frequent rejection reasons in the files that hold data of this week (and failed
-- files), each with one example.
WITH files AS (
    SELECT file_sha256
    FROM raw.ingested_files
    WHERE first_event_at IS NULL
       OR (first_event_at < rh_local_midnight($week_start + 7, $tz)
           AND last_event_at >= rh_local_midnight($week_start, $tz))
),
reasons AS (
    SELECT split_part(reason, ':', 1) AS reason, reason AS example, q.path, q.record_number
    FROM quarantine.rejected_rows q, unnest(q.reasons) AS u(reason)
    WHERE q.file_sha256 IN (SELECT file_sha256 FROM files)
)
SELECT reason, count(*) AS rows,
       arg_min(example || ' (' || path || ', record ' || record_number || ')', record_number)
           AS example
FROM reasons
GROUP BY reason
ORDER BY rows DESC, reason
