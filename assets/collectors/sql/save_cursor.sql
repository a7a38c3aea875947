-- A scope's cursor after its pages were ingested; a null cursor keeps the stored one.
-- (Replace by delete and insert: a DuckLake warehouse has no keys to upsert on.)
CREATE OR REPLACE TEMP TABLE collector_cursor AS
SELECT $source AS source, $scope AS scope,
       coalesce($cursor, (SELECT cursor FROM raw.collector_state
                          WHERE source = $source AND scope = $scope)) AS cursor,
       $pulled_at AS last_pulled_at;
DELETE FROM raw.collector_state WHERE source = $source AND scope = $scope;
INSERT INTO raw.collector_state (source, scope, cursor, last_pulled_at)
SELECT source, scope, cursor, last_pulled_at FROM collector_cursor;
DROP TABLE collector_cursor;
