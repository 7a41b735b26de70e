"""Send `contracts.acl` bindings to the broker (CreateAcls / DeleteAcls, Kafka API 30 / 31).

aiokafka's admin client has no ACL methods but ships the protocol structs; one request
carries every binding of a run (~150), so `ensure_topics` applies them in milliseconds
instead of starting `kafka-acls` (a JVM, seconds) per test module. Creating an ACL that
exists is a no-op on the broker, so applying is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiokafka.protocol.admin import (
    CreateAclsRequest_v1,
    DeleteAclsRequest_v1,
)
from aiokafka.protocol.api import Request

from contracts.acl import Binding
from infra.errors import StackError

RESOURCE = {"topic": 2, "group": 3, "cluster": 4}
PATTERN = {"literal": 3, "prefixed": 4}
OPERATION = {"ANY": 1, "READ": 3, "WRITE": 4, "CREATE": 5, "DESCRIBE": 8}
ALLOW, ANY_PERMISSION, ANY_HOST = 3, 1, "*"


class _CreateAcls(Request[CreateAclsRequest_v1]):
    API_KEY = 30

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class(self.rows)


class _DeleteAcls(Request[DeleteAclsRequest_v1]):
    API_KEY = 31

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def build(self, request_struct_class: type[DeleteAclsRequest_v1]) -> DeleteAclsRequest_v1:
        return request_struct_class(self.rows)


async def create(client: Any, bindings: Iterable[Binding]) -> int:
    """Allow every binding; returns how many were sent. `client`: a started admin client."""
    rows = [(RESOURCE[b.resource], b.name, PATTERN[b.pattern], f"User:{b.principal}",
             ANY_HOST, OPERATION[b.operation], ALLOW) for b in sorted(bindings)]
    if not rows:
        return 0
    response = await client._send_request(_CreateAcls(rows))
    failed = [f"{r[1]} {r[3]} {r[5]}: {code} {msg}"
              for r, (code, msg) in zip(rows, response.creation_responses, strict=True) if code]
    if failed:
        raise StackError("Kafka refused ACLs: " + "; ".join(failed[:5]))
    return len(rows)


async def delete(client: Any, bindings: Iterable[Binding]) -> None:
    """Remove the ACLs of the bindings' resources (any principal, operation, host)."""
    resources = sorted({(RESOURCE[b.resource], b.name, PATTERN[b.pattern]) for b in bindings})
    rows = [(rtype, name, pattern, None, None, OPERATION["ANY"], ANY_PERMISSION)
            for rtype, name, pattern in resources]
    if rows:
        response = await client._send_request(_DeleteAcls(rows))
        bad = [r for r in response.filter_responses if r[0]]
        if bad:
            raise StackError(f"Kafka refused to delete ACLs: {bad[:3]}")
