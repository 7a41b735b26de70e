-- The audit trail of one service, in that service's schema (the migrator sets search_path),
-- rebuilt from its events and dead-letters topics alone (contracts/runtime/audit_trail.py):
-- one row per event, who did it and about what. Included by services/*/adapters/sql/002_audit.sql.
CREATE TABLE audit_trail (
    event_id          uuid        PRIMARY KEY,
    event_type        text        NOT NULL,   -- MessageDeadLettered for a refusal
    occurred_at       timestamptz NOT NULL,   -- business time
    recorded_at       timestamptz NOT NULL,
    topic             text        NOT NULL,   -- registry name, without a run's prefix
    partition         int         NOT NULL,
    log_offset        bigint      NOT NULL,
    actor_id          text,                   -- NULL: before actors existed, or the system
    actor_kind        text,
    actor_channel     text,
    actor_name        text,
    actor_roles       text[],
    actor_regions     text[],
    actor_institution text,
    causation_id      uuid,
    correlation_id    uuid,
    refused_type      text,                   -- a refusal: the type refused, when readable
    reason_code       text,                   -- a refusal: why
    worker_id         text,
    registration_id   text,
    encounter_id      text,
    claim_id          text,
    settlement_id     text,
    cycle_id          text,
    institution_id    text
);
-- GET /audit orders by business time, then log position, and pages by that key.
CREATE UNIQUE INDEX audit_trail_by_time ON audit_trail (occurred_at, topic, partition, log_offset);
CREATE INDEX audit_trail_by_actor ON audit_trail (actor_id, occurred_at) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_trail_by_worker ON audit_trail (worker_id, occurred_at) WHERE worker_id IS NOT NULL;
CREATE INDEX audit_trail_by_registration ON audit_trail (registration_id, occurred_at)
    WHERE registration_id IS NOT NULL;
CREATE INDEX audit_trail_by_encounter ON audit_trail (encounter_id, occurred_at)
    WHERE encounter_id IS NOT NULL;
CREATE INDEX audit_trail_by_claim ON audit_trail (claim_id, occurred_at) WHERE claim_id IS NOT NULL;
CREATE INDEX audit_trail_by_settlement ON audit_trail (settlement_id, occurred_at)
    WHERE settlement_id IS NOT NULL;
CREATE INDEX audit_trail_by_cycle ON audit_trail (cycle_id, occurred_at) WHERE cycle_id IS NOT NULL;
CREATE INDEX audit_trail_by_institution ON audit_trail (institution_id, occurred_at)
    WHERE institution_id IS NOT NULL;
