"""Batching changes nothing: the encounter read model's `apply_many` writes the rows of the
per-event path (SD-ENC-5/6: the lines and totals a hospital and an agency look up).

What the encounter domain decides for two workers' hospital messages (admissions, lines,
a correction, a reversal, a discharge, a post-discharge correction, a cancellation), with
redeliveries inside and across batches and a message the read model ignores, is applied
into fresh schemas of one test database:
  - by `per_event_apply` below, the shipped per-event projection before batching, kept
    verbatim as the oracle;
  - by `EncounterProjection.apply` (a batch of one) and `apply_many` in batches of 3 and in
    one batch (`tests.support.oracle.BatchOracle`).
Every table's digest must equal the oracle's, and the oracle's totals are checked by hand.
"""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg
import pytest

from contracts import envelope
from contracts.encounter import (
    CancelEncounter,
    ChargeLine,
    ChargeLineCorrected,
    ChargeLineRecorded,
    ChargeLineReversed,
    CorrectChargeLine,
    DischargedEncounterCorrected,
    EncounterAdmitted,
    EncounterCancelled,
    EncounterDischarged,
    ReverseChargeLine,
)
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.reference import CatalogKind
from contracts.replies import MessageAccepted
from contracts.runtime.projection import connect
from services.encounter.adapters.projection import TABLES, EncounterProjection
from services.encounter.domain.encounter import decide, evolve, remember
from services.encounter.domain.state import WorkerState
from tests.support.oracle import BatchOracle
from tests.unit.encounter.samples import (
    admission,
    at,
    charge,
    coverage,
    discharge,
    line,
    sample_book,
    worker_id,
)

pytestmark = pytest.mark.integration

BOOK = sample_book()
A, B = worker_id(11), worker_id(12)
H = "H370100001"
D0 = date(2024, 6, 25)


# --- the oracle: EncounterProjection.apply as shipped before apply_many, verbatim --------
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


async def per_event_apply(conn: asyncpg.Connection, event: Envelope[Message]) -> None:
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


# --- what the domain decides --------------------------------------------------------------
def history() -> list[Envelope[Message]]:
    states = {A: WorkerState(), B: WorkerState()}
    out: list[Envelope[Message]] = []

    def send(worker: str, cmd: object) -> None:
        events = decide(states[worker], cmd, coverage(worker, "370100"), BOOK)  # type: ignore[arg-type]
        for e in events:
            states[worker] = evolve(states[worker], e)
            out.append(envelope.new(e, key=worker, occurred_at=at(D0), source="encounter"))
        states[worker] = remember(states[worker], cmd, uuid.uuid4())  # type: ignore[arg-type]

    def fix(worker: str, no: str, ln: ChargeLine, msg: str, post: bool = False) -> None:
        send(worker, CorrectChargeLine(message_id=msg, institution_id=H, encounter_no=no,
                                       worker_id=worker, line=ln, post_discharge_correction=post))

    send(A, admission(A, H, "E1", D0))
    send(B, admission(B, H, "E2", D0))
    send(A, charge(A, H, "E1", line(1, D0, qty="2", price=2500)))
    send(B, charge(B, H, "E2", line(1, D0)))
    send(A, charge(A, H, "E1", line(2, D0, "DR-001", kind=CatalogKind.DRUG, price=999)))
    fix(A, "E1", line(1, D0, qty="1", price=2500), "fix-1")
    send(A, ReverseChargeLine(message_id="rev-2", institution_id=H, encounter_no="E1",
                              worker_id=A, line_no=2, reason="wrong patient"))
    send(A, charge(A, H, "E1", line(3, D0, price=1200)))
    send(B, CancelEncounter(message_id="cancel", institution_id=H, encounter_no="E2",
                            worker_id=B, reason="opened by mistake"))
    send(A, discharge(A, H, "E1", date(2024, 6, 28)))
    send(B, admission(B, H, "E3", date(2024, 7, 1)))
    send(B, charge(B, H, "E3", line(1, date(2024, 7, 1), price=4000)))
    send(B, discharge(B, H, "E3", date(2024, 7, 2)))
    send(A, charge(A, H, "E1", line(4, D0, price=300), post=True))
    kinds = {type(e.payload) for e in out}
    assert kinds == {EncounterAdmitted, ChargeLineRecorded, ChargeLineCorrected,
                     ChargeLineReversed, EncounterCancelled, EncounterDischarged,
                     DischargedEncounterCorrected}, kinds
    ignored: Message = MessageAccepted(ref_event_id=out[0].event_id, ref_type="X",
                                       detail="ignored")
    other = envelope.new(ignored, key=A, occurred_at=at(D0), source="encounter")
    # Redelivery inside a batch and across batches; a message the read model ignores.
    return [*out[:4], out[2], *out[4:8], other, *out[8:], out[5], out[0]]


# --- the comparison -------------------------------------------------------------------
async def test_sd_enc_apply_many_writes_the_rows_of_the_per_event_path(database_url: str
                                                                       ) -> None:
    check = BatchOracle(database_url, "encounter", TABLES, EncounterProjection(), history())
    await check.assert_batching_changes_nothing(per_event_apply, "enc", [3])
    conn = await connect(database_url, "enc_oracle")
    try:
        rows = {r["encounter_id"]: (r["status"], r["submitted_fen"], r["line_count"])
                for r in await conn.fetch("SELECT * FROM encounters")}
    finally:
        await conn.close()
    # SD-ENC-5/6: totals over the live lines only (line 1 corrected to 2,500, line 2 reversed)
    assert rows == {f"{H}:E1": ("discharged", 2_500 + 1_200 + 300, 3),
                    f"{H}:E2": ("cancelled", 2_500, 1),
                    f"{H}:E3": ("discharged", 4_000, 1)}
