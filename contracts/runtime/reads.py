"""The door of every query API (issue 16 item 6): who is asking, and may they see it.

A view asks `Readers.reader(request, resource)` first: it authenticates the request — a
hospital's institution credential where the service knows them (encounter), else a staff
JWT (`tokens.Verifier`) — and checks the role (`contracts.read_authority`). What the answer
is about is known only once the view has read it, so the view then calls `allow` with its
regions and institution, or filters a list with `region_patterns`. Refusals are raised as
`BadRequest` (401/403 with the reason code) for the `refusing` decorator to answer; they
are counted, never recorded: a query is not a message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from faust.web import Request

from contracts.actor import Actor, ActorKind, Channel
from contracts.decision import Rejected
from contracts.encounter import hospital_source
from contracts.read_authority import Resource, authorize_read
from contracts.runtime import metrics
from contracts.runtime.http import BadRequest, ErrorBody, refusal
from contracts.runtime.tokens import TokenRefused, Verifier, cached

OPEN_PATHS = frozenset({"/health", "/metrics", "/openapi.json", "/reference/status"})
"""Paths anyone may read: liveness, counters and the API's own description."""

Institutions = Callable[[str], str | None]
"""SHA-256 hex digest of a hospital's bearer token -> its institution id, if known."""


class Readers:
    def __init__(self, verifier: Callable[[], Verifier] | None = None,
                 institutions: Institutions | None = None) -> None:
        self._verifier = verifier or cached(Verifier.from_environment)
        self._institutions = institutions

    def reader(self, request: Request, resource: Resource) -> Actor:
        """The authenticated reader, if their role (or kind) may read `resource` at all."""
        who = self._authenticate(request.headers.get("Authorization"))
        return allow(who, resource)

    def _authenticate(self, authorization: str | None) -> Actor:
        if hospital := self.hospital(authorization):
            return hospital
        try:
            return self._verifier().actor(authorization)
        except RuntimeError as exc:  # no keys to verify with: ours to fix, not theirs
            raise BadRequest("identity_unavailable", str(exc), 503) from None
        except TokenRefused as exc:
            metrics.refused(exc.code, "http")
            raise BadRequest(exc.code, exc.reason, 401) from None

    def hospital(self, authorization: str | None) -> Actor | None:
        """The hospital whose institution credential `Authorization: Bearer` carries."""
        scheme, _, token = (authorization or "").partition(" ")
        if self._institutions is None or scheme != "Bearer" or not token:
            return None
        digest = hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()
        institution = self._institutions(digest)
        return None if institution is None else hospital_actor(institution)


def hospital_actor(institution: str) -> Actor:
    """The hospital a credential belongs to, as the actor of what it sends or reads."""
    return Actor(id=hospital_source(institution), kind=ActorKind.HOSPITAL,
                 channel=Channel.HTTP, institution=institution)


def allow(who: Actor, resource: Resource, regions: Iterable[str] | None = None,
          institution: str | None = None) -> Actor:
    """`authorize_read`, refusing with the `BadRequest` a view answers (401 or 403)."""
    try:
        return authorize_read(who, resource, regions, institution)
    except Rejected as exc:
        metrics.refused(exc.code, "http")
        raise BadRequest(exc.code, exc.reason, 401 if exc.code == "unauthenticated" else 403
                         ) from None


def secure(document: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI document with every read but the open ones behind the bearer scheme."""
    for path, item in document.get("paths", {}).items():
        get = item.get("get")
        if get is None or path in OPEN_PATHS:
            continue
        get.setdefault("security", [{"bearer": []}])
        answers = get.setdefault("responses", {})
        answers.setdefault("401", refusal("no valid staff token or hospital credential"))
        answers.setdefault("403", refusal("the role, region or institution may not read "
                                          "this"))
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http", "scheme": "bearer",
        "description": "a staff JWT of the agency's identity provider, or (encounter) a "
                       "hospital's institution token"}
    components.setdefault("schemas", {}).setdefault("ErrorBody", ErrorBody.model_json_schema())
    return document

