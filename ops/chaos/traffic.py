"""What a chaos run sends: the demo's month (ops/demo), scaled to N encounters, plus corrections.

Registrations of the three types (and the demo's refusals), prepayments, one inpatient stay
per generic worker (admission, three charge lines, discharge) beside the demo's named stays,
corrections while a stay is open and after discharge (a direct settlement is then reversed
and issued again), reimbursement claims, two signed gateway claims and the month's clearing
close — every step with the answer the rules give (issue 14, "What to build" 1). Only
Kafka is used: a hospital's HTTP request that a SIGKILL cuts off has no id the run could
match an answer to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from contracts import encounter as enc
from contracts.reference import CatalogKind
from ops.demo import hospitals, registrations
from ops.demo import world as w
from ops.demo.story import Step


@dataclass
class Month:
    cast: w.Cast
    regs: registrations.Registrations
    stays: list[hospitals.Stay]
    hospital: list[list[Step]] = field(default_factory=list)  # per stay, in order
    after_discharge: list[Step] = field(default_factory=list)

    @property
    def encounter_ids(self) -> dict[str, str]:
        return {s.person: s.encounter_id for s in self.stays}

    def post_discharge(self) -> dict[str, int]:
        """Encounter id -> post-discharge corrections sent for it."""
        out: dict[str, int] = {}
        for step in self.after_discharge:
            payload = step.payload
            assert isinstance(payload, enc.CorrectChargeLine)
            eid = enc.encounter_id(payload.institution_id, payload.encounter_no)
            out[eid] = out.get(eid, 0) + 1
        return out


def _in_stay_correction(stay: hospitals.Stay) -> None:
    """Line 1 re-sent with one unit more while the stay is still open (no reversal)."""
    kind, code, qty, unit, injury = stay.lines[0]
    stay.charge(1, kind, code, str(int(qty) + 1), unit, injury, stay.admitted,
                says="line 1 corrected before discharge")
    last = stay.steps[-1]
    payload = last.payload
    assert isinstance(payload, enc.RecordChargeLine)
    fixed = enc.CorrectChargeLine(**{**payload.model_dump(exclude={"message_type"}),
                                     "post_discharge_correction": False})
    stay.steps[-1] = Step(last.topic, fixed, last.key, last.when, last.source, last.says)


def build(encounters: int, seed: int) -> Month:
    """The month for `encounters` generic stays (plus the demo's nine named ones)."""
    cast = w.Cast(seed)
    regs = registrations.build(cast, generic=encounters)
    stays = hospitals.stays(regs.people, generic=encounters)
    month = Month(cast, regs, stays)
    for i, stay in enumerate(stays):
        stay.admit()
        for n, (kind, code, qty, unit, injury) in enumerate(stay.lines, start=1):
            stay.charge(n, kind, code, qty, unit, injury,
                        min(stay.admitted + timedelta(days=n % 3), stay.discharged))
        if i == 0:  # the referral: a code not in the catalog (dead-lettered), then resent
            kept = stay.steps
            stay.steps = kept + hospitals.out_of_catalog(stay)
        if i % 7 == 3:
            _in_stay_correction(stay)
        stay.discharge()
        month.hospital.append(stay.steps)
        stay.steps = []
        if i % 5 == 2 and stay.lines[0][0] is not CatalogKind.DEVICE:
            kind, code, qty, unit, injury = stay.lines[-1]
            stay.charge(len(stay.lines), kind, code, qty, max(unit - 100, 1), injury,
                        stay.admitted, correction=True, says="last line corrected after "
                        "discharge", sent=stay.discharged + timedelta(days=3))
            month.after_discharge += stay.steps
            stay.steps = []
    return month
