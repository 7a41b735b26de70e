"""The agency staff of the demo (issue 16): every agency command is sent as the person whose
job it is, acting for the region it concerns, and the demo prints who did what.

Shandong (370000, our province) has named people; the other provinces a clerk of each role.
Each region confirms a clearing cycle through its own officer, and a third person settles.
"""

from __future__ import annotations

from contracts import clearing as c
from contracts.actor import Actor, ActorKind, Channel, Role
from contracts.authority import PERMITS
from contracts.message import Message
from contracts.types import province_of

SHANDONG = "370000"
NAMED: dict[Role, tuple[str, str]] = {
    Role.REGISTRATION_CLERK: ("li.na", "李娜"),
    Role.REGISTRATION_REVIEWER: ("wang.qiang", "王强"),
    Role.CLAIMS_REVIEWER: ("zhao.min", "赵敏"),
    Role.FINANCE: ("sun.li", "孙丽"),
    Role.CLEARING_OFFICER: ("zhou.yu", "周宇"),
    Role.AUDITOR: ("qian.hui", "钱慧"),
}


def actor_for(command: Message, region: str) -> Actor:
    """Who sends `command`, concerning `region` (a worker's insured place, a cycle's party)."""
    role = min(PERMITS[type(command)])
    if isinstance(command, c.ConfirmCycle | c.DisputeCycle):
        return person(f"clearing.{region}", f"{region} 清算确认", role, region)
    province = province_of(region)
    if province == SHANDONG:
        name, shown = NAMED[role]
        return person(name, shown, role, SHANDONG)
    return person(f"{role.value}.{province}", f"{province} {role.value}", role, province)


def person(name: str, shown: str, role: Role, region: str) -> Actor:
    return Actor(id=f"staff:{name}", kind=ActorKind.STAFF, channel=Channel.HTTP, name=shown,
                 roles=(role,), regions=(region,))
