"""The settlement slip (结算单) as PDF (reportlab), with its Chinese text in a CJK TrueType
font from the operating system's packages (Debian: fonts-wqy-zenhei).

`render_slip(slip, font)` turns the domain's `Slip` into bytes; the font is found at run
time by `cjk_font()`: `$WIC_CJK_FONT`, else the first of `KNOWN_FONTS` present. Output is
reproducible (reportlab's `invariant`: no creation time or random id in the file). Amounts
are yuan with two decimals by integer arithmetic (`contracts.types.yuan_text`).
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Mapping
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from contracts.types import yuan_text
from services.settlement.domain.slip import MODES, STATUSES, Slip, code_text, reason_text

CONTENT_TYPE = "application/pdf"
FONT_ENV = "WIC_CJK_FONT"
KNOWN_FONTS = (  # TrueType outlines only: reportlab cannot embed CFF (Noto CJK's .ttc)
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
    "/usr/share/fonts/truetype/arphic/uming.ttc",  # fonts-arphic-uming
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
)


class FontMissing(RuntimeError):
    """No CJK TrueType font on this machine: the slip cannot be printed in Chinese."""


def cjk_font(environ: Mapping[str, str] = os.environ) -> str:
    """The path of the CJK font to print with, or FontMissing saying how to get one."""
    if asked := environ.get(FONT_ENV):
        if not Path(asked).is_file():
            raise FontMissing(f"{FONT_ENV}={asked} is not a file")
        return asked
    for path in KNOWN_FONTS:
        if Path(path).is_file():
            return path
    raise FontMissing("no CJK TrueType font found (looked for " + ", ".join(KNOWN_FONTS)
                      + f"): install fonts-wqy-zenhei (apt-get install fonts-wqy-zenhei) or "
                      f"set {FONT_ENV} to a .ttf/.ttc with TrueType outlines")


_LOCK = threading.Lock()
_FONTS: dict[str, str] = {}  # path → registered reportlab font name


def _font_name(path: str) -> str:
    """Register the font once per process (parsing a CJK font takes a moment)."""
    with _LOCK:
        if path not in _FONTS:
            name = f"WicCJK{len(_FONTS)}"
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
            _FONTS[path] = name
        return _FONTS[path]


def render_slip(slip: Slip, font: str) -> bytes:
    """The slip as a PDF document (A4, one or more pages, the lines' table repeating its
    heading on each page)."""
    name = _font_name(font)
    body = ParagraphStyle("body", fontName=name, fontSize=9, leading=12)
    title = ParagraphStyle("title", fontName=name, fontSize=15, leading=20, alignment=1)
    small = ParagraphStyle("small", fontName=name, fontSize=8, leading=10)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm, invariant=1,
                            title=f"结算单 {slip.encounter_id}", author="wic", lang="zh-CN")
    story = [Paragraph("工伤保险异地就医结算单", title),
             Paragraph("Work-injury insurance settlement slip", small), Spacer(0, 4 * mm),
             _facts(slip, body), Spacer(0, 4 * mm), _lines(slip, name, small),
             Spacer(0, 4 * mm)]
    totals = slip.totals()
    for label, key in (("申报总额 submitted", "submitted_fen"), ("基金支付 fund", "fund_fen"),
                       ("个人自付 self", "self_fen"), ("单位负担 employer", "employer_fen")):
        story.append(Paragraph(f"{label}: {yuan_text(totals[key])} 元", body))
    story += [Spacer(0, 4 * mm), Paragraph(
        f"金额单位:元 (yuan). 结算记录第 {slip.revision} 版 (revision {slip.revision}); "
        "原因代码见每行 (reason codes per line).", small)]
    doc.build(story)
    return out.getvalue()


def _facts(slip: Slip, style: ParagraphStyle) -> Table:
    facts = [("就医编号 encounter", slip.encounter_id),
             ("结算编号 settlement", slip.settlement_id or "—"),
             ("职工身份证号 worker", slip.worker_id),
             ("协议机构 institution", slip.institution_id),
             ("参保地 insured place", slip.insured_region),
             ("就医地 treatment place", slip.treatment_region),
             ("结算方式 mode", f"{MODES.get(slip.mode, slip.mode)} {slip.mode}"),
             ("状态 status", f"{STATUSES.get(slip.status, slip.status)} {slip.status}"),
             ("结算日期 decided on", slip.decided_on.isoformat()),
             ("答复期限 answer due", slip.answer_due_on.isoformat() if slip.answer_due_on
              else "—")]
    if slip.reversed_on is not None:
        facts.append(("冲销日期 reversed on", slip.reversed_on.isoformat()))
    if slip.not_direct_reasons:
        facts.append(("不直接结算原因 not direct", ", ".join(slip.not_direct_reasons)))
    if len(facts) % 2:
        facts.append(("", ""))
    rows = [[Paragraph(a, style), Paragraph(b, style), Paragraph(c, style), Paragraph(d, style)]
            for (a, b), (c, d) in zip(facts[::2], facts[1::2], strict=True)]
    table = Table(rows, colWidths=[36 * mm, 54 * mm, 36 * mm, 54 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                               ("BACKGROUND", (2, 0), (2, -1), colors.whitesmoke),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table


def _lines(slip: Slip, font: str, style: ParagraphStyle) -> Table:
    head: list[object] = ["序号\nNo.", "项目编码\nitem code", "申报金额\nsubmitted",
                          "基金支付\nfund", "个人自付\nself", "单位负担\nemployer",
                          "原因\nreasons"]
    rows: list[list[object]] = [head]
    for ln in slip.lines:
        rows.append([str(ln.line_no), Paragraph(code_text(ln), style),
                     yuan_text(ln.submitted_fen),
                     yuan_text(ln.fund_fen), yuan_text(ln.self_fen), yuan_text(ln.employer_fen),
                     Paragraph(reason_text(ln.reasons), style)])
    t = slip.totals()
    rows.append(["合计", "total", yuan_text(t["submitted_fen"]), yuan_text(t["fund_fen"]),
                 yuan_text(t["self_fen"]), yuan_text(t["employer_fen"]), ""])
    table = Table(rows, colWidths=[12 * mm, 28 * mm, 23 * mm, 23 * mm, 23 * mm, 23 * mm,
                                   48 * mm], repeatRows=1)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font),
                               ("FONTSIZE", (0, 0), (-1, -1), 8),
                               ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                               ("BACKGROUND", (0, -1), (-1, -1), colors.whitesmoke),
                               ("ALIGN", (2, 1), (5, -1), "RIGHT"),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table
