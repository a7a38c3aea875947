-- The stored cursor of one pulled scope.
SELECT cursor
FROM raw.collector_state
WHERE source = $source AND scope = $scope
