-- The public warehouse tables (DESIGN section 5). Idempotent: run on every connection.
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
    rows_inserted   BIGINT NOT NULL DEFAULT 0,
    rows_updated    BIGINT NOT NULL DEFAULT 0,
    status          VARCHAR NOT NULL,          -- loaded | empty | failed
    error           VARCHAR,
    first_event_at  TIMESTAMPTZ,
    last_event_at   TIMESTAMPTZ,
    contract_status VARCHAR,                   -- passed | failed | not_run
    contract_detail JSON
);

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
    row_hash          VARCHAR NOT NULL,
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
    row_hash                 VARCHAR NOT NULL,
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
    row_hash     VARCHAR NOT NULL,
    loaded_at    TIMESTAMPTZ NOT NULL
);

-- Weeks whose facts changed since the weekly marts last ran: the work queue of a normal run.
CREATE TABLE IF NOT EXISTS raw.pending_weeks (
    week_start DATE NOT NULL,
    queued_at  TIMESTAMPTZ NOT NULL
);
