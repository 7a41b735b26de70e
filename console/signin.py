"""Sign-in: user name and password against the local identity provider, which issues the
staff token exactly as `wic users add` does (`infra.identity.issue`); the token lives in an
HttpOnly cookie and every request is the person that token names, verified like the
services verify it (`contracts.runtime.tokens.Verifier`).

A deployment's console signs in at the agency's provider instead (docs/assumptions.md,
"Console"); the rest of the console only ever sees the token.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from contracts.actor import Actor
from contracts.runtime.tokens import TokenRefused, Verifier, cached
from infra import identity, staff

COOKIE = "wic_token"
HOURS = 8.0  # a working day, as `wic users add` issues by default

verifier = cached(Verifier.from_environment)


async def sign_in(user: str, password: str) -> str | None:
    """The token for `user`, or None when the user name or the password is wrong."""
    member = await asyncio.to_thread(staff.check, user, password)  # scrypt: off the loop
    if member is None:
        return None
    return identity.issue(member.user, member.roles, member.regions, name=member.name,
                          hours=HOURS)


def set_cookie(response: web.StreamResponse, token: str) -> None:
    # HttpOnly: no script reads it; SameSite=Strict: no other site's form sends it
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/",
                        max_age=int(HOURS * 3600))


def who(request: web.Request) -> tuple[Actor, str] | None:
    """The signed-in person and their token, or None (absent, expired, not ours)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return verifier().actor(f"Bearer {token}"), token
    except (TokenRefused, RuntimeError):
        return None
