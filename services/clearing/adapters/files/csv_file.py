"""A statement as CSV: UTF-8 with a byte-order mark (so Excel opens the Chinese headings
correctly), CRLF rows, amounts as yuan text with two decimals (integer arithmetic).

Layout, top to bottom, sections apart by an empty row: the title; one row per fact
(heading, value); then per table its name, its heading row, its rows and its totals row.
"""

from __future__ import annotations

import csv
import io

from contracts.types import yuan_text
from services.clearing.domain.statement_files import Cell, Column, Document

CONTENT_TYPE = "text/csv; charset=utf-8"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # text a spreadsheet would run as a formula


def render_csv(doc: Document) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([doc.title])
    for column, value in doc.facts:
        w.writerow([column.heading, _text(value)])
    for table in doc.tables:
        w.writerow([])
        w.writerow([table.name])
        w.writerow([c.heading for c in table.columns])
        for row in (*table.rows, *((table.total,) if table.total else ())):
            w.writerow([_cell(c, v) for c, v in zip(table.columns, row, strict=True)])
    return out.getvalue().encode("utf-8-sig")


def _cell(column: Column, value: Cell) -> str:
    if column.money and isinstance(value, int):
        return yuan_text(value)
    return _text(str(value))


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA) else value
