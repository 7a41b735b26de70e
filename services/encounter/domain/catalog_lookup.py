"""Catalog queries of an institution (national 1301… 目录下载/查询), pure.

"What is item code X worth on day D at my institution": the catalog entry in force on D in
the catalog that judges that institution's lines (SD-ENC-6: the treatment city's for
medical items, drugs and inpatient service standards; the insured province's for
rehabilitation items and devices, which the asker names or which defaults to the
institution's own province), with its price standard, self-pay part and the rules and
line reasons that apply. X may be the institution's own code: its mapping (目录对照,
3301) on D answers as the catalog code, exactly as a charge line would be judged. And a
paged list of the catalogs in force on D, by code prefix or name text.

Everything is read as of the business date asked (`contracts.reference.in_force`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict

from contracts.decision import Rejected
from contracts.reference import (
    CatalogItem,
    CatalogKind,
    CatalogPublished,
    CodeMappingPublished,
    InstitutionPublished,
)
from contracts.settlement import LineReason
from contracts.types import city_of, province_of
from services.encounter.domain.code_mapping import mapped_code
from services.encounter.domain.reference_book import ReferenceBook

CATEGORIES: dict[CatalogKind, str] = {
    CatalogKind.MEDICAL_ITEM: "诊疗项目",
    CatalogKind.DRUG: "药品",
    CatalogKind.SERVICE_STANDARD: "住院服务标准",
    CatalogKind.REHAB_ITEM: "康复项目",
    CatalogKind.DEVICE: "辅助器具",
}
"""The catalog kinds as staff and hospital systems name them."""

MAX_PAGE_SIZE = 200


class CatalogEntry(BaseModel):
    """One catalog item as it applies to an institution on a day."""

    model_config = ConfigDict(frozen=True)

    catalog_kind: CatalogKind
    category: str  # CATEGORIES
    item_code: str  # the catalog's code
    local_code: str | None  # the code asked, when the institution's mapping made it item_code
    mapping_effective_from: date | None
    mapping_effective_until: date | None
    name: str
    region: str  # whose catalog: a city, or a province for rehab items and devices
    judged_by: str  # "treatment_city" | "insured_province" (SD-ENC-6)
    catalog_version: str  # "<kind>:<region>@<effective_from>", as adjudicated lines name it
    max_unit_price_fen: int | None  # the price standard / fee limit per unit; None: no cap
    self_pay_percent: int  # the part of the eligible amount the fund never pays
    fund_percent: int  # 100 - self_pay_percent, of the eligible amount
    rules: tuple[str, ...]  # the rule ids that judge a line of this item
    line_reasons: tuple[LineReason, ...]  # the reasons an unpaid fen of it may carry


class CatalogPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    institution_id: str
    date: date
    total: int
    page: int
    page_size: int
    items: tuple[CatalogEntry, ...]


@dataclass(frozen=True)
class Asker:
    """The institution asking, on a day, and the insured province for rehab and devices."""

    institution: InstitutionPublished
    day: date
    insured_province: str

    def region(self, kind: CatalogKind) -> str:
        if kind.judged_by_insured_province:
            return self.insured_province
        return city_of(self.institution.region)


def asker(book: ReferenceBook, institution_id: str, day: date,
          insured_region: str | None = None) -> Asker:
    inst = book.institution(institution_id, day)
    if inst is None:
        raise Rejected("unknown_institution",
                       f"{institution_id} is not in the institution directory on {day}")
    return Asker(inst, day, province_of(insured_region or inst.region))


def _rules(kind: CatalogKind, item: CatalogItem) -> tuple[tuple[str, ...], tuple[LineReason, ...]]:
    rules = ["SD-ENC-6", "SD-ENC-5", "SD-ENC-4"]  # catalogs; injury only; no third party
    reasons = [LineReason.NOT_INJURY_RELATED, LineReason.THIRD_PARTY_LIABILITY]
    if item.max_unit_price_fen is not None:
        reasons.append(LineReason.OVER_STANDARD)
    if item.self_pay_percent:
        reasons.append(LineReason.SELF_PAY_PART)
    if kind is not CatalogKind.SERVICE_STANDARD:
        rules.append("SD-ENC-3")  # across provinces only inpatient, inpatient rehab, devices
    return tuple(rules), tuple(reasons)


def entry(catalog: CatalogPublished, item: CatalogItem,
          mapping: CodeMappingPublished | None = None) -> CatalogEntry:
    """One item of `catalog`, and the institution's mapping that led to it, if any."""
    rules, reasons = _rules(catalog.kind, item)
    return CatalogEntry(
        catalog_kind=catalog.kind, category=CATEGORIES[catalog.kind], item_code=item.code,
        local_code=None if mapping is None else mapping.local_code,
        mapping_effective_from=None if mapping is None else mapping.effective_from,
        mapping_effective_until=None if mapping is None else mapping.effective_until,
        name=item.name, region=catalog.region,
        judged_by="insured_province" if catalog.kind.judged_by_insured_province
        else "treatment_city",
        catalog_version=f"{catalog.kind.value}:{catalog.region}@"
                        f"{catalog.effective_from.isoformat()}",
        max_unit_price_fen=item.max_unit_price_fen, self_pay_percent=item.self_pay_percent,
        fund_percent=100 - item.self_pay_percent, rules=rules, line_reasons=reasons)


def _catalogs(book: ReferenceBook, who: Asker, kind: CatalogKind | None
              ) -> Iterator[CatalogPublished]:
    for k in CatalogKind if kind is None else (kind,):
        catalog = book.catalog(k, who.region(k), who.day)
        if catalog is not None:
            yield catalog


def _found(book: ReferenceBook, who: Asker, catalog: CatalogPublished, code: str
           ) -> CatalogEntry | None:
    """`code` in `catalog`, mapped first (as a charge line is, `code_mapping.map_line`)."""
    institution = who.institution.institution_id
    target = mapped_code(book, institution, catalog.kind, code, who.day)
    if target is not None:
        item = catalog.item(target)
        mapping = book.mapping(institution, catalog.kind, code, who.day)
        return None if item is None else entry(catalog, item, mapping)
    item = catalog.item(code)
    return None if item is None else entry(catalog, item)


def look_up(book: ReferenceBook, who: Asker, code: str, kind: CatalogKind | None = None
            ) -> CatalogEntry:
    """1301: what `code` (a catalog code, or the institution's own mapped code) is worth on
    the asker's day; `unknown_catalog_code` when no catalog in force knows it."""
    found = [e for c in _catalogs(book, who, kind) if (e := _found(book, who, c, code))]
    if not found:
        raise Rejected("unknown_catalog_code",
                       f"{code!r} is neither in a catalog that judges "
                       f"{who.institution.institution_id}'s lines on {who.day} nor mapped to "
                       "one by its code mapping (3301)")
    if len(found) > 1:
        raise Rejected("ambiguous_code",
                       f"{code!r} is in the {', '.join(e.catalog_kind.value for e in found)}"
                       " catalogs: name one with kind=")
    return found[0]


def search(book: ReferenceBook, who: Asker, *, kind: CatalogKind | None = None,
           prefix: str | None = None, text: str | None = None, page: int = 1,
           page_size: int = 50) -> CatalogPage:
    """1301 download: the catalogs that judge the asker's lines on its day, by kind then
    code; `prefix` matches the start of the code, `text` any part of the name (case
    ignored). Pages count from 1."""
    needle = None if text is None else text.casefold()
    matches = [entry(c, item) for c in _catalogs(book, who, kind) for item in c.items
               if (prefix is None or item.code.startswith(prefix))
               and (needle is None or needle in item.name.casefold())]
    matches.sort(key=lambda e: (list(CatalogKind).index(e.catalog_kind), e.item_code))
    first = (page - 1) * page_size
    return CatalogPage(institution_id=who.institution.institution_id, date=who.day,
                       total=len(matches), page=page, page_size=page_size,
                       items=tuple(matches[first:first + page_size]))
