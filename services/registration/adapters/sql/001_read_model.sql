-- Registration read model (schema `registration`), rebuilt from registration-events alone.
CREATE TABLE registrations (
    worker_id         text        NOT NULL,
    registration_id   text        NOT NULL,
    registration_type text        NOT NULL,
    status            text        NOT NULL,   -- pending | approved | rejected | cancelled
    origin            text        NOT NULL,   -- online | offline (SD-REG-6)
    insured_region    text        NOT NULL,
    treatment_region  text        NOT NULL,   -- current place (history in coverage_windows)
    institution_id    text,
    registered_on     date        NOT NULL,
    approved_on       date,
    valid_from        date        NOT NULL,
    valid_until       date        NOT NULL,   -- inclusive; expired = status approved and day > this
    cancelled_on      date,
    rejected_reason   text,
    last_event_id     uuid        NOT NULL,
    updated_at        timestamptz NOT NULL,   -- business time of the last event
    PRIMARY KEY (worker_id, registration_id)
);
CREATE INDEX registrations_by_id ON registrations (registration_id);

CREATE TABLE coverage_windows (
    worker_id         text NOT NULL,
    registration_id   text NOT NULL,
    seq               int  NOT NULL,
    registration_type text NOT NULL,
    insured_region    text NOT NULL,
    treatment_region  text NOT NULL,
    valid_from        date NOT NULL,
    valid_until       date NOT NULL,
    PRIMARY KEY (worker_id, registration_id, seq)
);

CREATE TABLE registration_history (
    event_id        uuid        PRIMARY KEY,
    worker_id       text        NOT NULL,
    seq             int         NOT NULL,   -- order of the worker's events (one partition)
    registration_id text        NOT NULL,
    event_type      text        NOT NULL,
    occurred_at     timestamptz NOT NULL,
    causation_id    uuid,
    payload         jsonb       NOT NULL,
    UNIQUE (worker_id, seq)
);

CREATE TABLE worker_states (
    worker_id            text  PRIMARY KEY,
    social_security_card text,
    state                jsonb NOT NULL,    -- domain WorkerState: the fold of the worker's events
    last_event_id        uuid  NOT NULL
);
