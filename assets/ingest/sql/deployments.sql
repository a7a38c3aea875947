-- Candidate staging.deployments rows from one file's text batch (registered as raw_batch).
-- Aliases are applied and timestamps parsed here; the data contract judges the result.
WITH named AS (
    SELECT
        record_number,
        rh_text(deployment_id) AS deployment_id,
        rh_alias(rh_text(service), $service_alias_keys, $service_alias_values) AS service,
        rh_text(team) AS team_given,
        rh_alias(lower(rh_text(environment)), $environment_alias_keys, $environment_alias_values)
            AS environment,
        rh_text(version) AS version,
        rh_alias(lower(rh_text(status)), $status_alias_keys, $status_alias_values) AS status,
        rh_text(started_at) AS started_at__text,
        rh_text(finished_at) AS finished_at__text,
        rh_text(change_count) AS change_count__text,
        rh_text(first_commit_at) AS first_commit_at__text,
        rh_text(commit_sha) AS commit_sha,
        coalesce(lower(rh_text(change_type)), 'regular') AS change_type,
        rh_text(triggered_by) AS triggered_by,
        CAST(extra AS JSON) AS extra
    FROM raw_batch
),
typed AS (
    SELECT
        * EXCLUDE (team_given),
        coalesce(team_given, $team_values[list_position($team_keys, service)], 'unknown') AS team,
        rh_parse_ts(started_at__text, $source_timezone) AS started_at,
        rh_parse_ts(finished_at__text, $source_timezone) AS finished_at,
        -- whole numbers only: a cast would round '3.5' to 4
        CASE WHEN regexp_full_match(change_count__text, '[+-]?[0-9]+')
            THEN TRY_CAST(change_count__text AS INTEGER) END AS change_count,
        rh_parse_ts(first_commit_at__text, $source_timezone) AS first_commit_at
    FROM named
)
SELECT
    *,
    date_diff('millisecond', started_at, finished_at) / 1000.0 AS duration_seconds,
    hash(
        deployment_id,
        service,
        team,
        environment,
        version,
        status,
        started_at,
        finished_at,
        change_count,
        first_commit_at,
        commit_sha,
        change_type,
        triggered_by,
        extra
    ) AS row_hash
FROM typed
