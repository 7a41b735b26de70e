"""Input limits in contracts (issue 14, finding 5): plausibility bounds on business times in
the envelope, and the shared HTTP parameter parsing of `contracts.runtime.http`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from contracts import envelope, wire
from contracts.message import Message
from contracts.runtime import http
from tests.unit.encounter.samples import admission, charge, discharge, line

W = "370102198501010011"
JN = "H370100001"
NOW = datetime(2024, 6, 1, 10, tzinfo=UTC)


def _decode(payload: Message, occurred_at: datetime = NOW, recorded_at: datetime = NOW
            ) -> str | None:
    """The refusal code of decoding this envelope (None if it decodes)."""
    msg = payload  # built by hand: `envelope.new` validates (and refuses) itself
    data = {"event_id": "0b6f5e0c-1c2f-4a51-9d8e-4c8e5f0a1b2c", "type": msg.message_type,
            "schema_version": msg.version, "key": W, "source": "hospital:H370100001",
            "occurred_at": occurred_at.isoformat(), "recorded_at": recorded_at.isoformat(),
            "payload": msg.model_dump(mode="json")}
    try:
        wire.decode_obj(data)
    except wire.WireError as exc:
        return http.wire_refusal(exc)[0]
    return None


def test_finding_5_admission_in_9999_is_implausible() -> None:
    """Issue 14 finding 5: an admission in 9999 was accepted (reimbursable, dated 9999)."""
    far = admission(W, JN, "A1", date(9999, 12, 31))
    assert _decode(far, occurred_at=far.admitted_at) == "implausible_date"
    assert _decode(far) == "implausible_date"  # the payload instant alone


def test_finding_5_admission_in_year_1_is_implausible_not_an_overflow() -> None:
    """Issue 14 finding 5: an admission in year 1 ended in OverflowError (422 internal_error)."""
    early = admission(W, JN, "A1", date(1, 1, 2))
    assert _decode(early, occurred_at=early.admitted_at) == "implausible_date"
    assert _decode(early) == "implausible_date"


def test_finding_5_line_and_discharge_in_9999_are_implausible() -> None:
    """Issue 14 finding 5: a charge line and a discharge in 9999 were accepted."""
    assert _decode(charge(W, JN, "A1", line(1, date(9999, 12, 31)))) == "implausible_date"
    assert _decode(discharge(W, JN, "A1", date(9999, 12, 30))) == "implausible_date"


def test_bounds_are_relative_to_recorded_at_not_the_clock() -> None:
    """The bound moves with the record's own recorded_at (replays decide the same)."""
    later = admission(W, JN, "A1", date(2030, 1, 1))
    assert _decode(later, occurred_at=later.admitted_at) == "implausible_date"
    recorded = later.admitted_at + timedelta(hours=1)
    assert _decode(later, occurred_at=later.admitted_at, recorded_at=recorded) is None
    # a day of clock skew is allowed, more is not
    skewed = later.admitted_at - timedelta(hours=23)
    assert _decode(later, occurred_at=later.admitted_at, recorded_at=skewed) is None
    assert _decode(later, occurred_at=later.admitted_at,
                   recorded_at=skewed - timedelta(hours=2)) == "implausible_date"


def test_payload_dates_may_look_ahead_five_years_not_more() -> None:
    """Validity windows and due dates look ahead; a line dated 6 years after is absurd."""
    assert _decode(charge(W, JN, "A1", line(1, date(2028, 1, 1)))) is None
    assert _decode(charge(W, JN, "A1", line(1, date(2030, 6, 2)))) == "implausible_date"
    assert _decode(charge(W, JN, "A1", line(1, date(1949, 12, 31)))) == "implausible_date"


def test_recorded_at_is_bounded_so_no_bound_overflows() -> None:
    """recorded_at in 9999 would overflow `recorded_at + 5 years`: refused first."""
    ok = admission(W, JN, "A1", date(2024, 6, 1))
    assert _decode(ok, recorded_at=datetime(9999, 12, 31, 23, tzinfo=UTC)) == "implausible_date"
    assert _decode(ok, recorded_at=datetime(1999, 12, 31, tzinfo=UTC)) == "implausible_date"


def test_valid_envelope_bytes_are_unchanged() -> None:
    """The bounds only refuse: a valid envelope encodes to the same bytes after a decode."""
    env = envelope.new(admission(W, JN, "A1", date(2024, 6, 1)), key=W, occurred_at=NOW,
                       recorded_at=NOW, source="hospital:H370100001")
    raw = wire.encode(env)
    assert wire.encode(wire.decode(raw)) == raw


@pytest.mark.parametrize("value", ["a\x00b", "\x00", "a\nb", "a\x7f", "\x9f", "\udcff"])
def test_finding_5_text_parameters_refuse_nul_and_control_characters(value: str) -> None:
    """Issue 14 finding 5: a NUL byte reached PostgreSQL (CharacterNotInRepertoireError)."""
    with pytest.raises(http.BadRequest) as exc:
        http.text(value, "id")
    assert (exc.value.status, exc.value.code) == (400, "invalid_text")


def test_text_parameters() -> None:
    assert http.text("REG-370100-0001", "id") == "REG-370100-0001"
    assert http.text(None, "id", required=False) is None
    for value, code in ((None, "missing_parameter"), ("x" * 201, "parameter_too_long")):
        with pytest.raises(http.BadRequest) as exc:
            http.text(value, "id")
        assert exc.value.code == code
    with pytest.raises(http.BadRequest) as exc:
        http.text("closed", "status", choices=frozenset({"open"}))
    assert exc.value.code == "invalid_status"


@pytest.mark.parametrize(("value", "code"), [
    ("9223372036854775808", "out_of_range"),  # beyond int64: was 500 (finding 5)
    ("-1", "out_of_range"),  # was 200 (finding 5)
    ("1e3", "invalid_integer"), ("", "invalid_integer"), ("１２", "invalid_integer"),
    ("9" * 30, "invalid_integer"),
])
def test_finding_5_integers_are_bounded(value: str, code: str) -> None:
    """Issue 14 finding 5: `?offset=` beyond int64 gave 500, `offset=-1` gave 200."""
    with pytest.raises(http.BadRequest) as exc:
        http.integer(value, "offset")
    assert exc.value.code == code
    assert http.integer("9223372036854775807", "offset") == 2**63 - 1
    assert http.integer(None, "offset") is None


@pytest.mark.parametrize(("value", "code"), [
    ("0001-01-01T00:00:00+14:00", "date_out_of_range"),  # was 500 (finding 5)
    ("9999-12-31T23:59:59-12:00", "date_out_of_range"),
    ("2024-05-31T23:59:59", "invalid_instant"),  # no zone
    ("yesterday", "invalid_instant"), ("2024-05-31T23:59:59Z\x00", "invalid_instant"),
])
def test_finding_5_instants_are_in_range(value: str, code: str) -> None:
    """Issue 14 finding 5: `?as_of=0001-01-01T00:00:00+14:00` gave 500."""
    with pytest.raises(http.BadRequest) as exc:
        http.instant(value, "as_of")
    assert exc.value.code == code
    got = http.instant("2024-05-31T23:59:59+08:00", "as_of")
    assert got == datetime(2024, 5, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=8)))


@pytest.mark.parametrize(("value", "code"), [
    ("2024-02-30", "invalid_date"), ("20240501", "invalid_date"), ("２０２４-０５-０１",
                                                                   "invalid_date"),
    ("0001-01-01", "date_out_of_range"), ("9999-12-31", "date_out_of_range"),
])
def test_days_are_in_range(value: str, code: str) -> None:
    with pytest.raises(http.BadRequest) as exc:
        http.day(value, "date")
    assert exc.value.code == code
    assert http.day("2024-05-01", "date") == date(2024, 5, 1)


@pytest.mark.parametrize(("value", "code"), [
    ("garbage", "invalid_month"), ("2024-13", "invalid_month"), ("2024-5", "invalid_month"),
    (None, "missing_parameter"), ("9999-01", "date_out_of_range"),
])
def test_finding_5_month_garbage_is_refused(value: str | None, code: str) -> None:
    """Issue 14 finding 5: `month=garbage` answered 200."""
    with pytest.raises(http.BadRequest) as exc:
        http.month(value)
    assert exc.value.code == code
    assert http.month("2024-05") == "2024-05"


def test_body_too_large_is_413() -> None:
    exc = http.BodyTooLarge(b"x" * 10, 10, 900_000)
    assert (exc.status, exc.code, exc.head) == (413, "body_too_large", b"x" * 10)


def test_dates_in_nested_models_and_lists_are_checked() -> None:
    """The walk reaches nested models (a charge line) and lists, and names the field."""
    with pytest.raises(Exception) as exc:
        envelope.check_business_times(NOW, NOW, charge(W, JN, "A1", line(1, date(9999, 1, 1))),
                                      "command")
    assert "payload.line.service_date" in str(exc.value)
    assert envelope._plan(type(admission(W, JN, "A1", date(2024, 6, 1)))) == ("admitted_at",)
