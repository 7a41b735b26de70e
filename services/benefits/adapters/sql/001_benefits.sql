-- Benefits read model (schema "benefits"): facts per worker, one-time claims with their
-- XM-17 due dates, every monthly payment and reversal, and the runs (issue 19).
CREATE TABLE IF NOT EXISTS facts (
    event_id      uuid    PRIMARY KEY,
    worker_id     text    NOT NULL,
    injury_id     text    NOT NULL,
    fact_type     text    NOT NULL,
    business_date date    NOT NULL,
    payload       jsonb   NOT NULL,
    recorded_at   timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS facts_worker ON facts (worker_id, business_date);

CREATE TABLE IF NOT EXISTS injuries (
    worker_id      text PRIMARY KEY,
    injury_id      text NOT NULL,
    insured_region text NOT NULL,
    injured_on     date NOT NULL
);

CREATE TABLE IF NOT EXISTS benefit_claims (
    claim_id          text    PRIMARY KEY,
    worker_id         text    NOT NULL,
    injury_id         text    NOT NULL,
    kind              text    NOT NULL,
    employer_id       text,
    dependant_id      text,
    claimed_fen       bigint,
    documents         text[]  NOT NULL,
    missing_documents text[]  NOT NULL,
    status            text    NOT NULL,              -- incomplete | complete | reviewed | paid
    filed_on          date    NOT NULL,
    completed_on      date,
    review_due_on     date,
    reviewed_on       date,
    approved_fen      bigint,
    payee             text,
    payee_id          text,
    payment_due_on    date,
    paid_on           date,
    paid_fen          bigint,
    calendar_estimated boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS benefit_claims_worker ON benefit_claims (worker_id);

CREATE TABLE IF NOT EXISTS payments (
    payment_id     uuid    PRIMARY KEY,
    run_month      text    NOT NULL,
    worker_id      text    NOT NULL,
    injury_id      text    NOT NULL,
    insured_region text    NOT NULL,
    person_id      text    NOT NULL,
    benefit        text    NOT NULL,
    benefit_month  text    NOT NULL,
    revision       int     NOT NULL,
    amount_fen     bigint  NOT NULL,
    arrears        boolean NOT NULL,
    paid_on        date    NOT NULL,
    reversed_by    uuid,                             -- the reversal, if any
    reversed_in    text                              -- the run month of the reversal
);
CREATE INDEX IF NOT EXISTS payments_worker ON payments (worker_id, benefit_month);
CREATE INDEX IF NOT EXISTS payments_run ON payments (run_month);

CREATE TABLE IF NOT EXISTS reversals (
    reversal_id    uuid    PRIMARY KEY,
    reverses       uuid    NOT NULL,
    run_month      text    NOT NULL,
    worker_id      text    NOT NULL,
    person_id      text    NOT NULL,
    benefit        text    NOT NULL,
    benefit_month  text    NOT NULL,
    amount_fen     bigint  NOT NULL,
    reason         text    NOT NULL
);

CREATE TABLE IF NOT EXISTS runs (
    run_id        text    PRIMARY KEY,
    run_month     text    NOT NULL,
    ran_on        date    NOT NULL,
    fresh         boolean NOT NULL,
    payments      int     NOT NULL,
    reversals     int     NOT NULL,
    paid_fen      bigint  NOT NULL,
    reversed_fen  bigint  NOT NULL,
    held          jsonb   NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_month ON runs (run_month);
