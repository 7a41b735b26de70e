-- Encounter read model: one row per encounter, one per charge line (live or reversed).
CREATE TABLE IF NOT EXISTS encounters (
    encounter_id        text        PRIMARY KEY,
    institution_id      text        NOT NULL,
    worker_id           text        NOT NULL,
    care_type           text        NOT NULL,
    insured_region      text        NOT NULL,
    treatment_region    text        NOT NULL,
    cross_provincial    boolean     NOT NULL,
    direct_settlement   boolean     NOT NULL,
    not_direct_reasons  text[]      NOT NULL,
    registration_id     text,
    diagnosis_code      text        NOT NULL,
    third_party_liability boolean   NOT NULL,
    admitted_at         timestamptz NOT NULL,
    discharged_at       timestamptz,
    status              text        NOT NULL,
    revision            int         NOT NULL DEFAULT 0,
    submitted_fen       bigint      NOT NULL DEFAULT 0,
    line_count          int         NOT NULL DEFAULT 0,
    last_event_id       uuid        NOT NULL
);
CREATE INDEX IF NOT EXISTS encounters_worker ON encounters (worker_id);
CREATE INDEX IF NOT EXISTS encounters_institution ON encounters (institution_id);

CREATE TABLE IF NOT EXISTS charge_lines (
    encounter_id    text     NOT NULL REFERENCES encounters (encounter_id),
    line_no         int      NOT NULL,
    catalog_kind    text     NOT NULL,
    item_code       text     NOT NULL,
    quantity        numeric  NOT NULL,
    unit_price_fen  bigint   NOT NULL,
    amount_fen      bigint   NOT NULL,
    service_date    date     NOT NULL,
    injury_related  boolean  NOT NULL,
    third_party     boolean  NOT NULL,
    status          text     NOT NULL,  -- live | reversed
    last_event_id   uuid     NOT NULL,
    PRIMARY KEY (encounter_id, line_no)
);
