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
from services.encounter.adapters.handling import handle
from services.encounter.domain.state import WorkerState
from tests.unit.encounter.samples import admission, coverage, sample_book, worker_id

W, JN, D0 = worker_id(7), "H370100001", date(2024, 6, 25)


def test_the_same_envelope_again_is_passed_by_and_a_resend_is_answered_duplicate() -> None:
    book, cov = sample_book(), coverage(W, "370100")
    cmd = admission(W, JN, "RD1", D0)
    env = envelope.new(cmd, key=W, occurred_at=cmd.admitted_at, source=hospital_source(JN))
    first = handle(env, WorkerState(), cov, book)  # type: ignore[arg-type]
    assert first.state is not None
    assert [type(o.envelope.payload) for o in first.outgoing][-1] is AdmissionAnswered

    again = handle(env, first.state, cov, book)  # type: ignore[arg-type]  # redelivered
    assert again.outgoing == [] and again.state is None

    resend = envelope.new(cmd, key=W, occurred_at=cmd.admitted_at, source=hospital_source(JN))
    answer = handle(resend, first.state, cov, book)  # type: ignore[arg-type]
    [reply] = [o.envelope.payload for o in answer.outgoing]
    assert isinstance(reply, MessageAccepted) and "duplicate" in reply.detail
