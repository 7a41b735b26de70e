"""Issue 18 item 4 through the real broker and database: a discharged encounter settled by
the settlement service and cleared by the clearing service; its settlement slip (PDF) and
its cycle's statement (CSV, XLSX, one institution's CSV, and `wic clearing statement
--format`) downloaded and read back have the JSON endpoints' totals to the fen (SD-FUND-2),
and are refused exactly like the JSON (401 without a token, 403 for a role or a region
that does not read it)."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from contracts import clearing as c
from contracts import topics
from contracts.actor import Role
from contracts.encounter import EncounterDischarged
from contracts.reference import CatalogKind
from ops import clearing as clearing_cli
from tests.integration.clearing.helpers import env as clearing_env
from tests.integration.settlement.helpers import env, poll, ref_env, worker_id
from tests.support.files import (
    csv_sections,
    fen,
    pdf_text,
    slip_totals,
    statement_totals,
    xlsx_sheets,
)
from tests.support.identity import bearer, read_headers
from tests.support.kafka import Bus
from tests.support.processes import ServiceProcess
from tests.unit.settlement.factories import HOSPITAL, encounter, line, standard_catalogs

pytestmark = pytest.mark.integration

OTHER = "H37010200002"  # a second Jinan hospital
CYCLE = c.cycle_id("2024-05", "370100", "370200")  # Qingdao workers treated in Jinan


def _process(name: str, prefix: str, database_url: str, bootstrap: str, log_dir: Path
             ) -> Iterator[ServiceProcess]:
    proc = ServiceProcess(name, prefix=prefix, database_url=database_url, bootstrap=bootstrap,
                          log_dir=log_dir).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def settlement(prefix: str, database_url: str, bootstrap: str, log_dir: Path
               ) -> Iterator[ServiceProcess]:
    yield from _process("settlement", prefix, database_url, bootstrap, log_dir)


@pytest.fixture(scope="module")
def clearing(prefix: str, database_url: str, bootstrap: str, log_dir: Path
             ) -> Iterator[ServiceProcess]:
    yield from _process("clearing", prefix, database_url, bootstrap, log_dir)


def fetch(url: str, token: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET as `token` (default: a reader of everything; "" for none): status, headers, body."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=read_headers(token)),
                                    timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def statement_url(svc: ServiceProcess, suffix: str = "", **q: str) -> str:
    url = f"{svc.url}/cycles/{urllib.parse.quote(CYCLE, safe=':')}/statement{suffix}"
    return url + ("?" + urllib.parse.urlencode(q) if q else "")


@pytest.fixture(scope="module")
async def cleared(settlement: ServiceProcess, clearing: ServiceProcess, bus: Bus
                  ) -> dict[str, Any]:
    """Two encounters settled and cleared into one closed cycle: the JSON of both."""
    for cat in standard_catalogs():
        await bus.send(topics.REFERENCE_DATA, ref_env(cat))
    encounters = [
        encounter([line(1, 15_000), line(2, 5_000, injury_related=False),
                   line(3, 1_005, code="D1", kind=CatalogKind.DRUG)],
                  worker=worker_id(1), enc_no="E1"),
        encounter([line(1, 8_888), line(2, 12_345, code="X1", kind=CatalogKind.MEDICAL_ITEM)],
                  worker=worker_id(2), enc_no="E2").model_copy(update={
                      "institution_id": OTHER, "encounter_id": f"{OTHER}:E2"})]
    for enc in encounters:
        await bus.send(topics.ENCOUNTER_EVENTS,
                       env(EncounterDischarged(encounter=enc), enc.worker_id))
    slips = {}
    for enc in encounters:
        slips[enc.encounter_id] = await poll(
            f"{settlement.url}/encounters/{enc.encounter_id}/settlement",
            lambda st, b: st == 200 and b["current"]["answer_due_on"])
    fund = sum(s["current"]["fund_fen"] for s in slips.values())
    await poll(statement_url(clearing), lambda st, b: st == 200 and sum(
        ln["amount_fen"] for ln in b["lines"]) == fund)
    await bus.send(topics.CLEARING_COMMANDS, clearing_env(c.CloseCycle(
        cycle_id=CYCLE, closed_on=date(2024, 6, 1)), key="clearing"))
    statement = await poll(statement_url(clearing),
                           lambda st, b: st == 200 and b["status"] == "closed")
    return {"slips": slips, "statement": statement}


def test_issue_18_statement_csv_and_xlsx_totals_equal_the_json(
        clearing: ServiceProcess, cleared: dict[str, Any]) -> None:
    """SD-FUND-2: the downloaded files, read back, add up to the JSON statement."""
    body = cleared["statement"]
    want = {f"{k}_yuan": sum(ln[f"{k}_fen"] for ln in body["lines"])
            for k in ("settled", "refused", "amount")}
    nets = {n["party"]: n["net_fen"] for n in body["nets"]}
    assert want["amount_yuan"] == sum(s["current"]["fund_fen"]
                                      for s in cleared["slips"].values())
    status, headers, data = fetch(statement_url(clearing, ".csv"))
    assert status == 200, data[:300]
    assert headers["Content-Type"].startswith("text/csv")
    assert headers["Content-Disposition"] == \
        'attachment; filename="statement-2024-05-370100-370200.csv"'
    sections = csv_sections(data)
    assert dict(sections["facts"])["状态 status"] == "closed"
    totals = statement_totals(sections["明细 lines"])
    assert {k: totals[k] for k in want} == want
    assert {k: totals[k + ":lines"] for k in want} == want
    assert {r[0]: fen(r[1]) for r in sections["轧差 nets"][1:]} == nets

    status, headers, data = fetch(statement_url(clearing, ".xlsx"))
    assert status == 200 and headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert headers["Content-Disposition"].endswith('statement-2024-05-370100-370200.xlsx"')
    sheets = xlsx_sheets(data)
    totals = statement_totals(sheets["明细 lines"])
    assert {k: totals[k] for k in want} == want
    assert {r[0]: fen(r[1]) for r in sheets["轧差 nets"][1:]} == nets


def test_issue_18_one_institutions_statement_and_the_cli(
        clearing: ServiceProcess, cleared: dict[str, Any], tmp_path: Path) -> None:
    body = cleared["statement"]
    status, headers, data = fetch(statement_url(clearing, ".csv", institution_id=HOSPITAL))
    assert status == 200 and headers["Content-Disposition"].endswith(f'-{HOSPITAL}.csv"')
    rows = csv_sections(data)["明细 lines"]
    assert {r[2] for r in rows[1:-1]} == {HOSPITAL} and set(body["institutions"]) == {
        HOSPITAL, OTHER}
    assert statement_totals(rows)["amount_yuan"] == body["institutions"][HOSPITAL]
    status, _, data = fetch(statement_url(clearing, ".csv", institution_id="H99"))
    assert (status, orjson.loads(data)["reason_code"]) == (404, "unknown_institution")

    out = tmp_path / "cycle.xlsx"
    got = clearing_cli.download_statement(CYCLE, "xlsx", token=bearer(Role.FINANCE),
                                          url=clearing.url)
    out.write_bytes(got)
    assert statement_totals(xlsx_sheets(out.read_bytes())["明细 lines"])["amount_yuan"] == \
        sum(ln["amount_fen"] for ln in body["lines"])
    with pytest.raises(clearing_cli.Refused) as refused:
        clearing_cli.download_statement(CYCLE, "csv", token=bearer(
            Role.FINANCE, "finance.beijing", ("110000",)), url=clearing.url)
    assert (refused.value.status, refused.value.code) == (403, "forbidden_region")


def test_issue_18_settlement_slip_pdf_totals_equal_the_json(
        settlement: ServiceProcess, cleared: dict[str, Any]) -> None:
    for encounter_id, body in cleared["slips"].items():
        current = body["current"]
        status, headers, data = fetch(f"{settlement.url}/encounters/{encounter_id}"
                                      "/settlement.pdf")
        assert status == 200, data[:300]
        assert headers["Content-Type"] == "application/pdf"
        safe = encounter_id.replace(":", "-")
        assert headers["Content-Disposition"] == f'attachment; filename="slip-{safe}-r0.pdf"'
        text = pdf_text(data)
        assert slip_totals(text) == {k: current[k] for k in (
            "submitted_fen", "fund_fen", "self_fen", "employer_fen")}
        for expected in ("结算单", current["worker_id"], current["institution_id"],
                         encounter_id, *(ln["item_code"] for ln in current["lines"])):
            assert expected in text, expected


def test_issue_18_files_are_refused_exactly_like_the_json(
        settlement: ServiceProcess, clearing: ServiceProcess, cleared: dict[str, Any]) -> None:
    """docs/security.md "Reads": the same resource, roles and regions as the JSON."""
    encounter_id = next(iter(cleared["slips"]))
    pairs = [(statement_url(clearing), statement_url(clearing, suffix))
             for suffix in (".csv", ".xlsx")]
    pairs.append((f"{settlement.url}/encounters/{encounter_id}/settlement",
                  f"{settlement.url}/encounters/{encounter_id}/settlement.pdf"))
    tokens = {"none": "", "forged": "forged.jwt.token",
              "clerk": bearer(Role.REGISTRATION_CLERK),  # reads neither ledger nor settlement
              "beijing": bearer(Role.AUDITOR, "auditor.beijing", ("110000",))}
    for json_url, file_url in pairs:
        for who, token in tokens.items():
            a, b = fetch(json_url, token), fetch(file_url, token)
            assert a[0] == b[0] and a[0] in (401, 403), (who, file_url, a[0], b[0])
            assert orjson.loads(a[2])["reason_code"] == orjson.loads(b[2])["reason_code"], who
        assert fetch(file_url, "")[0] == 401
    status, _, data = fetch(f"{settlement.url}/encounters/H1:NOPE/settlement.pdf")
    assert (status, orjson.loads(data)["reason_code"]) == (404, "unknown_encounter")
