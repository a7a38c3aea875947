-- The public warehouse tables (README: Warehouse tables) but the marts, which are created
-- from their specs in assets/marts/ right after this script. Idempotent: run on every connection.
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
    records_skipped JSON,                      -- entries of an export that are not records, by reason
    file_size       BIGINT,                    -- the file when it was read: size, modification and
    file_mtime_ns   BIGINT,                    -- change times, so an unchanged file is known without
    file_ctime_ns   BIGINT                     -- reading it again
);

-- columns added after the first release: warehouses written before them gain them here
ALTER TABLE raw.ingested_files ADD COLUMN IF NOT EXISTS records_counted BIGINT;
ALTER TABLE raw.ingested_files ADD COLUMN IF NOT EXISTS read_options JSON;
ALTER TABLE raw.ingested_files ADD COLUMN IF NOT EXISTS accepted_at TIMESTAMPTZ;
ALTER TABLE raw.ingested_files ADD COLUMN IF NOT EXISTS accept_reason VARCHAR;
ALTER TABLE raw.ingested_files ADD COLUMN IF NOT EXISTS forgotten_at TIMESTAMPTZ;
ALTER TABLE raw.ingested_files ADD COLUMN IF NOT EXISTS records_skipped JSON;
ALTER TABLE raw.ingested_files ADD COLUMN IF NOT EXISTS file_size BIGINT;
ALTER TABLE raw.ingested_files ADD COLUMN IF NOT EXISTS file_mtime_ns BIGINT;
ALTER TABLE raw.ingested_files ADD COLUMN IF NOT EXISTS file_ctime_ns BIGINT;

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

-- What the drift marts were last built from: per UTC day number (days since 1970-01-01) of
-- deployments (by start) and inventory captures, the XOR of their row hashes; and the drift
-- settings. A build recomputes the snapshot days from the first day that differs.
CREATE TABLE IF NOT EXISTS raw.drift_input_days (
    day    BIGINT NOT NULL,
    digest UBIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS raw.drift_build (
    settings VARCHAR NOT NULL,               -- JSON: the drift settings of the build
    built_at TIMESTAMPTZ NOT NULL
);
-- Per service and version, its first arrival anywhere, in the baseline (with that
-- deployment's change count) and in production: what the drift classification and promotion
-- lag read, brought up to date by each build from the facts that arrived since.
CREATE TABLE IF NOT EXISTS raw.version_history (
    service       VARCHAR NOT NULL,
    version       VARCHAR NOT NULL,
    first_seen    TIMESTAMPTZ NOT NULL,
    in_baseline   BOOLEAN NOT NULL,
    change_count  INTEGER,
    baseline_at   TIMESTAMPTZ,
    production_at TIMESTAMPTZ
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
