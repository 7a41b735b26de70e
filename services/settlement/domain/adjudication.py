"""Line adjudication (审核): what the fund pays for each charge line of an encounter.

`settle(encounter, catalogs, rules)` is pure: same encounter, same catalogs, same lines.
Every fen of every line ends up in exactly one of fund / self / employer, so
fund + self + employer == submitted for each line and each encounter.

Order of judgement per line (the first that applies decides, with its reason code):
  1. not attributable to the recognised injury (SD-ENC-5)        -> nothing paid
  2. a liable third party (SD-ENC-4)                             -> nothing paid
  3. direct settlement across provinces, care type outside scope (SD-ENC-3) -> nothing paid
  4. not in the catalog in force on the line's date at the right place (SD-ENC-6) -> nothing
  5. over the standard: eligible = min(amount, cap x quantity, half-up) (SD-ENC-6)
  6. the catalog's self-pay percent of the eligible amount is the worker's

A line whose institution code was mapped (目录对照, 3301) arrives with the catalog code as
`item_code` (encounter applied the mapping in force on its service date) and is judged as
that code; its `local_code` is carried onto the adjudicated line for slips and statements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from contracts.encounter import ChargeLine, EncounterRecord
from contracts.reference import CatalogKind, CatalogPublished, in_force
from contracts.settlement import AdjudicatedLine, LineReason
from services.settlement.domain.rules import RuleSet

Catalogs = Mapping[tuple[CatalogKind, str], Sequence[CatalogPublished]]
"""Every published version, by (kind, region)."""


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def outside_cross_provincial_scope(encounter: EncounterRecord, rules: RuleSet) -> bool:
    """SD-ENC-3: across provinces only inpatient, inpatient rehab and devices settle directly."""
    return (
        encounter.direct_settlement
        and encounter.cross_provincial
        and encounter.care_type not in rules.cross_provincial_scope
    )


def _unpaid(line: ChargeLine, reason: LineReason, version: str | None = None) -> AdjudicatedLine:
    return AdjudicatedLine(
        line_no=line.line_no, item_code=line.item_code, submitted_fen=line.amount_fen,
        eligible_fen=0, fund_fen=0, self_fen=line.amount_fen,
        reasons=(reason,) if line.amount_fen else (), catalog_version=version,
        local_code=line.local_code,
    )


def adjudicate_line(
    line: ChargeLine, encounter: EncounterRecord, catalogs: Catalogs, rules: RuleSet
) -> AdjudicatedLine:
    """SD-ENC-3/4/5/6: one charge line judged; reasons name every unpaid fen."""
    if not line.injury_related:
        return _unpaid(line, LineReason.NOT_INJURY_RELATED)
    if line.third_party or encounter.third_party_liability:
        return _unpaid(line, LineReason.THIRD_PARTY_LIABILITY)
    if outside_cross_provincial_scope(encounter, rules):
        return _unpaid(line, LineReason.OUTSIDE_CROSS_PROVINCIAL_SCOPE)
    region = encounter.catalog_region(line.catalog_kind)
    catalog = in_force(catalogs.get((line.catalog_kind, region), ()), line.service_date)
    version = None if catalog is None else (
        f"{line.catalog_kind.value}:{region}@{catalog.effective_from.isoformat()}"
    )
    item = None if catalog is None else catalog.item(line.item_code)
    if item is None:
        return _unpaid(line, LineReason.NOT_IN_CATALOG, version)
    reasons: list[LineReason] = []
    eligible = line.amount_fen
    if item.max_unit_price_fen is not None:
        cap = half_up(Decimal(item.max_unit_price_fen) * line.quantity)
        if cap < eligible:
            eligible = cap
            reasons.append(LineReason.OVER_STANDARD)
    self_part = half_up(Decimal(eligible) * item.self_pay_percent / 100)
    if self_part:
        reasons.append(LineReason.SELF_PAY_PART)
    fund = eligible - self_part
    return AdjudicatedLine(
        line_no=line.line_no, item_code=line.item_code, submitted_fen=line.amount_fen,
        eligible_fen=eligible, fund_fen=fund, self_fen=line.amount_fen - fund,
        reasons=tuple(reasons), catalog_version=version, local_code=line.local_code,
    )


@dataclass(frozen=True)
class Totals:
    submitted_fen: int
    fund_fen: int
    self_fen: int
    employer_fen: int


def settle(
    encounter: EncounterRecord, catalogs: Catalogs, rules: RuleSet
) -> tuple[AdjudicatedLine, ...]:
    """Every line of the encounter judged, in line-number order."""
    ordered = sorted(encounter.lines, key=lambda ln: ln.line_no)
    return tuple(adjudicate_line(ln, encounter, catalogs, rules) for ln in ordered)


def totals(lines: Sequence[AdjudicatedLine]) -> Totals:
    return Totals(
        submitted_fen=sum(ln.submitted_fen for ln in lines),
        fund_fen=sum(ln.fund_fen for ln in lines),
        self_fen=sum(ln.self_fen for ln in lines),
        employer_fen=sum(ln.employer_fen for ln in lines),
    )
