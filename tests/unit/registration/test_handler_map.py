"""Registration's handler map runs without Kafka (issue 15): apply then approve (SD-REG-1,
SD-REG-3) recorded on registration-events, the coverage snapshot refreshed, the clerk
answered; the state each decision returns is what the next one is decided on."""

from __future__ import annotations

from datetime import date

from contracts import topics
from contracts.registration import REGISTRATION_COMMANDS, WorkerCoverage
from services.registration.domain import WorkerState
from services.registration.domain.handlers import HANDLERS
from tests.unit.registration import builders as b

W = b.worker_id()


def test_sd_reg_1_3_apply_and_approve_through_the_handler_map_cover_the_worker() -> None:
    state = WorkerState()
    snapshots = []
    for command, day in ((b.apply(W), date(2024, 1, 15)), (b.approve(W), date(2024, 1, 16))):
        decision = HANDLERS[type(command)](state, b.env(command, b.at(day)), None)
        assert decision.state is not None
        state = decision.state
        assert [o.topic for o in decision.replies] == [topics.REGISTRATION_REPLIES]
        snapshots += [o.envelope.payload for o in decision.events
                      if o.topic == topics.REGISTRATION_COVERAGE]
    last = snapshots[-1]
    assert isinstance(last, WorkerCoverage) and last.worker_id == W and last.windows


def test_every_registration_command_has_a_handler() -> None:
    assert set(HANDLERS) == set(REGISTRATION_COMMANDS)
