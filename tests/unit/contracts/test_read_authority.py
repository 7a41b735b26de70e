"""Who may read what (issue 16 item 6): every resource × every role × in and out of region,
against a matrix written out here independently of `READ_PERMITS`; hospitals only their
own encounters and coverage; the door (`contracts.runtime.reads`) answering 401 and 403."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jwt
import pytest

from contracts.actor import Actor, ActorKind, Channel, Role, covers
from contracts.decision import Rejected
from contracts.read_authority import (
    READ_PERMITS,
    Resource,
    account_regions,
    authorize_read,
    may_read,
    region_patterns,
)
from contracts.runtime import reads
from contracts.runtime.http import BadRequest
from contracts.runtime.tokens import DEFAULT_AUDIENCE, LOCAL_ISSUER, Verifier
from infra import identity

C, R = Role.REGISTRATION_CLERK, Role.REGISTRATION_REVIEWER
CL, F, CO, A = Role.CLAIMS_REVIEWER, Role.FINANCE, Role.CLEARING_OFFICER, Role.AUDITOR
# personal data to those who work with the worker; money to those who move or check it
EXPECTED: dict[Resource, set[Role]] = {
    Resource.REGISTRATION: {C, R, CL, A},
    Resource.COVERAGE: {C, R, CL, A},
    Resource.WORKER_HISTORY: {C, R, CL, A},
    Resource.ENCOUNTER: {CL, CO, A},
    Resource.SETTLEMENT: {CL, F, CO, A},
    Resource.CLAIM: {C, CL, F, A},
    Resource.LEDGER: {F, CO, A},
    Resource.BENEFITS: {CL, F, A},
    Resource.AUDIT: {A, Role.OPERATOR},
    Resource.CATALOG: {CL, CO, A},  # issue 18 item 5 (1301): staff who judge or clear lines
}
JINAN, QINGDAO, SHANDONG, BEIJING = "370100", "370200", "370000", "110100"


def staff(role: Role, *regions: str) -> Actor:
    return Actor(id=f"staff:{role}", kind=ActorKind.STAFF, channel=Channel.HTTP,
                 roles=(role,), regions=regions)


def hospital(institution: str) -> Actor:
    return reads.hospital_actor(institution)


def refusal(call: Any) -> str:
    with pytest.raises(Rejected) as caught:
        call()
    return caught.value.code


def test_every_resource_is_in_the_matrix() -> None:
    assert set(READ_PERMITS) == set(EXPECTED) == set(Resource)
    assert {k: set(v) for k, v in READ_PERMITS.items()} == EXPECTED


@pytest.mark.parametrize(("resource", "role"), list(itertools.product(Resource, Role)),
                         ids=str)
def test_role_and_region_decide_every_read(resource: Resource, role: Role) -> None:
    """Issue 16 item 6: a role that works with it reads it in its own region, not in
    another; every other role is refused whatever its region."""
    if role in EXPECTED[resource]:
        assert authorize_read(staff(role, JINAN), resource, [JINAN, BEIJING])
        assert authorize_read(staff(role, SHANDONG), resource, [QINGDAO])  # province
        assert authorize_read(staff(role, JINAN), resource, None)  # role alone
        assert refusal(lambda: authorize_read(staff(role, JINAN), resource, [QINGDAO])
                       ) == "forbidden_region"
    else:
        assert refusal(lambda: authorize_read(staff(role, JINAN), resource, [JINAN])
                       ) == "forbidden_role"


def test_no_actor_is_unauthenticated_and_a_province_gateway_reads_nothing() -> None:
    assert refusal(lambda: authorize_read(None, Resource.COVERAGE)) == "unauthenticated"
    gateway = Actor(id="province:110000", kind=ActorKind.PROVINCE, channel=Channel.GATEWAY,
                    roles=(Role.AUDITOR,), regions=(BEIJING,))
    assert refusal(lambda: authorize_read(gateway, Resource.LEDGER, [BEIJING])
                   ) == "forbidden_role"


@pytest.mark.parametrize("resource", list(Resource), ids=str)
def test_hospitals_read_their_own_encounters_and_coverage_only(resource: Resource) -> None:
    """Issue 16 item 6: "hospitals see their own encounters"; coverage they ask before
    admitting (SD-REG-8); the catalogs as they apply to them (1301, issue 18 item 5);
    nothing else, and never another institution's."""
    mine = hospital("H001")
    if resource in (Resource.ENCOUNTER, Resource.COVERAGE, Resource.CATALOG):
        assert authorize_read(mine, resource, [BEIJING], "H001")
        assert authorize_read(mine, resource, None, None)
        assert refusal(lambda: authorize_read(mine, resource, [JINAN], "H002")
                       ) == "forbidden_institution"
    else:
        assert refusal(lambda: authorize_read(mine, resource, None, "H001")
                       ) == "forbidden_role"


def _like(pattern: str, value: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace("%", ".*"), value) is not None


@pytest.mark.parametrize("mine", [JINAN, SHANDONG, BEIJING, "110000"])
def test_list_filters_match_the_regions_acted_for(mine: str) -> None:
    """The SQL LIKE patterns of a list query select exactly the regions `covers` allows."""
    actor = staff(A, mine)
    for region in (JINAN, QINGDAO, "370102", BEIJING, "110105", "120100"):
        assert any(_like(p, region) for p in region_patterns(actor)) == covers(mine, region)


def test_ledger_accounts_name_their_regions() -> None:
    assert account_regions("fund:370100") == ("370100",)
    assert account_regions("bank:370000") == ("370000",)
    assert account_regions("agency:110100") == ("110100",)
    assert account_regions("prepayment:370000@110000") == ("370000", "110000")
    assert account_regions("institution:H001") is None
    assert account_regions("employer:E1") is None
    assert account_regions("fund:999999") is None
    assert account_regions("prepayment:370000") is None
    finance = staff(F, JINAN)
    assert may_read(finance, Resource.LEDGER, account_regions("fund:370100"))
    assert not may_read(finance, Resource.LEDGER, account_regions("prepayment:110000@120000"))


# --- the door -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("identity")
    identity.ensure_issuer(home)
    return home


def door(issuer: Path, hospitals: dict[str, str] | None = None) -> reads.Readers:
    keys = jwt.PyJWKSet.from_dict(json.loads((issuer / "jwks.json").read_text()))
    verifier = Verifier(LOCAL_ISSUER, DEFAULT_AUDIENCE, keys)
    digests = {hashlib.sha256(t.encode()).hexdigest(): i for t, i in (hospitals or {}).items()}
    return reads.Readers(lambda: verifier, digests.get if hospitals is not None else None)


def request(token: str | None) -> Any:
    return SimpleNamespace(headers={} if token is None else {"Authorization": f"Bearer {token}"})


def answer(call: Any) -> tuple[int, str]:
    with pytest.raises(BadRequest) as caught:
        call()
    return caught.value.status, caught.value.code


def test_the_door_answers_401_without_a_valid_token(issuer: Path) -> None:
    readers = door(issuer)
    assert answer(lambda: readers.reader(request(None), Resource.LEDGER)
                  ) == (401, "unauthenticated")
    assert answer(lambda: readers.reader(request("junk"), Resource.LEDGER)
                  ) == (401, "token_malformed")
    expired = identity.issue("li.na", ["finance"], [JINAN], home=issuer, hours=-1)
    assert answer(lambda: readers.reader(request(expired), Resource.LEDGER)
                  ) == (401, "token_expired")


def test_the_door_answers_403_naming_the_missing_role_or_region(issuer: Path) -> None:
    readers = door(issuer)
    clerk = identity.issue("li.na", ["registration_clerk"], [JINAN], home=issuer)
    assert answer(lambda: readers.reader(request(clerk), Resource.LEDGER)
                  ) == (403, "forbidden_role")
    who = readers.reader(request(clerk), Resource.REGISTRATION)
    assert who.id == "staff:li.na" and who.regions == (JINAN,)
    assert reads.allow(who, Resource.REGISTRATION, [JINAN, BEIJING]) == who
    assert answer(lambda: reads.allow(who, Resource.REGISTRATION, [QINGDAO])
                  ) == (403, "forbidden_region")


def test_the_door_knows_hospitals_by_their_credential_where_it_holds_them(
        issuer: Path) -> None:
    readers = door(issuer, {"secret-of-h001": "H001"})
    h = readers.reader(request("secret-of-h001"), Resource.ENCOUNTER)
    assert (h.kind, h.institution) == (ActorKind.HOSPITAL, "H001")
    assert answer(lambda: reads.allow(h, Resource.ENCOUNTER, [JINAN], "H002")
                  ) == (403, "forbidden_institution")
    assert answer(lambda: readers.reader(request("secret-of-h001"), Resource.SETTLEMENT)
                  ) == (403, "forbidden_role")
    # a service that holds no hospital credentials treats the token as a (bad) staff JWT
    assert answer(lambda: door(issuer).reader(request("secret-of-h001"), Resource.ENCOUNTER)
                  ) == (401, "token_malformed")


def test_the_door_is_503_when_the_identity_provider_keys_are_missing() -> None:
    def missing() -> Verifier:
        raise RuntimeError("no identity provider keys")
    readers = reads.Readers(missing)
    assert answer(lambda: readers.reader(request("x"), Resource.AUDIT)
                  ) == (503, "identity_unavailable")


def test_openapi_documents_say_which_reads_need_a_token() -> None:
    doc = reads.secure({"paths": {
        "/claims": {"get": {"responses": {}}}, "/health": {"get": {"responses": {}}},
        "/commands": {"post": {"responses": {}}}}})
    claims = doc["paths"]["/claims"]["get"]
    assert claims["security"] == [{"bearer": []}] and {"401", "403"} <= set(claims["responses"])
    assert "security" not in doc["paths"]["/health"]["get"]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
