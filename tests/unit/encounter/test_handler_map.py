"""Encounter's handler map runs without Kafka (issue 15): an admission of a covered worker
(SD-ENC-1) is recorded on encounter-events keyed by the worker and answered to the hospital
keyed by its source; a message for another institution is refused (its source is not the
institution)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import envelope, topics
from contracts.decision import Rejected
from contracts.encounter import AdmissionAnswered, EncounterAdmitted, hospital_source
from services.encounter.domain.encounter import ACCEPTED
from services.encounter.domain.handlers import HANDLERS, Context
from services.encounter.domain.state import WorkerState
from tests.unit.encounter.samples import admission, coverage, sample_book, worker_id

W, JN, D0 = worker_id(8), "H370100001", date(2024, 6, 25)


def test_sd_enc_1_an_admission_is_recorded_for_the_worker_and_answered_to_the_hospital(
        ) -> None:
    ctx = Context(coverage(W, "370100"), sample_book())  # type: ignore[arg-type]
    cmd = admission(W, JN, "RD2", D0)
    env = envelope.new(cmd, key=W, occurred_at=cmd.admitted_at, source=hospital_source(JN))
    decision = HANDLERS[type(cmd)](WorkerState(), env, ctx)
    assert [(o.topic, type(o.envelope.payload), o.envelope.key) for o in decision.events] == [
        (topics.ENCOUNTER_EVENTS, EncounterAdmitted, W)]
    [reply] = decision.replies
    assert (reply.topic, type(reply.envelope.payload), reply.envelope.key) == (
        topics.HOSPITAL_REPLIES, AdmissionAnswered, hospital_source(JN))
    assert decision.state is not None and decision.state != WorkerState()


def test_a_hospital_may_not_write_for_another_institution() -> None:
    ctx = Context(coverage(W, "370100"), sample_book())  # type: ignore[arg-type]
    cmd = admission(W, JN, "RD3", D0)
    env = envelope.new(cmd, key=W, occurred_at=cmd.admitted_at, source="hospital:H999")
    with pytest.raises(Rejected) as refused:
        HANDLERS[type(cmd)](WorkerState(), env, ctx)
    assert refused.value.code == "wrong_institution"


def test_every_hospital_message_has_a_handler() -> None:
    assert set(HANDLERS) == set(ACCEPTED)
