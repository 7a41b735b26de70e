"""Staff tokens for tests: signed by the local identity provider that `wic up` creates
(the same the services verify against), as `wic users add` prints them."""

from __future__ import annotations

from contracts.actor import Actor, Role
from infra import identity
from tests.support.actors import EVERY_PROVINCE, staff


def token_for(actor: Actor, **kw: object) -> str:
    """A token naming `actor` (its id without the `staff:` prefix is the subject)."""
    return identity.issue(actor.id.removeprefix("staff:"), [r.value for r in actor.roles],
                          list(actor.regions), name=actor.name, **kw)  # type: ignore[arg-type]


def bearer(role: Role, name: str | None = None, regions: tuple[str, ...] = EVERY_PROVINCE
           ) -> str:
    return token_for(staff(role, name, regions))
