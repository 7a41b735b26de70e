"""Issue 16 at registration's `POST /commands`, against the running service and broker: who
sends an agency command comes from a verified staff token, never from the body.

No token, a malformed, forged, expired, not-yet-valid or wrong-audience token: 401 with a
reason code; a valid user without the role or region: 403 naming what is missing; the
applicant approving their own registration: 403 `four_eyes` (decided by the domain on its
state); nothing is recorded for a refused command; the accepted ones carry the actor on
every event derived from them."""

from __future__ import annotations

import json
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from contracts import topics, wire
from contracts.actor import Role
from contracts.registration import RegistrationApplied, RegistrationApproved
from infra import identity
from tests.integration.registration.helpers import http
from tests.support.actors import staff
from tests.support.identity import token_for
from tests.support.kafka import Bus
from tests.support.processes import ServiceProcess, service_fixture
from tests.unit.registration import builders as b

D0 = b.at(date(2024, 1, 15))
CLERK = staff(Role.REGISTRATION_CLERK, "li.na", regions=("370100",))
REVIEWER = staff(Role.REGISTRATION_REVIEWER, "wang.qiang", regions=("370000",))


service = service_fixture("registration")


def post(service: ServiceProcess, command: object, token: str | None) -> tuple[int, Any]:
    env = b.env(command, D0, actor=None)  # type: ignore[arg-type]
    return http(service.url, "/commands", wire.encode(env), token)


def forged(token: str) -> str:
    """The same claims signed with a key the identity provider never published."""
    other = Path(tempfile.mkdtemp())
    identity.ensure_issuer(other)
    kid = json.loads((identity.HOME / "issuer.jwk.json").read_text())["kid"]
    jwk = json.loads((other / "issuer.jwk.json").read_text()) | {"kid": kid}
    (other / "issuer.jwk.json").write_text(json.dumps(jwk))
    return identity.issue("li.na", ["registration_clerk"], ["370100"], home=other)


async def test_bad_tokens_are_401_with_a_reason_and_record_nothing(
        service: ServiceProcess, bus: Bus) -> None:
    w = b.worker_id()
    good = token_for(CLERK)
    cases = {
        None: "unauthenticated",
        "not-a-jwt": "token_malformed",
        forged(good): "token_invalid_signature",
        token_for(CLERK, hours=-1): "token_expired",
        token_for(CLERK, now=time.time() + 3600): "token_not_yet_valid",
        token_for(CLERK, audience="another-system"): "token_wrong_audience",
        token_for(CLERK, issuer="https://idp.example"): "token_wrong_issuer",
    }
    for token, code in cases.items():
        status, body = post(service, b.apply(w, f"REG-T{len(code)}"), token)
        assert (status, body["reason_code"]) == (401, code), (token, body)
    status, body = post(service, b.apply(w, "REG-OK"), good)
    assert status == 201, body
    events = await bus.read(topics.REGISTRATION_EVENTS, lambda seen: any(
        isinstance(e.payload, RegistrationApplied) for e in seen))
    applied = [e for e in events if isinstance(e.payload, RegistrationApplied)]
    assert [e.payload.registration_id for e in applied] == ["REG-OK"]  # nothing else
    assert applied[0].actor == CLERK.model_copy(update={"name": ""})
    _, health = http(service.url, "/health")
    assert health is not None  # the service stayed healthy through the refusals


async def test_role_region_and_four_eyes_are_403_naming_what_is_missing(
        service: ServiceProcess, bus: Bus) -> None:
    w = b.worker_id()
    status, body = post(service, b.apply(w, "REG-R1"), token_for(REVIEWER))
    assert (status, body["reason_code"]) == (403, "forbidden_role")
    assert "registration_clerk" in body["reason"]
    qingdao = staff(Role.REGISTRATION_CLERK, "sun.li", regions=("370200",))
    status, body = post(service, b.apply(w, "REG-R1"), token_for(qingdao))
    assert (status, body["reason_code"]) == (403, "forbidden_region")
    assert "370100" in body["reason"]
    status, body = post(service, b.apply(w, "REG-R1"), token_for(CLERK))
    assert status == 201, body
    both = CLERK.model_copy(update={"roles": (Role.REGISTRATION_CLERK,
                                              Role.REGISTRATION_REVIEWER)})
    status, body = post(service, b.approve(w, "REG-R1"), token_for(both))
    assert (status, body["reason_code"]) == (403, "four_eyes"), body
    assert "staff:li.na" in body["reason"]
    status, body = post(service, b.approve(w, "REG-R1"), token_for(REVIEWER))
    assert status == 201, body
    events = await bus.read(topics.REGISTRATION_EVENTS, lambda seen: any(
        isinstance(e.payload, RegistrationApproved) for e in seen))
    [approval] = [e for e in events if isinstance(e.payload, RegistrationApproved)]
    assert approval.payload.reviewer == "staff:wang.qiang"
    assert approval.actor is not None and approval.actor.id == "staff:wang.qiang"


async def test_an_actor_in_the_body_is_refused(service: ServiceProcess) -> None:
    env = b.env(b.apply(b.worker_id(), "REG-A1"), D0, actor=REVIEWER)
    status, body = http(service.url, "/commands", wire.encode(env), token_for(CLERK))
    assert (status, body["reason_code"]) == (400, "actor_in_body")
