"""The benefits service's handler map: a `benefits-commands` record and the book -> Decision.

Three kinds of input, each from staff who may send it (issue 16, `contracts.authority`):
- a **fact** (wage, assessment, death, prison, retirement, dependant…), recorded as it is on
  `benefits-events` once `facts.evolve` finds it possible, else refused with its reason code
  (`dated_before_injury`, `unknown_dependant`, …: issue 19 "Bad input");
- a **one-time claim** command (XM-10, XM-13…15, XM-17, XM-21; `claims.py`), its payment
  instructed by someone other than its reviewer (four-eyes);
- the **monthly payment run** (XM-21(3), XM-22…26; `payment_run.py`) over every worker.
Pure: the shared runner (`contracts.runtime.runner`) reads and sends. A redelivered input
(in `book.seen`) is answered again and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from contracts import benefits as b
from contracts import topics
from contracts.authority import authorize, four_eyes
from contracts.decision import Decision, KeyedBy, Outgoing, Rejected, acknowledge
from contracts.envelope import Envelope, derive
from contracts.message import Event, Message
from services.benefits.domain import claims, facts, payment_run
from services.benefits.domain.book import BenefitsBook, evolve
from services.benefits.domain.levels import References
from services.benefits.domain.months import Month
from services.benefits.domain.workdays import WorkCalendar

SOURCE = topics.Writer.BENEFITS.value
CLAIM_COMMANDS = (b.FileBenefitClaim, b.SubmitBenefitClaimDocuments, b.ReviewBenefitClaim,
                  b.PayBenefitClaim)
KEYED_BY = KeyedBy("the worker id (a run: its month)", lambda payload: getattr(
    payload, "worker_id", None) or getattr(payload, "month", None))


@dataclass(frozen=True)
class Context:
    """What a decision needs beside the book: the levels, wages and incomes in force
    (reference data) and the official working-day calendar (XM-17)."""

    refs: References
    calendar: WorkCalendar


def decide_fact(book: BenefitsBook, env: Envelope[Message], ctx: Context) -> list[Event]:
    fact = env.payload
    worker = book.worker(fact.worker_id)  # type: ignore[attr-defined]
    own = getattr(fact, "insured_region", None) or worker.insured_region
    authorize(env.actor, fact, None if own is None else [own])
    facts.evolve(worker.facts, fact)  # Rejected: impossible, nothing recorded
    return [fact]  # type: ignore[list-item]


def decide_claim(book: BenefitsBook, env: Envelope[Message], ctx: Context) -> list[Event]:
    cmd = env.payload
    worker = book.worker(cmd.worker_id)  # type: ignore[attr-defined]
    if worker.insured_region is None:
        raise Rejected("injury_not_recognised", f"no recognised injury recorded for "
                       f"{worker.facts.worker_id}: benefits follow recognition (XM-9)")
    actor = authorize(env.actor, cmd, [worker.insured_region])
    if isinstance(cmd, b.PayBenefitClaim):
        four_eyes(actor, [worker.reviewers.get(cmd.claim_id, "")], "instruct its payment",
                  "reviewed this claim")
    return claims.decide(worker.claims, worker.facts, ctx.refs, cmd,  # type: ignore[arg-type]
                         ctx.calendar)


def decide_run(book: BenefitsBook, env: Envelope[Message], ctx: Context) -> list[Event]:
    cmd = env.payload
    assert isinstance(cmd, b.RunMonthlyPayments)
    authorize(env.actor, cmd, None)  # a run is the agency's, over all its workers
    year, month = map(int, cmd.month.split("-"))
    workers = [w.facts for w in book.workers.values() if w.facts.injury is not None]
    return payment_run.run_month(workers, ctx.refs, Month(year, month), book.history,
                                 cmd.ran_on, cmd.fresh)


Decide = Callable[[BenefitsBook, Envelope[Message], Context], list[Event]]


def handler(decide: Decide) -> Callable[[BenefitsBook, Envelope[Message], Context],
                                        Decision[BenefitsBook]]:
    """A handler that records what `decide` gives and answers the sender."""

    def handle(book: BenefitsBook, env: Envelope[Message], ctx: Context
               ) -> Decision[BenefitsBook]:
        events = [] if env.event_id in book.seen else decide(book, env, ctx)
        recorded = _recorded(env, events)
        after = book
        for out in recorded:
            after = evolve(after, out.envelope)
        return Decision(events=recorded,
                        replies=[acknowledge(env, recorded, topics.BENEFIT_REPLIES, SOURCE)],
                        state=None if after is book else after)

    return handle


def _recorded(env: Envelope[Message], events: Sequence[Event]) -> list[Outgoing]:
    """On `benefits-events`, each keyed by its worker (a run's summary: the run's month)."""
    out = []
    for derived in derive(env, list(events), key=env.key, source=SOURCE):
        key = getattr(derived.payload, "worker_id", None) or env.key
        out.append(Outgoing(topics.BENEFIT_EVENTS, derived.model_copy(update={"key": key})))
    return out


Handler = Callable[[BenefitsBook, Envelope[Message], Context], Decision[BenefitsBook]]
HANDLERS: dict[type[Message], Handler] = {
    **{fact: handler(decide_fact) for fact in b.FACTS},
    **{cmd: handler(decide_claim) for cmd in CLAIM_COMMANDS},
    b.RunMonthlyPayments: handler(decide_run),
}
"""Every input of `benefits-commands`."""

