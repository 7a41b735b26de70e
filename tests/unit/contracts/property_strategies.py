"""Hypothesis strategies for every registered contract model (issue 14, item 4: fuzzing).

`hypothesis.strategies.from_type` cannot build pydantic v2 models faithfully (it ignores
`StringConstraints`, `AfterValidator`s such as the resident-id check digit, and the model
validators that keep the money consistent), so the strategies are derived here from each
model's fields: their annotations and pydantic metadata (bounds, patterns, decimal places),
with the validated value types (`RegionCode`, `ResidentId`) and the money invariants
(fund + self + employer = submitted, totals = Σ lines, balanced entries) built in.

`payloads(model)` draws valid payloads; `payloads(model, loose=True)` draws the same shapes
with money amounts that need not be consistent (for "whatever validates is consistent").
"""

from __future__ import annotations

import functools
import types
import typing
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal, Union

from hypothesis import strategies as st
from pydantic import AfterValidator, AwareDatetime, BaseModel, StringConstraints
from stdnum.cn import ric

from contracts import (
    benefits,
    clearing,
    envelope,
    presettlement,
    reconciliation,
    reference,
    settlement,
)
from contracts import types as ctypes
from contracts.message import Message

INT64 = (-(2**63), 2**63 - 1)
# Plausible business times (issue 14, finding 5: `contracts.envelope` bounds them relative to
# `recorded_at`; `envelopes` picks a `recorded_at` that every drawn time fits). Absurd ones
# (year 1, 9999) are drawn on purpose by the decoding fuzz tests instead.
MIN_DAY, MAX_DAY = date(1950, 1, 1), date(2190, 12, 31)
MIN_INSTANT_DAY = date(2000, 1, 2)

# Fixed offsets as a sender may write them (minutes only: ISO 8601 and pydantic's serializer
# carry no seconds in an offset).
OFFSETS = st.one_of(
    st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5)),
                     timezone(timedelta(hours=5, minutes=45)), timezone(timedelta(hours=14)),
                     timezone(timedelta(hours=-12))]),
    st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m))),
)


def aware_datetimes(lo: date = MIN_INSTANT_DAY, hi: date = MAX_DAY) -> st.SearchStrategy[datetime]:
    return st.datetimes(min_value=datetime.combine(lo, datetime.min.time()),
                        max_value=datetime.combine(hi, datetime.max.time()),
                        timezones=OFFSETS)


DAYS = st.dates(min_value=MIN_DAY, max_value=MAX_DAY)
# Place codes stdnum knows (birth places of resident ids; every one is a valid region code).
_PLACES = ("110105", "110108", "120101", "310104", "320102", "330102", "370102", "370202",
           "370602", "440305", "510104")


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    place = draw(st.sampled_from(_PLACES))
    born = draw(st.dates(min_value=date(1950, 1, 1), max_value=date(2006, 12, 31)))
    seq = draw(st.integers(0, 999))
    body = f"{place}{born:%Y%m%d}{seq:03d}"
    number = body + ric.calc_check_digit(body + "0")
    if not ctypes._resident_id_valid(number):  # stdnum's table lacks the place that year
        number = "11010519491231002X"
    return number


REGIONS = st.builds(
    lambda p, rest: p + rest,
    st.sampled_from(sorted(ctypes.PROVINCE_PREFIXES)),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
)

_VALIDATED: dict[Any, st.SearchStrategy[Any]] = {
    ctypes._region_code_checked: REGIONS,
    ctypes._resident_id_checked: resident_ids(),
}


def _flatten(meta: list[Any]) -> list[Any]:
    out: list[Any] = []
    for m in meta:
        inner = getattr(m, "metadata", None)
        if isinstance(inner, list) and not isinstance(m, StringConstraints):  # a FieldInfo
            out.extend(_flatten(inner))
        else:
            out.append(m)
    return out


def _bound(meta: list[Any], name: str) -> Any:
    for m in meta:
        value = getattr(m, name, None)
        if value is not None and not isinstance(m, StringConstraints | type):
            return value
    return None


def _text(meta: list[Any]) -> st.SearchStrategy[str]:
    sc = next((m for m in meta if isinstance(m, StringConstraints)), None)
    lo = (sc.min_length if sc else None) or _bound(meta, "min_length") or 0
    hi = (sc.max_length if sc else None) or _bound(meta, "max_length") or 40
    pattern = (sc.pattern if sc else None) or _bound(meta, "pattern")
    if pattern:
        return _regex(pattern, lo, hi)
    return st.text(min_size=lo, max_size=min(hi, max(lo, 40)))


@functools.cache
def _regex(pattern: str, lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.from_regex(pattern, fullmatch=True).filter(lambda s: lo <= len(s) <= hi)


def _int(meta: list[Any], loose: bool, money: bool) -> st.SearchStrategy[int]:
    lo, hi = INT64
    ge, gt, le, lt = (_bound(meta, n) for n in ("ge", "gt", "le", "lt"))
    lo = max(b for b in (lo, ge, None if gt is None else gt + 1) if b is not None)
    hi = min(b for b in (hi, le, None if lt is None else lt - 1) if b is not None)
    if loose and money:  # small amounts so that sums agree by chance; and out of range
        return st.one_of(st.integers(-3, 8), st.integers(INT64[0], INT64[1]))
    if money:
        small = st.integers(max(lo, -10**6), min(hi, 10**6))
        return st.one_of(small, st.integers(lo, hi))
    return st.integers(lo, hi)


def for_type(tp: Any, meta: list[Any] | None = None, *, loose: bool = False,
             money: bool = False) -> st.SearchStrategy[Any]:
    """A strategy for one annotation (with the pydantic metadata of its field)."""
    meta = _flatten(list(meta or []))
    if typing.get_origin(tp) is Annotated:
        base, *extra = typing.get_args(tp)
        return for_type(base, [*meta, *extra], loose=loose, money=money)
    for m in meta:
        if isinstance(m, AfterValidator) and m.func in _VALIDATED:
            return _VALIDATED[m.func]
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        return st.one_of(*(for_type(a, meta if a is not type(None) else [], loose=loose,
                                    money=money) for a in typing.get_args(tp)))
    if origin is Literal:
        return st.sampled_from(typing.get_args(tp))
    if origin is tuple:
        item, *_ = typing.get_args(tp)
        lo = _bound(meta, "min_length") or 0
        return st.lists(for_type(item, loose=loose, money=money), min_size=lo,
                        max_size=max(lo, 3)).map(tuple)
    if origin is dict:  # a recorded event's payload (replies.RecordedEvent): JSON values
        return st.dictionaries(st.text(max_size=8), st.one_of(
            st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=10)),
            max_size=3)
    if tp is type(None):
        return st.none()
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return model_dicts(tp, loose=loose)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return st.sampled_from(list(tp))
    if tp is bool:
        return st.booleans()
    if tp is int:
        return _int(meta, loose, money)
    if tp is str:
        return _text(meta)
    if tp is Decimal:
        places = _bound(meta, "decimal_places")
        gt, le = _bound(meta, "gt"), _bound(meta, "le")
        lo = Decimal(gt) + Decimal(1).scaleb(-(places or 4)) if gt is not None else None
        return st.decimals(min_value=lo, max_value=le, places=places, allow_nan=False,
                           allow_infinity=False)
    if tp is AwareDatetime:
        return aware_datetimes()
    if tp is datetime:
        return st.one_of(aware_datetimes(), st.datetimes(
            min_value=datetime(1900, 1, 1), max_value=datetime(2199, 12, 31)))
    if tp is date:
        return DAYS
    if tp is uuid.UUID:
        return st.uuids()
    raise NotImplementedError(f"no strategy for {tp!r}")


@st.composite
def adjudicated_lines(draw: st.DrawFn) -> dict[str, Any]:
    """SD-ENC-6 / XM-18: one judged line whose shares add up to what was submitted."""
    # at most 3 lines an encounter (`_field_strategy`): their totals stay within MAX_FEN
    submitted = draw(st.one_of(st.integers(0, 10**7), st.integers(0, ctypes.MAX_FEN // 3)))
    eligible = draw(st.integers(0, submitted))
    fund = draw(st.integers(0, eligible))
    employer = draw(st.integers(0, submitted - fund))
    base = draw(model_dicts(settlement.AdjudicatedLine, loose=True, fixed=False))
    return {**base, "submitted_fen": submitted, "eligible_fen": eligible, "fund_fen": fund,
            "employer_fen": employer, "self_fen": submitted - fund - employer}


@st.composite
def balanced_entries(draw: st.DrawFn) -> tuple[dict[str, Any], ...]:
    legs = draw(st.lists(st.integers(-(10**12), 10**12), max_size=4))
    accounts = st.text(min_size=3, max_size=30)
    if not legs:
        return ()
    amounts = [*legs, -sum(legs)]
    return tuple({"account": draw(accounts), "amount_fen": a} for a in amounts)


# Benefit facts whose two dates must be in order (contracts/benefits.py validators).
_ORDERED: dict[type[BaseModel], tuple[str, str]] = {
    benefits.InjuryRecognised: ("injured_on", "recognised_on"),
    benefits.RecurrenceConfirmed: ("injured_on", "confirmed_on"),
    benefits.LabourCapacityAssessed: ("injured_on", "assessed_on"),
    benefits.WorkerWentMissing: ("accident_on", "found_missing_on"),
    benefits.DeathDeclared: ("missing_since", "declared_on"),
    benefits.ReleasedFromPrison: ("imprisoned_on", "released_on"),
    benefits.WageBaseBounds: ("floor_percent", "ceiling_percent"),
}


def _fix(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """Make a drawn valid payload's money consistent (what the model validators demand), and
    a benefit fact's dates and flags coherent."""
    if issubclass(model, settlement.EncounterSettled | settlement.EncounterReimbursable
                  | presettlement.PreSettlementAnswered):
        for name in ("submitted_fen", "fund_fen", "self_fen", "employer_fen"):
            data[name] = sum(line[name] for line in data["lines"])
    if model is reconciliation.ReconciliationScope:  # a period (ordered, bounded) or a cycle
        if data.get("cycle_id") is not None:
            data.pop("from_date", None)
            data.pop("to_date", None)
        else:
            start = data.get("from_date") or date(2024, 5, 1)
            start = start if start < date(9000, 1, 1) else date(2024, 5, 1)
            data.update(from_date=start, to_date=start + timedelta(days=30), cycle_id=None)
    if model is reconciliation.ReconcileInstitution and data.get("items") is not None:
        quarter = ctypes.MAX_FEN // 4  # at most 3 items: their sums stay within MAX_FEN
        items = {i["settlement_id"]: {**i, "medical_fen": i["medical_fen"] % quarter,
                                      "fund_fen": i["fund_fen"] % quarter}
                 for i in data["items"]}  # each id once, and the totals are their sums
        data["items"] = tuple(items.values())
        data["totals"] = {"settlement_count": len(items),
                          "medical_fen": sum(i["medical_fen"] for i in items.values()),
                          "fund_fen": sum(i["fund_fen"] for i in items.values())}
    if model in _ORDERED:
        lo, hi = _ORDERED[model]
        if data.get(lo) is not None and data[lo] > data[hi]:
            data[lo], data[hi] = data[hi], data[lo]
    if model is reference.WorkingDayCalendarPublished:  # one year's days, weekends worked
        year = data["year"]
        days = {d.replace(year=year) for d in data["days_off"] if (d.month, d.day) != (2, 29)}
        data["days_off"] = tuple(sorted(days))
        worked = {d.replace(year=year) for d in data.get("working_weekends", ())
                  if (d.month, d.day) != (2, 29)}
        data["working_weekends"] = tuple(sorted(d for d in worked
                                                if d.weekday() >= 5 and d not in days))
    if model is benefits.DependantRegistered:
        if data.get("posthumous"):
            data["relation"] = benefits.Relation.CHILD
        if data["relation"] is benefits.Relation.SPOUSE:
            data["alone"] = False
    return data


def _each_once(model: type[BaseModel], field: str, values: list[Any]) -> st.SearchStrategy[Any]:
    """One drawn `model` per value of `field`, each value once (levels per grade / care)."""
    return st.tuples(*(model_dicts(model).map(lambda d, v=v: {**d, field: v}) for v in values))


@functools.cache
def _field_strategy(model: type[BaseModel], name: str, loose: bool) -> st.SearchStrategy[Any]:
    info = model.model_fields[name]
    if not loose:
        if info.annotation == tuple[settlement.AdjudicatedLine, ...]:
            return st.lists(adjudicated_lines(), max_size=3).map(tuple)
        if issubclass(model, clearing._Balanced | benefits._Posted) and name == "entries":
            return balanced_entries()
        if model is benefits.BenefitLevelsPublished and name == "grades":
            return _each_once(benefits.GradeLevel, "grade", list(range(1, 11)))
        if model is benefits.BenefitLevelsPublished and name == "care_levels":
            return _each_once(benefits.CareLevelRate, "care_level",
                              [c for c in benefits.CareLevel if c is not benefits.CareLevel.NONE])
    return for_type(info.annotation, info.metadata, loose=loose, money=name.endswith("_fen"))


@st.composite
def model_dicts(draw: st.DrawFn, model: type[BaseModel], loose: bool = False,
                fixed: bool = True) -> dict[str, Any]:
    """The python (pre-validation) form of one `model`, optional fields sometimes left out."""
    if model is settlement.AdjudicatedLine and not loose and fixed:
        return draw(adjudicated_lines())
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.is_required() or draw(st.booleans()):
            data[name] = draw(_field_strategy(model, name, loose))
    return _fix(model, data) if fixed and not loose else data


@functools.cache
def payloads(model: type[Message], loose: bool = False) -> st.SearchStrategy[Any]:
    """Valid payloads of `model` (loose: dicts that may or may not validate)."""
    dicts = model_dicts(model, loose=loose)
    return dicts if loose else dicts.map(model.model_validate)


def _latest(value: Any) -> datetime | None:
    """The latest aware instant or date (as an instant, Beijing midnight) in a payload."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time(), timezone(timedelta(hours=8)))
    items: Any = ()
    if isinstance(value, BaseModel):
        items = value.__dict__.values()
    elif isinstance(value, tuple | list):
        items = value
    found = [t for t in (_latest(i) for i in items) if t is not None]
    return max(found, default=None)


EPOCH = datetime(2000, 1, 1, 12, tzinfo=UTC)


@st.composite
def envelopes(draw: st.DrawFn, payload: st.SearchStrategy[Message]) -> envelope.Envelope[Any]:
    """An envelope around a drawn payload, its times plausible for it: `recorded_at` on or
    after every business time in the payload (so no bound of finding 5 refuses it)."""
    p = draw(payload)
    latest = max(_latest(p) or EPOCH, EPOCH)
    rec = latest + draw(st.timedeltas(timedelta(0), timedelta(days=400)))
    rec = rec.astimezone(draw(OFFSETS))
    occ = EPOCH + draw(st.timedeltas(timedelta(0), rec - EPOCH))
    return envelope.AnyEnvelope(
        event_id=draw(st.uuids()), type=p.message_type, schema_version=p.version,
        key=draw(st.text(min_size=1, max_size=40)), occurred_at=occ.astimezone(draw(OFFSETS)),
        recorded_at=rec, source=draw(st.text(min_size=1, max_size=40)),
        causation_id=draw(st.none() | st.uuids()), correlation_id=draw(st.none() | st.uuids()),
        payload=p)
