"""What a page shows to whom: the project's two matrices, asked, never copied.

`can` reads `contracts.authority.PERMITS` (who may send a command) and `reads`
`contracts.read_authority.READ_PERMITS` (who may read a resource), by role and, where the
page knows it, by region. The console hides what the person may not do; the services
still decide and enforce every command and read.
"""

from __future__ import annotations

from collections.abc import Iterable

from contracts.actor import Actor, Role
from contracts.authority import PERMITS
from contracts.message import Message
from contracts.read_authority import Resource, may_read


def can(actor: Actor, command: type[Message], regions: Iterable[str] | None = None) -> bool:
    roles = PERMITS.get(command, frozenset())
    if not roles & set(actor.roles):
        return False
    if regions is None:
        return True
    return any(actor.acts_for(r) for r in regions)


def reads(actor: Actor, resource: Resource) -> bool:
    return may_read(actor, resource)


def operates(actor: Actor) -> bool:
    """Dead letters and consumer lag are the operator's (the `wic` CLI's functions)."""
    return actor.has(Role.OPERATOR)
