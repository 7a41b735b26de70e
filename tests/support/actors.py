"""Authenticated actors for tests that send agency commands straight to Kafka (as an
ingress or an operator's re-drive would: the broker lets only those write command topics).

`acting_for(command)` is a member of staff with the role the command needs, acting for every
province; each kind of command is sent by a different person, so a test that applies and
then approves, reviews and then pays, or confirms and then settles keeps four-eyes.
"""

from __future__ import annotations

from contracts.actor import Actor, ActorKind, Channel, Role
from contracts.authority import PERMITS
from contracts.message import Message
from contracts.types import PROVINCE_PREFIXES

EVERY_PROVINCE = tuple(sorted(f"{p}0000" for p in PROVINCE_PREFIXES))


def staff(role: Role, name: str | None = None, regions: tuple[str, ...] = EVERY_PROVINCE
          ) -> Actor:
    return Actor(id=f"staff:{name or role.value.replace('_', '-')}", kind=ActorKind.STAFF,
                 channel=Channel.HTTP, roles=(role,), regions=regions)


def acting_for(command: Message) -> Actor | None:
    """Staff who may send `command` (None for what is not an agency command)."""
    roles = PERMITS.get(type(command))
    if not roles:
        return None
    role = min(roles)
    return staff(role, f"{role.value.replace('_', '-')}.{type(command).__name__}")
