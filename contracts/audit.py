"""The audit trail's shape (issue 16): who did what, to which worker, claim or cycle.

Every service keeps one row per event on its event and dead-letter topics
(`contracts.runtime.audit_trail`) and answers `GET /audit` from them
(`contracts.runtime.audit_view`); `wic audit` merges the four. The subject ids are read
from the payload by a small pure function per service (`services/<svc>/adapters/audit.py`),
built on `named` here.
"""

from __future__ import annotations

import base64
import binascii
import functools
import uuid
from dataclasses import dataclass
from datetime import datetime

import orjson
from pydantic import BaseModel

SUBJECTS = ("worker_id", "registration_id", "encounter_id", "claim_id", "settlement_id",
            "cycle_id", "institution_id")
"""The ids staff filter the audit by: columns of `audit_trail`, filters of `GET /audit`."""


@dataclass(frozen=True)
class Subjects:
    """What an act was about (None: the payload does not say)."""

    worker_id: str | None = None
    registration_id: str | None = None
    encounter_id: str | None = None
    claim_id: str | None = None
    settlement_id: str | None = None
    cycle_id: str | None = None
    institution_id: str | None = None

    def otherwise(self, other: Subjects) -> Subjects:
        """These ids, each one missing taken from `other`."""
        # positional, in SUBJECTS order (the fields' order): `dataclasses.replace` and
        # `fields` were 8% of a replay's audit trail, asked once per event
        return Subjects(*[mine if mine is not None else theirs
                          for mine, theirs in zip(self.values(), other.values(), strict=True)])

    def values(self) -> tuple[str | None, ...]:
        """The ids in SUBJECTS order, written out: a `getattr` per name was most of the
        audit row's cost in a replay (docs/performance.md "Fifth round, second pass")."""
        return (self.worker_id, self.registration_id, self.encounter_id, self.claim_id,
                self.settlement_id, self.cycle_id, self.institution_id)


def named(model: object) -> Subjects:
    """The subject ids a model carries under their own names (`worker_id`, `claim_id`, …);
    anything else (no model, a field of another type) says nothing."""
    if not isinstance(model, BaseModel):
        return Subjects()
    found = {name: value for name in _readable(type(model))
             if isinstance(value := getattr(model, name, None), str) and value}
    return Subjects(**found)


@functools.cache
def _readable(model: type[BaseModel]) -> tuple[str, ...]:
    """The subject names `getattr` can find on instances of `model`: its fields and class
    attributes (properties). Any other name would end in pydantic's `__getattr__` raising
    AttributeError (extra keys are forbidden) — 12% of a replay's fold, asked per event."""
    return tuple(name for name in SUBJECTS
                 if name in model.model_fields or hasattr(model, name)
                 or model.model_config.get("extra") == "allow")


class AuditActor(BaseModel):
    id: str
    kind: str
    channel: str
    name: str
    roles: list[str]
    regions: list[str]
    institution: str | None


class AuditEntry(BaseModel):
    # One act: the event (or the refusal, `MessageDeadLettered`), when, where on the log,
    # by whom (None: before actors existed, or the system itself) and about what.
    service: str
    event_id: uuid.UUID
    event_type: str
    occurred_at: datetime
    recorded_at: datetime
    topic: str
    partition: int
    offset: int
    actor: AuditActor | None
    causation_id: uuid.UUID | None
    correlation_id: uuid.UUID | None
    refused_type: str | None  # a refusal: the type of the message refused, when readable
    reason_code: str | None  # a refusal: why
    worker_id: str | None
    registration_id: str | None
    encounter_id: str | None
    claim_id: str | None
    settlement_id: str | None
    cycle_id: str | None
    institution_id: str | None


class AuditPage(BaseModel):
    # Entries by business time, then log position; `next_cursor` fetches the next page
    # (with the same filters), None on the last one.
    service: str
    entries: list[AuditEntry]
    next_cursor: str | None


@dataclass(frozen=True, order=True)
class Cursor:
    """Where a page ended: the sort key of its last entry, opaque to clients."""

    occurred_at: datetime
    topic: str
    partition: int
    offset: int

    def encode(self) -> str:
        raw = orjson.dumps([self.occurred_at.isoformat(), self.topic, self.partition,
                            self.offset])
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Raise ValueError for anything `encode` did not make."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            when, topic, partition, offset = orjson.loads(raw)
            moment = datetime.fromisoformat(when)
        except (binascii.Error, orjson.JSONDecodeError, TypeError, ValueError) as exc:
            raise ValueError(f"not a cursor of this API ({type(exc).__name__})") from None
        valid = (moment.tzinfo is not None and isinstance(topic, str) and len(topic) <= 200
                 and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**63
                         for n in (partition, offset)))
        if not valid:
            raise ValueError("not a cursor of this API")
        return cls(moment, topic, partition, offset)
