"""Test data for registration tests: valid resident ids, commands, envelopes (no I/O)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from stdnum.cn import ric

from contracts import envelope
from contracts.actor import Actor
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.registration import (
    ApplyForRegistration,
    ApproveRegistration,
    CancelRegistration,
    ChangeRegistration,
    Confirmation,
    ConfirmationKind,
    ImportOfflineRegistration,
    RegistrationType,
    RejectRegistration,
)
from tests.support.actors import acting_for

JINAN, QINGDAO, ZIBO, BEIJING = "370100", "370200", "370300", "110100"


def worker_id(rng: random.Random | None = None) -> str:
    """A random resident id with a correct check digit (born in Jinan, 1980s)."""
    r = rng or random.Random()
    body = f"370102{r.randint(1985, 1999)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}" \
           f"{r.randint(0, 999):03d}"
    return body + ric.calc_check_digit(body + "0")


def at(day: date, hour: int = 10) -> datetime:
    """A clerk's action time on `day` (10:00 China time = 02:00 UTC)."""
    return datetime.combine(day, time(hour - 8 if hour >= 8 else hour), tzinfo=UTC)


def apply(worker: str, reg_id: str = "REG-0001", **kw: Any) -> ApplyForRegistration:
    fields: dict[str, Any] = {
        "registration_id": reg_id, "worker_id": worker, "social_security_card": "SSC370100001",
        "insured_for_work_injury": True,
        "confirmation": Confirmation(kind=ConfirmationKind.INJURY_DETERMINATION,
                                     reference_no="GSRD-2024-001", completed_on=date(2023, 6, 1)),
        "registration_type": RegistrationType.LONG_TERM_RESIDENCE,
        "insured_region": JINAN, "treatment_region": QINGDAO,
    }
    fields.update(kw)
    return ApplyForRegistration(**fields)


def offline(worker: str, reg_id: str, registered: datetime, approved: datetime,
            **kw: Any) -> ImportOfflineRegistration:
    base = apply(worker, reg_id, **kw).model_dump()
    return ImportOfflineRegistration(**base, registered_at=registered, approved_at=approved)


def approve(worker: str, reg_id: str = "REG-0001") -> ApproveRegistration:
    return ApproveRegistration(registration_id=reg_id, worker_id=worker, reviewer="clerk-7")


def reject(worker: str, reg_id: str = "REG-0001") -> RejectRegistration:
    return RejectRegistration(registration_id=reg_id, worker_id=worker, reason="documents missing")


def change(worker: str, place: str, reg_id: str = "REG-0001", **kw: Any) -> ChangeRegistration:
    return ChangeRegistration(registration_id=reg_id, worker_id=worker, treatment_region=place,
                              **kw)


def cancel(worker: str, reg_id: str = "REG-0001", **kw: Any) -> CancelRegistration:
    return CancelRegistration(registration_id=reg_id, worker_id=worker, **kw)


class Default:
    """Marks "not given" where None (no actor) is a value a test may pass."""


DEFAULT = Default()


def env(payload: Message, when: datetime, key: str | None = None,
        source: str = "agency-counter", actor: Actor | Default | None = DEFAULT
        ) -> Envelope[Message]:
    """`actor`: by default staff with the role the command needs (tests.support.actors)."""
    worker = key or payload.worker_id  # type: ignore[attr-defined]
    return envelope.new(payload, key=worker, occurred_at=when, source=source,
                        recorded_at=when + timedelta(seconds=1),
                        actor=acting_for(payload) if isinstance(actor, Default) else actor)
