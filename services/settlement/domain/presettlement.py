"""Pre-settlement (预结算, national 2303/2206): the final settlement's decision on an open
encounter, answered and not recorded.

`presettle` calls the very function that settles a discharge (`encounters.adjudicate`, over
`adjudication.settle`: SD-ENC-3/4/5/6 per line, SD 1(6) / XM-18 direct or reimbursable) on
the encounter as encounter holds it now, as if discharged at the request's `as_of`. So a
discharge on the same business day with the same lines and catalogs settles to the same
fen (tests/unit/settlement/test_presettlement.py). The events `adjudicate` returns are
read and dropped: the handler emits only the answer, and leaves the state alone. Where the
final settlement would refuse (`amount_overflow`), the answer is `PreSettlementRefused` with
that reason, so the hospital that asked is told (not only a dead letter).
"""

from __future__ import annotations

from collections.abc import Callable

from contracts import topics
from contracts.business_time import business_date
from contracts.decision import Decision, KeyedBy, Outgoing, Rejected
from contracts.envelope import Envelope, derive
from contracts.message import Message
from contracts.presettlement import (
    PreSettleEncounter,
    PreSettlementAnswered,
    PreSettlementRefused,
)
from contracts.settlement import EncounterReimbursable, EncounterSettled
from services.settlement.domain.adjudication import Catalogs
from services.settlement.domain.encounters import adjudicate, check_amounts
from services.settlement.domain.references import References, references
from services.settlement.domain.state import WorkerState

SOURCE = topics.Writer.SETTLEMENT.value


def presettle(request: PreSettleEncounter, catalogs: Catalogs | References
              ) -> PreSettlementAnswered:
    """2303/2206: what settling `request.encounter` at `as_of` would decide, line by line
    (SD-ENC-3/4/5/6, SD 1(6)); raises `Rejected` where the final settlement would
    (`amount_overflow`)."""
    encounter = request.encounter.model_copy(update={"discharged_at": request.as_of})
    check_amounts(encounter)
    refs = references(catalogs)
    decided = adjudicate(encounter, refs.catalogs, business_date(request.as_of),
                         refs.calendar)[0]
    settlement_id: str | None
    if isinstance(decided, EncounterSettled):
        settlement_id, on = decided.settlement_id, decided.settled_on
    else:
        assert isinstance(decided, EncounterReimbursable)
        settlement_id, on = None, decided.recorded_on
    return PreSettlementAnswered(
        ref_event_id=request.ref_event_id, message_id=request.message_id,
        encounter_id=encounter.encounter_id, institution_id=encounter.institution_id,
        worker_id=encounter.worker_id, revision=encounter.revision, settled_on=on,
        direct_settlement=settlement_id is not None,
        not_direct_reasons=encounter.not_direct_reasons, settlement_id=settlement_id,
        lines=decided.lines, submitted_fen=decided.submitted_fen, fund_fen=decided.fund_fen,
        self_fen=decided.self_fen, employer_fen=decided.employer_fen)


def refused(request: PreSettleEncounter, exc: Rejected) -> PreSettlementRefused:
    enc = request.encounter
    return PreSettlementRefused(
        ref_event_id=request.ref_event_id, message_id=request.message_id,
        encounter_id=enc.encounter_id, institution_id=enc.institution_id,
        worker_id=enc.worker_id, reason_code=exc.code, reason=exc.reason)


def answer_pre_settlement(state: WorkerState, env: Envelope[Message],
                          catalogs: Catalogs | References) -> Decision[WorkerState]:
    """A pre-settlement request from encounter: the answer on pre-settlement-answers, keyed
    by the worker; no event, no state (a redelivery answers again with the same ids)."""
    request = env.payload
    assert isinstance(request, PreSettleEncounter)
    try:
        decided: PreSettlementAnswered | PreSettlementRefused = presettle(request, catalogs)
    except Rejected as exc:  # what the discharge would be refused: the hospital is told
        decided = refused(request, exc)
    [answer] = derive(env, [decided], key=env.key, source=SOURCE, salt="pre-settlement")
    return Decision(replies=[Outgoing(topics.PRE_SETTLEMENT_ANSWERS, answer)])


Handler = Callable[[WorkerState, Envelope[Message], Catalogs | References],
                  Decision[WorkerState]]
PRE_SETTLEMENT_HANDLERS: dict[type[Message], Handler] = {
    PreSettleEncounter: answer_pre_settlement}
PRE_SETTLEMENT_KEYED_BY = KeyedBy("the encounter's worker id",
                                  lambda request: request.encounter.worker_id)
