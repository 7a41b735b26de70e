"""Issue 18 item 4: an encounter's settlement slip (结算单) as PDF, with its Chinese text in
a CJK font, read back with pypdf: the lines, reason codes and totals equal the JSON of
`GET /encounters/{id}/settlement` to the fen (SD 1(6), SD-ENC-5/6 line reasons)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from contracts.reference import CatalogKind
from contracts.settlement import EncounterSettled, SettlementNoticeIssued
from contracts.types import yuan_text
from services.settlement.adapters.http import _slip
from services.settlement.adapters.openapi import SettlementRevision
from services.settlement.adapters.slip_pdf import (
    FONT_ENV,
    KNOWN_FONTS,
    FontMissing,
    cjk_font,
    render_slip,
)
from services.settlement.domain.encounters import adjudicate
from services.settlement.domain.slip import slip_name
from tests.support.files import pdf_pages, pdf_text, slip_totals
from tests.unit.settlement.factories import encounter, index, line, standard_catalogs

ON = date(2024, 5, 12)


def revision() -> dict[str, Any]:
    """The JSON's `current` for a settled encounter, as the read model serves it."""
    enc = encounter([line(1, 15_000), line(2, 5_000, injury_related=False),
                     line(3, 1_005, code="D1", kind=CatalogKind.DRUG),
                     line(4, 2_345, code="X1", kind=CatalogKind.MEDICAL_ITEM)])
    settled, notice = adjudicate(enc, index(standard_catalogs()), ON)
    assert isinstance(settled, EncounterSettled) and isinstance(notice, SettlementNoticeIssued)
    return SettlementRevision(
        encounter_id=settled.encounter_id, revision=0, mode="direct", status="settled",
        settlement_id=settled.settlement_id, worker_id=settled.worker_id,
        institution_id=settled.institution_id, insured_region=settled.insured_region,
        treatment_region=settled.treatment_region, decided_on=ON,
        submitted_fen=settled.submitted_fen, fund_fen=settled.fund_fen,
        self_fen=settled.self_fen, employer_fen=settled.employer_fen, lines=settled.lines,
        not_direct_reasons=[], answer_due_on=notice.answer_due_on, on_account=True,
        reversed_on=None, receivable_id=None).model_dump(mode="json")


def with_dates(rev: dict[str, Any]) -> dict[str, Any]:
    """The revision as the view holds it (dates as dates, from the database)."""
    return {**rev, **{k: date.fromisoformat(rev[k]) if rev[k] else None
                      for k in ("decided_on", "answer_due_on", "reversed_on")}}


@pytest.fixture(scope="module")
def font() -> str:
    try:
        return cjk_font()
    except FontMissing as exc:
        pytest.fail(f"{exc} (the CI installs it: .ci/run)")


def test_issue_18_slip_totals_equal_the_json_settlement(font: str) -> None:
    """Issue 18 item 4: totals read back from the PDF = the JSON's current totals."""
    rev = revision()
    text = pdf_text(render_slip(_slip(with_dates(rev)), font))
    assert slip_totals(text) == {k: rev[k] for k in ("submitted_fen", "fund_fen", "self_fen",
                                                     "employer_fen")}
    assert "合计" in text
    assert yuan_text(rev["fund_fen"]) in text.split("合计", 1)[1]


def test_issue_18_slip_shows_who_where_when_and_each_line_in_chinese(font: str) -> None:
    rev = revision()
    text = pdf_text(render_slip(_slip(with_dates(rev)), font))
    for expected in ("工伤保险异地就医结算单", "职工身份证号", rev["worker_id"],
                     rev["institution_id"], rev["encounter_id"], rev["settlement_id"],
                     "直接结算", "已结算", "2024-05-12", rev["answer_due_on"], "基金支付",
                     "个人自付", "单位负担"):
        assert expected in text, expected
    flat = text.replace("\n", " ")
    for ln in rev["lines"]:  # each line: item code, amounts, reason codes (SD-ENC-5/6)
        assert ln["item_code"] in text
        for key in ("submitted_fen", "fund_fen", "self_fen"):
            assert yuan_text(ln[key]) in text, (ln, key)
        for reason in ln["reasons"]:
            assert reason in flat.replace("_ ", "_"), reason
    assert "非工伤" in text and "not_injury_related" in flat  # line 2, SD-ENC-5
    assert "超标准" in text  # line 1 over the bed-day cap, SD-ENC-6


def test_issue_18_a_slip_of_many_lines_spans_pages_and_still_adds_up(font: str) -> None:
    enc = encounter([line(i, 10_000 + i) for i in range(1, 120)])
    settled = adjudicate(enc, index(standard_catalogs()), ON)[0]
    assert isinstance(settled, EncounterSettled)
    rev = {**with_dates(revision()), "lines": [x.model_dump(mode="json") for x in settled.lines]}
    data = render_slip(_slip(rev), font)
    assert pdf_pages(data) > 1 and pdf_text(data).count("序号") == pdf_pages(data)
    totals = slip_totals(pdf_text(data))
    assert totals["fund_fen"] == settled.fund_fen and totals["self_fen"] == settled.self_fen


def test_issue_18_the_slip_is_reproducible(font: str) -> None:
    slip = _slip(with_dates(revision()))
    assert render_slip(slip, font) == render_slip(slip, font)
    assert slip_name("H37010200001:E1", 2) == "slip-H37010200001-E1-r2.pdf"


def test_the_font_is_found_at_run_time_or_refused_clearly(tmp_path: Path) -> None:
    if Path(KNOWN_FONTS[0]).is_file():
        assert cjk_font({}) == KNOWN_FONTS[0]
    with pytest.raises(FontMissing, match=FONT_ENV):
        cjk_font({FONT_ENV: str(tmp_path / "none.ttf")})
    fake = tmp_path / "font.ttf"
    fake.write_bytes(b"")
    assert cjk_font({FONT_ENV: str(fake)}) == str(fake)
