"""`replaced` (the fold's copy, docs/performance.md "Fifth round, second pass: replay") is
`model_copy(update=...)`: same type, fields, fields-set, JSON and frozenness, for every
model a fold of the registration rules leaves (issue 21, target 3)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from services.registration.domain import WorkerState, evolve
from services.registration.domain.state import Registration, Status, replaced
from tests.unit.registration import builders as b
from tests.unit.registration.test_rules import D0, W, run


def _same(a: BaseModel, b_: BaseModel) -> None:
    assert type(a) is type(b_)
    assert a == b_
    assert a.__dict__ == b_.__dict__ and list(a.__dict__) == list(b_.__dict__)
    assert a.__pydantic_fields_set__ == b_.__pydantic_fields_set__
    assert a.__pydantic_extra__ == b_.__pydantic_extra__
    assert a.__pydantic_private__ == b_.__pydantic_private__
    assert a.model_dump_json() == b_.model_dump_json()
    assert a.model_dump_json(exclude_unset=True) == b_.model_dump_json(exclude_unset=True)


def _folds() -> list[WorkerState]:
    """Every state of a few folds: applied, approved, changed, cancelled; rejected; imported."""
    out = [WorkerState()]
    state = WorkerState()
    for command, day in [(b.apply(W), D0), (b.approve(W), D0),
                         (b.change(W, b.ZIBO), D0 + timedelta(days=100)),
                         (b.cancel(W), D0 + timedelta(days=200)),
                         (b.apply(W, "REG-0002"), D0 + timedelta(days=400)),
                         (b.reject(W, "REG-0002"), D0 + timedelta(days=400))]:
        state, _ = run(state, command, day)
        out.append(state)
    imported = b.offline(W, "REG-0009", b.at(D0), b.at(D0))
    state, _ = run(WorkerState(), imported, D0)
    return [*out, state]


@pytest.mark.parametrize("state", _folds())
def test_issue_21_replaced_is_model_copy_for_states_and_registrations(state: WorkerState) -> None:
    changes: dict[str, object] = {"worker_id": "X", "social_security_card": None}
    _same(replaced(state, **changes), state.model_copy(update=changes))
    _same(replaced(state), state.model_copy())
    for reg in state.registrations.values():
        for update in ({"status": Status.APPROVED, "approved_on": date(2024, 2, 1)},
                       {"expiry_recorded": True}, {"places": reg.places[:1]}):
            _same(replaced(reg, **update), reg.model_copy(update=update))


@given(st.sampled_from(list(Status)), st.dates(), st.none() | st.text(max_size=5),
       st.booleans())
def test_issue_21_replaced_equals_model_copy_on_any_values(
        status: Status, day: date, reason: str | None, recorded: bool) -> None:
    reg = next(iter(_folds()[2].registrations.values()))
    update = {"status": status, "cancelled_on": day, "rejected_reason": reason,
              "expiry_recorded": recorded}
    _same(replaced(reg, **update), reg.model_copy(update=update))


def test_issue_21_replaced_models_stay_frozen() -> None:
    state = _folds()[2]
    with pytest.raises(ValidationError):
        replaced(state, worker_id="Y").worker_id = "Z"  # type: ignore[misc]
    reg: Registration = next(iter(state.registrations.values()))
    with pytest.raises(ValidationError):
        replaced(reg, expiry_recorded=True).status = Status.PENDING  # type: ignore[misc]


def test_issue_21_the_fold_leaves_the_states_it_left_before() -> None:
    """The same events folded twice give equal states; an applied event sets the worker,
    its card and the registration in one copy, as the two copies it replaced did."""
    states = _folds()
    applied = states[1]
    assert applied.worker_id == W and applied.social_security_card == "SSC370100001"
    assert applied.__pydantic_fields_set__ == {"worker_id", "registrations",
                                               "social_security_card"}
    again = WorkerState()
    _, events = run(WorkerState(), b.apply(W), D0)
    for e in events:
        again = evolve(again, e)
    _same(again, applied)


@pytest.mark.parametrize("state", _folds())
def test_issue_21_spans_are_the_coverage_windows(state: WorkerState) -> None:
    """The read model writes its coverage_windows rows from `spans_of`: each span is the
    `windows_of` window at the same position (SD-REG-3/4/5 cuts included)."""
    from services.registration.domain import spans_of, windows_of

    for reg in state.registrations.values():
        windows, spans = windows_of(reg), spans_of(reg)
        assert len(windows) == len(spans)
        for w, s in zip(windows, spans, strict=True):
            assert (w.registration_id, w.registration_type, w.insured_region,
                    w.treatment_region, w.valid_from, w.valid_until, w.cancelled) == (
                reg.registration_id, reg.registration_type, reg.insured_region,
                s.place.treatment_region, s.valid_from, s.valid_until, s.cancelled)
    assert any(len(spans_of(r)) > 1 for s in _folds() for r in s.registrations.values())
    assert any(s.cancelled for st_ in _folds() for r in st_.registrations.values()
               for s in spans_of(r))
