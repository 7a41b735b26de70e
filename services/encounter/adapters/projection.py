"""Read model of encounters and their lines (schema `encounter`), from `encounter-events`.

Every statement is an idempotent upsert of the state an event implies, so re-applying an
event (after a crash, or in a replay) leaves the same rows; totals are recomputed from the
live lines, never incremented. A batch is applied at once (`apply_many`; `apply` is the
batch of one), with one statement per kind of row for each run of common events (`_Run`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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
from contracts.runtime.audit_trail import TABLE
from contracts.runtime.projection import Projection, apply_in_runs
from services.encounter.adapters.audit import AUDIT

SCHEMA = "encounter"
TABLES = ["encounters", "charge_lines", TABLE]

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
  unit_price_fen, amount_fen, service_date, injury_related, third_party, status, last_event_id,
  local_code)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'live', $11, $12)
ON CONFLICT (encounter_id, line_no) DO UPDATE SET catalog_kind = EXCLUDED.catalog_kind,
  item_code = EXCLUDED.item_code, local_code = EXCLUDED.local_code, quantity = EXCLUDED.quantity,
  unit_price_fen = EXCLUDED.unit_price_fen, amount_fen = EXCLUDED.amount_fen,
  service_date = EXCLUDED.service_date, injury_related = EXCLUDED.injury_related,
  third_party = EXCLUDED.third_party, status = 'live', last_event_id = EXCLUDED.last_event_id"""


_ADMIT = (
    "INSERT INTO encounters (encounter_id, institution_id, worker_id, care_type,"
    " insured_region, treatment_region, cross_provincial, direct_settlement,"
    " not_direct_reasons, registration_id, diagnosis_code, third_party_liability,"
    " admitted_at, status, last_event_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,"
    "$11,$12,$13,'open',$14) ON CONFLICT (encounter_id) DO NOTHING")
_DISCHARGE = ("UPDATE encounters SET status = 'discharged', discharged_at = $2,"
              " revision = $3 WHERE encounter_id = $1")
_REVERSE = ("UPDATE charge_lines SET status = 'reversed', last_event_id = $3"
            " WHERE encounter_id = $1 AND line_no = $2")
_CANCEL = "UPDATE encounters SET status = 'cancelled', last_event_id = $2 WHERE encounter_id = $1"
_COMMON = (EncounterAdmitted, ChargeLineRecorded, ChargeLineCorrected, EncounterDischarged,
           DischargedEncounterCorrected)


def _line_row(eid: str, line: ChargeLine, event_id: object) -> tuple[object, ...]:
    return (eid, line.line_no, line.catalog_kind.value, line.item_code, line.quantity,
            line.unit_price_fen, line.amount_fen, line.service_date, line.injury_related,
            line.third_party, event_id, line.local_code)


@dataclass
class _Run:
    """Consecutive admissions, lines and discharges, written with one statement per kind.

    Each kind keeps its log order; an encounter's totals (recomputed from its live lines,
    never incremented) are written once, after its last line or discharge, with that
    event's id. An admission always precedes its encounter's lines and discharge, and a
    redelivered one changes nothing (`DO NOTHING`), so the rows are those of one by one.
    """

    admitted: list[tuple[object, ...]] = field(default_factory=list)
    lines: list[tuple[object, ...]] = field(default_factory=list)
    discharged: list[tuple[object, ...]] = field(default_factory=list)
    totals: dict[str, object] = field(default_factory=dict)  # encounter id -> last event id

    def add(self, event: Envelope[Message]) -> bool:
        p, event_id = event.payload, event.event_id
        if isinstance(p, EncounterAdmitted):
            self.admitted.append((
                p.encounter_id, p.institution_id, p.worker_id, p.care_type.value,
                p.insured_region, p.treatment_region, p.cross_provincial, p.direct_settlement,
                [r.value for r in p.not_direct_reasons], p.registration_id, p.diagnosis_code,
                p.third_party_liability, p.admitted_at, event_id))
        elif isinstance(p, ChargeLineRecorded | ChargeLineCorrected):
            self.lines.append(_line_row(p.encounter_id, p.line, event_id))
            self._total(p.encounter_id, event_id)
        elif isinstance(p, EncounterDischarged | DischargedEncounterCorrected):
            rec = p.encounter
            self.discharged.append((rec.encounter_id, rec.discharged_at, rec.revision))
            self._total(rec.encounter_id, event_id)
        else:
            return False
        return True

    def _total(self, encounter_id: str, event_id: object) -> None:
        self.totals.pop(encounter_id, None)  # keep the order of last touch
        self.totals[encounter_id] = event_id

    async def write(self, conn: asyncpg.Connection) -> None:
        for sql, rows in ((_ADMIT, self.admitted), (_LINE, self.lines),
                          (_DISCHARGE, self.discharged), (_TOTALS, list(self.totals.items()))):
            if rows:
                await conn.executemany(sql, rows)


class EncounterProjection:
    name = "encounters"
    topics: Sequence[topics.Topic] = (topics.ENCOUNTER_EVENTS,)

    async def apply(self, conn: asyncpg.Connection, event: Envelope[Message]) -> None:
        await self.apply_many(conn, [event])

    async def apply_many(self, conn: asyncpg.Connection, events: list[Envelope[Message]]
                         ) -> None:
        """Runs of the common events a run at a time (`_Run`); any other event (a reversal or
        a cancellation, both rare) ends the run and is applied on its own."""
        await apply_in_runs(conn, events, _Run, _apply_one)


async def _apply_one(conn: asyncpg.Connection, event: Envelope[Message]) -> None:
    p, eid = event.payload, event.event_id
    if isinstance(p, ChargeLineReversed):
        await conn.execute(_REVERSE, p.encounter_id, p.line_no, eid)
        await conn.execute(_TOTALS, p.encounter_id, eid)
    elif isinstance(p, EncounterCancelled):
        await conn.execute(_CANCEL, p.encounter_id, eid)


PROJECTIONS: list[Projection] = [EncounterProjection(), AUDIT]
