-- Which settlements each clearing cycle holds (national 3260) and each region's word on them
-- (3261 confirm / dispute; a 3262 roll-back deletes the confirmation).
CREATE TABLE cycle_items (
    cycle_id       text   NOT NULL,
    settlement_id  text   NOT NULL,
    institution_id text   NOT NULL,
    debtor         text   NOT NULL,
    creditor       text   NOT NULL,
    settled_fen    bigint NOT NULL,
    refused_fen    bigint NOT NULL,
    PRIMARY KEY (cycle_id, settlement_id)
);
CREATE TABLE cycle_item_marks (
    cycle_id      text   NOT NULL,
    settlement_id text   NOT NULL,
    region        text   NOT NULL,
    status        text   NOT NULL,  -- confirmed | disputed
    reason        text   NOT NULL DEFAULT '',
    actor         text   NOT NULL DEFAULT '',
    marked_on     date   NOT NULL,
    last_seq      bigint NOT NULL,
    PRIMARY KEY (cycle_id, settlement_id, region)
);
