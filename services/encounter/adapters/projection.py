"""Read model of encounters and their lines (schema `encounter`), from `encounter-events`.

Every statement is an idempotent upsert of the state an event implies, so re-applying an
event (after a crash, or in a replay) leaves the same rows; totals are recomputed from the
live lines, never incremented.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from contracts import topics
from contracts.encounter import (
    ChargeLine,
    ChargeLineCorrected,
    ChargeLineRecorded,
    ChargeLineReversed,
    DischargedEncounterCorrected,
    EncounterAdmitted,
    EncounterCancelled,
    EncounterDischarged,
)
from contracts.envelope import Envelope
from contracts.message import Message

SCHEMA = "encounter"
TABLES = ["encounters", "charge_lines"]

_TOTALS = """
UPDATE encounters e SET
  submitted_fen = COALESCE((SELECT sum(amount_fen) FROM charge_lines c
                            WHERE c.encounter_id = e.encounter_id AND c.status = 'live'), 0),
  line_count = (SELECT count(*) FROM charge_lines c
                WHERE c.encounter_id = e.encounter_id AND c.status = 'live'),
  last_event_id = $2
WHERE encounter_id = $1"""

_LINE = """
INSERT INTO charge_lines (encounter_id, line_no, catalog_kind, item_code, quantity,
  unit_price_fen, amount_fen, service_date, injury_related, third_party, status, last_event_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'live', $11)
ON CONFLICT (encounter_id, line_no) DO UPDATE SET catalog_kind = EXCLUDED.catalog_kind,
  item_code = EXCLUDED.item_code, quantity = EXCLUDED.quantity,
  unit_price_fen = EXCLUDED.unit_price_fen, amount_fen = EXCLUDED.amount_fen,
  service_date = EXCLUDED.service_date, injury_related = EXCLUDED.injury_related,
  third_party = EXCLUDED.third_party, status = 'live', last_event_id = EXCLUDED.last_event_id"""


async def _upsert_line(conn: asyncpg.Connection, eid: str, line: ChargeLine, event_id: object
                       ) -> None:
    await conn.execute(_LINE, eid, line.line_no, line.catalog_kind.value, line.item_code,
                       line.quantity, line.unit_price_fen, line.amount_fen, line.service_date,
                       line.injury_related, line.third_party, event_id)


class EncounterProjection:
    name = "encounters"
    topics: Sequence[topics.Topic] = (topics.ENCOUNTER_EVENTS,)

    async def apply(self, conn: asyncpg.Connection, event: Envelope[Message]) -> None:
        p, eid = event.payload, event.event_id
        if isinstance(p, EncounterAdmitted):
            await conn.execute(
                "INSERT INTO encounters (encounter_id, institution_id, worker_id, care_type,"
                " insured_region, treatment_region, cross_provincial, direct_settlement,"
                " not_direct_reasons, registration_id, diagnosis_code, third_party_liability,"
                " admitted_at, status, last_event_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,"
                "$11,$12,$13,'open',$14) ON CONFLICT (encounter_id) DO NOTHING",
                p.encounter_id, p.institution_id, p.worker_id, p.care_type.value,
                p.insured_region, p.treatment_region, p.cross_provincial, p.direct_settlement,
                [r.value for r in p.not_direct_reasons], p.registration_id, p.diagnosis_code,
                p.third_party_liability, p.admitted_at, eid)
        elif isinstance(p, ChargeLineRecorded | ChargeLineCorrected):
            await _upsert_line(conn, p.encounter_id, p.line, eid)
            await conn.execute(_TOTALS, p.encounter_id, eid)
        elif isinstance(p, ChargeLineReversed):
            await conn.execute("UPDATE charge_lines SET status = 'reversed', last_event_id = $3"
                               " WHERE encounter_id = $1 AND line_no = $2",
                               p.encounter_id, p.line_no, eid)
            await conn.execute(_TOTALS, p.encounter_id, eid)
        elif isinstance(p, EncounterDischarged | DischargedEncounterCorrected):
            rec = p.encounter
            await conn.execute("UPDATE encounters SET status = 'discharged', discharged_at = $2,"
                               " revision = $3 WHERE encounter_id = $1",
                               rec.encounter_id, rec.discharged_at, rec.revision)
            await conn.execute(_TOTALS, rec.encounter_id, eid)
        elif isinstance(p, EncounterCancelled):
            await conn.execute("UPDATE encounters SET status = 'cancelled', last_event_id = $2"
                               " WHERE encounter_id = $1", p.encounter_id, eid)


PROJECTIONS = [EncounterProjection()]
