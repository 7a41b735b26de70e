"""Pure parts of the operator tools: progress text, argument parsing, selection, names."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pytest

from contracts import topics as registry
from ops import progress
from ops.cli import build_parser
from ops.projections import ReadModel, select
from ops.rebuild import _physical, parse_to_offset
from ops.schemas import ident


class FakeProjection:
    def __init__(self, name: str, tables: list[str] | None = None) -> None:
        self.name = name
        self.topics: Sequence[registry.Topic] = (registry.CLEARING_EVENTS,)
        if tables is not None:
            self.tables = tables

    async def apply(self, conn: object, event: object) -> None:
        return None


def models() -> list[ReadModel]:
    return [
        ReadModel("clearing", [FakeProjection("ledger"), FakeProjection("cycles")],
                  ["entries", "cycles"], [Path("x.sql")]),
        ReadModel("registration", [FakeProjection("registrations", ["registrations"])],
                  ["registrations"], []),
    ]


def test_progress_reports_percent_rate_and_eta_on_plain_lines() -> None:
    out = io.StringIO()
    p = progress.Progress("replay ledger", total=200, stream=out, interval=0)
    p.update(50)
    p.finish()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in out.getvalue()  # not a TTY: plain lines
    assert "25.0%" in lines[0] and "50/200 events" in lines[0] and "ETA" in lines[0]
    assert lines[1].endswith(tuple(f"done in 00:0{i}" for i in range(10)))


def test_progress_without_total_shows_count() -> None:
    out = io.StringIO()
    p = progress.Progress("scan", stream=out, interval=0)
    p.advance(7)
    assert "7 events" in out.getvalue() and "%" not in out.getvalue()


def test_parse_to_offset() -> None:
    assert parse_to_offset(["clearing-events:0:1200", "a:b:c:3:4"]) == {
        ("clearing-events", 0): 1200, ("a:b:c", 3): 4}
    with pytest.raises(SystemExit, match="TOPIC:PARTITION:OFFSET"):
        parse_to_offset(["clearing-events:1200"])


def test_physical_topic_names_get_the_prefix_once() -> None:
    assert _physical("clearing-events", "t-x.") == "t-x.clearing-events"
    assert _physical("t-x.clearing-events", "t-x.") == "t-x.clearing-events"
    assert _physical("clearing-events", "") == "clearing-events"


def test_select_by_service_projection_and_all() -> None:
    ms = models()
    assert [s.model.service for s in select(ms, "all")] == ["clearing", "registration"]
    [whole] = select(ms, "clearing")
    assert whole.complete and whole.tables == ["entries", "cycles"]
    [one] = select(ms, "ledger")
    assert not one.complete and one.tables is None  # tables not declared per projection
    assert one.whole().complete
    [declared] = select(ms, "registrations")
    assert declared.tables == ["registrations"]
    with pytest.raises(LookupError, match="known: clearing, cycles, ledger"):
        select(ms, "nope")


def test_ident_refuses_anything_but_plain_names() -> None:
    assert ident("clearing_rebuild_2") == '"clearing_rebuild_2"'
    for bad in ("Clearing", 'x"; DROP SCHEMA clearing; --', "a-b", "", "x" * 64):
        with pytest.raises(ValueError):
            ident(bad)


def test_cli_parses_operator_commands() -> None:
    parser = build_parser()
    args = parser.parse_args(["replay", "ledger", "--as-of", "2025-03-31T16:00:00+08:00",
                              "--into", "clearing_audit"])
    assert args.as_of.utcoffset().total_seconds() == 8 * 3600 and args.into == "clearing_audit"
    with pytest.raises(SystemExit):  # --as-of and --to-offset exclude each other
        parser.parse_args(["replay", "ledger", "--as-of", "2025-03-31T16:00:00Z",
                           "--to-offset", "clearing-events:0:5"])
    args = parser.parse_args(["dlq", "redrive", "--all", "--reason-code", "late_message"])
    assert args.all_ and args.reason_code == "late_message" and args.ids == []
    assert parser.parse_args(["verify"]).target == "all"


def test_the_demo_cast_gives_every_worker_an_id_of_their_own() -> None:
    """One active registration per worker on any day (SD-REG-5): two people sharing an id
    made the 10,000-encounter chaos run refuse 11 registrations `overlapping_registration`
    and then their admissions — a generator defect that looked like lost settlements."""
    from ops.demo import world

    cast = world.Cast(14)
    ids = [cast.worker(region).worker_id
           for region in ("370100", "370200", "320100", "371400") * 5000]
    assert len(set(ids)) == len(ids) == 20000
    assert all(world.valid(i) for i in ids)
