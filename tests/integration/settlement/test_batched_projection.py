"""Batching changes nothing: the settlement read model's `apply_many` writes the rows of the
per-event path (SD 1(6), XM-17/18: a settlement, its notice and its answer date).

What the settlement domain decides for one worker (direct settlements with their notices,
a not-direct encounter recorded as reimbursable, a post-settlement correction that reverses
and re-settles, a claim filed), with redeliveries inside and across batches and a message
the read model ignores, is applied into fresh schemas of one test database
(`tests.support.oracle.BatchOracle`): by `per_event_apply` below, the shipped per-event
projection before batching kept verbatim as the oracle; by `SettlementReadModel.apply` (a
batch of one); and by `apply_many` in batches of 3 and in one batch.
"""

from __future__ import annotations

import asyncpg
import pytest

from contracts.encounter import DischargedEncounterCorrected, EncounterDischarged
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.replies import MessageAccepted
from contracts.runtime.projection import connect
from contracts.settlement import (
    EmployerReceivableRaised,
    EncounterReimbursable,
    EncounterSettled,
    SettlementNoticeIssued,
    SettlementReversed,
)
from services.settlement.adapters.projection import (
    _UPSERT_ENCOUNTER,
    TABLES,
    SettlementReadModel,
    _claims,
    _json,
)
from services.settlement.domain.state import WorkerState
from services.settlement.domain.worker import handle
from tests.support.oracle import BatchOracle
from tests.unit.settlement.factories import encounter, file_claim, line
from tests.unit.settlement.test_decisions import CATS, env

pytestmark = pytest.mark.integration


# --- the oracle: SettlementReadModel.apply as shipped before apply_many, verbatim --------
async def _encounter(conn: asyncpg.Connection, ev: EncounterSettled | EncounterReimbursable,
                     event_id: object) -> None:
    direct = isinstance(ev, EncounterSettled)
    if isinstance(ev, EncounterSettled):
        sid, on, reasons, ins, trt = (ev.settlement_id, ev.settled_on, [], ev.insured_region,
                                      ev.treatment_region)
    else:
        sid, on, reasons, ins, trt = (None, ev.recorded_on, list(ev.not_direct_reasons),
                                      ev.insured_region, ev.treatment_region)
        await conn.execute("UPDATE encounter_settlements SET status='superseded' WHERE "
                           "encounter_id=$1 AND revision<$2 AND mode='reimbursable'",
                           ev.encounter_id, ev.revision)
    await conn.execute(
        _UPSERT_ENCOUNTER, ev.encounter_id, ev.revision, "direct" if direct else "reimbursable",
        "settled" if direct else "reimbursable", sid, ev.worker_id, ev.institution_id, ins, trt,
        on, ev.submitted_fen, ev.fund_fen, ev.self_fen, ev.employer_fen, _json(ev.lines),
        reasons, event_id)


async def per_event_apply(conn: asyncpg.Connection, event: Envelope[Message]) -> None:
    ev = event.payload
    if isinstance(ev, EncounterSettled | EncounterReimbursable):
        await _encounter(conn, ev, event.event_id)
    elif isinstance(ev, SettlementNoticeIssued):
        await conn.execute("UPDATE encounter_settlements SET answer_due_on=$2, on_account=$3"
                           " WHERE settlement_id=$1", ev.settlement_id, ev.answer_due_on,
                           ev.on_account)
    elif isinstance(ev, SettlementReversed):
        await conn.execute("UPDATE encounter_settlements SET status='reversed', reversed_on=$2"
                           " WHERE settlement_id=$1", ev.settlement_id, ev.reversed_on)
    elif isinstance(ev, EmployerReceivableRaised):
        await conn.execute(
            "INSERT INTO receivables VALUES ($1,$2,$3,$4,$5,$6,$7,$8) "
            "ON CONFLICT (receivable_id) DO NOTHING", ev.receivable_id, ev.employer_id,
            ev.worker_id, ev.insured_region, ev.amount_fen, list(ev.settlement_ids),
            ev.raised_on, ev.reason)
        await conn.execute("UPDATE encounter_settlements SET receivable_id=$1 WHERE "
                           "settlement_id = ANY($2::text[])", ev.receivable_id,
                           list(ev.settlement_ids))
    else:
        await _claims(conn, ev)



# --- what the domain decides ----------------------------------------------------------
def history() -> list[Envelope[Message]]:
    state = WorkerState()
    out: list[Envelope[Message]] = []
    for payload in (
        EncounterDischarged(encounter=encounter([line(1, 45000, qty="3")])),
        EncounterDischarged(encounter=encounter([line(1, 20000)], enc_no="E2")),
        EncounterDischarged(encounter=encounter([line(1, 100)], enc_no="E3", direct=False)),
        DischargedEncounterCorrected(encounter=encounter(
            [line(1, 45000, qty="3"), line(2, 5000)], revision=1)),
        file_claim(),
        EncounterDischarged(encounter=encounter([line(1, 30000)], enc_no="E4")),
    ):
        decided, state = handle(state, env(payload), CATS)
        out += [env(e) for e in decided]
    kinds = {type(e.payload) for e in out}
    assert {EncounterSettled, SettlementNoticeIssued, EncounterReimbursable,
            SettlementReversed} <= kinds, kinds
    ignored: Message = MessageAccepted(ref_event_id=out[0].event_id, ref_type="X",
                                       detail="ignored")
    # Redelivery inside a batch and across batches; a message the read model ignores.
    return [*out[:3], out[1], *out[3:], env(ignored), out[0], out[4]]


async def test_sd_1_6_apply_many_writes_the_rows_of_the_per_event_path(database_url: str
                                                                       ) -> None:
    check = BatchOracle(database_url, "settlement", TABLES, SettlementReadModel(), history())
    await check.assert_batching_changes_nothing(per_event_apply, "settle", [3])
    conn = await connect(database_url, "settle_oracle")
    try:
        rows = {(r["encounter_id"][-2:], r["revision"]): (r["status"], r["answer_due_on"])
                for r in await conn.fetch("SELECT * FROM encounter_settlements")}
        claims = await conn.fetchval("SELECT count(*) FROM claims")
    finally:
        await conn.close()
    assert {k: v[0] for k, v in rows.items()} == {
        ("E1", 0): "reversed", ("E1", 1): "settled", ("E2", 0): "settled",
        ("E3", 0): "reimbursable", ("E4", 0): "settled"}
    # XM-17: every direct settlement got its notice's answer date
    assert all(due is not None for (_, _), (status, due) in rows.items()
               if status == "settled")
    assert claims == 1
