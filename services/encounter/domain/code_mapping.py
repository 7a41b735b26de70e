"""An institution's code mapping (目录对照, national 3301 upload / 3302 revoke), pure.

A hospital bills with its own item codes; the catalogs (SD-ENC-6) have theirs. The
institution maps one to the other as effective-dated reference data
(`contracts.reference.CodeMappingPublished`), and encounter applies the mapping to each
charge line BEFORE anything judges it (`map_line`): the line is checked and adjudicated as
the catalog code the mapping in force on the line's service date names, and keeps the code
as sent in `local_code`. An unmapped local code stays `unknown_catalog_code`; a mapping
before its `effective_from`, after its `effective_until` or revoked does not apply; the
service date (business time), never the wall clock, picks the version, so a replay maps
the same way.

`upload` (3301) and `revoke` (3302) decide what an institution's request publishes; they
speak only for the institution of the credential.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from contracts.decision import Rejected
from contracts.encounter import ChargeLine
from contracts.reference import CatalogKind, CodeMappingPublished, InstitutionPublished
from contracts.types import Code, InstitutionId, Text, city_of
from services.encounter.domain.reference_book import ReferenceBook


class MapLocalCode(BaseModel):
    """3301 目录对照上传: from `effective_from` (to `effective_until`, inclusive) the
    institution's `local_code` of `catalog_kind` is the catalog's `catalog_code`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    institution_id: InstitutionId | None = None  # the credential's; if given, must be it
    catalog_kind: CatalogKind
    local_code: Code
    local_name: Text = ""
    catalog_code: Code
    effective_from: date
    effective_until: date | None = None


class RevokeCodeMapping(BaseModel):
    """3302 目录对照撤销: from `effective_from` on, `local_code` is no longer mapped."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    institution_id: InstitutionId | None = None
    catalog_kind: CatalogKind
    local_code: Code
    effective_from: date


def mapped_code(book: ReferenceBook, institution_id: str, kind: CatalogKind, code: str,
                day: date) -> str | None:
    """The catalog code `code` of `institution_id` stands for on `day`, if it is mapped."""
    version = book.mapping(institution_id, kind, code, day)
    return None if version is None else version.maps_on(day)


def map_line(line: ChargeLine, institution_id: str, book: ReferenceBook) -> ChargeLine:
    """The line as it is checked and judged: its code mapped (3301) if the institution's
    mapping applies on the line's service date, else as sent."""
    if line.local_code is not None:
        raise Rejected("local_code_reserved",
                       f"line {line.line_no}: send your own code as item_code and leave "
                       "local_code out; it is filled in from your code mapping (3301)")
    code = mapped_code(book, institution_id, line.catalog_kind, line.item_code,
                       line.service_date)
    if code is None:
        return line
    return line.model_copy(update={"item_code": code, "local_code": line.item_code})


def _own(institution: str, named: str | None) -> None:
    """An institution maps only its own codes (`wrong_institution`)."""
    if named is not None and named != institution:
        raise Rejected("wrong_institution",
                       f"this credential belongs to {institution}; it may not map the codes "
                       f"of {named}")


def _institution(book: ReferenceBook, institution: str, day: date) -> InstitutionPublished:
    found = book.institution(institution, day)
    if found is None:
        raise Rejected("unknown_institution",
                       f"{institution} is not in the institution directory on {day}")
    return found


def in_catalog(book: ReferenceBook, inst: InstitutionPublished, kind: CatalogKind, code: str,
               day: date) -> bool:
    """SD-ENC-6: is `code` an item of the catalog that judges this institution's lines of
    `kind` on `day`? The treatment city's for items, drugs and standards; for rehab items
    and devices the worker's insured province decides, so any province's will do."""
    if kind.judged_by_insured_province:
        return any(c.item(code) is not None for c in book.catalogs(kind, day))
    catalog = book.catalog(kind, city_of(inst.region), day)
    return catalog is not None and catalog.item(code) is not None


def upload(institution: str, req: MapLocalCode, book: ReferenceBook) -> CodeMappingPublished:
    """3301: the mapping version an institution's upload publishes, or Rejected."""
    _own(institution, req.institution_id)
    inst = _institution(book, institution, req.effective_from)
    if req.effective_until is not None and req.effective_until < req.effective_from:
        raise Rejected("invalid_validity",
                       f"effective_until {req.effective_until} is before effective_from "
                       f"{req.effective_from}")
    if in_catalog(book, inst, req.catalog_kind, req.local_code, req.effective_from):
        # a catalog code needs no mapping, and mapping it elsewhere would hide the catalog's
        raise Rejected("local_code_is_catalog_code",
                       f"{req.local_code} is itself a code of the {req.catalog_kind.value} "
                       f"catalog on {req.effective_from}; bill it as it is")
    if not in_catalog(book, inst, req.catalog_kind, req.catalog_code, req.effective_from):
        raise Rejected("unknown_catalog_code",
                       f"{req.catalog_code} is not in the {req.catalog_kind.value} catalog "
                       f"that judges {institution}'s lines on {req.effective_from}")
    return CodeMappingPublished(
        institution_id=institution, catalog_kind=req.catalog_kind, local_code=req.local_code,
        local_name=req.local_name, catalog_code=req.catalog_code,
        effective_from=req.effective_from, effective_until=req.effective_until,
        source=f"3301 upload by {institution}")


def revoke(institution: str, req: RevokeCodeMapping, book: ReferenceBook
           ) -> CodeMappingPublished:
    """3302: the revocation an institution's request publishes, or Rejected (`no_mapping`
    when the code is not mapped on that day: nothing to revoke)."""
    _own(institution, req.institution_id)
    current = book.mapping(institution, req.catalog_kind, req.local_code, req.effective_from)
    if current is None or current.maps_on(req.effective_from) is None:
        raise Rejected("no_mapping",
                       f"{req.local_code} ({req.catalog_kind.value}) of {institution} is not "
                       f"mapped on {req.effective_from}: nothing to revoke")
    return CodeMappingPublished(
        institution_id=institution, catalog_kind=req.catalog_kind, local_code=req.local_code,
        local_name=current.local_name, catalog_code=None, effective_from=req.effective_from,
        source=f"3302 revoke by {institution}")
