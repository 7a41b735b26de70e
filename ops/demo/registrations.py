"""Phase 1: registrations (备案) of the three types, some refused, changed, expiring.

Who is who in the demo month (May 2024) — referred to by later phases:
  referral      Qingdao worker referred to Jinan (inpatient, corrected after discharge)
  residence     Jinan worker living in Nanjing, Jiangsu (cross-provincial inpatient)
  stationed     Yantai worker stationed in Nanjing (cross-provincial outpatient: claim)
  changed       Qingdao worker living in Zibo, moved to Jinan (rehabilitation)
  expiring      Yantai worker stationed in Qingdao since 2023-05-10 (expired 2024-05-09)
  third_party   Jinan worker referred to Zibo after a traffic accident
  device        Dezhou worker referred to Jinan for an assistive device
  imported      Zibo worker living in Qingdao, registered offline (uploaded twice)
  not_enabled   Jinan worker referred to Weifang, to a hospital not enabled for direct settlement
  beijing       Jinan worker living in Beijing (treated there: a claim via Beijing's gateway)
  generic_*     extra inpatient stays between the pilot cities (`--size`)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from contracts import registration as reg
from contracts.topics import REGISTRATION_COMMANDS
from ops.demo import world as w
from ops.demo.staff import actor_for
from ops.demo.story import Step

CLERK = "agency:{region}-counter"


@dataclass
class Registered:
    worker: w.Worker
    registration_id: str
    treatment_region: str


@dataclass
class Registrations:
    steps: list[Step] = field(default_factory=list)
    people: dict[str, Registered] = field(default_factory=dict)

    def add(self, payload: reg.ApplyForRegistration | reg.Command, worker: w.Worker, day: date,
            says: str, expect: str = "accepted") -> None:
        source = CLERK.format(region=worker.insured_region)
        self.steps.append(Step(REGISTRATION_COMMANDS, payload, worker.worker_id, w.at(day),
                               source, says, expect,
                               actor_for(payload, worker.insured_region)))


def confirmation(day: date) -> reg.Confirmation:
    return reg.Confirmation(kind=reg.ConfirmationKind.INJURY_DETERMINATION,
                            reference_no=f"GSRD-{day:%Y%m%d}", completed_on=day)


def application(worker: w.Worker, rid: str, kind: reg.RegistrationType, treatment: str,
                day: date, **extra: object) -> reg.ApplyForRegistration:
    fields: dict[str, object] = dict(
        registration_id=rid, worker_id=worker.worker_id, social_security_card=worker.card,
        insured_for_work_injury=True, confirmation=confirmation(day - timedelta(days=20)),
        registration_type=kind, insured_region=worker.insured_region,
        treatment_region=treatment)
    fields.update(extra)
    return reg.ApplyForRegistration.model_validate(fields)


def approve(worker: w.Worker, rid: str) -> reg.ApproveRegistration:
    return reg.ApproveRegistration(registration_id=rid, worker_id=worker.worker_id,
                                   reviewer="clerk-01")


def build(cast: w.Cast, generic: int) -> Registrations:
    out = Registrations()
    residence, stationed, referral = (reg.RegistrationType.LONG_TERM_RESIDENCE,
                                      reg.RegistrationType.STATIONED_WORK,
                                      reg.RegistrationType.REFERRAL)

    def approved(name: str, insured: str, kind: reg.RegistrationType, treatment: str,
                 applied: date, says: str, **extra: object) -> w.Worker:
        worker = cast.worker(insured, name)
        rid = f"BA{applied:%Y%m%d}{cast.count:04d}"
        out.add(application(worker, rid, kind, treatment, applied, **extra), worker, applied,
                f"{name}: apply ({kind.value} {insured} -> {treatment}) {says}")
        out.add(approve(worker, rid), worker, applied + timedelta(days=1), f"{name}: approve")
        out.people[name] = Registered(worker, rid, treatment)
        return worker

    approved("referral", w.QINGDAO, referral, w.JINAN, date(2024, 4, 20), "SD-REG-2(a)",
             institution_id=w.HOSPITAL[w.JINAN], referral_valid_until=date(2024, 7, 31))
    approved("residence", w.JINAN, residence, w.NANJING, date(2024, 3, 1), "SD-REG-2(b)")
    approved("stationed", w.YANTAI, stationed, w.NANJING, date(2024, 3, 5), "SD-REG-2(c)")
    changed = approved("changed", w.QINGDAO, residence, w.ZIBO, date(2024, 1, 10), "")
    rid = out.people["changed"].registration_id
    move = reg.ChangeRegistration(registration_id=rid, worker_id=changed.worker_id,
                                  treatment_region=w.JINAN, reason="moved to Jinan")
    out.add(move, changed, date(2024, 4, 9), "changed: move to Jinan 2024-04-09 "
            "(SD-REG-5: locked until 2024-04-10)", expect="change_locked")
    out.add(move, changed, date(2024, 4, 10), "changed: move to Jinan 2024-04-10 (SD-REG-5 ok)")
    out.people["changed"].treatment_region = w.JINAN
    approved("expiring", w.YANTAI, stationed, w.QINGDAO, date(2023, 5, 10),
             "(SD-REG-4: valid to 2024-05-09)")
    approved("third_party", w.JINAN, referral, w.ZIBO, date(2024, 4, 25), "",
             referral_valid_until=date(2024, 6, 30))
    approved("device", w.DEZHOU, referral, w.JINAN, date(2024, 4, 15), "",
             referral_valid_until=date(2024, 6, 30))
    approved("not_enabled", w.JINAN, referral, w.WEIFANG, date(2024, 4, 18), "",
             referral_valid_until=date(2024, 6, 30))
    approved("beijing", w.JINAN, residence, w.BEIJING, date(2024, 2, 1), "")
    _offline(out, cast)
    _refused(out, cast)
    pilot = [w.JINAN, w.QINGDAO, w.ZIBO, w.YANTAI, w.DEZHOU]
    for i in range(generic):
        insured = pilot[i % len(pilot)]
        treatment = pilot[(i + 1 + i // len(pilot)) % len(pilot)]
        if treatment == insured:
            treatment = w.NANJING
        approved(f"generic_{i}", insured, referral, treatment, date(2024, 4, 1 + i % 25), "",
                 referral_valid_until=date(2024, 7, 31))
    return out


def _offline(out: Registrations, cast: w.Cast) -> None:
    """SD-REG-6: an offline registration uploaded with its original id and times, twice."""
    worker = cast.worker(w.ZIBO, "imported")
    details = application(worker, "OFFLINE-ZB-000731", reg.RegistrationType.LONG_TERM_RESIDENCE,
                          w.QINGDAO, date(2024, 2, 20)).model_dump(exclude={"message_type"})
    upload = reg.ImportOfflineRegistration(**details, registered_at=w.at(date(2024, 2, 20)),
                                           approved_at=w.at(date(2024, 2, 21), 15))
    out.add(upload, worker, date(2024, 4, 28), "imported: offline upload (SD-REG-6)")
    out.add(upload, worker, date(2024, 4, 29), "imported: same upload again (deduplicated)")
    out.people["imported"] = Registered(worker, "OFFLINE-ZB-000731", w.QINGDAO)


def _refused(out: Registrations, cast: w.Cast) -> None:
    no_confirmation = cast.worker(w.DEZHOU, "ineligible")
    out.add(application(no_confirmation, "BA20240410REF1", reg.RegistrationType.REFERRAL,
                        w.JINAN, date(2024, 4, 10), confirmation=None), no_confirmation,
            date(2024, 4, 10), "ineligible: no completed confirmation (SD-REG-1)",
            expect="no_completed_confirmation")
    no_card = cast.worker(w.ZIBO, "no_card")
    out.add(application(no_card, "BA20240411REF2", reg.RegistrationType.REFERRAL, w.JINAN,
                        date(2024, 4, 11), social_security_card=None), no_card,
            date(2024, 4, 11), "no_card: no social security card (SD-REG-7)",
            expect="no_social_security_card")
    rejected = cast.worker(w.QINGDAO, "rejected")
    out.add(application(rejected, "BA20240412REJ", reg.RegistrationType.LONG_TERM_RESIDENCE,
                        w.DEZHOU, date(2024, 4, 12)), rejected, date(2024, 4, 12),
            "rejected: apply")
    out.add(reg.RejectRegistration(registration_id="BA20240412REJ", worker_id=rejected.worker_id,
                                   reason="residence certificate missing"), rejected,
            date(2024, 4, 13), "rejected: clerk rejects (residence certificate missing)")
    out.add(approve(rejected, "BA20240412REJ"), rejected, date(2024, 4, 14),
            "rejected: approval after rejection is refused", expect="registration_rejected")
