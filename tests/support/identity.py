"""Staff tokens for tests: signed by the local identity provider that `wic up` creates
(the same the services verify against), as `wic users add` prints them."""

from __future__ import annotations

import functools

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


@functools.cache
def reader_token() -> str:
    """An auditor of every province: may read every query API (issue 16 item 6), as the
    read-side helpers of the integration tests do unless a test says otherwise."""
    return bearer(Role.AUDITOR, "auditor.reads")


def read_headers(token: str | None = None) -> dict[str, str]:
    """`Authorization` for a GET: `token`, the reader's by default, none for ""."""
    token = reader_token() if token is None else token
    return {"Authorization": f"Bearer {token}"} if token else {}
