-- Settlement read model (schema "settlement"): per-encounter adjudication with line reasons,
-- claims with their XM-17 due dates, employer receivables (XM-18).
CREATE TABLE IF NOT EXISTS encounter_settlements (
    encounter_id         text    NOT NULL,
    revision             int     NOT NULL,
    mode                 text    NOT NULL,            -- direct | reimbursable
    status               text    NOT NULL,            -- settled | reversed | reimbursable | superseded
    settlement_id        text,
    worker_id            text    NOT NULL,
    institution_id       text    NOT NULL,
    insured_region       text    NOT NULL,
    treatment_region     text    NOT NULL,
    decided_on           date    NOT NULL,
    submitted_fen        bigint  NOT NULL,
    fund_fen             bigint  NOT NULL,
    self_fen             bigint  NOT NULL,
    employer_fen         bigint  NOT NULL,
    lines                jsonb   NOT NULL,
    not_direct_reasons   text[]  NOT NULL DEFAULT '{}',
    answer_due_on        date,
    on_account           boolean,
    reversed_on          date,
    receivable_id        text,
    event_id             uuid    NOT NULL,
    PRIMARY KEY (encounter_id, revision)
);
CREATE INDEX IF NOT EXISTS encounter_settlements_worker ON encounter_settlements (worker_id);
CREATE UNIQUE INDEX IF NOT EXISTS encounter_settlements_sid ON encounter_settlements (settlement_id);

CREATE TABLE IF NOT EXISTS claims (
    claim_id             text    PRIMARY KEY,
    worker_id            text    NOT NULL,
    claimant             text    NOT NULL,
    employer_id          text,
    insured_region       text    NOT NULL,
    situations           text[]  NOT NULL,
    costs                jsonb   NOT NULL,
    claimed_fen          bigint  NOT NULL,
    documents            text[]  NOT NULL,
    missing_documents    text[]  NOT NULL,
    status               text    NOT NULL,
    filed_on             date    NOT NULL,
    completed_on         date,
    review_due_on        date,
    reviewed_on          date,
    approved_fen         bigint,
    payee                text,
    channel              text,
    payment_due_on       date,
    paid_on              date,
    paid_fen             bigint,
    calendar_estimated   boolean NOT NULL DEFAULT false,
    advance_id           text,
    advance_fen          bigint,
    remainder_fen        bigint
);
CREATE INDEX IF NOT EXISTS claims_status ON claims (status);

CREATE TABLE IF NOT EXISTS receivables (
    receivable_id        text    PRIMARY KEY,
    employer_id          text    NOT NULL,
    worker_id            text    NOT NULL,
    insured_region       text    NOT NULL,
    amount_fen           bigint  NOT NULL,
    settlement_ids       text[]  NOT NULL,
    raised_on            date    NOT NULL,
    reason               text    NOT NULL
);
