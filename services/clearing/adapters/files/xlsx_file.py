"""A statement as XLSX (openpyxl): a first sheet with the title and the facts, then one
sheet per table with its heading row, rows and a bold totals row. Amounts are numbers in
yuan with the `0.00` format, written from `Decimal` (fen scaled by 10^-2, exact in the
file's XML); the totals are integer sums of fen, not spreadsheet formulas, so a reader
that does not calculate sees them too."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from services.clearing.domain.statement_files import Cell, Column, Document

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "0.00"


def render_xlsx(doc: Document) -> bytes:
    book = Workbook()
    head = book.active
    assert isinstance(head, Worksheet)
    head.title = "清算单 statement"
    head.append([doc.title])
    head["A1"].font = Font(bold=True)
    for column, value in doc.facts:
        head.append([column.heading, value])
    head.column_dimensions["A"].width = 20
    head.column_dimensions["B"].width = 28
    for table in doc.tables:
        sheet = book.create_sheet(table.name)
        sheet.append([c.heading for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            _append(sheet, table.columns, row)
        if table.total is not None:
            _append(sheet, table.columns, table.total)
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        for i, column in enumerate(table.columns):
            sheet.column_dimensions[chr(ord("A") + i)].width = 18 if column.money else 20
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _append(sheet: Worksheet, columns: tuple[Column, ...], row: tuple[Cell, ...]) -> None:
    values = [Decimal(v).scaleb(-2) if c.money and isinstance(v, int) else v
              for c, v in zip(columns, row, strict=True)]
    sheet.append(values)
    for column, cell in zip(columns, sheet[sheet.max_row], strict=True):
        if column.money:
            cell.number_format = MONEY_FORMAT

