"""The settlement slip (结算单) of an encounter (issue 18 item 4): what the printable PDF of
`GET /encounters/{id}/settlement.pdf` shows, independent of the format.

One revision of an encounter's settlement (the current one, as the JSON's `current`):
who, where, when, each adjudicated line with its fund / self / employer shares and the
reasons for every unpaid fen (SD-ENC-3…6, 8), and the totals — integer sums of the lines'
fen, which equal the settlement's own totals (`EncounterSettled` refuses anything else).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from contracts.settlement import AdjudicatedLine, LineReason

REASONS: dict[str, str] = {
    LineReason.NOT_IN_CATALOG: "目录外",
    LineReason.OVER_STANDARD: "超标准",
    LineReason.SELF_PAY_PART: "自付部分",
    LineReason.NOT_INJURY_RELATED: "非工伤",
    LineReason.THIRD_PARTY_LIABILITY: "第三方责任",
    LineReason.OUTSIDE_CROSS_PROVINCIAL_SCOPE: "超出跨省范围",
    LineReason.NOT_SETTLED_DIRECTLY: "不直接结算",
}
"""Each line reason in Chinese; the slip prints both, the code being what systems match."""

MODES = {"direct": "直接结算", "reimbursable": "不直接结算(回参保地报销)"}
STATUSES = {"settled": "已结算", "reversed": "已冲销", "reimbursable": "待报销",
            "superseded": "已被更正"}
TOTALS = ("submitted_fen", "fund_fen", "self_fen", "employer_fen")


@dataclass(frozen=True)
class Slip:
    encounter_id: str
    revision: int
    mode: str  # direct | reimbursable
    status: str  # settled | reversed | reimbursable | superseded
    settlement_id: str | None
    worker_id: str
    institution_id: str
    insured_region: str
    treatment_region: str
    decided_on: date
    answer_due_on: date | None
    reversed_on: date | None
    not_direct_reasons: tuple[str, ...]
    lines: tuple[AdjudicatedLine, ...]

    def totals(self) -> dict[str, int]:
        """Σ of the lines, per share, in fen."""
        return {name: sum(getattr(ln, name) for ln in self.lines) for name in TOTALS}


def reason_text(reasons: Sequence[str]) -> str:
    """'超标准 over_standard; 非工伤 not_injury_related'; '' for a line paid in full."""
    return "; ".join(f"{REASONS.get(r, r)} {r}" for r in reasons)


def code_text(line: AdjudicatedLine) -> str:
    """The item code a slip prints: the catalog code judged, and the institution's own code
    when its mapping (目录对照, 3301) turned one into the other: 'MI-004 (本院 JN-CT-01)'."""
    if line.local_code is None or line.local_code == line.item_code:
        return line.item_code
    return f"{line.item_code} (本院 {line.local_code})"


def slip_name(encounter_id: str, revision: int) -> str:
    """A file name: 'slip-H37010200001-E1-r0.pdf' for encounter 'H37010200001:E1'."""
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "_.") else "-"
                   for ch in encounter_id).strip("-.") or "x"
    return f"slip-{safe}-r{revision}.pdf"
