-- Clearing read model: the ledger's entries by ledger position, and what is derived from them.
CREATE TABLE ledger_events (
    ledger_seq  bigint PRIMARY KEY,          -- = clearing-events offset
    event_id    uuid NOT NULL UNIQUE,
    event_type  text NOT NULL,
    occurred_at timestamptz NOT NULL,
    payload     jsonb NOT NULL
);
CREATE TABLE ledger_entries (
    ledger_seq    bigint NOT NULL,
    leg           int    NOT NULL,
    account       text   NOT NULL,
    amount_fen    bigint NOT NULL,
    occurred_at   timestamptz NOT NULL,
    business_date date,
    kind          text NOT NULL,
    cycle_id      text,
    PRIMARY KEY (ledger_seq, leg)
);
CREATE INDEX ledger_entries_account ON ledger_entries (account, ledger_seq);
CREATE TABLE balances (
    account     text PRIMARY KEY,
    balance_fen bigint NOT NULL,
    last_seq    bigint NOT NULL
);
CREATE TABLE cycles (
    cycle_id    text PRIMARY KEY,
    month       text NOT NULL,
    scope       text NOT NULL,
    region_a    text NOT NULL,
    region_b    text NOT NULL,
    status      text NOT NULL,
    late_items  int  NOT NULL DEFAULT 0,
    confirmed   text[] NOT NULL DEFAULT '{}',
    disputed    jsonb NOT NULL DEFAULT '{}',
    rolled_into text,
    closed_on   date,
    settled_on  date,
    last_seq    bigint NOT NULL
);
CREATE TABLE statements (
    cycle_id       text NOT NULL,
    debtor         text NOT NULL,
    creditor       text NOT NULL,
    institution_id text NOT NULL,
    settled_fen    bigint NOT NULL,
    refused_fen    bigint NOT NULL,
    PRIMARY KEY (cycle_id, debtor, creditor, institution_id)
);
CREATE TABLE cycle_nets (
    cycle_id text NOT NULL,
    party    text NOT NULL,
    net_fen  bigint NOT NULL,
    PRIMARY KEY (cycle_id, party)
);
CREATE TABLE prepayment_positions (
    account              text PRIMARY KEY,
    funded_fen           bigint NOT NULL,
    balance_fen          bigint NOT NULL,
    warning_line_fen     bigint NOT NULL,
    below_warning        boolean NOT NULL,
    overdrawn            boolean NOT NULL,
    top_up_requested_fen bigint NOT NULL,
    last_seq             bigint NOT NULL
);
