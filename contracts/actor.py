"""Who did it: the authenticated party an ingress stamps on the envelope (issue 16).

An actor is never read from a message body. The ingress that authenticated the sender —
the HTTP ingress for agency staff (a JWT of the agency's identity provider) and hospitals
(their institution's token), the gateway for other provinces (their signature) — sets
`Envelope.actor`; every event derived from the message keeps it (`envelope.derive`).
Records on command topics come only from those ingresses and from operators re-driving
them (the broker's ACLs, docs/security.md), so the domain can decide on the actor.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from contracts.types import RegionCode


class Role(StrEnum):
    """What a member of agency staff may do (one role matrix: `contracts.authority`)."""

    REGISTRATION_CLERK = "registration_clerk"  # 备案经办: apply, change, cancel, import
    REGISTRATION_REVIEWER = "registration_reviewer"  # 备案审核: approve, reject
    CLAIMS_REVIEWER = "claims_reviewer"  # 待遇审核: file, review, advance, claw back
    FINANCE = "finance"  # 财务: pay claims, fund prepayments
    CLEARING_OFFICER = "clearing_officer"  # 清算: close, confirm, dispute, settle, abort
    AUDITOR = "auditor"  # 稽核: refuse items after the fact
    OPERATOR = "operator"  # 运维: reference data, replay, re-drive


class ActorKind(StrEnum):
    STAFF = "staff"
    HOSPITAL = "hospital"
    PROVINCE = "province"  # another province's gateway
    OPERATOR = "operator"  # the `wic` CLI, run by a person on the agency's machines


class Channel(StrEnum):
    HTTP = "http"
    KAFKA = "kafka"
    GATEWAY = "gateway"
    CLI = "cli"


class Actor(BaseModel):
    """The person or system that did it, as authenticated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=200)  # "staff:<subject>", "hospital:<id>", …
    kind: ActorKind
    channel: Channel
    name: str = Field(default="", max_length=200)  # for people: as the identity provider says
    roles: tuple[Role, ...] = ()
    regions: tuple[RegionCode, ...] = ()  # cities (xxyy00) or provinces (xx0000) acted for
    institution: str | None = None  # a hospital's institution id

    def has(self, role: Role) -> bool:
        return role in self.roles

    def acts_for(self, region: str) -> bool:
        """A city code covers itself; a province code (xx0000) every city of the province."""
        return any(covers(mine, region) for mine in self.regions)


def covers(mine: str, region: str) -> bool:
    if mine.endswith("0000"):
        return region[:2] == mine[:2]
    return region[:4] == mine[:4]
