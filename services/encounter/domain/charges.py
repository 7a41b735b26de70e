"""Checks on a charge line before it is recorded (SD-ENC-5/6): plausible, priced, catalogued.

Judging what the fund pays (caps, self-pay parts, injury relation) is settlement's job; here
a line is only refused when it cannot be a true bill: unknown code, wrong arithmetic,
absurd numbers, a date outside the stay.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from contracts.business_time import business_date
from contracts.decision import Rejected
from contracts.encounter import ChargeLine, EncounterRecord
from contracts.reference import CatalogPublished
from services.encounter.domain.reference_book import ReferenceBook

MAX_QUANTITY = Decimal(10000)  # per line: above this a line is a typo, not a bill
MAX_UNIT_PRICE_FEN = 100_000_000  # 1,000,000 yuan per unit
MAX_LINE_FEN = 500_000_000  # 5,000,000 yuan per line


def catalog_knows(line: ChargeLine, record: EncounterRecord, book: ReferenceBook
                  ) -> CatalogPublished:
    """SD-ENC-6: the item code is in the catalog version in force on the line's service date."""
    region = record.catalog_region(line.catalog_kind)
    catalog = book.catalog(line.catalog_kind, region, line.service_date)
    if catalog is None:
        raise Rejected("unknown_catalog_code",
                       f"no {line.catalog_kind.value} catalog for region {region} in force on "
                       f"{line.service_date}")
    if catalog.item(line.item_code) is None:
        sent = (f"item {line.item_code!r} (mapped from your code {line.local_code!r})"
                if line.local_code is not None else
                f"item {line.item_code!r} (no code mapping of {record.institution_id} for it "
                f"either, 3301)")
        raise Rejected("unknown_catalog_code",
                       f"{sent} is not in the {line.catalog_kind.value} catalog "
                       f"of {region} in force on {line.service_date} "
                       f"(version from {catalog.effective_from})")
    return catalog


def expected_amount(quantity: Decimal, unit_price_fen: int) -> int:
    """quantity x unit price, rounded half-up to whole fen."""
    return int((quantity * unit_price_fen).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def amount_consistent(line: ChargeLine) -> None:
    """The billed amount is quantity x unit price, rounded half-up (else refused)."""
    want = expected_amount(line.quantity, line.unit_price_fen)
    if line.amount_fen != want:
        raise Rejected("amount_mismatch",
                       f"line {line.line_no}: amount_fen {line.amount_fen} != quantity "
                       f"{line.quantity} x unit_price_fen {line.unit_price_fen} = {want}")


def plausible(line: ChargeLine) -> None:
    """Absurd quantities or prices are refused rather than passed on to settlement."""
    if line.quantity > MAX_QUANTITY:
        raise Rejected("implausible_quantity",
                       f"line {line.line_no}: quantity {line.quantity} exceeds {MAX_QUANTITY}")
    if line.unit_price_fen > MAX_UNIT_PRICE_FEN or line.amount_fen > MAX_LINE_FEN:
        raise Rejected("implausible_price",
                       f"line {line.line_no}: unit price {line.unit_price_fen} fen or amount "
                       f"{line.amount_fen} fen is beyond any real charge")


def within_stay(line: ChargeLine, record: EncounterRecord) -> None:
    """A service date lies between admission and discharge (inclusive, China dates)."""
    first = business_date(record.admitted_at)
    last: date | None = business_date(record.discharged_at) if record.discharged_at else None
    if line.service_date < first or (last is not None and line.service_date > last):
        raise Rejected("service_date_outside_encounter",
                       f"line {line.line_no}: service date {line.service_date} is outside the "
                       f"stay ({first} .. {last or 'open'})")


def check_line(line: ChargeLine, record: EncounterRecord, book: ReferenceBook) -> None:
    """All line checks, cheapest first."""
    plausible(line)
    amount_consistent(line)
    within_stay(line, record)
    catalog_knows(line, record, book)
