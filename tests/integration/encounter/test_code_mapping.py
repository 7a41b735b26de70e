"""Catalog look-up (1301) and code mapping (3301 upload / 3302 revoke, issue 18 item 5)
through the real broker and database, with encounter and settlement running: a hospital's
line with its own code is refused `unknown_catalog_code` until the hospital maps the code;
then it is recorded as the catalog code and settled at the catalog's price, both codes
kept; after the revocation's date the code is refused again; the mapping is reference
data on the log, written by encounter for the authenticated institution only."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson
import pytest

from contracts import envelope, topics
from contracts.actor import Role
from contracts.deadletter import MessageDeadLettered
from contracts.reference import CodeMappingPublished
from contracts.settings import Settings
from infra.services import ServiceProcess, start_all, stop_all
from ops.reference import files_under, publish, read_envelopes
from tests.integration.encounter.helpers import body, get, post, wait_for
from tests.integration.settlement.helpers import poll
from tests.support.identity import bearer
from tests.support.kafka import Bus
from tests.unit.encounter.samples import (
    SAMPLE,
    admission,
    at,
    charge,
    coverage,
    discharge,
    line,
    worker_id,
)

pytestmark = pytest.mark.integration

W = worker_id(uuid.uuid4().int % 9000 + 700)
JN, QD = "H370100001", "H370200001"
LOCAL = f"JN1-MRI{uuid.uuid4().hex[:4]}"  # a code of Jinan No.1's own, never in a catalog
D1, D2, D3 = date(2024, 7, 2), date(2024, 7, 3), date(2024, 7, 4)
UPLOAD = {"catalog_kind": "medical_item", "local_code": LOCAL, "local_name": "磁共振(本院)",
          "catalog_code": "MI-006", "effective_from": "2024-07-01"}


@pytest.fixture(scope="module")
async def stack(prefix: str, database_url: str, bootstrap: str, bus: Bus, log_dir: Path
                ) -> AsyncIterator[dict[str, ServiceProcess]]:
    await publish(read_envelopes(files_under(SAMPLE)), Settings(bootstrap, database_url, prefix))
    cov = coverage(W, "370100")  # insured in Weifang, treated in Jinan: settled directly
    await bus.send(topics.REGISTRATION_COVERAGE, envelope.new(
        cov, key=W, occurred_at=at(date(2024, 1, 1)), source="registration"))
    procs = start_all(prefix, database_url, bootstrap, log_dir,
                      names=("encounter", "settlement"))
    try:
        url = procs["encounter"].url
        await wait_for(url, "/reference/status", lambda r: r["ready"])
        await wait_for(url, f"/workers/{W}/coverage", lambda _: True)
        yield procs
    finally:
        stop_all(procs)


async def send(url: str, path: str, data: dict[str, Any], token: str
               ) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as http, http.post(
            f"{url}{path}", data=orjson.dumps(data), headers=headers) as resp:
        return resp.status, await resp.json()


def hospital(institution: str) -> str:
    return f"sample-token-{institution}"


async def test_3301_3302_a_mapped_local_code_settles_at_the_catalog_price_until_revoked(
        stack: dict[str, ServiceProcess], bus: Bus, database_url: str) -> None:
    url, settlement = stack["encounter"].url, stack["settlement"].url
    status, got = await post(url, JN, body(admission(W, JN, "M1", date(2024, 7, 1))))
    assert status == 200 and got["reply"]["direct_settlement"], got
    first = charge(W, JN, "M1", line(1, D1, LOCAL, price=100000))  # 1,000 yuan for an MRI

    # before the mapping: refused (SD-ENC-6), and the look-up does not know the code
    status, got = await post(url, JN, body(first))
    assert (status, got["reason_code"]) == (422, "unknown_catalog_code"), got
    status, got = await get(url, f"/catalog/items/{LOCAL}?date={D1}", hospital(JN))
    assert (status, got["reason_code"]) == (404, "unknown_catalog_code")

    # 3301: only a hospital's credential, only its own codes
    status, got = await send(url, "/catalog/mappings", {**UPLOAD, "institution_id": JN},
                             hospital(QD))
    assert (status, got["reason_code"]) == (403, "wrong_institution")
    status, got = await send(url, "/catalog/mappings", UPLOAD, bearer(Role.CLAIMS_REVIEWER))
    assert (status, got["reason_code"]) == (401, "unauthenticated")
    status, got = await send(url, "/catalog/mappings", {**UPLOAD, "catalog_code": "MI-999"},
                             hospital(JN))
    assert (status, got["reason_code"]) == (404, "unknown_catalog_code")
    status, got = await send(url, "/catalog/mappings", {**UPLOAD, "effective_from": "2040-01-01"},
                             hospital(JN))  # decades ahead: the sender's error, never a 5xx
    assert (status, got["reason_code"]) == (400, "implausible_date"), got
    status, got = await send(url, "/catalog/mappings", UPLOAD, hospital(JN))
    assert (status, got["status"]) == (201, "published"), got
    mapped_id = got["event_id"]
    status, got = await send(url, "/catalog/mappings", UPLOAD, hospital(JN))  # a retry
    assert (status, got["status"], got["event_id"]) == (200, "already_on_the_log", mapped_id)

    # 1301: the code is now worth what MI-006 is worth on that day at this institution
    status, got = await get(url, f"/catalog/items/{LOCAL}?date={D1}", hospital(JN))
    assert status == 200, got
    assert (got["item_code"], got["local_code"], got["max_unit_price_fen"],
            got["catalog_version"]) == ("MI-006", LOCAL, 90000, "medical_item:370100@2024-07-01")
    status, got = await get(url, f"/catalog/items/{LOCAL}?date={D1}", hospital(QD))
    assert (status, got["reason_code"]) == (404, "unknown_catalog_code")  # Jinan No.1's own
    staff = bearer(Role.CLAIMS_REVIEWER)  # staff name the institution whose catalog
    status, got = await get(url, f"/catalog/items/{LOCAL}?date={D1}&institution_id={JN}", staff)
    assert (status, got["item_code"]) == (200, "MI-006")
    status, got = await get(url, f"/catalog/items/{LOCAL}?date={D1}&institution_id={QD}",
                            hospital(JN))
    assert (status, got["reason_code"]) == (403, "forbidden_institution")
    status, got = await get(url, f"/catalog/items?date={D1}&prefix=MI-&page_size=2&page=3",
                            hospital(JN))
    assert status == 200 and got["total"] == 5 and [e["item_code"] for e in got["items"]] == [
        "MI-006"]

    # the refused line, resent as it was: recorded as MI-006 with the local code beside it
    status, got = await post(url, JN, body(first))
    assert status == 200, got

    # 3302: revoked from 2024-07-04; a line of 07-03 is still mapped, one of 07-04 is not
    revoke = {"catalog_kind": "medical_item", "local_code": LOCAL, "effective_from": str(D3)}
    status, got = await send(url, "/catalog/mappings/revoke", revoke, hospital(JN))
    assert (status, got["status"], got["mapping"]["catalog_code"]) == (201, "published", None)
    status, got = await post(url, JN, body(charge(W, JN, "M1", line(2, D2, LOCAL,
                                                                    price=80000))))
    assert status == 200, got
    status, got = await post(url, JN, body(charge(W, JN, "M1", line(3, D3, LOCAL,
                                                                    price=80000))))
    assert (status, got["reason_code"]) == (422, "unknown_catalog_code"), got
    status, got = await get(url, f"/catalog/mappings/in-force?date={D3}", hospital(JN))
    assert status == 200 and LOCAL not in {m["local_code"] for m in got["mappings"]}

    # settled at the catalog's price: MI-006 capped at 900 yuan (SD-ENC-6), both codes kept
    status, got = await post(url, JN, body(discharge(W, JN, "M1", D3)))
    assert status == 200, got
    settled = await poll(f"{settlement}/encounters/{JN}:M1/settlement",
                            lambda s, _b: s == 200)
    lines = {ln["line_no"]: ln for ln in settled["current"]["lines"]}
    assert (lines[1]["item_code"], lines[1]["local_code"], lines[1]["fund_fen"],
            lines[1]["self_fen"], lines[1]["reasons"]) == (
        "MI-006", LOCAL, 90000, 10000, ["over_standard"])
    assert (lines[2]["item_code"], lines[2]["fund_fen"]) == ("MI-006", 80000)
    assert sorted(lines) == [1, 2]

    # the encounter read model shows both codes
    enc = await wait_for(url, f"/encounters/{JN}:M1", lambda e: e["status"] == "discharged")
    assert [(ln["item_code"], ln["local_code"]) for ln in enc["lines"]] == [
        ("MI-006", LOCAL), ("MI-006", LOCAL)]

    # on the log: reference data written by encounter, as the hospital that asked
    seen = await bus.read(topics.REFERENCE_DATA, lambda s: sum(
        isinstance(e.payload, CodeMappingPublished) and e.payload.local_code == LOCAL
        for e in s) == 2)
    mine = [e for e in seen if isinstance(e.payload, CodeMappingPublished)
            and e.payload.local_code == LOCAL]
    assert [e.source for e in mine] == ["encounter", "encounter"]
    assert [e.actor.id for e in mine if e.actor] == [f"hospital:{JN}"] * 2
    assert str(mine[0].event_id) == mapped_id

    # the refused upload was dead-lettered, like a refused hospital message
    letters = await bus.read(topics.ENCOUNTER_DEADLETTERS, lambda s: any(
        isinstance(e.payload, MessageDeadLettered) and e.payload.reason_code ==
        "wrong_institution" for e in s))
    assert any(LOCAL.encode() in e.payload.original_value()  # type: ignore[attr-defined]
               for e in letters)
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT line_no, local_code FROM encounter.charge_lines "
                                "WHERE encounter_id = $1 ORDER BY line_no", f"{JN}:M1")
    finally:
        await conn.close()
    assert [(r["line_no"], r["local_code"]) for r in rows] == [(1, LOCAL), (2, LOCAL)]
