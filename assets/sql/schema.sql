-- The public warehouse tables (README: Warehouse tables). Idempotent: run on every connection.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS marts;
CREATE SCHEMA IF NOT EXISTS quarantine;

-- One row per (input file, kind of records it yielded); the file's SHA-256 makes re-ingest a no-op.
CREATE TABLE IF NOT EXISTS raw.ingested_files (
    file_sha256     VARCHAR NOT NULL,
    path            VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,
    format          VARCHAR,
    ingested_at     TIMESTAMPTZ NOT NULL,
    rows_read       BIGINT NOT NULL DEFAULT 0,
    rows_accepted   BIGINT NOT NULL DEFAULT 0,
    rows_rejected   BIGINT NOT NULL DEFAULT 0,
    rows_duplicate  BIGINT NOT NULL DEFAULT 0,
    records_counted BIGINT,                    -- independent count of the file's records
    rows_inserted   BIGINT NOT NULL DEFAULT 0,
    rows_updated    BIGINT NOT NULL DEFAULT 0,
    status          VARCHAR NOT NULL,          -- loaded | empty | failed | held | accepted | forgotten
    error           VARCHAR,
    first_event_at  TIMESTAMPTZ,
    last_event_at   TIMESTAMPTZ,
    contract_status VARCHAR,                   -- pending | passed | failed | disagreed | not_run
    contract_detail JSON,
    read_options    JSON,                      -- format, environment, captured_at as given
    accepted_at     TIMESTAMPTZ,               -- accepted: when, and the person's reason
    accept_reason   VARCHAR,
    forgotten_at    TIMESTAMPTZ,
    records_skipped JSON                       -- entries of an export that are not records, by reason
);

-- columns added after the first release: warehouses written before them gain them here
ALTER TABLE raw.ingested_files ADD COLUMN IF NOT EXISTS records_counted BIGINT;
ALTER TABLE raw.ingested_files ADD COLUMN IF NOT EXISTS read_options JSON;
ALTER TABLE raw.ingested_files ADD COLUMN IF NOT EXISTS accepted_at TIMESTAMPTZ;
ALTER TABLE raw.ingested_files ADD COLUMN IF NOT EXISTS accept_reason VARCHAR;
ALTER TABLE raw.ingested_files ADD COLUMN IF NOT EXISTS forgotten_at TIMESTAMPTZ;
ALTER TABLE raw.ingested_files ADD COLUMN IF NOT EXISTS records_skipped JSON;

CREATE TABLE IF NOT EXISTS quarantine.rejected_rows (
    file_sha256   VARCHAR NOT NULL,
    path          VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,
    record_number BIGINT NOT NULL,
    record        JSON,
    reasons       VARCHAR[] NOT NULL,
    rejected_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS staging.deployments (
    deployment_id     VARCHAR NOT NULL,
    service           VARCHAR NOT NULL,
    team              VARCHAR NOT NULL,
    environment       VARCHAR NOT NULL,
    version           VARCHAR NOT NULL,
    status            VARCHAR NOT NULL,
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    duration_seconds  DOUBLE,
    change_count      INTEGER,
    first_commit_at   TIMESTAMPTZ,
    commit_sha        VARCHAR,
    change_type       VARCHAR NOT NULL,
    triggered_by      VARCHAR,
    is_rollback       BOOLEAN NOT NULL DEFAULT false,
    is_change_failure BOOLEAN NOT NULL DEFAULT false,
    failure_reason    VARCHAR,
    source            VARCHAR NOT NULL,
    source_file       VARCHAR NOT NULL,
    extra             JSON,
    row_hash          UBIGINT NOT NULL,
    loaded_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS staging.incidents (
    incident_id              VARCHAR NOT NULL,
    service                  VARCHAR NOT NULL,
    environment              VARCHAR NOT NULL,
    opened_at                TIMESTAMPTZ NOT NULL,
    resolved_at              TIMESTAMPTZ,
    severity                 VARCHAR,
    deployment_id            VARCHAR,
    attributed_deployment_id VARCHAR,
    source                   VARCHAR NOT NULL,
    source_file              VARCHAR NOT NULL,
    extra                    JSON,
    row_hash                 UBIGINT NOT NULL,
    loaded_at                TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS staging.inventory (
    captured_at  TIMESTAMPTZ NOT NULL,
    environment  VARCHAR NOT NULL,
    service      VARCHAR NOT NULL,
    version      VARCHAR NOT NULL,
    image        VARCHAR,
    image_digest VARCHAR,
    config_hash  VARCHAR,
    config       JSON,
    dependencies JSON,
    source       VARCHAR NOT NULL,
    source_file  VARCHAR NOT NULL,
    extra        JSON,
    row_hash     UBIGINT NOT NULL,
    loaded_at    TIMESTAMPTZ NOT NULL
);

-- Great Expectations' result of each contract check (one call may cover several files of a
-- kind); the files' contract_detail.validation_id points here, and the Data Docs render it.
CREATE TABLE IF NOT EXISTS raw.contract_validations (
    validation_id VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,
    suite         VARCHAR NOT NULL,
    validated_at  TIMESTAMPTZ NOT NULL,
    success       BOOLEAN NOT NULL,
    document      JSON NOT NULL              -- the GX validation result, long lists trimmed
);

-- The API collectors' incremental cursors: one row per (source, scope pulled), e.g.
-- ('github', 'deployments:acme/checkout'); cursor = the newest record time seen (ISO 8601 UTC).
CREATE TABLE IF NOT EXISTS raw.collector_state (
    source         VARCHAR NOT NULL,
    scope          VARCHAR NOT NULL,
    cursor         VARCHAR,
    last_pulled_at TIMESTAMPTZ NOT NULL       -- one row per (source, scope)
);

-- Weeks whose facts changed since the weekly marts last ran: the work queue of a normal run.
CREATE TABLE IF NOT EXISTS raw.pending_weeks (
    week_start DATE NOT NULL,
    queued_at  TIMESTAMPTZ NOT NULL
);

-- Marts: recomputed from staging, per week where the grain has a week.
CREATE TABLE IF NOT EXISTS marts.delivery_weekly (
    week_start                DATE NOT NULL,
    service                   VARCHAR NOT NULL,
    team                      VARCHAR NOT NULL,
    deployments               BIGINT NOT NULL,
    successful_deployments    BIGINT NOT NULL,
    failed_deployments        BIGINT NOT NULL,
    rolled_back_deployments   BIGINT NOT NULL,
    rollback_deployments      BIGINT NOT NULL,
    change_failures           BIGINT NOT NULL,
    change_failure_rate       DOUBLE,
    deploy_days               BIGINT NOT NULL,
    median_lead_time_hours    DOUBLE,
    lead_time_excluded        BIGINT NOT NULL,
    median_recovery_hours     DOUBLE,
    median_duration_seconds   DOUBLE,
    changes_shipped           BIGINT,
    median_change_count       DOUBLE,
    off_hours_deployments     BIGINT NOT NULL,
    weekend_deployments       BIGINT NOT NULL,
    off_hours_change_failures BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS marts.delivery_summary (
    week_start                     DATE NOT NULL,
    scope                          VARCHAR NOT NULL,
    deployments                    BIGINT NOT NULL,
    deployment_frequency           BIGINT NOT NULL,
    deploy_days                    BIGINT NOT NULL,
    change_failures                BIGINT NOT NULL,
    change_failure_rate            DOUBLE,
    median_lead_time_hours         DOUBLE,
    median_recovery_hours          DOUBLE,
    median_incident_restore_hours  DOUBLE,
    incidents                      BIGINT NOT NULL,
    median_change_count            DOUBLE,
    off_hours_deployments          BIGINT NOT NULL,
    weekend_deployments            BIGINT NOT NULL,
    lead_time_excluded             BIGINT NOT NULL,
    trailing_weeks                 INTEGER NOT NULL,
    trailing_deploy_days_median    DOUBLE,
    trailing_lead_time_hours       DOUBLE,
    trailing_change_failure_rate   DOUBLE,
    trailing_recovery_hours        DOUBLE,
    benchmark                      VARCHAR NOT NULL,
    df_tier                        VARCHAR,
    lt_tier                        VARCHAR,
    cfr_tier                       VARCHAR,
    recovery_tier                  VARCHAR,
    overall_tier                   VARCHAR
);

CREATE TABLE IF NOT EXISTS marts.release_windows (
    week_start          DATE NOT NULL,     -- last week of the trailing window
    weekday             INTEGER NOT NULL,  -- 1 = Monday
    hour                INTEGER NOT NULL,
    deployments         BIGINT NOT NULL,
    change_failures     BIGINT NOT NULL,
    change_failure_rate DOUBLE
);

CREATE TABLE IF NOT EXISTS marts.batch_risk (
    week_start          DATE NOT NULL,     -- last week of the trailing window
    bucket              VARCHAR NOT NULL,
    deployments         BIGINT NOT NULL,
    change_failures     BIGINT NOT NULL,
    change_failure_rate DOUBLE
);

CREATE TABLE IF NOT EXISTS marts.cadence (
    week_start             DATE NOT NULL,
    team                   VARCHAR NOT NULL,
    successful_deployments BIGINT NOT NULL,
    rolling_4w_mean        DOUBLE,
    trend_per_week         DOUBLE,
    window_mean            DOUBLE,
    trend                  VARCHAR NOT NULL
);

-- The versioned benchmark thresholds in force (loaded from assets/delivery/benchmarks.json).
CREATE TABLE IF NOT EXISTS marts.benchmark_tiers (
    benchmark VARCHAR NOT NULL,
    metric    VARCHAR NOT NULL,
    tier      VARCHAR NOT NULL,
    tier_rank INTEGER NOT NULL,   -- 1 = elite
    better    VARCHAR NOT NULL,   -- higher | lower
    bound     DOUBLE NOT NULL,
    inclusive BOOLEAN NOT NULL
);

-- Environment drift (README: Drift): history kept per snapshot date.
CREATE TABLE IF NOT EXISTS marts.environment_matrix (
    as_of        DATE NOT NULL,
    service      VARCHAR NOT NULL,
    environment  VARCHAR NOT NULL,
    version      VARCHAR NOT NULL,
    image_digest VARCHAR,
    since        TIMESTAMPTZ,               -- when this version arrived (current run)
    source       VARCHAR NOT NULL           -- inventory | deployments
);

CREATE TABLE IF NOT EXISTS marts.drift (
    as_of            DATE NOT NULL,
    service          VARCHAR NOT NULL,
    baseline_env     VARCHAR NOT NULL,
    target_env       VARCHAR NOT NULL,
    baseline_version VARCHAR,
    target_version   VARCHAR,
    drift_kind       VARCHAR NOT NULL,
    versions_behind  INTEGER,
    pending_changes  BIGINT,
    drift_since      TIMESTAMPTZ,
    drift_age_days   DOUBLE,
    expected         BOOLEAN NOT NULL,
    rule             VARCHAR
);

CREATE TABLE IF NOT EXISTS marts.promotion_lag (
    service       VARCHAR NOT NULL,
    version       VARCHAR NOT NULL,
    baseline_at   TIMESTAMPTZ,
    production_at TIMESTAMPTZ,
    lag_hours     DOUBLE,
    state         VARCHAR NOT NULL          -- promoted | in_flight | skipped | bypassed_baseline
);

-- Release-calendar events: one row per occurrence (a recurring event expands within the
-- calendar horizon; its occurrences' ids are `<UID>/<start in UTC>`).
CREATE TABLE IF NOT EXISTS staging.calendar_events (
    event_id    VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,              -- freeze | release | maintenance
    summary     VARCHAR,
    categories  VARCHAR[],
    starts_at   TIMESTAMPTZ NOT NULL,
    ends_at     TIMESTAMPTZ NOT NULL,
    services    VARCHAR[],                     -- empty: every service
    versions    JSON,                          -- planned version per service
    source      VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    extra       JSON,
    row_hash    UBIGINT NOT NULL,
    loaded_at   TIMESTAMPTZ NOT NULL
);

-- Production deployments that started inside a freeze (one row per deployment and freeze).
CREATE TABLE IF NOT EXISTS marts.freeze_violations (
    week_start      DATE NOT NULL,
    deployment_id   VARCHAR NOT NULL,
    service         VARCHAR NOT NULL,
    team            VARCHAR NOT NULL,
    version         VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL,
    change_type     VARCHAR NOT NULL,
    is_hotfix       BOOLEAN NOT NULL,          -- hotfixes are counted apart, not as violations
    event_id        VARCHAR NOT NULL,
    event_summary   VARCHAR,
    event_starts_at TIMESTAMPTZ NOT NULL,
    event_ends_at   TIMESTAMPTZ NOT NULL
);

-- Planned releases against what shipped: one row per planned release and service, plus the
-- unplanned production deployments of planned services in the same week.
CREATE TABLE IF NOT EXISTS marts.release_plan (
    week_start      DATE NOT NULL,
    event_id        VARCHAR,                   -- null for an unplanned deployment
    event_summary   VARCHAR,
    service         VARCHAR NOT NULL,
    planned_version VARCHAR,
    planned_at      TIMESTAMPTZ,
    planned_until   TIMESTAMPTZ,
    deployment_id   VARCHAR,                   -- the shipped deployment, when one matched
    shipped_version VARCHAR,
    shipped_at      TIMESTAMPTZ,
    slip_hours      DOUBLE,                    -- after the planned window (0 when on time)
    state           VARCHAR NOT NULL           -- on_time | slipped | pending | unplanned
);

-- Notifications sent (or not): one row per destination and message.
CREATE TABLE IF NOT EXISTS raw.notifications (
    sent_at     TIMESTAMPTZ NOT NULL,
    event       VARCHAR NOT NULL,              -- weekly | held_file | drift_past_sla | manual
    week        VARCHAR,
    destination VARCHAR NOT NULL,              -- the URL with its secrets masked
    ok          BOOLEAN NOT NULL,
    error       VARCHAR
);

-- Every published weekly page and the lake snapshot it was read from (null for a DuckDB
-- file, which keeps no snapshots), so a page can be rebuilt exactly as it was built.
CREATE TABLE IF NOT EXISTS raw.report_builds (
    week_start    DATE NOT NULL,
    built_at      TIMESTAMPTZ NOT NULL,        -- also the page's "generated" time
    lake_snapshot BIGINT,
    report_path   VARCHAR NOT NULL
);
