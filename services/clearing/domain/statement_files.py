"""A clearing statement as a document of tables (SD-FUND-2, issue 18 item 4): what the CSV
and XLSX files of `GET /cycles/{id}/statement.csv|.xlsx` hold, independent of the format.

A cycle's statement has its lines (per debtor, creditor and institution: settled, refused,
amount) with a totals row, and each party's net; one institution's statement has only
that institution's lines and their totals (a net is the cycle's, not an institution's).
Money cells hold integer fen and totals are integer sums: a format shows fen as yuan
(`contracts.types.yuan_text`, or a two-decimal number), never adding floats.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from contracts.clearing import CycleLine, PartyNet

Cell = str | int  # an int is an amount in fen in a money column


@dataclass(frozen=True)
class Column:
    key: str  # the English key, as in the JSON statement
    title: str  # the Chinese heading
    money: bool = False

    @property
    def heading(self) -> str:
        return f"{self.title} {self.key}"


@dataclass(frozen=True)
class Table:
    name: str  # a sheet's name (XLSX) or a section's title (CSV)
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total: tuple[Cell, ...] | None = None


@dataclass(frozen=True)
class Document:
    stem: str  # the file name without its extension
    title: str
    facts: tuple[tuple[Column, str], ...]  # the cycle's identity, one per row
    tables: tuple[Table, ...]


LINE_COLUMNS = (Column("debtor", "参保地(付款方)"), Column("creditor", "就医地(收款方)"),
                Column("institution_id", "协议机构"), Column("settled_yuan", "结算金额", True),
                Column("refused_yuan", "拒付金额", True), Column("amount_yuan", "清算金额", True))
NET_COLUMNS = (Column("party", "地区"), Column("net_yuan", "轧差净额", True),
               Column("direction", "收付"))
TOTAL = "合计 total"
RECEIVES, PAYS = "收 receives", "付 pays"


def statement_document(*, cycle_id: str, month: str, scope: str, status: str,
                       lines: Sequence[CycleLine], nets: Sequence[PartyNet],
                       institution_id: str | None = None) -> Document:
    """SD-FUND-2: the cycle's statement, or one institution's part of it."""
    if institution_id is not None:
        lines = [ln for ln in lines if ln.institution_id == institution_id]
    rows = tuple((ln.debtor, ln.creditor, ln.institution_id, ln.settled_fen, ln.refused_fen,
                  ln.amount_fen) for ln in lines)
    total = (TOTAL, "", "", sum(ln.settled_fen for ln in lines),
             sum(ln.refused_fen for ln in lines), sum(ln.amount_fen for ln in lines))
    tables = [Table("明细 lines", LINE_COLUMNS, rows, total)]
    if institution_id is None:
        tables.append(Table("轧差 nets", NET_COLUMNS, tuple(
            (n.party, n.net_fen, RECEIVES if n.net_fen > 0 else PAYS if n.net_fen < 0 else "")
            for n in nets)))
    facts = [(Column("cycle_id", "清算周期"), cycle_id), (Column("month", "月份"), month),
             (Column("scope", "范围"), scope), (Column("status", "状态"), status)]
    stem = "statement-" + _safe(cycle_id)
    if institution_id is not None:
        facts.append((Column("institution_id", "协议机构"), institution_id))
        stem += "-" + _safe(institution_id)
    return Document(stem=stem, title="工伤保险异地就医清算单 clearing statement",
                    facts=tuple(facts), tables=tuple(tables))


def _safe(text: str) -> str:
    """A file-name part: '2024-05:370100|370200' → '2024-05-370100-370200'."""
    return re.sub(r"[^A-Za-z0-9_.]+", "-", text).strip("-.") or "x"
