"""Property-based tests of every contract model (issue 14, "What to build" item 4: fuzzing).

For every (type, version) of the message registry, hypothesis draws valid payloads
(`property_strategies`), wraps them in an envelope, and checks that the wire is exact and
canonical, and that the money rules the models enforce (integer fen within ±MAX_FEN;
fund + self + employer = submitted per line; totals = Σ lines; balanced entries) hold for
anything that validates. Pure: no Kafka, no database.

Budget: `WIC_FUZZ_EXAMPLES` (default 8) examples per model for the round trip, and eight
times as many for the tests that draw a money model at random; `deadline=None` (a slow
2-core machine must not fail on timing). Raise it for a longer run:
`WIC_FUZZ_EXAMPLES=200 .venv/bin/python -m pytest tests/unit/contracts -k properties`.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from contracts import benefits, clearing, settlement, wire
from contracts.message import Message, registered
from contracts.types import MAX_FEN
from tests.unit.contracts import property_strategies as ps

EXAMPLES = int(os.environ.get("WIC_FUZZ_EXAMPLES", "8"))
settings.register_profile(
    "wic-contracts-fuzz", max_examples=EXAMPLES, deadline=None, derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large],
)
FUZZ = settings.get_profile("wic-contracts-fuzz")  # applied per test: no global side effect
FUZZ_WIDE = settings(FUZZ, max_examples=EXAMPLES * 8)  # one model drawn per example

REGISTRY = sorted(registered().items())
MODELS = [pytest.param(model, id=f"{t}-v{v}") for (t, v), model in REGISTRY]


def _has_money(model: type[BaseModel], seen: frozenset[type] = frozenset()) -> bool:
    for name, info in model.model_fields.items():
        if name.endswith("_fen") or name == "entries":
            return True
        for sub in _nested_models(info.annotation):
            if sub not in seen and _has_money(sub, seen | {model}):
                return True
    return False


def _nested_models(tp: Any) -> list[type[BaseModel]]:
    import typing

    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return [m for a in typing.get_args(tp) for m in _nested_models(a)]


MONEY_MODELS = [model for _, model in REGISTRY if _has_money(model)]


def money_invariants(value: Any, where: str = "payload") -> None:
    """Assert the money rules on a validated model, recursively (types.py, settlement.py,
    clearing.py; DOMAIN.md "Money is exact"; SD-ENC-6 / XM-18 per line; SD-FUND-1/2 ledger)."""
    if isinstance(value, tuple | list):
        for i, item in enumerate(value):
            money_invariants(item, f"{where}.{i}")
        return
    if not isinstance(value, BaseModel):
        return
    for name, info in type(value).model_fields.items():
        item = getattr(value, name)
        if name.endswith("_fen") and item is not None:
            assert type(item) is int, f"{where}.{name} is {type(item).__name__}, not int fen"
            assert -MAX_FEN <= item <= MAX_FEN, f"{where}.{name} {item} out of ±MAX_FEN"
            signed = not any(getattr(m, "ge", None) == 0 for m in info.metadata)
            assert signed or item >= 0, f"{where}.{name} {item} < 0"
        money_invariants(item, f"{where}.{name}")
    if isinstance(value, settlement.AdjudicatedLine):
        assert value.fund_fen + value.self_fen + value.employer_fen == value.submitted_fen
        assert value.fund_fen <= value.eligible_fen <= value.submitted_fen
    if isinstance(value, settlement.EncounterSettled):
        for name in ("submitted_fen", "fund_fen", "self_fen", "employer_fen"):
            assert getattr(value, name) == sum(getattr(ln, name) for ln in value.lines)
        assert value.fund_fen + value.self_fen + value.employer_fen == value.submitted_fen
    if isinstance(value, clearing._Balanced | benefits._Posted):
        assert sum(e.amount_fen for e in value.entries) == 0
    if isinstance(value, clearing.RefuseItems):
        assert value.amount_fen > 0


def test_every_registered_message_is_fuzzed() -> None:
    """Issue 14 item 4: the property tests cover the whole registry, so a new message type is
    fuzzed the day it is registered (its strategy is derived from its fields)."""
    assert len(REGISTRY) >= 70
    for (mtype, version), model in REGISTRY:
        assert model.message_type == mtype and model.version == version
        ps.payloads(model)  # derivable: raises NotImplementedError for an unknown annotation
    assert {m.__name__ for m in MONEY_MODELS} >= {
        "EncounterSettled", "EncounterReimbursable", "LedgerPosted", "ClearingCycleSettled",
        "ClaimPaid", "FileClaim", "RefuseItems", "RecordChargeLine", "EncounterDischarged",
        "BenefitClaimPaid", "MonthlyBenefitPaid", "MonthlyBenefitReversed"}


@FUZZ
@pytest.mark.parametrize("model", MODELS)
@given(data=st.data())
def test_round_trip_is_exact_and_canonical(model: type[Message], data: st.DataObject) -> None:
    """Issue 14 item 4 (fuzzing); architecture.md "Messages": encode -> decode gives the same
    envelope and re-encoding gives the same bytes (derived messages are byte-identical on
    re-processing, the basis of exactly-once by `event_id`); keys sorted, UTF-8."""
    env = data.draw(ps.envelopes(ps.payloads(model)))
    raw = wire.encode(env)
    back = wire.decode(raw)
    assert type(back.payload) is model
    assert back == env
    assert wire.encode(back) == raw
    assert wire.encode_payload(back.payload) == wire.encode_payload(env.payload)
    assert wire.peek_type(raw) == model.message_type
    obj = orjson.loads(raw)
    assert list(obj) == sorted(obj) and list(obj["payload"]) == sorted(obj["payload"])
    assert wire.encode(wire.decode_obj(obj)) == raw
    raw.decode("utf-8")
    money_invariants(back.payload)


@FUZZ_WIDE
@given(model=st.sampled_from(MONEY_MODELS), data=st.data())
def test_whatever_validates_keeps_the_money_rules(model: type[Message],
                                                  data: st.DataObject) -> None:
    """Money invariants (integer fen within ±MAX_FEN, non-negative where declared; SD-ENC-6 /
    XM-18 fund + self + employer = submitted and fund <= eligible <= submitted; settlement
    totals = Σ lines; ledger entries balance, SD-FUND-1/2): payloads drawn with arbitrary,
    mostly inconsistent amounts are either refused (a WireError through the wire, a
    ValidationError from the model) or consistent."""
    loose = data.draw(ps.payloads(model, loose=True))
    try:
        payload = model.model_validate(loose)
    except ValidationError:
        payload = None
    else:
        money_invariants(payload)
    template = data.draw(ps.envelopes(ps.payloads(model)))
    obj = orjson.loads(wire.encode(template))
    obj["payload"] = orjson.loads(orjson.dumps(
        loose, default=lambda v: str(v) if isinstance(v, Decimal) else v))
    try:
        env = wire.decode(orjson.dumps(obj))
    except wire.WireError as exc:
        assert exc.code in {"invalid_payload", "invalid_envelope", "implausible_date"}, exc
        return
    assert payload is not None or not loose, "the wire accepted what the model refused"
    money_invariants(env.payload)


def _fen_paths(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(obj, dict):
        return [p for k, v in obj.items()
                for p in ([(*path, k)] if str(k).endswith("_fen") and isinstance(v, int)
                          else _fen_paths(v, (*path, k)))]
    if isinstance(obj, list):
        return [p for i, v in enumerate(obj) for p in _fen_paths(v, (*path, i))]
    return []


@FUZZ_WIDE
@given(model=st.sampled_from(MONEY_MODELS), data=st.data())
def test_fen_is_never_coerced(model: type[Message], data: st.DataObject) -> None:
    """Money is integer fen, never float (types.py, DOMAIN.md "Money is exact"): a fen amount
    sent as a float, a string, a bool or beyond ±MAX_FEN is refused `invalid_payload`, never
    coerced."""
    env = data.draw(ps.envelopes(ps.payloads(model)))
    obj = orjson.loads(wire.encode(env))
    paths = _fen_paths(obj["payload"])
    assume(paths)  # e.g. a posting without entries carries no amount
    path = data.draw(st.sampled_from(paths))
    holder = obj["payload"]
    for step in path[:-1]:
        holder = holder[step]
    value = holder[path[-1]]
    holder[path[-1]] = data.draw(st.sampled_from(
        [float(value), value + 0.5, str(value), True, MAX_FEN + 1, -MAX_FEN - 1]))
    with pytest.raises(wire.WireError) as err:
        wire.decode(orjson.dumps(obj))
    assert err.value.code == "invalid_payload"
    assert "payload." in err.value.detail
