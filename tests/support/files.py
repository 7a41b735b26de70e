"""Read statement files and settlement slips back (issue 18 item 4), as their readers
would: the csv module, openpyxl, pypdf's text extraction. Amounts come back as integer fen
through `Decimal`, so a test compares them with the JSON exactly."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

import openpyxl
import pypdf

BOM = b"\xef\xbb\xbf"


def fen(value: Any) -> int:
    """'1234.56' or 1234.56 (a cell) → 123456, refusing anything finer than a fen."""
    amount = Decimal(str(value)) * 100
    assert amount == amount.to_integral_value(), value
    return int(amount)


def csv_sections(data: bytes) -> dict[str, list[list[str]]]:
    """A statement CSV: {'facts': [[heading, value], …], '<table name>': [heading row, rows…]}."""
    assert data.startswith(BOM), data[:10]
    rows = list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"), newline="")))
    out: dict[str, list[list[str]]] = {"title": [rows[0]], "facts": []}
    current = "facts"
    for row in rows[1:]:
        if not row:
            current = ""
        elif not current:
            current = row[0]
            out[current] = []
        else:
            out[current].append(row)
    return out


def xlsx_sheets(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def money_formats(data: bytes, sheet: str) -> set[str]:
    """The number formats of the numeric cells of `sheet`."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {c.number_format for row in book[sheet].iter_rows() for c in row
            if isinstance(c.value, int | float)}


def statement_totals(rows: list[Any]) -> dict[str, int]:
    """From a lines table (heading row, lines, totals row): the totals row and the sums
    of the lines, per money column, in fen."""
    heading, lines, total = rows[0], rows[1:-1], rows[-1]
    assert str(total[0]).startswith("合计"), total
    out: dict[str, int] = {}
    for i, name in enumerate(heading):
        key = str(name).rsplit(" ", 1)[-1]
        if key.endswith("_yuan"):
            out[key] = fen(total[i])
            out[key + ":lines"] = sum(fen(r[i]) for r in lines)
    return out


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-"), data[:10]
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def pdf_pages(data: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def slip_totals(text: str) -> dict[str, int]:
    """The slip's summary lines ('基金支付 fund: 123.45 元') in fen, by English key."""
    found = dict(re.findall(r"\b(submitted|fund|self|employer): (-?\d+\.\d\d) 元", text))
    return {f"{k}_fen": fen(v) for k, v in found.items()}
