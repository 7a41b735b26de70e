"""What is known about one worker's injury: the benefit facts folded in business order.

`evolve(facts, event) -> facts` is the only place facts change; it refuses (Rejected, with a
reason code) what cannot be true, so nothing is changed by bad input (issue 19 "Bad input"):
a fact about the injury before it is recognised, a fact dated before the injury
(`dated_before_injury`), an assessment naming another injury day, a second first
assessment or a re-assessment with no first one before it, a release without an
imprisonment, facts about an unknown dependant. Contribution wages may come first: they
precede the injury by nature (XM-27).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date

from contracts.benefits import (
    ContributionWageRecorded,
    DeathDeclared,
    DependantDied,
    DependantRegistered,
    ImprisonmentBegan,
    InjuryRecognised,
    LabourCapacityAssessed,
    RecurrenceConfirmed,
    ReleasedFromPrison,
    RetirementApproved,
    WorkerDied,
    WorkerWentMissing,
)
from contracts.decision import Rejected
from contracts.message import Message


@dataclass(frozen=True)
class Imprisonment:
    imprisoned_on: date
    released_on: date | None = None


@dataclass(frozen=True)
class Dependant:
    registered: DependantRegistered
    died_on: date | None = None
    imprisonments: tuple[Imprisonment, ...] = ()

    @property
    def dependant_id(self) -> str:
        return self.registered.dependant_id


@dataclass(frozen=True)
class WorkerFacts:
    worker_id: str
    injury: InjuryRecognised | None = None
    wages: tuple[ContributionWageRecorded, ...] = ()
    recurrences: tuple[RecurrenceConfirmed, ...] = ()
    assessments: tuple[LabourCapacityAssessed, ...] = ()  # in order of `assessed_on`
    died: WorkerDied | None = None
    missing: WorkerWentMissing | None = None
    declared: DeathDeclared | None = None
    imprisonments: tuple[Imprisonment, ...] = ()
    retirement: RetirementApproved | None = None
    dependants: tuple[Dependant, ...] = ()  # in order of registration

    def dependant(self, dependant_id: str) -> Dependant | None:
        return next((d for d in self.dependants if d.dependant_id == dependant_id), None)


BenefitFact = (ContributionWageRecorded | InjuryRecognised | RecurrenceConfirmed
               | LabourCapacityAssessed | WorkerDied | WorkerWentMissing | DeathDeclared
               | ImprisonmentBegan | ReleasedFromPrison | RetirementApproved
               | DependantRegistered | DependantDied)


def _fact_day(event: Message) -> date:
    """The business date a fact happened on (checked against the injury day)."""
    for name in ("assessed_on", "confirmed_on", "died_on", "found_missing_on", "declared_on",
                 "released_on", "imprisoned_on", "approved_on", "registered_on"):
        day = getattr(event, name, None)
        if isinstance(day, date):
            return day
    raise TypeError(f"{type(event).__name__} has no business date")


def _check(facts: WorkerFacts, event: BenefitFact) -> InjuryRecognised:
    injury = facts.injury
    if injury is None:
        raise Rejected("injury_not_recognised",
                       f"{type(event).__name__} for worker {facts.worker_id}: no recognised "
                       "injury recorded yet")
    if event.injury_id != injury.injury_id:
        raise Rejected("other_injury", f"fact names injury {event.injury_id}, "
                       f"this is {injury.injury_id}")
    injured_on = getattr(event, "injured_on", injury.injured_on)
    if injured_on != injury.injured_on:
        raise Rejected("injury_date_mismatch",
                       f"fact says injured on {injured_on}, the injury was {injury.injured_on}")
    day = _fact_day(event)
    if day < injury.injured_on:
        raise Rejected("dated_before_injury",
                       f"{type(event).__name__} dated {day} is before the injury on "
                       f"{injury.injured_on}")
    return injury


def _assess(done: tuple[LabourCapacityAssessed, ...], event: LabourCapacityAssessed
            ) -> tuple[LabourCapacityAssessed, ...]:
    """The first assessment of an injury, then re-assessments dated after it (XM-23(4))."""
    if not event.reassessment and done:
        raise Rejected("already_assessed", f"injury already assessed on {done[0].assessed_on}; "
                       "a later conclusion is a re-assessment")
    if event.reassessment and not (done and done[0].assessed_on <= event.assessed_on):
        raise Rejected("reassessment_without_assessment",
                       f"re-assessment of {event.assessed_on} has no first assessment before it")
    return tuple(sorted((*done, event), key=lambda a: a.assessed_on))


def _imprison(terms: tuple[Imprisonment, ...], day: date) -> tuple[Imprisonment, ...]:
    if any(t.released_on is None for t in terms):
        raise Rejected("already_imprisoned", f"imprisoned on {day} while still imprisoned")
    return (*terms, Imprisonment(day))


def _release(terms: tuple[Imprisonment, ...], event: ReleasedFromPrison
             ) -> tuple[Imprisonment, ...]:
    open_term = Imprisonment(event.imprisoned_on)
    if open_term not in terms:
        raise Rejected("not_imprisoned",
                       f"no open imprisonment from {event.imprisoned_on} to release")
    return tuple(replace(t, released_on=event.released_on) if t == open_term else t
                 for t in terms)


def _with_dependant(facts: WorkerFacts, dependant_id: str | None,
                    change: Callable[[Dependant], Dependant]) -> WorkerFacts:
    found = facts.dependant(dependant_id or "")
    if found is None:
        raise Rejected("unknown_dependant", f"no dependant {dependant_id} registered")
    changed = change(found)
    return replace(facts, dependants=tuple(changed if d is found else d
                                           for d in facts.dependants))


def evolve(facts: WorkerFacts, event: Message) -> WorkerFacts:
    """The facts after `event`, or Rejected (nothing changed). One branch per fact."""
    if not isinstance(event, BenefitFact):
        raise Rejected("unknown_fact", f"{type(event).__name__} is not a benefit fact")
    if event.worker_id != facts.worker_id:
        raise Rejected("wrong_worker", f"fact for {event.worker_id} folded into "
                       f"{facts.worker_id}")
    if isinstance(event, ContributionWageRecorded):
        return replace(facts, wages=(*facts.wages, event))
    if isinstance(event, InjuryRecognised):
        if facts.injury is not None:
            raise Rejected("injury_already_recognised",
                           f"injury {facts.injury.injury_id} is already recorded")
        return replace(facts, injury=event)
    _check(facts, event)
    if isinstance(event, RecurrenceConfirmed):
        return replace(facts, recurrences=(*facts.recurrences, event))
    if isinstance(event, LabourCapacityAssessed):
        return replace(facts, assessments=_assess(facts.assessments, event))
    if isinstance(event, WorkerDied):
        if facts.died is not None:
            raise Rejected("already_died", f"the worker's death on {facts.died.died_on} is "
                           "already recorded")
        return replace(facts, died=event)
    if isinstance(event, WorkerWentMissing):
        return replace(facts, missing=event)
    if isinstance(event, DeathDeclared):
        if facts.missing is None:
            raise Rejected("not_missing", "a declaration of death needs the worker missing")
        return replace(facts, declared=event)
    if isinstance(event, RetirementApproved):
        return replace(facts, retirement=event)
    if isinstance(event, ImprisonmentBegan | ReleasedFromPrison):
        def change(terms: tuple[Imprisonment, ...]) -> tuple[Imprisonment, ...]:
            if isinstance(event, ImprisonmentBegan):
                return _imprison(terms, event.imprisoned_on)
            return _release(terms, event)
        if event.dependant_id is None:
            return replace(facts, imprisonments=change(facts.imprisonments))
        return _with_dependant(facts, event.dependant_id,
                               lambda d: replace(d, imprisonments=change(d.imprisonments)))
    if isinstance(event, DependantRegistered):
        if facts.dependant(event.dependant_id) is not None:
            raise Rejected("dependant_already_registered",
                           f"dependant {event.dependant_id} is already registered")
        return replace(facts, dependants=(*facts.dependants, Dependant(event)))
    return _with_dependant(facts, event.dependant_id,
                           lambda d: replace(d, died_on=event.died_on))


def fold(worker_id: str, events: Iterable[Message]) -> WorkerFacts:
    """The facts after `events`, in order (a replay gives the same facts)."""
    facts = WorkerFacts(worker_id)
    for event in events:
        facts = evolve(facts, event)
    return facts


def business_day(fact: Message) -> date:
    """The day a fact is about: a wage's recording day, an injury's recognition, else the
    day it happened."""
    if isinstance(fact, ContributionWageRecorded):
        return fact.recorded_on
    if isinstance(fact, InjuryRecognised):
        return fact.recognised_on
    return _fact_day(fact)
