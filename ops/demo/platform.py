"""What hospitals and agencies use on the national platform, as the demo shows it (issue 18).

- a pre-settlement (预结算, 2303/2206) asked just before a discharge, and the final settlement
  it must equal when nothing changed in between;
- the month's clearing statement as the CSV a finance department files, and a settlement slip
  (结算单) as PDF, both written next to the run's logs; the file's totals equal the JSON's.
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
from ops.clearing import download_statement
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
