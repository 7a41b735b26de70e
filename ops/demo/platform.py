"""What hospitals and agencies use on the national platform, as the demo shows it (issue 18).

- a pre-settlement (预结算, 2303/2206) asked just before a discharge, and the final settlement
  it must equal when nothing changed in between;
- the month's clearing statement as the CSV a finance department files, and a settlement slip
  (结算单) as PDF, both written next to the run's logs; the file's totals equal the JSON's;
- a hospital reconciling a cycle (对总账 3201 / 对明细账 3202) with one settlement not yet
  booked: totals mismatch, the detail names it, booked it matches.
"""

from __future__ import annotations

import csv
import io
import urllib.parse
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

from infra import identity
from ops.clearing import cycle_items, download_statement
from ops.clearing import reconcile as reconcile_request
from ops.demo.client import get_json

SPLIT = ("fund_fen", "self_fen", "employer_fen")
TOTAL = "合计 total"


def clearing_officer() -> str:
    """周宇, Shandong's clearing officer, as the agency's identity provider signs him in."""
    return identity.issue("zhou.yu", ["clearing_officer"], ["370000"], name="周宇")


def auditor() -> str:
    return identity.issue("qian.hui", ["auditor"], ["370000", "320000", "110000", "130000"],
                          name="钱慧")


def split_of(body: dict[str, Any]) -> tuple[int, ...]:
    return tuple(int(body[k]) for k in SPLIT)


def settled_split(settlement_url: str, encounter_id: str) -> tuple[int, ...]:
    """The first revision's fund / self / employer split of an encounter's final settlement."""
    quoted = urllib.parse.quote(encounter_id, safe="")
    status, body = get_json(f"{settlement_url}/encounters/{quoted}/settlement", token=auditor())
    if status != 200:
        raise RuntimeError(f"settlement of {encounter_id}: HTTP {status} {body}")
    return split_of(body["revisions"][0])


def csv_total_fen(data: bytes) -> int:
    """The lines table's totals row (合计) of a statement CSV, read back as fen."""
    for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
        if row and row[0] == TOTAL:
            return int(Decimal(row[-1]) * 100)
    raise ValueError("the statement file has no totals row")


def statement_json_total(clearing_url: str, cycle_id: str, token: str) -> int:
    quoted = urllib.parse.quote(cycle_id, safe=":")
    status, body = get_json(f"{clearing_url}/cycles/{quoted}/statement", token=token)
    if status != 200:
        raise RuntimeError(f"statement of {cycle_id}: HTTP {status} {body}")
    return sum(int(line["amount_fen"]) for line in body["lines"])


def statement_file(clearing_url: str, cycle_id: str, out: Path) -> tuple[Path, int, int]:
    """Download `cycle_id`'s statement CSV into `out`; (path, file total, JSON total)."""
    token = clearing_officer()
    data = download_statement(cycle_id, "csv", token=token, url=clearing_url)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"statement-{cycle_id.replace(':', '_').replace('|', '-')}.csv"
    path.write_bytes(data)
    return path, csv_total_fen(data), statement_json_total(clearing_url, cycle_id, token)


def settlement_slip(settlement_url: str, encounter_id: str, out: Path) -> Path:
    """The encounter's settlement slip (结算单) as PDF, written into `out`."""
    quoted = urllib.parse.quote(encounter_id, safe="")
    req = urllib.request.Request(f"{settlement_url}/encounters/{quoted}/settlement.pdf",
                                 headers={"Authorization": f"Bearer {auditor()}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        data = resp.read()
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"settlement-{encounter_id.replace(':', '_')}.pdf"
    path.write_bytes(data)
    return path


def hospital_book(clearing_url: str, settlement_url: str, cycle_id: str, institution: str
                  ) -> list[dict[str, int | str]]:
    """The institution's own book of a cycle: every settlement notice it received for the
    cycle's items (settled; a reversed one it booked out), with medical and fund totals."""
    token = clearing_officer()
    items = []
    offset: int | None = 0
    while offset is not None:
        page = cycle_items(cycle_id, token=token, offset=offset, institution_id=institution,
                           url=clearing_url)
        items += page["items"]
        offset = page["next_offset"]
    book: list[dict[str, int | str]] = []
    for item in items:
        sid = str(item["settlement_id"])
        encounter_id = sid.removeprefix("S-").rsplit("-r", 1)[0]
        quoted = urllib.parse.quote(encounter_id, safe="")
        status, body = get_json(f"{settlement_url}/encounters/{quoted}/settlement",
                                token=auditor())
        revision = next((r for r in body.get("revisions", []) if r.get("settlement_id") == sid),
                        None) if status == 200 else None
        if revision is None or revision.get("status") != "settled":  # superseded: reversed
            continue
        book.append({"settlement_id": sid, "medical_fen": int(revision["submitted_fen"]),
                     "fund_fen": int(revision["fund_fen"])})
    return book


def reconcile(clearing_url: str, institution: str, cycle_id: str,
              book: list[dict[str, int | str]], detail: bool) -> dict[str, Any]:
    """3201 (totals) or 3202 (`detail`: the book's items) for one cycle, as the hospital."""
    body: dict[str, Any] = {
        "request_id": f"demo-{'3202' if detail else '3201'}-{len(book)}",
        "scope": {"cycle_id": cycle_id},
        "totals": {"settlement_count": len(book),
                   "medical_fen": sum(int(i["medical_fen"]) for i in book),
                   "fund_fen": sum(int(i["fund_fen"]) for i in book)}}
    if detail:
        body["items"] = book
    status, answer = reconcile_request(f"sample-token-{institution}", body, url=clearing_url)
    if status != 200:
        raise RuntimeError(f"reconciliation refused: HTTP {status} {answer}")
    return answer
