"""The console's pure parts (issue 20): the staff directory's passwords, every label used
in a template has its English, the SD-REG-5 lock date shown, the SVG charts, fen from yuan."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from console import i18n, svg
from console.pages.registrations import change_allowed_from
from console.web import Form, fen_field
from infra import staff

TEMPLATES = Path(i18n.__file__).parent / "templates"
PAGES = Path(i18n.__file__).parent / "pages"


def test_staff_directory_checks_the_password_and_keeps_no_clear_text(tmp_path: Path) -> None:
    where = tmp_path / "staff.json"
    staff.add("li.na", "S3cret!", ["registration_clerk"], ["370100"], name="李娜", where=where)
    assert "S3cret!" not in where.read_text()
    assert where.stat().st_mode & 0o077 == 0  # 0600: not for other users of the machine
    member = staff.check("li.na", "S3cret!", where)
    assert member == staff.Member("li.na", "李娜", ("registration_clerk",), ("370100",))
    assert staff.check("li.na", "wrong", where) is None
    assert staff.check("nobody", "S3cret!", where) is None


def test_every_label_has_its_english() -> None:
    used = set()
    for source in [*TEMPLATES.glob("*.html"), *PAGES.glob("*.py")]:
        used |= set(re.findall(r"""\bt\(\s*["']([^"']+)["']""", source.read_text()))
    from console import words
    used |= {v for table in (words.ROLE, words.REGISTRATION_TYPE, words.CONFIRMATION,
                             words.REGISTRATION_STATUS, words.CLAIM_STATUS, words.DOCUMENT,
                             words.CYCLE_STATUS, words.PREPAYMENT_STATUS, words.CHANNEL,
                             words.CLAIMANT, words.ENCOUNTER_STATUS, words.SETTLEMENT_MODE)
             for v in table.values()}
    missing = sorted(label for label in used if label not in i18n.EN)
    assert not missing, missing


def test_change_lock_date_is_three_calendar_months_on_sd_reg_5() -> None:
    assert change_allowed_from(date(2024, 1, 10)) == date(2024, 4, 10)
    assert change_allowed_from(date(2023, 11, 30)) == date(2024, 2, 29)  # month-end
    assert change_allowed_from(date(2024, 11, 5)) == date(2025, 2, 5)


def test_yuan_typed_becomes_integer_fen_or_an_error() -> None:
    form = Form("review", {"a": "1,234.5", "b": "0.001", "c": "-1", "d": "abc"})
    assert fen_field(form, "a") == 123450
    assert [fen_field(form, k) for k in "bcd"] == [None, None, None]
    assert set(form.errors) == {"b", "c", "d"}


def test_timeline_and_balance_chart_are_svg() -> None:
    bars = [svg.Bar("BA1", date(2024, 1, 10), date(2025, 1, 9), "异地长期居住 <370300>")]
    drawn = str(svg.timeline(bars, [(date(2024, 4, 10), "lock")]))
    assert drawn.startswith("<svg") and drawn.count("<rect") == 1
    assert "&lt;370300&gt;" in drawn  # escaped: data never becomes markup
    series = [svg.Series("prepayment:370000@320000",
                         [(date(2024, 5, 31), 500_00), (date(2024, 6, 30), 100_00)], 200_00)]
    chart = str(svg.balances(series, lambda s: s))
    assert "<polyline" in chart and 'class="warning-line"' in chart and "200.00" in chart
