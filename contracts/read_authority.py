"""Who may read what (issue 16 item 6): the one matrix of the services' query APIs.

Reads hold personal data (resident ids, registrations, histories, treatments) and public
money (balances, statements, prepayments), so every query is authenticated like a
command and allowed only to the roles that work with it, for the regions they act for.
Hospitals read with their institution's credential, and only their own encounters and
the coverage of the workers they treat. Refusal codes, as for commands:
`unauthenticated` (401), `forbidden_role`, `forbidden_region`, `forbidden_institution`
(403). The assumptions behind the matrix are in docs/assumptions.md ("Who may read").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from contracts.actor import Actor, ActorKind, Role
from contracts.authority import either_of, require
from contracts.decision import Rejected
from contracts.types import PROVINCE_PREFIXES


class Resource(StrEnum):
    """What a query shows."""

    REGISTRATION = "registration"  # 备案: a registration, its places and validity
    COVERAGE = "coverage"  # is a worker covered at a place on a day
    WORKER_HISTORY = "worker_history"  # every registration event of a worker
    ENCOUNTER = "encounter"  # 就医记录: an admission with its charge lines
    SETTLEMENT = "settlement"  # 结算: what the fund pays for an encounter, line by line
    CLAIM = "claim"  # 零星报销: a reimbursement claim and its deadlines
    LEDGER = "ledger"  # 清算: balances, cycles, statements, prepayments
    BENEFITS = "benefits"  # 待遇: a worker's facts, entitlements, claims and payments; runs
    AUDIT = "audit"  # 审计: who did what
    CATALOG = "catalog"  # 目录 (1301…): catalogs and code mappings as they apply to an institution


CLERK, REVIEWER = Role.REGISTRATION_CLERK, Role.REGISTRATION_REVIEWER
CLAIMS, FINANCE = Role.CLAIMS_REVIEWER, Role.FINANCE
CLEARING, AUDITOR, OPERATOR = Role.CLEARING_OFFICER, Role.AUDITOR, Role.OPERATOR

READ_PERMITS: Mapping[Resource, frozenset[Role]] = {
    Resource.REGISTRATION: frozenset({CLERK, REVIEWER, CLAIMS, AUDITOR}),
    Resource.COVERAGE: frozenset({CLERK, REVIEWER, CLAIMS, AUDITOR}),
    Resource.WORKER_HISTORY: frozenset({CLERK, REVIEWER, CLAIMS, AUDITOR}),
    Resource.ENCOUNTER: frozenset({CLAIMS, CLEARING, AUDITOR}),
    Resource.SETTLEMENT: frozenset({CLAIMS, FINANCE, CLEARING, AUDITOR}),
    Resource.CLAIM: frozenset({CLERK, CLAIMS, FINANCE, AUDITOR}),
    Resource.LEDGER: frozenset({FINANCE, CLEARING, AUDITOR}),
    Resource.BENEFITS: frozenset({CLAIMS, FINANCE, AUDITOR}),
    Resource.AUDIT: frozenset({AUDITOR, OPERATOR}),
    Resource.CATALOG: frozenset({CLAIMS, CLEARING, AUDITOR}),
}
"""Every resource, and the staff roles any one of which may read it."""

HOSPITAL_READS = frozenset({Resource.ENCOUNTER, Resource.COVERAGE, Resource.CATALOG})
"""What a hospital's credential may read: its own encounters, coverage (SD-REG-8: it
asks before admitting), and the catalogs and code mappings as they apply to it (1301)."""


def authorize_read(actor: Actor | None, resource: Resource,
                   regions: Iterable[str] | None = None, institution: str | None = None
                   ) -> Actor:
    """The actor, if they may read `resource` about one of `regions` (None: the role alone
    decides) and, for a hospital, about its own `institution`; else Rejected."""
    if actor is None:
        raise Rejected("unauthenticated", f"reading {resource} needs a staff token or a "
                       "hospital credential")
    if actor.kind is ActorKind.HOSPITAL:
        return _hospital(actor, resource, institution)
    if actor.kind is not ActorKind.STAFF:
        raise Rejected("forbidden_role", f"{actor.id} ({actor.kind}) may not read {resource}")
    require(actor, READ_PERMITS[resource], regions, f"reading {resource} needs",
            f"this {resource} concerns")
    return actor

def may_read(actor: Actor, resource: Resource, regions: Iterable[str] | None = None,
             institution: str | None = None) -> bool:
    try:
        authorize_read(actor, resource, regions, institution)
    except Rejected:
        return False
    return True


def _hospital(actor: Actor, resource: Resource, institution: str | None) -> Actor:
    if resource not in HOSPITAL_READS:
        raise Rejected("forbidden_role", f"a hospital may not read {resource}; it reads "
                       f"{either_of(HOSPITAL_READS)}")
    if institution is not None and institution != actor.institution:
        raise Rejected("forbidden_institution", f"this {resource} belongs to {institution};"
                       f" the credential is {actor.institution}'s")
    return actor


def region_patterns(actor: Actor) -> list[str]:
    """SQL LIKE patterns of the region codes `actor` acts for, to filter a list query:
    a province (xx0000) covers `xx%`, a city (xxyy00) `xxyy%` (`contracts.actor.covers`)."""
    return [f"{r[:2]}%" if r.endswith("0000") else f"{r[:4]}%" for r in actor.regions]


def account_regions(account: str) -> tuple[str, ...] | None:
    """The regions a ledger account concerns (`fund:<city>`, `bank:`/`agency:<region>`,
    `prepayment:<P>@<T>`), or None for an account of no region (an institution's, an
    employer's): then the role alone decides."""
    kind, _, rest = account.partition(":")
    if kind in ("fund", "bank", "agency") and _is_region(rest):
        return (rest,)
    if kind == "prepayment":
        parts = tuple(rest.split("@"))
        if len(parts) == 2 and all(_is_region(p) for p in parts):
            return parts
    return None


def _is_region(code: str) -> bool:
    return len(code) == 6 and code.isdigit() and code[:2] in PROVINCE_PREFIXES
