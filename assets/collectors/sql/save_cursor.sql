-- A scope's cursor after its pages were ingested; a null cursor keeps the stored one.
INSERT INTO raw.collector_state (source, scope, cursor, last_pulled_at)
VALUES ($source, $scope, $cursor, $pulled_at)
ON CONFLICT (source, scope) DO UPDATE SET
    cursor = coalesce(excluded.cursor, raw.collector_state.cursor),
    last_pulled_at = excluded.last_pulled_at
