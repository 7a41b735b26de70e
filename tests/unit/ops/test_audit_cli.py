"""`wic audit` merges by time and says who did not answer; every service's audit trail is
one of the read models that `wic replay` and `wic verify` rebuild."""

from __future__ import annotations

import io
from typing import Any

import pytest

from infra.migrate import SERVICES
from ops import audit, projections
from ops.cli import build_parser

URLS = {s: f"http://svc-{s}" for s in SERVICES}


def entry(service: str, when: str, offset: int, **kw: Any) -> dict[str, Any]:
    return {"service": service, "occurred_at": when, "topic": f"{service}-events",
            "partition": 0, "offset": offset, "event_type": "X", "actor": None,
            "reason_code": None, "refused_type": None, **{s: None for s in audit.SUBJECTS},
            **kw}


def answers(pages: dict[str, Any]) -> audit.Fetch:
    def fetch(url: str) -> tuple[int, Any]:
        service = url.removeprefix("http://svc-").split("/")[0]
        if isinstance(pages[service], OSError):
            raise pages[service]
        return pages[service]
    return fetch


def test_entries_of_every_service_are_merged_by_business_time() -> None:
    pages = {
        "registration": (200, {"entries": [entry("registration", "2024-06-01T01:00:00+00:00", 4,
                                                 actor={"id": "staff:li.na"},
                                                 worker_id="W1", registration_id="R1")],
                               "next_cursor": None}),
        "encounter": (200, {"entries": [entry("encounter", "2024-06-01T08:30:00+08:00", 1)],
                            "next_cursor": None}),
        "settlement": (200, {"entries": [], "next_cursor": None}),
        "benefits": (200, {"entries": [], "next_cursor": None}),
        "clearing": (200, {"entries": [entry("clearing", "2024-06-01T00:00:00+00:00", 9,
                                             reason_code="cycle_closed",
                                             refused_type="RefuseItems")],
                           "next_cursor": None}),
    }
    out, err = io.StringIO(), io.StringIO()
    assert audit.audit(URLS, {"worker_id": "W1"}, out=out, err=err,
                       fetch=answers(pages)) == 0
    lines = out.getvalue().splitlines()
    assert [line.split()[2] for line in lines[1:4]] == ["clearing", "encounter", "registration"]
    assert "refused RefuseItems (cycle_closed)" in lines[1]
    assert "staff:li.na" in lines[3] and "worker=W1 registration=R1" in lines[3]
    assert lines[4] == ("3 entries from registration, encounter, settlement, clearing, "
                        "benefits")
    assert err.getvalue() == ""


def test_a_service_that_does_not_answer_is_named_and_the_exit_status_is_1() -> None:
    pages: dict[str, Any] = {s: (200, {"entries": [], "next_cursor": None}) for s in SERVICES}
    pages["settlement"] = OSError("connection refused")
    pages["clearing"] = (503, {"reason_code": "database_unavailable", "reason": "away"})
    out, err = io.StringIO(), io.StringIO()
    assert audit.audit(URLS, {}, out=out, err=err, fetch=answers(pages)) == 1
    assert "settlement DID NOT ANSWER (http://svc-settlement: connection refused)" \
        in err.getvalue()
    assert "clearing DID NOT ANSWER (database_unavailable: away)" in err.getvalue()
    assert "0 entries from registration, encounter" in out.getvalue()


def test_a_refused_filter_is_printed_with_its_reason_and_the_exit_status_is_2() -> None:
    pages = {s: (400, {"reason_code": "invalid_instant", "reason": "from …"}) for s in SERVICES}
    err = io.StringIO()
    assert audit.audit(URLS, {"from": "x"}, out=io.StringIO(), err=err,
                       fetch=answers(pages)) == 2
    assert "registration refused the query: invalid_instant: from …" in err.getvalue()


def test_the_limit_holds_for_the_merge_and_more_is_announced() -> None:
    pages = {s: (200, {"entries": [entry(s, f"2024-06-0{i + 1}T00:00:00+00:00", i)
                                   for i in range(2)], "next_cursor": "c"})
             for s in SERVICES}
    merged = audit.collect(URLS, {}, 3, answers(pages))
    assert len(merged.entries) == 3 and sorted(merged.more) == sorted(SERVICES)


def test_options_become_the_same_query_for_every_service() -> None:
    args = build_parser().parse_args(["audit", "--worker-id", "W", "--from", "2024-06-01",
                                      "--service", "clearing", "--url",
                                      "clearing=http://10.0.0.7:9"])
    assert args.worker_id == "W" and args.since == "2024-06-01T00:00:00+08:00"
    assert audit.urls_for(args.host, args.url, args.service) == {"clearing": "http://10.0.0.7:9"}
    with pytest.raises(SystemExit):
        audit.urls_for("h", ["nowhere=http://x"], SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_replay_and_verify_rebuild_the_audit_trail_of_every_service(service: str) -> None:
    model = projections.load(service)
    trail = model.projection(f"{service}_audit")
    assert trail is not None and "audit_trail" in model.tables
    assert {t.base for t in trail.topics} == {f"{service}-events", f"{service}-deadletters"}
    assert any(f.name.endswith("_audit.sql") for f in model.sql_files)
    [selected] = projections.select([model], f"{service}_audit")
    assert selected.tables == ["audit_trail"]  # `wic verify <service>_audit` compares it


def test_the_audit_needs_a_token_and_sends_it_to_every_service(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 16 item 6: the trails are read by auditors and operators only, so `wic audit`
    refuses to ask without a staff token and sends the one it has as the bearer."""
    monkeypatch.delenv("WIC_TOKEN", raising=False)
    args = build_parser().parse_args(["audit"])
    assert args.func(args) == 2 and "no staff token" in capsys.readouterr().err
    seen: list[tuple[str, str | None]] = []

    def fake_get(url: str, token: str | None = None) -> tuple[int, Any]:
        seen.append((url.split("/audit")[0], token))
        return 200, {"service": "x", "entries": [], "next_cursor": None}
    monkeypatch.setattr(audit, "_get", fake_get)
    args = build_parser().parse_args(["audit", "--token", "T", "--host", "h"])
    assert args.func(args) == 0
    assert sorted(seen) == sorted((f"http://h:{audit.HEALTH_PORTS[s]}", "T") for s in SERVICES)
