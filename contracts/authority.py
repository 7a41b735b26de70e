"""Who may send which agency command, for which regions: the one role matrix (issue 16).

The services' domains call `authorize` with the regions a command acts in (read from the
command, or from their state: the registration's or the claim's insured region, a cycle's
two parties) and `four_eyes` where a second person must act. The HTTP ingresses call
`authorize` too, before publishing, wherever the command itself names its region, so a
refused command is answered 403 and nothing is recorded. Refusal codes:
`unauthenticated` (no actor), `forbidden_role`, `forbidden_region`, `four_eyes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from contracts import benefits as b
from contracts import clearing as c
from contracts import registration as r
from contracts import settlement as s
from contracts.actor import Actor, ActorKind, Role
from contracts.decision import Rejected
from contracts.message import Message

CLERK, REVIEWER = Role.REGISTRATION_CLERK, Role.REGISTRATION_REVIEWER
CLAIMS, FINANCE = Role.CLAIMS_REVIEWER, Role.FINANCE
CLEARING, AUDITOR = Role.CLEARING_OFFICER, Role.AUDITOR

PERMITS: Mapping[type[Message], frozenset[Role]] = {
    r.ApplyForRegistration: frozenset({CLERK}),
    r.ImportOfflineRegistration: frozenset({CLERK}),
    r.ChangeRegistration: frozenset({CLERK}),
    r.CancelRegistration: frozenset({CLERK}),
    r.ApproveRegistration: frozenset({REVIEWER}),
    r.RejectRegistration: frozenset({REVIEWER}),
    # the counter takes a claim and its documents in; a reviewer may too (assumptions.md)
    s.FileClaim: frozenset({CLERK, CLAIMS}),
    s.SubmitClaimDocuments: frozenset({CLERK, CLAIMS}),
    s.ReviewClaim: frozenset({CLAIMS}),
    s.GrantAdvance: frozenset({CLAIMS}),
    s.RecordInjuryNotRecognised: frozenset({CLAIMS}),
    s.PayClaim: frozenset({FINANCE}),
    c.FundPrepayment: frozenset({FINANCE}),
    c.CloseCycle: frozenset({CLEARING}),
    c.ConfirmCycle: frozenset({CLEARING}),
    c.DisputeCycle: frozenset({CLEARING}),
    c.SettleCycle: frozenset({CLEARING}),
    c.AbortCycle: frozenset({CLEARING}),
    # item-level clearing confirmation (national 3261/3262): as the cycle's confirm/dispute
    c.ConfirmCycleItem: frozenset({CLEARING}),
    c.DisputeCycleItem: frozenset({CLEARING}),
    c.RollBackCycleItem: frozenset({CLEARING}),
    c.RefuseItems: frozenset({AUDITOR}),
    # benefits (issue 19): the facts are recorded by benefit reviewers (待遇审核)
    **{fact: frozenset({CLAIMS}) for fact in b.FACTS},
    b.FileBenefitClaim: frozenset({CLERK, CLAIMS}),
    b.SubmitBenefitClaimDocuments: frozenset({CLERK, CLAIMS}),
    b.ReviewBenefitClaim: frozenset({CLAIMS}),
    b.PayBenefitClaim: frozenset({FINANCE}),
    b.RunMonthlyPayments: frozenset({FINANCE}),
}
"""Every agency command, and the roles any one of which may send it."""


def authorize(actor: Actor | None, command: Message, regions: Iterable[str] | None) -> Actor:
    """The actor, if they may send `command` acting for one of `regions`; else Rejected.
    `regions` None: only the role is checked (an ingress that cannot know the region; the
    domain checks it against its state)."""
    name = type(command).__name__
    if actor is None:
        raise Rejected("unauthenticated", f"{name} carries no authenticated actor; agency "
                       "commands come through an ingress that authenticates the sender")
    needed = PERMITS.get(type(command))
    if needed is None or actor.kind is not ActorKind.STAFF:
        raise Rejected("forbidden_role", f"{actor.id} ({actor.kind}) may not send {name}")
    require(actor, needed, regions, f"{name} needs", f"{name} acts for")
    return actor


def require(actor: Actor, roles: Iterable[str], regions: Iterable[str] | None, needs: str,
            concerns: str) -> None:
    """Refuse an actor with none of `roles`, or acting for none of `regions` (None: any);
    `needs` and `concerns` begin the reasons ("ApproveRegistration needs the role …")."""
    if not set(roles) & set(actor.roles):
        raise Rejected("forbidden_role", f"{needs} the role {either_of(roles)}; "
                       f"{actor.id} has {either_of(actor.roles) or 'no role'}")
    if regions is None:
        return
    places = sorted(set(regions))
    if not any(actor.acts_for(place) for place in places):
        raise Rejected("forbidden_region", f"{concerns} region {either_of(places) or 'none'}; "
                       f"{actor.id} acts for {either_of(actor.regions) or 'no region'}")


def four_eyes(actor: Actor, earlier: Iterable[str], act: str, earlier_act: str) -> None:
    """Refuse `act` by a person who did `earlier_act` on the same thing (二人复核)."""
    if actor.id in set(earlier):
        raise Rejected("four_eyes", f"{actor.id} {earlier_act}, so another person must {act}")


def either_of(items: Iterable[str]) -> str:
    return " or ".join(sorted(str(i) for i in items))
