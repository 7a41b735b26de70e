"""End to end: the main job (`wic demo`) through public interfaces only.

It starts the four services as processes, drives a month of registrations, hospital
traffic (Kafka and HTTP), claims, a gateway exchange and the clearing close, and proves the
result by rebuilding every read model from offset zero. This test runs it at a small size
and checks the outcome against amounts worked out by hand from the rules.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from infra.databases import drop
from infra.topics import delete_topics
from tests.support.processes import ROOT

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def month(bootstrap: str) -> AsyncIterator[tuple[str, str]]:
    # as an operator would run it: the `operator` principal, not the tests' `admin`
    env = {**os.environ, "WIC_KAFKA_PRINCIPAL": "operator"}
    proc = subprocess.run([sys.executable, "-m", "ops", "demo", "--size", "4"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    url = re.search(r"WIC_DATABASE_URL=(\S+);", proc.stdout)
    prefix = re.search(r"WIC_TOPIC_PREFIX=(\S+) ", proc.stdout)
    assert url and prefix, proc.stdout[-2000:]
    yield proc.stdout, url.group(1)
    await drop(url.group(1))
    await delete_topics(bootstrap, prefix.group(1))


def test_every_answer_was_the_expected_one(month: tuple[str, str]) -> None:
    out, _ = month
    assert "UNEXPECTED" not in out
    assert "demo: OK" in out


def test_admission_answers_follow_the_rules(month: tuple[str, str]) -> None:
    """SD-ENC-1/3/4/7, SD-REG-4: who is settled directly, and why not."""
    out, _ = month
    expected = {
        "residence: admission": "direct settlement",
        "stationed: admission": "not direct (cross_provincial_outpatient)",
        "expiring: admission": "not direct (registration_expired)",  # issue 18 item 6.3
        "third_party: admission": "not direct (third_party_liability)",
        "not_enabled: admission": "not direct (institution_not_enabled)",
        "imported: admission": "direct settlement",
    }
    for what, answer in expected.items():
        line = next(x for x in out.splitlines() if what in x)
        assert line.endswith(answer), line


def test_registration_refusals_name_the_rule(month: tuple[str, str]) -> None:
    """SD-REG-1, SD-REG-5, SD-REG-7 refusals reach the clerk with their codes."""
    out, _ = month
    for code in ("change_locked", "no_completed_confirmation", "no_social_security_card",
                 "registration_rejected"):
        assert f"-> {code}" in out


def test_referral_settlement_is_judged_line_by_line(month: tuple[str, str]) -> None:
    """SD-ENC-5/6 and a post-discharge correction: Jinan hospital's fund share for the
    Qingdao referral is bed-days at the 60.00 cap (9 x 60 = 540.00) + MI-002 corrected to
    90.00 + DR-003 less 20% self-pay (400.00) + MI-004 99.00, and nothing for the line not
    related to the injury: 1,129.00."""
    out, _ = month
    assert re.search(r"Qingdao 370200 +owes via Jinan 370100 +H370100001 +settled +1,129\.00",
                     out), out


def test_refusal_after_close_flows_into_the_next_cycle(month: tuple[str, str]) -> None:
    """SD-FUND-3: Qingdao refuses 50.00 after May closed; June carries it."""
    out, _ = month
    june = out[out.index("CLEARING STATEMENT 2024-06"):]
    assert re.search(r"H370100001 +settled +0\.00 +refused +50\.00 +net +-50\.00", june)


async def test_ledger_sums_to_zero_and_nets_balance(month: tuple[str, str]) -> None:
    """SD-FUND-2/4: double entry sums to zero; every cycle's nets sum to zero."""
    _, url = month
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT sum(amount_fen) FROM clearing.ledger_entries") == 0
        bad = await conn.fetch("SELECT cycle_id FROM clearing.cycle_nets GROUP BY cycle_id "
                               "HAVING sum(net_fen) <> 0")
        assert bad == []
        settled = await conn.fetchval(
            "SELECT count(*) FROM clearing.cycles WHERE month = '2024-05' AND status = 'settled'")
        assert settled >= 5
    finally:
        await conn.close()


async def test_every_direct_settlement_is_posted_once(month: tuple[str, str]) -> None:
    """Reconciliation: each settlement the settlement service made is in the ledger once."""
    _, url = month
    conn = await asyncpg.connect(url)
    try:
        made = {r["settlement_id"] for r in await conn.fetch(
            "SELECT settlement_id FROM settlement.encounter_settlements "
            "WHERE settlement_id IS NOT NULL AND settlement_id <> ''")}
        posted = await conn.fetch(
            "SELECT payload->>'reference' AS ref, count(*) AS n FROM clearing.ledger_events "
            "WHERE payload->>'kind' = 'settlement' GROUP BY 1")
        assert {r["ref"] for r in posted} >= made
        assert all(r["n"] == 1 for r in posted)
    finally:
        await conn.close()


async def test_verify_catches_a_tampered_ledger_and_a_lost_posting(month: tuple[str, str]
                                                                    ) -> None:
    """`wic verify`'s checks: the ledger's zero sum and the cross-service reconciliation
    (every settlement posted once) fail loudly on a corrupted read model. Runs last: it
    tampers with the month's database."""
    from ops.reconcile import reconcile
    from services.clearing.adapters.projection import ledger_sums_to_zero

    _, url = month
    conn = await asyncpg.connect(url, server_settings={"search_path": "clearing"})
    try:
        assert await ledger_sums_to_zero(conn) == []
        assert all(found == [] for _, found in await reconcile(url))
        lost = await conn.fetchrow(
            "DELETE FROM ledger_events WHERE ledger_seq = (SELECT min(ledger_seq) FROM "
            "ledger_events WHERE payload->>'kind' = 'settlement') RETURNING payload")
        await conn.execute("UPDATE ledger_entries SET amount_fen = amount_fen + 1 "
                           "WHERE ledger_seq = 0 AND leg = 0")
        tampered = await ledger_sums_to_zero(conn)
        assert "the ledger sums to 1 fen, not 0" in tampered
        assert "ledger event 0 does not balance" in tampered
        problems = dict(await reconcile(url))["settlements_posted_once"]
        reference = __import__("json").loads(lost["payload"])["reference"]
        assert any(reference in p and "posted 0 times" in p for p in problems), problems
    finally:
        await conn.close()


def test_pre_settlement_2303_equals_the_final_settlement(month: tuple[str, str]) -> None:
    """National 2303/2206 (issue 18 item 2): the residence stay's pre-settlement, asked on
    discharge day with nothing changed after it, is what the final settlement recorded."""
    out, _ = month
    asked = re.search(r"residence: pre-settlement before discharge .*-> pre-settled: fund "
                      r"([\d,.]+), self ([\d,.]+), employer ([\d,.]+)", out)
    assert asked, out
    settled = re.search(r"ZY\d+RESIDENCE: settled fund/self/employer ([\d,.]+) / ([\d,.]+) / "
                        r"([\d,.]+)  -> equal", out)
    assert settled and settled.groups() == asked.groups(), out


def test_statement_file_is_filed_and_totals_equal_the_json(month: tuple[str, str]) -> None:
    """SD-FUND-2, issue 18 item 4 in the demo: the CSV the finance department files is on
    disk, and its 合计 is the one the demo printed as equal to the JSON statement."""
    from contracts.types import yuan_text
    from ops.demo.platform import csv_total_fen

    out, _ = month
    line = re.search(r"statement (\S+): (\S+\.csv) \(合计 ([\d,.]+)\) against the JSON  -> equal",
                     out)
    assert line, out
    total = csv_total_fen(Path(line.group(2)).read_bytes())
    assert yuan_text(total, grouped=True) == line.group(3)
    slip = re.search(r"settlement slip \(结算单\) (\S+\.pdf)", out)
    assert slip and Path(slip.group(1)).read_bytes().startswith(b"%PDF")


def test_reconciliation_3201_3202_names_the_unbooked_settlement(month: tuple[str, str]) -> None:
    """National 3201/3202 (issue 18 item 1) in the demo: a hospital's totals without its last
    settlement notice mismatch, the detail names exactly that settlement, and once it is
    booked the totals match."""
    out, _ = month
    assert re.search(r"ok  3201 with (\d+) of (\d+) settlements booked  -> mismatch", out), out
    assert re.search(r"ok  3202 with \d+ of \d+ settlements booked: names S-\S+  -> mismatch",
                     out), out
    assert re.search(r"ok  3201 with (\d+) of \1 settlements booked  -> match", out), out
