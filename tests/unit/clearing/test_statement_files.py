"""SD-FUND-2 statement files (issue 18 item 4): a cycle's statement rendered as CSV and XLSX
and read back (csv module, openpyxl) has the JSON statement's totals, nets and per-
institution amounts to the fen."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.clearing import CycleLine
from contracts.types import yuan_text
from services.clearing.adapters.files.csv_file import render_csv
from services.clearing.adapters.files.xlsx_file import render_xlsx
from services.clearing.adapters.http import Statement, _nets, document_of
from tests.support.files import (
    csv_sections,
    fen,
    money_formats,
    statement_totals,
    xlsx_sheets,
)

A, B = "370100", "370200"
CYCLE = f"2024-05:{A}|{B}"


def statement(lines: list[CycleLine]) -> Statement:
    inst: dict[str, int] = {}
    for ln in lines:
        inst[ln.institution_id] = inst.get(ln.institution_id, 0) + ln.amount_fen
    return Statement(cycle_id=CYCLE, month="2024-05", scope="intra", status="closed",
                     confirmed=[], disputed={}, rolled_into=None, late_items=0, lines=lines,
                     nets=_nets(A, B, lines), institutions=inst)


def line(settled: int, refused: int = 0, inst: str = "H37020200001", debtor: str = A
         ) -> CycleLine:
    return CycleLine(debtor=debtor, creditor=B if debtor == A else A, institution_id=inst,
                     settled_fen=settled, refused_fen=refused, amount_fen=settled - refused)


LINES = [line(123_456, 1_000), line(78_901), line(5, inst="H37020200002"),
         line(50_007, 7, inst="H37010200001", debtor=B)]


def json_totals(body: dict[str, Any], institution: str | None = None) -> dict[str, int]:
    lines = [ln for ln in body["lines"] if institution in (None, ln["institution_id"])]
    return {f"{k}_yuan": sum(ln[f"{k}_fen"] for ln in lines)
            for k in ("settled", "refused", "amount")}


def test_sd_fund_2_csv_totals_and_nets_equal_the_json_statement() -> None:
    """Issue 18 item 4 / SD-FUND-2: the CSV read back with the csv module."""
    st = statement(LINES)
    body = st.model_dump(mode="json")
    data = render_csv(document_of(st))
    sections = csv_sections(data)
    assert dict(sections["facts"])["清算周期 cycle_id"] == CYCLE
    lines = sections["明细 lines"]
    assert lines[0][:3] == ["参保地(付款方) debtor", "就医地(收款方) creditor",
                            "协议机构 institution_id"]
    totals = statement_totals(lines)
    for key, value in json_totals(body).items():
        assert totals[key] == totals[key + ":lines"] == value, key
    assert lines[1][3:] == ["1234.56", "10.00", "1224.56"]  # yuan, two decimals
    nets = {r[0]: fen(r[1]) for r in sections["轧差 nets"][1:]}
    assert nets == {n["party"]: n["net_fen"] for n in body["nets"]}
    assert sum(nets.values()) == 0


def test_sd_fund_2_xlsx_totals_and_nets_equal_the_json_statement() -> None:
    """Issue 18 item 4 / SD-FUND-2: the XLSX read back with openpyxl; amounts are numbers
    with the 0.00 format."""
    st = statement(LINES)
    body = st.model_dump(mode="json")
    data = render_xlsx(document_of(st))
    sheets = xlsx_sheets(data)
    assert list(sheets) == ["清算单 statement", "明细 lines", "轧差 nets"]
    assert dict(r[:2] for r in sheets["清算单 statement"][1:])["清算周期 cycle_id"] == CYCLE
    rows = sheets["明细 lines"]
    assert all(isinstance(v, int | float) for r in rows[1:] for v in r[3:])
    assert money_formats(data, "明细 lines") == {"0.00"}
    totals = statement_totals(rows)
    for key, value in json_totals(body).items():
        assert totals[key] == totals[key + ":lines"] == value, key
    nets = {r[0]: fen(r[1]) for r in sheets["轧差 nets"][1:]}
    assert nets == {n["party"]: n["net_fen"] for n in body["nets"]}


def test_sd_fund_2_one_institutions_statement_is_its_lines_and_amount() -> None:
    """Issue 18 item 4: ?institution_id= gives that institution's lines; their total is the
    JSON's `institutions` amount; no nets (a net is the cycle's)."""
    st = statement(LINES)
    body = st.model_dump(mode="json")
    doc = document_of(st, "H37020200001")
    assert doc.stem == "statement-2024-05-370100-370200-H37020200001"
    for sections in (csv_sections(render_csv(doc)), xlsx_sheets(render_xlsx(doc))):
        assert "轧差 nets" not in sections
        rows = sections["明细 lines"]
        assert len(rows) == 1 + 2 + 1
        totals = statement_totals([list(r) for r in rows])
        assert totals["amount_yuan"] == body["institutions"]["H37020200001"]
        assert totals == {**totals, **json_totals(body, "H37020200001")}


def test_sd_fund_2_an_empty_cycle_has_zero_totals() -> None:
    st = statement([])
    totals = statement_totals(csv_sections(render_csv(document_of(st)))["明细 lines"])
    assert totals["amount_yuan"] == 0 and totals["settled_yuan"] == 0


def test_csv_guards_text_a_spreadsheet_would_run_as_a_formula() -> None:
    st = statement([line(100, inst="=HYPERLINK(1)")])
    rows = csv_sections(render_csv(document_of(st)))["明细 lines"]
    assert rows[1][2] == "'=HYPERLINK(1)" and rows[1][3] == "1.00"


def test_yuan_text_is_integer_arithmetic() -> None:
    assert [yuan_text(f) for f in (0, 5, -5, 100, 123_456, -123_456, 10**13)] == [
        "0.00", "0.05", "-0.05", "1.00", "1234.56", "-1234.56", "100000000000.00"]


AMOUNTS = st.integers(0, 10**11)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(AMOUNTS, AMOUNTS, st.sampled_from(["H1", "H2", "H3"]),
                          st.booleans()), max_size=12))
def test_sd_fund_2_any_statement_reads_back_to_the_fen(
        raw: list[tuple[int, int, str, bool]]) -> None:
    """Issue 18 item 4 / SD-FUND-2: whatever the amounts (refusals above the settled,
    hundreds of millions of yuan), both files' totals and nets equal the JSON's."""
    st_ = statement([line(s, r, inst, A if ab else B) for s, r, inst, ab in raw])
    body = st_.model_dump(mode="json")
    doc = document_of(st_)
    want = json_totals(body)
    nets = {n["party"]: n["net_fen"] for n in body["nets"]}
    for sections in (csv_sections(render_csv(doc)), xlsx_sheets(render_xlsx(doc))):
        totals = statement_totals([list(r) for r in sections["明细 lines"]])
        assert {k: totals[k] for k in want} == want
        assert {r[0]: fen(r[1]) for r in sections["轧差 nets"][1:]} == nets
