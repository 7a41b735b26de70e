"""An envelope handed over again after a crash is not answered twice (issue 14, the chaos
run: a restarted encounter found the state stored but its input position not, decided the
same envelopes again and answered 148 of them a second time, "duplicate: nothing
changed"). A hospital's own resend — a new envelope with the same message id — is still
answered as a duplicate."""

from __future__ import annotations

from datetime import date

from contracts import envelope
from contracts.encounter import AdmissionAnswered, hospital_source
from contracts.replies import MessageAccepted
from services.encounter.domain.handlers import HANDLERS, Context
from services.encounter.domain.state import WorkerState
from tests.unit.encounter.samples import admission, coverage, sample_book, worker_id

W, JN, D0 = worker_id(7), "H370100001", date(2024, 6, 25)


def test_the_same_envelope_again_is_passed_by_and_a_resend_is_answered_duplicate() -> None:
    ctx = Context(coverage(W, "370100"), sample_book())  # type: ignore[arg-type]
    cmd = admission(W, JN, "RD1", D0)
    handle = HANDLERS[type(cmd)]
    env = envelope.new(cmd, key=W, occurred_at=cmd.admitted_at, source=hospital_source(JN))
    first = handle(WorkerState(), env, ctx)
    assert first.state is not None
    assert [type(o.envelope.payload) for o in first.replies] == [AdmissionAnswered]

    again = handle(first.state, env, ctx)  # redelivered
    assert again.events == again.replies == () and again.state is None

    resend = envelope.new(cmd, key=W, occurred_at=cmd.admitted_at, source=hospital_source(JN))
    answer = handle(first.state, resend, ctx)
    assert answer.events == () and answer.state is None
    [reply] = [o.envelope.payload for o in answer.replies]
    assert isinstance(reply, MessageAccepted) and "duplicate" in reply.detail
