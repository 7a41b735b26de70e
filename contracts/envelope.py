"""The one envelope every message travels in.

`event_id` identifies the message (consumers deduplicate on it); `key` is the Kafka key;
`occurred_at` is business time (rules use it, never the wall clock); `recorded_at` is when the
fact entered the log. `causation_id` is the message that caused this one, `correlation_id`
the first message of the conversation.

Derived messages get deterministic ids and times (`derive`): a service that re-processes the
same input after a crash or during a replay emits byte-identical output, so downstream
deduplication by `event_id` makes every effect exactly-once.
"""

from __future__ import annotations

import functools
import typing
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, Generic, TypeVar

import pydantic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SerializeAsAny, model_validator
from pydantic_core import PydanticCustomError

from contracts.actor import Actor
from contracts.business_time import CHINA
from contracts.message import Message
from contracts.types import TRUSTED

P = TypeVar("P", bound=Message)

_NAMESPACE = uuid.UUID("6f1c3a52-5b0e-4c7e-9a8e-3d1f0b9c2a11")

# Plausibility bounds on business times (docs/assumptions.md, "Input limits"). They are
# relative to the message's own `recorded_at`, never to the wall clock, so decoding a
# record gives the same answer live and in any replay.
BUSINESS_EPOCH = datetime(2000, 1, 1, tzinfo=CHINA)
"""No business time (`occurred_at`, a payload instant) before 2000-01-01 (Beijing)."""
EARLIEST_DATE = date(1950, 1, 1)
"""No payload date before 1950: a confirmation or an injury may be decades old, no older."""
CLOCK_SKEW = timedelta(days=1)
"""How far a business instant may lie after `recorded_at` (a sender's clock, time zones)."""
DATE_HORIZON = timedelta(days=5 * 366)
"""How far a payload date may lie after `recorded_at`: validity windows, due dates and
effective-dated reference data look ahead, by months, not by decades."""
RECORDED_BEFORE = datetime(2200, 1, 1, tzinfo=UTC)
"""`recorded_at` itself is bounded only absolutely here (it is the log's own time; the
intake may hold it to the record's broker timestamp): 2000 to 2199, so no bound overflows."""
IMPLAUSIBLE = "implausible_date"
_EPOCH_TS = BUSINESS_EPOCH.timestamp()
_RECORDED_BEFORE_TS = RECORDED_BEFORE.timestamp()
_SKEW_S = CLOCK_SKEW.total_seconds()
_HORIZON_S = DATE_HORIZON.total_seconds()
"""The pydantic error type (and refusal code) of a business time out of bounds."""


def _implausible(where: str, value: object, bound: str) -> PydanticCustomError:
    return PydanticCustomError(IMPLAUSIBLE, "implausible_date: {where} {value} is {bound}",
                               {"where": where, "value": str(value), "bound": bound})


@functools.cache
def _plan(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of `model` whose annotation can hold a date, an instant or a model, read
    once per class (decoding is a hot path: the other fields are never looked at)."""
    return tuple(name for name, field in model.model_fields.items()
                 if _may_hold_time(field.annotation))


_PYDANTIC_TIMES = (pydantic.AwareDatetime, pydantic.NaiveDatetime, pydantic.PastDate,
                   pydantic.FutureDate, pydantic.PastDatetime, pydantic.FutureDatetime)


def _may_hold_time(annotation: Any) -> bool:
    if annotation in _PYDANTIC_TIMES:  # marker classes, not subclasses of date
        return True
    if isinstance(annotation, type) and issubclass(annotation, date | BaseModel):
        return True  # datetime is a date
    return any(_may_hold_time(arg) for arg in typing.get_args(annotation))


class _OutOfBounds(Exception):
    def __init__(self, value: object, bound: str) -> None:
        super().__init__(bound)
        self.value, self.bound = value, bound
        self.path: list[str] = []


def _check_values(value: Any, latest: float, last_day: date) -> None:
    """Every date and instant in `value`: a payload, a nested model, a list, or one time.
    The path of a value out of bounds is built only when one is (`_OutOfBounds.path`)."""
    if isinstance(value, BaseModel):
        for name in _plan(type(value)):
            try:
                _check_values(getattr(value, name), latest, last_day)
            except _OutOfBounds as exc:
                exc.path.append(name)
                raise
    elif isinstance(value, datetime):  # before date: a datetime is a date too
        if value.tzinfo is None:  # naive instants are refused by their own models
            return
        stamp = value.timestamp()  # one offset look-up
        if stamp < _EPOCH_TS:
            raise _OutOfBounds(value, "before 2000-01-01")
        if stamp > latest:
            raise _OutOfBounds(value, "more than 1 day after recorded_at")
    elif isinstance(value, date):
        if value < EARLIEST_DATE:
            raise _OutOfBounds(value, "before 1950-01-01")
        if value > last_day:
            raise _OutOfBounds(value, "more than 5 years after recorded_at")
    elif isinstance(value, list | tuple | set | frozenset | dict):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for i, item in items:
            try:
                _check_values(item, latest, last_day)
            except _OutOfBounds as exc:
                exc.path.append(str(i))
                raise


def check_business_times(occurred_at: datetime, recorded_at: datetime, payload: Any,
                         kind: str) -> None:
    """Raise `PydanticCustomError(IMPLAUSIBLE)` for a business time out of bounds: before
    2000 (dates: 1950), or after `recorded_at` by more than a day (instants) or five years
    (dates). Reference data is effective-dated, so its `occurred_at` (its effective date)
    may look ahead like a date."""
    recorded = recorded_at.timestamp()
    if not _EPOCH_TS <= recorded < _RECORDED_BEFORE_TS:
        raise _implausible("recorded_at", recorded_at, "outside 2000-01-01 to 2199-12-31")
    occurred = occurred_at.timestamp()
    if occurred < _EPOCH_TS:
        raise _implausible("occurred_at", occurred_at, "before 2000-01-01")
    latest = recorded + _SKEW_S
    if occurred > (recorded + _HORIZON_S if kind == "reference" else latest):
        raise _implausible("occurred_at", occurred_at,
                           "too far after recorded_at" if kind == "reference"
                           else "more than 1 day after recorded_at")
    if isinstance(payload, BaseModel):
        try:
            _check_values(payload, latest, (recorded_at + DATE_HORIZON).date())
        except _OutOfBounds as exc:
            where = ".".join(["payload", *reversed(exc.path)])
            raise _implausible(where, exc.value, exc.bound) from None


class Envelope(BaseModel, Generic[P]):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID
    type: str = Field(min_length=1, max_length=100)
    schema_version: int = Field(ge=1)
    key: str = Field(min_length=1, max_length=200)
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    source: str = Field(min_length=1, max_length=200)
    causation_id: uuid.UUID | None = None
    correlation_id: uuid.UUID | None = None
    # who did it, stamped by the ingress that authenticated them (contracts.actor); absent
    # from the bytes when unknown, so messages without one are what they always were
    actor: Actor | None = Field(default=None, exclude_if=lambda actor: actor is None)
    payload: SerializeAsAny[P]

    @model_validator(mode="after")
    def _type_matches_payload(self, info: pydantic.ValidationInfo) -> Envelope[P]:
        declared = (self.type, self.schema_version)
        actual = (self.payload.message_type, self.payload.version)
        if declared != actual:
            raise ValueError(f"envelope says {declared} but payload is {actual}")
        if info.context is TRUSTED:  # its writer checked them (contracts.trusted)
            return self
        check_business_times(self.occurred_at, self.recorded_at, self.payload,
                             self.payload.message_kind)
        return self


# `Envelope[Message]` looks its class up in pydantic's generic cache on every subscription
# (~1 µs; 14% of decoding an event under the profiler): the hot paths use the class, looked
# up once.
AnyEnvelope = Envelope[Message]


def new(
    payload: P,
    *,
    key: str,
    occurred_at: datetime,
    source: str,
    event_id: uuid.UUID | None = None,
    recorded_at: datetime | None = None,
    causation_id: uuid.UUID | None = None,
    correlation_id: uuid.UUID | None = None,
    actor: Actor | None = None,
) -> Envelope[P]:
    """Wrap a payload sent from outside the log (a client, a hospital, an operator)."""
    eid = event_id or uuid.uuid4()
    return Envelope[P](
        event_id=eid,
        type=payload.message_type,
        schema_version=payload.version,
        key=key,
        occurred_at=occurred_at,
        recorded_at=recorded_at or datetime.now(UTC),
        source=source,
        causation_id=causation_id,
        correlation_id=correlation_id or eid,
        actor=actor,
        payload=payload,
    )


def derived_id(cause: uuid.UUID, index: int, salt: str = "") -> uuid.UUID:
    """The id of the index-th message caused by `cause`: same input, same id."""
    return uuid.uuid5(_NAMESPACE, f"{cause}/{index}/{salt}")


def derive(
    cause: Envelope[Message],
    payloads: list[Message],
    *,
    key: str,
    source: str,
    occurred_at: datetime | None = None,
    salt: str = "",
) -> list[Envelope[Message]]:
    """Envelopes for what `cause` led to: deterministic ids, times and actor taken from the
    cause."""
    return [
        AnyEnvelope(
            event_id=derived_id(cause.event_id, i, salt),
            type=p.message_type,
            schema_version=p.version,
            key=key,
            occurred_at=occurred_at or cause.occurred_at,
            recorded_at=cause.recorded_at,
            source=source,
            causation_id=cause.event_id,
            correlation_id=cause.correlation_id or cause.event_id,
            actor=cause.actor,
            payload=p,
        )
        for i, p in enumerate(payloads)
    ]
