"""The benefits service's handler map (issue 19 with issue 16): facts, claims and the monthly
run from `benefits-commands` to `benefits-events`, decided by whoever may send them, each
input once; the book rebuilt from the recorded events equals the book decided."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from contracts import benefits as b
from contracts import envelope, topics
from contracts.actor import Role
from contracts.benefits import BenefitClaimKind
from contracts.business_time import CHINA
from contracts.decision import Rejected
from contracts.envelope import Envelope
from contracts.message import Message
from services.benefits.domain.book import BenefitsBook, evolve
from services.benefits.domain.handlers import HANDLERS, KEYED_BY, Context
from tests.support.actors import staff
from tests.unit.benefits import claim_helpers as ch
from tests.unit.benefits import factories as f

CTX = Context(f.refs(incomes=(f.income(),)), ch.CALENDAR)
REVIEWER = staff(Role.CLAIMS_REVIEWER, "zhao.min", ("370000",))
FINANCE = staff(Role.FINANCE, "sun.li", ("370000",))
QINGDAO_REVIEWER = staff(Role.CLAIMS_REVIEWER, "qd", ("370200",))


def env(payload: Message, actor: Any = REVIEWER, key: str | None = None) -> Envelope[Message]:
    day = getattr(payload, "ran_on", None) or date(2024, 7, 1)
    when = datetime(day.year, day.month, day.day, 10, tzinfo=CHINA)
    return envelope.new(payload, key=key or getattr(payload, "worker_id", None) or
                        payload.month, occurred_at=when, source="desk",  # type: ignore[attr-defined]
                        actor=actor)


def send(book: BenefitsBook, payload: Message, actor: Any = REVIEWER
         ) -> tuple[BenefitsBook, list[Envelope[Message]]]:
    e = env(payload, actor)
    assert KEYED_BY.mismatch(e) is None
    decision = HANDLERS[type(payload)](book, e, CTX)
    assert [r.topic.base for r in decision.replies] == [topics.BENEFIT_REPLIES.base]
    recorded = [o.envelope for o in decision.events]
    assert {o.topic.base for o in decision.events} <= {topics.BENEFIT_EVENTS.base}
    return decision.state or book, recorded


def injured() -> BenefitsBook:
    book = BenefitsBook()
    for fact in (*f.wages_up_to(f.INJURED_ON), f.injury(),
                 f.assessed(date(2024, 6, 20), 3)):
        book, _ = send(book, fact)
    return book


def test_facts_are_recorded_as_sent_and_an_impossible_one_changes_nothing() -> None:
    """Issue 19 "Bad input": a fact dated before the injury is refused with its code."""
    book, recorded = send(BenefitsBook(), f.injury())
    assert [e.payload for e in recorded] == [f.injury()] and recorded[0].key == f.WORKER
    with pytest.raises(Rejected) as refused:
        send(book, f.retired(date(2024, 1, 2), 350_000))
    assert refused.value.code == "dated_before_injury"


def test_facts_and_runs_are_for_those_whose_job_and_region_they_are() -> None:
    """Issue 16 on benefits: a Qingdao reviewer may not record a Jinan worker's facts; the
    run is finance's."""
    book = injured()
    with pytest.raises(Rejected) as other_region:
        send(book, f.retired(date(2025, 6, 3), 350_000), QINGDAO_REVIEWER)
    assert other_region.value.code == "forbidden_region"
    run = b.RunMonthlyPayments(month="2024-07", ran_on=date(2024, 7, 25))
    with pytest.raises(Rejected) as wrong_role:
        send(book, run, REVIEWER)
    assert wrong_role.value.code == "forbidden_role"


def test_xm_21_the_run_pays_once_per_person_benefit_and_month() -> None:
    """XM-21(3), NR-35: grade 3 → 80% of the 600,000 wage base in July; the same input
    redelivered changes nothing; a second fresh run of July is refused."""
    book = injured()
    run = env(b.RunMonthlyPayments(month="2024-07", ran_on=date(2024, 7, 25)), FINANCE)
    decision = HANDLERS[b.RunMonthlyPayments](book, run, CTX)
    paid = [o.envelope.payload for o in decision.events
            if isinstance(o.envelope.payload, b.MonthlyBenefitPaid)]
    assert [(p.benefit, p.benefit_month, p.amount_fen) for p in paid] == [
        (b.PeriodicBenefit.DISABILITY_ALLOWANCE, "2024-07", 480_000)]
    assert sum(e.amount_fen for p in paid for e in p.entries) == 0
    after = decision.state
    assert after is not None
    again = HANDLERS[b.RunMonthlyPayments](after, run, CTX)
    assert not again.events and again.state is None  # redelivered: answered, unchanged
    with pytest.raises(Rejected) as twice:
        send(after, b.RunMonthlyPayments(month="2024-07", ran_on=date(2024, 7, 26)), FINANCE)
    assert twice.value.code == "payment_run_already_done"


def test_xm_17_four_eyes_the_reviewer_of_a_claim_does_not_instruct_its_payment() -> None:
    book = injured()
    book, _ = send(book, ch.file(BenefitClaimKind.DISABILITY_SUBSIDY, date(2024, 7, 8)))
    book, _ = send(book, ch.review(date(2024, 7, 15)))
    reviewer_as_finance = staff(Role.FINANCE, "zhao.min", ("370000",))
    with pytest.raises(Rejected) as same_person:
        send(book, ch.pay(date(2024, 7, 19)), reviewer_as_finance)
    assert same_person.value.code == "four_eyes"
    book, recorded = send(book, ch.pay(date(2024, 7, 19)), FINANCE)
    [paid] = [e.payload for e in recorded]
    assert isinstance(paid, b.BenefitClaimPaid) and paid.amount_fen == 23 * 600_000


def test_the_book_rebuilt_from_the_recorded_events_is_the_book_decided() -> None:
    """Replays are deterministic: folding `benefits-events` gives the same state."""
    book, log = BenefitsBook(), []
    for fact in (*f.wages_up_to(f.INJURED_ON), f.injury(), f.assessed(date(2024, 6, 20), 3)):
        book, out = send(book, fact)
        log += out
    for month, day in (("2024-07", 25), ("2024-08", 26)):
        book, out = send(book, b.RunMonthlyPayments(month=month, ran_on=date(2024, int(
            month[-2:]), day)), FINANCE)
        log += out
    rebuilt = BenefitsBook()
    for recorded in log:
        rebuilt = evolve(rebuilt, recorded)
    assert rebuilt == book
