"""Claims for one-time benefits: checklists (XM-10, XM-13…15), XM-17 deadlines on the official
calendar, payee and channel (XM-21), refusals with reason codes. Worked amounts with the
national levels (factories.py: wage base 600,000 fen, Jinan's average 800,000 fen)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import benefits as b
from contracts.benefits import BenefitClaimKind as K
from contracts.benefits import BenefitDocument as D
from contracts.benefits import PayeeKind
from contracts.clearing import Entry
from contracts.decision import Rejected
from contracts.settlement import ClaimStatus, PaymentChannel
from services.benefits.domain import checklists
from services.benefits.domain.claim_state import fold
from tests.unit.benefits import factories as f
from tests.unit.benefits.claim_helpers import documents, file, pay, review, run

GRADE_3 = f.facts(f.assessed(date(2024, 6, 20), 3))
REFS = f.refs(incomes=(f.income(),))


def test_xm_10_xm_17_xm_21_disability_subsidy_filed_reviewed_and_paid_to_the_employer() -> None:
    """Complete at filing on Fri 2024-09-20: review due 15 working days later on the official
    calendar (National Day 1–7 Oct off, Sun 29 Sep and Sat 12 Oct worked) = 2024-10-16, not
    Mon–Fri's 10-11; reviewed 2024-10-14, payment due 10 working days later = 2024-10-28.
    NR-35 grade 3: 23 months × 600,000 = 13,800,000 fen, by bank to the employer."""
    book, events = run(GRADE_3, REFS, file(K.DISABILITY_SUBSIDY, date(2024, 9, 20)),
                       review(date(2024, 10, 14)), pay(date(2024, 10, 25)))
    filed, done, reviewed, paid = events
    assert isinstance(filed, b.BenefitClaimFiled) and filed.missing_documents == ()
    assert isinstance(done, b.BenefitClaimCompleted)
    assert (done.review_due_on, done.calendar_estimated) == (date(2024, 10, 16), False)
    assert isinstance(reviewed, b.BenefitClaimReviewed)
    assert reviewed.amount_fen == 23 * 600_000 == 13_800_000
    assert (reviewed.payee, reviewed.payee_id, reviewed.channel) == (
        PayeeKind.EMPLOYER, f.EMPLOYER, PaymentChannel.BANK_TRANSFER)
    assert reviewed.payment_due_on == date(2024, 10, 28)
    assert reviewed.rules == ("NR-35", "XM-21(1)")
    assert isinstance(paid, b.BenefitClaimPaid) and paid.amount_fen == 13_800_000
    assert paid.entries == (Entry(account="fund:370100", amount_fen=13_800_000),
                            Entry(account=f"employer:{f.EMPLOYER}", amount_fen=-13_800_000))
    assert book.claims[0].status is ClaimStatus.PAID


def test_xm_10_a_claim_missing_documents_waits_and_its_clock_starts_when_complete() -> None:
    partial = checklists.DISABILITY - {D.MEDICAL_RECORDS, D.SOCIAL_SECURITY_CARD}
    book, events = run(GRADE_3, REFS, file(K.DISABILITY_SUBSIDY, date(2024, 7, 1), partial))
    (filed,) = events
    assert isinstance(filed, b.BenefitClaimFiled)
    assert filed.missing_documents == (D.MEDICAL_RECORDS, D.SOCIAL_SECURITY_CARD)
    with pytest.raises(Rejected) as err:
        run(GRADE_3, REFS, review(date(2024, 7, 5)), book=book)
    assert err.value.code == "documents_incomplete"
    assert "medical_records, social_security_card" in err.value.reason
    book, events = run(GRADE_3, REFS, documents(date(2024, 7, 3), D.MEDICAL_RECORDS), book=book)
    assert [type(e) for e in events] == [b.BenefitClaimDocumentsReceived]
    assert book.claims[0].status is ClaimStatus.INCOMPLETE
    assert not book.claims[0].overdue(date(2030, 1, 1))  # XM-17: no clock before completeness
    book, events = run(GRADE_3, REFS, documents(date(2024, 7, 4), D.SOCIAL_SECURITY_CARD,
                                                D.MEDICAL_RECORDS), book=book)
    received, done = events
    assert isinstance(received, b.BenefitClaimDocumentsReceived)
    assert received.documents == (D.SOCIAL_SECURITY_CARD,)  # only what is new
    assert isinstance(done, b.BenefitClaimCompleted) and done.completed_on == date(2024, 7, 4)
    with pytest.raises(Rejected) as err:
        run(GRADE_3, REFS, documents(date(2024, 7, 5), D.ID_COPY), book=book)
    assert err.value.code == "claim_already_complete"


def test_xm_17_overdue_after_the_due_day_for_review_then_for_payment() -> None:
    """Completed Mon 2024-07-01: review due 2024-07-22; reviewed that day, payment due
    2024-08-05. The due day itself is in time."""
    book, _ = run(GRADE_3, REFS, file(K.DISABILITY_SUBSIDY, date(2024, 7, 1)))
    claim = book.claims[0]
    assert claim.due() is not None and claim.due().on == date(2024, 7, 22)  # type: ignore[union-attr]
    assert not claim.overdue(date(2024, 7, 22)) and claim.overdue(date(2024, 7, 23))
    book, _ = run(GRADE_3, REFS, review(date(2024, 7, 22)), book=book)
    claim = book.claims[0]
    assert not claim.overdue(date(2024, 8, 5)) and claim.overdue(date(2024, 8, 6))
    book, _ = run(GRADE_3, REFS, pay(date(2024, 8, 9)), book=book)
    assert not book.claims[0].overdue(date(2030, 1, 1))  # paid: nothing left to be late


def test_xm_17_outside_the_official_calendar_the_due_date_is_estimated_monday_to_friday(
        ) -> None:
    late = f.facts(f.assessed(date(2027, 2, 1), 3))
    _, events = run(late, REFS, file(K.DISABILITY_SUBSIDY, date(2027, 3, 1)))
    done = events[1]
    assert isinstance(done, b.BenefitClaimCompleted)
    assert (done.review_due_on, done.calendar_estimated) == (date(2027, 3, 22), True)


def test_xm_17_the_calendar_as_data_agrees_with_settlements_calendar() -> None:
    """The same notices give the same due dates as settlement's (chinesecalendar) count."""
    from services.benefits.domain.workdays import add_working_days
    from services.settlement.domain import workdays as settlement

    cal = f.official_calendar()
    for start in (date(2024, 1, 31), date(2024, 4, 3), date(2024, 9, 20), date(2025, 1, 24),
                  date(2025, 9, 26), date(2026, 12, 20)):
        for n in (5, 10, 15):
            ours, theirs = add_working_days(cal, start, n), settlement.add_working_days(start, n)
            assert (ours.on, ours.estimated) == (theirs.on, theirs.estimated), (start, n)


@pytest.mark.parametrize(("kind", "facts", "why"), [
    (K.DISABILITY_SUBSIDY, f.facts(), "no labour-capacity assessment"),
    (K.FUNERAL_SUBSIDY, GRADE_3, "no death at work"),
    (K.DEATH_SUBSIDY, f.facts(f.assessed(date(2024, 6, 20), 2),
                              f.died(date(2025, 1, 5), work_related=False)),
     "no death at work or declaration"),
    (K.DEATH_SUBSIDY_ADVANCE, GRADE_3, "not missing"),
    (K.MEDICAL_EMPLOYMENT_SUBSIDY, GRADE_3, "grade 5–10"),
])
def test_a_benefit_the_facts_do_not_give_is_refused(kind: K, facts: object, why: str) -> None:
    """NR-35…39, XM-14, XM-15: the wrong benefit for the facts is `benefit_not_due`."""
    claimed = 1_000_000 if kind is K.MEDICAL_EMPLOYMENT_SUBSIDY else None
    with pytest.raises(Rejected) as err:
        run(facts, REFS, file(kind, date(2025, 2, 1), claimed_fen=claimed))  # type: ignore[arg-type]
    assert err.value.code == "benefit_not_due" and why in err.value.reason


def test_nr_39_a_grade_2_workers_death_not_at_work_gives_the_funeral_subsidy_only() -> None:
    facts = f.facts(f.assessed(date(2024, 6, 20), 2), f.died(date(2025, 1, 5), False))
    _, events = run(facts, REFS, file(K.FUNERAL_SUBSIDY, date(2025, 1, 20), checklists.DEATH),
                    review(date(2025, 2, 3)))
    assert isinstance(events[-1], b.BenefitClaimReviewed)
    assert events[-1].amount_fen == 6 * 800_000


def test_an_injury_not_recognised_or_another_injury_is_refused() -> None:
    with pytest.raises(Rejected) as err:
        run(f.fold(f.WORKER, []), REFS, file(K.DISABILITY_SUBSIDY, date(2024, 7, 1)))
    assert err.value.code == "injury_not_recognised"
    other = b.FileBenefitClaim(worker_id=f.WORKER, claim_id="C1", injury_id="INJ-2",
                               kind=K.DISABILITY_SUBSIDY, employer_id=f.EMPLOYER,
                               filed_on=date(2024, 7, 1))
    with pytest.raises(Rejected) as err:
        run(GRADE_3, REFS, other)
    assert err.value.code == "other_injury"


def test_a_benefit_already_paid_or_still_claimed_is_refused() -> None:
    book, _ = run(GRADE_3, REFS, file(K.DISABILITY_SUBSIDY, date(2024, 7, 1)))
    with pytest.raises(Rejected) as err:
        run(GRADE_3, REFS, file(K.DISABILITY_SUBSIDY, date(2024, 7, 2), claim_id="C2"),
            book=book)
    assert err.value.code == "claim_already_open"
    with pytest.raises(Rejected) as err:
        run(GRADE_3, REFS, file(K.DISABILITY_SUBSIDY, date(2024, 7, 2)), book=book)
    assert err.value.code == "duplicate_claim"
    book, _ = run(GRADE_3, REFS, review(date(2024, 7, 5)), pay(date(2024, 7, 9)), book=book)
    with pytest.raises(Rejected) as err:
        run(GRADE_3, REFS, pay(date(2024, 7, 10)), book=book)
    assert err.value.code == "already_paid"
    with pytest.raises(Rejected) as err:
        run(GRADE_3, REFS, file(K.DISABILITY_SUBSIDY, date(2025, 1, 2), claim_id="C2"),
            book=book)
    assert err.value.code == "already_paid"
    with pytest.raises(Rejected) as err:
        run(GRADE_3, REFS, review(date(2024, 7, 10)), book=book)
    assert err.value.code == "already_reviewed"


def test_unknown_claims_and_steps_out_of_order_are_refused() -> None:
    with pytest.raises(Rejected) as err:
        run(GRADE_3, REFS, review(date(2024, 7, 5), claim_id="NOPE"))
    assert err.value.code == "unknown_claim"
    book, _ = run(GRADE_3, REFS, file(K.DISABILITY_SUBSIDY, date(2024, 7, 1)))
    with pytest.raises(Rejected) as err:
        run(GRADE_3, REFS, pay(date(2024, 7, 2)), book=book)
    assert err.value.code == "not_reviewed"
    with pytest.raises(Rejected) as err:
        run(GRADE_3, REFS, review(date(2024, 7, 5), approved_fen=1), book=book)
    assert err.value.code == "approved_amount_invalid"


def test_xm_21_a_one_time_benefit_needs_the_employer_it_is_paid_to() -> None:
    with pytest.raises(Rejected) as err:
        run(GRADE_3, REFS, file(K.DISABILITY_SUBSIDY, date(2024, 7, 1), employer_id=None))
    assert err.value.code == "employer_required"


def test_xm_14_xm_25_advance_to_a_missing_workers_family_then_the_rest_on_declaration() -> None:
    """XM-14: 50% of 20 × 5,182,100 (2023's income) = 51,821,000 fen advanced in June 2024.
    XM-25: declared dead 2025-04-10: 20 × 5,400,000 (2024's) − the advance = 56,179,000;
    the funeral subsidy 6 × 800,000 too (NR-41). The advance is then no longer due."""
    refs = f.refs(incomes=(f.income(), f.income(2024, 5_400_000, date(2025, 1, 20))))
    gone = f.missing(f.INJURED_ON, f.INJURED_ON)
    book, events = run(f.facts(gone), refs,
                       file(K.DEATH_SUBSIDY_ADVANCE, date(2024, 6, 3), checklists.ADVANCE),
                       review(date(2024, 6, 10)), pay(date(2024, 6, 14)))
    assert isinstance(events[-1], b.BenefitClaimPaid) and events[-1].amount_fen == 51_821_000
    declared = f.facts(gone, f.declared(f.INJURED_ON, date(2025, 4, 10)))
    with pytest.raises(Rejected) as err:
        run(declared, refs, file(K.DEATH_SUBSIDY_ADVANCE, date(2025, 5, 1), checklists.ADVANCE,
                                 claim_id="C9"), book=book)
    assert err.value.code == "benefit_not_due"
    book, events = run(declared, refs,
                       file(K.DEATH_SUBSIDY, date(2025, 5, 6), checklists.DECLARED_DEATH,
                            claim_id="C2"), review(date(2025, 5, 12), "C2"),
                       file(K.FUNERAL_SUBSIDY, date(2025, 5, 6), checklists.DECLARED_DEATH,
                            claim_id="C3"), review(date(2025, 5, 12), "C3"), book=book)
    death, funeral = (e for e in events if isinstance(e, b.BenefitClaimReviewed))
    assert death.amount_fen == 108_000_000 - 51_821_000 == 56_179_000
    assert death.rules == ("NR-41", "XM-25", "XM-21(1)")
    assert funeral.amount_fen == 4_800_000


def test_xm_10_6_xm_25_a_declared_death_is_proved_by_the_court_not_a_death_certificate() -> None:
    declared = f.facts(f.missing(f.INJURED_ON, f.INJURED_ON),
                       f.declared(f.INJURED_ON, date(2025, 4, 10)))
    _, events = run(declared, REFS, file(K.FUNERAL_SUBSIDY, date(2025, 5, 6), checklists.DEATH))
    (filed,) = events
    assert isinstance(filed, b.BenefitClaimFiled)
    assert filed.missing_documents == (D.COURT_DECLARATION,)


def test_xm_15_the_subsidy_toward_the_medical_and_employment_subsidies() -> None:
    """Grade 8 (NR-37): the employer claims 3,000,000 fen; the review approves at most that;
    paid by bank to the employer (XM-21(2))."""
    grade_8 = f.facts(f.assessed(date(2024, 6, 20), 8))
    claim = file(K.MEDICAL_EMPLOYMENT_SUBSIDY, date(2025, 3, 3), checklists.SUBSIDY,
                 claimed_fen=3_000_000)
    with pytest.raises(Rejected) as err:
        run(grade_8, REFS, claim, review(date(2025, 3, 10), approved_fen=3_000_001))
    assert err.value.code == "approved_amount_invalid"
    _, events = run(grade_8, REFS, claim, review(date(2025, 3, 10), approved_fen=2_500_000),
                    pay(date(2025, 3, 17)))
    paid = events[-1]
    assert isinstance(paid, b.BenefitClaimPaid) and paid.amount_fen == 2_500_000
    assert paid.payee is PayeeKind.EMPLOYER and sum(e.amount_fen for e in paid.entries) == 0
    with pytest.raises(Rejected) as err:
        run(grade_8, REFS, file(K.MEDICAL_EMPLOYMENT_SUBSIDY, date(2025, 3, 3)))
    assert err.value.code == "claimed_amount_invalid"


DEAD_AT_WORK = f.facts(
    f.died(date(2025, 1, 5)),
    f.dependant("SON", b.Relation.CHILD, date(2008, 11, 2), registered_on=date(2025, 1, 20)),
    f.dependant("BABY", b.Relation.CHILD, date(2025, 5, 1), posthumous=True,
                registered_on=date(2025, 5, 10)),
    f.dependant("GRANNY", b.Relation.GRANDPARENT, date(1940, 1, 1), alone=True,
                registered_on=date(2025, 1, 20)),
)


@pytest.mark.parametrize(("dependant_id", "extra"), [
    ("SON", {D.SCHOOLING_PROOF}),  # 16 on 2025-02-03: XM-13(6)
    ("BABY", {D.BIRTH_CERTIFICATE}),  # XM-13(4)
    ("GRANNY", {D.ALONE_PROOF}),  # XM-13(5)
])
def test_xm_13_a_dependants_checklist_follows_the_dependants_situation(
        dependant_id: str, extra: set[D]) -> None:
    _, events = run(DEAD_AT_WORK, REFS,
                    file(K.DEPENDANT_PENSION, date(2025, 6, 3), checklists.DEPENDANT,
                         employer_id=None, dependant_id=dependant_id))
    filed = events[0]
    assert isinstance(filed, b.BenefitClaimFiled)
    assert set(filed.missing_documents) == extra


def test_xm_13_xm_21_3_a_dependants_pension_goes_to_their_own_account_by_the_run() -> None:
    docs = checklists.DEPENDANT | {D.SCHOOLING_PROOF}
    book, events = run(DEAD_AT_WORK, REFS,
                       file(K.DEPENDANT_PENSION, date(2025, 6, 3), docs, employer_id=None,
                            dependant_id="SON"), review(date(2025, 6, 9)))
    reviewed = events[-1]
    assert isinstance(reviewed, b.BenefitClaimReviewed)
    assert (reviewed.payee, reviewed.payee_id, reviewed.amount_fen) == (
        PayeeKind.PERSON, "SON", None)
    with pytest.raises(Rejected) as err:
        run(DEAD_AT_WORK, REFS, pay(date(2025, 6, 10)), book=book)
    assert err.value.code == "paid_by_monthly_run"
    with pytest.raises(Rejected) as err:
        run(DEAD_AT_WORK, REFS, file(K.DEPENDANT_PENSION, date(2025, 6, 3), docs,
                                     employer_id=None, claim_id="C2"))
    assert err.value.code == "dependant_required"


def test_xm_23_2_a_dependant_already_past_18_when_the_pension_would_start_is_refused() -> None:
    facts = f.facts(f.died(date(2025, 1, 5)),
                    f.dependant("OLDER", b.Relation.CHILD, date(2006, 3, 1),
                                registered_on=date(2025, 1, 20)))
    with pytest.raises(Rejected) as err:
        run(facts, REFS, file(K.DEPENDANT_PENSION, date(2025, 2, 3), employer_id=None,
                              dependant_id="OLDER"))
    assert err.value.code == "benefit_not_due" and "XM-23" in err.value.reason


def test_the_claims_rebuild_from_their_events() -> None:
    book, events = run(GRADE_3, REFS, file(K.DISABILITY_SUBSIDY, date(2024, 7, 1)),
                       review(date(2024, 7, 5)))
    assert fold(f.WORKER, events) == book
    assert book.claims[0].status is ClaimStatus.REVIEWED
    with pytest.raises(TypeError):
        fold(f.WORKER, [f.died(date(2025, 1, 1))])
