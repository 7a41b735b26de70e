"""The monthly payment run (XM-21(3), XM-22…26): one payment per (person, benefit, month).

`run_month(workers, refs, month, history, ran_on, fresh)` compares, for every month from the
injury month up to `month`, what each person is owed (entitlements.monthly_entitlements on
the facts known now) with what is paid and not reversed (`history`), and emits the
differences: a payment for a month owed and unpaid (arrears if before `month`: a fact that
arrived late, a missed run), and for a month paid at another amount a reversal of that
payment in full plus a new payment at the right amount, never an edit. What no rule owes is
never paid later: a suspended month (XM-23(5)) is owed zero, so no back pay exists for it.

Idempotent: payment ids are uuid5 of (worker, injury, person, benefit, month, revision), and
a rerun on the same facts finds no difference and emits nothing. Every payment and reversal
carries balanced entries (postings.py), so every run's entries sum to zero. A fresh run of a
month already run is refused `payment_run_already_done`; a rerun (fresh=False) of it pays
only what changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from contracts.benefits import (
    HeldWorker,
    MonthlyBenefitPaid,
    MonthlyBenefitReversed,
    PaymentRunCompleted,
    PeriodicBenefit,
)
from contracts.decision import Rejected
from contracts.message import Event, Message
from services.benefits.domain import postings
from services.benefits.domain.entitlements import Entitlement, monthly_entitlements
from services.benefits.domain.facts import WorkerFacts
from services.benefits.domain.levels import References
from services.benefits.domain.months import Month, months_from

NAMESPACE = uuid.UUID("6f1c2a52-3b7e-5d0a-9c4e-0b19f0a5e019")  # benefits payments, fixed


@dataclass(frozen=True, order=True)
class PaymentKey:
    worker_id: str
    injury_id: str
    person_id: str
    benefit: PeriodicBenefit
    month: Month


def key_of(event: MonthlyBenefitPaid | MonthlyBenefitReversed) -> PaymentKey:
    year, month = event.benefit_month.split("-")
    return PaymentKey(event.worker_id, event.injury_id, event.person_id, event.benefit,
                      Month(int(year), int(month)))


def payment_id(key: PaymentKey, revision: int) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{key.worker_id}|{key.injury_id}|{key.person_id}|"
                                 f"{key.benefit.value}|{key.month}|{revision}")


def reversal_id(paid: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"reversal|{paid}")


@dataclass(frozen=True)
class PaymentHistory:
    """What earlier runs did: the live (not reversed) payment per key, how many payments
    each key has had, and how many runs each month has had."""

    live: dict[PaymentKey, MonthlyBenefitPaid] = field(default_factory=dict)
    revisions: dict[PaymentKey, int] = field(default_factory=dict)
    runs: dict[Month, int] = field(default_factory=dict)


def history_of(events: Iterable[Message]) -> PaymentHistory:
    """Fold the run's own events (payments, reversals, completed runs) in order."""
    h = PaymentHistory()
    for event in events:
        h = recorded(h, event)
    return h


def recorded(h: PaymentHistory, event: Message) -> PaymentHistory:
    """The history after one of the run's events (a new history; `h` is left as it was)."""
    if isinstance(event, MonthlyBenefitPaid):
        key = key_of(event)
        return replace(h, live={**h.live, key: event},
                       revisions={**h.revisions, key: event.revision})
    if isinstance(event, MonthlyBenefitReversed):
        key = key_of(event)
        live = h.live.get(key)
        if live is None or live.payment_id != event.reverses:
            return h
        return replace(h, live={k: v for k, v in h.live.items() if k != key})
    if isinstance(event, PaymentRunCompleted):
        m = Month(*map(int, event.run_month.split("-")))
        return replace(h, runs={**h.runs, m: h.runs.get(m, 0) + 1})
    return h


def owed(facts: WorkerFacts, refs: References, through: Month) -> dict[PaymentKey, Entitlement]:
    """Every amount owed to the worker's people from the injury month through `through`."""
    if facts.injury is None:
        return {}
    injury_id = facts.injury.injury_id
    return {PaymentKey(facts.worker_id, injury_id, e.person_id, e.benefit, month): e
            for month in months_from(Month.of(facts.injury.injured_on), through)
            for e in monthly_entitlements(facts, refs, month) if e.amount_fen > 0}


def _fields(key: PaymentKey, region: str, run: Month, ran_on: date, amount_fen: int,
            revision: int) -> dict[str, object]:
    return dict(run_month=str(run), worker_id=key.worker_id, injury_id=key.injury_id,
                insured_region=region, person_id=key.person_id, benefit=key.benefit,
                benefit_month=str(key.month), revision=revision, amount_fen=amount_fen,
                arrears=key.month < run, paid_on=ran_on)


def reversal(live: MonthlyBenefitPaid, run: Month, ran_on: date, reason: str
             ) -> MonthlyBenefitReversed:
    """The live payment cancelled in full: its legs turned (postings.reversed_)."""
    key = key_of(live)
    account = postings.person(key.worker_id, key.person_id)
    return MonthlyBenefitReversed.model_validate({
        **_fields(key, live.insured_region, run, ran_on, live.amount_fen, live.revision),
        "entries": postings.reversed_(live.insured_region, account, live.amount_fen),
        "payment_id": reversal_id(live.payment_id), "reverses": live.payment_id,
        "reason": reason})


def payment(key: PaymentKey, due: Entitlement, region: str, run: Month, ran_on: date,
            revision: int) -> MonthlyBenefitPaid:
    """XM-21(3): by bank into the person's own account: debit the fund, credit the person."""
    account = postings.person(key.worker_id, key.person_id)
    return MonthlyBenefitPaid.model_validate({
        **_fields(key, region, run, ran_on, due.amount_fen, revision),
        "entries": postings.paid(region, account, due.amount_fen),
        "payment_id": payment_id(key, revision), "rules": (*due.rules, "XM-21(3)")})


def worker_moves(facts: WorkerFacts, refs: References, run: Month, history: PaymentHistory,
                 ran_on: date) -> list[Event]:
    """One worker's differences between what is owed and what is paid, months up to `run`."""
    if facts.injury is None:
        return []
    region, due = facts.injury.insured_region, owed(facts, refs, run)
    mine = {k: p for k, p in history.live.items()
            if (k.worker_id, k.injury_id) == (facts.worker_id, facts.injury.injury_id)
            and k.month <= run}
    out: list[Event] = []
    for key in sorted(due.keys() | mine.keys()):
        now, live = due.get(key), mine.get(key)
        if live is not None and now is not None and live.amount_fen == now.amount_fen:
            continue
        if live is not None:
            why = f"now owed {now.amount_fen} fen" if now else "no longer owed"
            out.append(reversal(live, run, ran_on, why))
        if now is not None:
            revision = history.revisions.get(key, 0) + 1
            out.append(payment(key, now, region, run, ran_on, revision))
    return out


def check_run(month: Month, history: PaymentHistory, ran_on: date, fresh: bool) -> None:
    if Month.of(ran_on) < month:
        raise Rejected("run_month_not_started", f"the run for {month} cannot be made on {ran_on}")
    if fresh and month in history.runs:
        raise Rejected("payment_run_already_done",
                       f"the payment run for {month} was already made; rerun it instead")
    if not fresh and month not in history.runs:
        raise Rejected("payment_run_not_done", f"no payment run for {month} to rerun")


def run_month(workers: Iterable[WorkerFacts], refs: References, month: Month,
              history: PaymentHistory, ran_on: date, fresh: bool = True) -> list[Event]:
    """The run's payments and reversals, then `PaymentRunCompleted`; a rerun that finds no
    difference emits nothing. A worker whose amounts cannot be computed (a reference
    missing) is held with the reason and paid by a later run."""
    check_run(month, history, ran_on, fresh)
    events: list[Event] = []
    held: list[HeldWorker] = []
    for facts in sorted(workers, key=lambda w: w.worker_id):
        try:
            events.extend(worker_moves(facts, refs, month, history, ran_on))
        except Rejected as refused:
            held.append(HeldWorker(worker_id=facts.worker_id, code=refused.code,
                                   detail=refused.reason))
    if not fresh and not events:
        return []
    paid = [e for e in events if isinstance(e, MonthlyBenefitPaid)]
    back = [e for e in events if isinstance(e, MonthlyBenefitReversed)]
    done = history.runs.get(month, 0)
    return [*events, PaymentRunCompleted(
        run_id=f"benefits-{month}" + (f"-r{done}" if done else ""), run_month=str(month),
        ran_on=ran_on, fresh=fresh, payments=len(paid), reversals=len(back),
        paid_fen=sum(p.amount_fen for p in paid), reversed_fen=sum(r.amount_fen for r in back),
        held=tuple(held))]
