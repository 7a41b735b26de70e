"""`wic clearing`: yuan amounts parsed exactly to fen, statements formatted in yuan."""

from __future__ import annotations

import argparse

import pytest

from contracts.clearing import CycleLine
from ops import clearing


def test_yuan_amounts_become_integer_fen_without_floats() -> None:
    assert clearing.parse_yuan("1000000.00") == 100_000_000
    assert clearing.parse_yuan("0.1") == 10
    assert clearing.parse_yuan("19.99") == 1_999  # a float would give 1998.9999…
    assert clearing.parse_yuan("7") == 700


@pytest.mark.parametrize("text", ["1.234", "0.001", "-5", "abc", "NaN", "1.2.3"])
def test_more_than_two_decimals_negative_or_not_a_number_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        clearing.parse_yuan(text)


def test_fen_print_as_yuan_with_two_decimals() -> None:
    assert [clearing.yuan(f) for f in (0, 5, -5, 202_357, -15_235_000)] == [
        "0.00", "0.05", "-0.05", "2,023.57", "-152,350.00"]


def test_statement_shows_nets_per_region_and_lines_per_institution() -> None:
    st = clearing.CycleStatement(
        cycle_id="2024-05:370100|370200", scope="intra_provincial", status="closed",
        confirmed=("370100",), disputed={}, nets={"370100": -152_350, "370200": 152_350},
        lines=(CycleLine(debtor="370100", creditor="370200", institution_id="H37020200001",
                         settled_fen=202_357, refused_fen=1_000, amount_fen=201_357),))
    text = clearing.format_statement([st])
    assert "cycle 2024-05:370100|370200  (intra_provincial, closed; confirmed by 370100)" in text
    assert "-1,523.50" in text and "pays" in text and "receives" in text
    line = next(t for t in text.splitlines() if "H37020200001" in t)
    assert line.split()[-3:] == ["2,023.57", "10.00", "2,013.57"]
    assert clearing.format_statement([]) == "no cycles"


def _choices(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_every_subcommand_has_a_description_and_an_example() -> None:
    parser = argparse.ArgumentParser(prog="wic")
    clearing.register(parser.add_subparsers(dest="command"))
    subs = _choices(_choices(parser)["clearing"])
    assert set(subs) == {"prepay", "close", "confirm", "dispute", "settle", "refuse",
                         "statement", "prepayments", "accounts", "abort", "items",
                         "confirm-item", "dispute-item", "rollback-item",
                         "reconcile"}  # issue 18: 3201…3262
    for name, p in subs.items():
        assert p.description and "wic clearing " + name in (p.epilog or ""), name
    with pytest.raises(SystemExit):
        parser.parse_args(["clearing", "prepay", "--insured", "370000", "--treatment",
                           "110000", "--amount-yuan", "1.234"])


def test_issue_18_statement_files_need_one_cycle_an_out_file_and_a_token(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`wic clearing statement --format csv|xlsx` downloads from the service (issue 18)."""
    monkeypatch.delenv("WIC_TOKEN", raising=False)
    parser = argparse.ArgumentParser(prog="wic")
    clearing.register(parser.add_subparsers(dest="command"))
    cid = "2024-05:370100|370200"
    for argv in (["--month", "2024-05", "--format", "csv", "--out", "x.csv"],
                 [cid, "--format", "csv"], [cid, "--format", "xlsx", "--out", "x.xlsx"]):
        args = parser.parse_args(["clearing", "statement", *argv])
        assert args.func(args) == 2, argv
    assert "no staff token" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser.parse_args(["clearing", "statement", cid, "--format", "pdf"])
    with pytest.raises(ValueError, match="format"):
        clearing.download_statement(cid, "pdf", token="t")


def test_issue_18_wic_clearing_accounts_prints_balances_in_yuan_with_the_total() -> None:
    rows = [{"account": "fund:370100", "balance_fen": 123_456},
            {"account": "institution:H37020200001", "balance_fen": -123_456}]
    text = clearing.format_accounts(rows)
    assert "fund:370100" in text and "1,234.56" in text and "-1,234.56" in text
    assert text.splitlines()[-1].split()[-1] == "0.00"  # the double entry sums to zero
    assert clearing.format_accounts([]) == "no accounts"
