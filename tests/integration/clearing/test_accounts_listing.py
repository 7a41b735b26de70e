"""`GET /accounts` and `wic clearing accounts` (issue 18 item 6.4) against the running
clearing service, broker and database: every account with its balance, paged without a
skip or a repeat; the double entry sums to zero over the whole ledger (SD-FUND-2 money is
exact); a reader sees only the accounts of the regions they act for (the read matrix of
contracts.read_authority, as for every list), by role alone those of no region."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from contracts.actor import Role
from contracts.topics import SETTLEMENT_EVENTS
from ops import clearing as clearing_cli
from tests.integration.clearing.helpers import env, get, until
from tests.support.identity import bearer
from tests.support.kafka import Bus
from tests.support.processes import ServiceProcess
from tests.unit.clearing.factories import settled

pytestmark = pytest.mark.integration

JINAN_H, QINGDAO_H = "H37010200001", "H37020200001"


@pytest.fixture(scope="module")
def service(prefix: str, database_url: str, bootstrap: str, log_dir: Path
            ) -> Iterator[ServiceProcess]:
    proc = ServiceProcess("clearing", prefix=prefix, database_url=database_url,
                          bootstrap=bootstrap, log_dir=log_dir)
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
async def ledger(service: ServiceProcess, bus: Bus) -> list[dict[str, Any]]:
    may = date(2024, 5, 10)
    for ev in (settled(123_456, insured="370100", treatment="370202", institution=QINGDAO_H,
                       on=may),
               settled(50_007, insured="370200", treatment="370102", institution=JINAN_H,
                       on=may),
               settled(4_200, insured="370300", treatment="370202", institution=QINGDAO_H,
                       on=may)):
        await bus.send(SETTLEMENT_EVENTS, env(ev, key=ev.worker_id))
    _, page = await until(lambda: get(f"{service.url}/accounts?limit=500"),
                          lambda r: r[0] == 200 and {"fund:370100", "fund:370200",
                                                     "fund:370300"} <= {
                              a["account"] for a in r[1]["accounts"]})
    return list(page["accounts"])


def test_sd_fund_2_every_account_listed_with_its_balance_and_the_ledger_sums_to_zero(
        service: ServiceProcess, ledger: list[dict[str, Any]]) -> None:
    by = {a["account"]: a for a in ledger}
    assert by["fund:370100"]["balance_fen"] == 123_456 and by["fund:370100"]["kind"] == "fund"
    assert by["fund:370100"]["regions"] == ["370100"]
    assert by[f"institution:{QINGDAO_H}"]["balance_fen"] == -(123_456 + 4_200)
    assert sum(a["balance_fen"] for a in ledger) == 0  # balanced double entry
    for account, row in by.items():  # the list agrees with the one-account view
        assert get(f"{service.url}/accounts/{account}/balance")[1]["balance_fen"] == \
            row["balance_fen"]


def test_accounts_are_paged_without_skip_or_repeat(service: ServiceProcess,
                                                  ledger: list[dict[str, Any]]) -> None:
    seen: list[str] = []
    cursor = ""
    while True:
        status, page = get(f"{service.url}/accounts?limit=2{cursor}")
        assert status == 200 and len(page["accounts"]) <= 2
        seen += [a["account"] for a in page["accounts"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == sorted(a["account"] for a in ledger)
    _, funds = get(f"{service.url}/accounts?kind=fund")
    assert {a["kind"] for a in funds["accounts"]} == {"fund"}
    assert get(f"{service.url}/accounts?limit=0")[0] == 400
    assert get(f"{service.url}/accounts?limit=x")[1]["reason_code"] == "invalid_integer"


def test_a_reader_sees_the_accounts_of_their_regions_and_wic_clearing_accounts_prints_them(
        service: ServiceProcess, ledger: list[dict[str, Any]]) -> None:
    qingdao = bearer(Role.FINANCE, "liu.cw", regions=("370200",))
    _, page = get(f"{service.url}/accounts", token=qingdao)
    shown = {a["account"] for a in page["accounts"]}
    assert "fund:370200" in shown and f"institution:{QINGDAO_H}" in shown  # by role
    assert "fund:370100" not in shown and "fund:370300" not in shown
    status, body = get(f"{service.url}/accounts", token=bearer(Role.REGISTRATION_CLERK))
    assert (status, body["reason_code"]) == (403, "forbidden_role")
    rows = clearing_cli.fetch_accounts(token=qingdao, url=service.url, page_size=1)
    assert {r["account"] for r in rows} == shown
    text = clearing_cli.format_accounts(rows)
    assert "fund:370200" in text and "fund:370100" not in text and "total" in text
