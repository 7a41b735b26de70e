"""What the consumers of `registration-coverage` keep (encounter for admissions, clearing's
gateway for claims): the handler map the shared runner takes that topic's records to.

A valid `WorkerCoverage` v1 snapshot for the worker it is keyed by replaces the worker's
snapshot; anything else is refused (dead-lettered with its original bytes) and leaves it
as it was (issue 14 finding 6). Registration never writes tombstones — a compacted snapshot
is only ever replaced — so the runner refuses one: it must not erase a worker's coverage.
"""

from __future__ import annotations

from collections.abc import Callable

from contracts.decision import Decision, Rejected
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.registration import WorkerCoverage

Keep = Callable[[Envelope[Message]], bytes]
"""What a consumer stores of an accepted snapshot (encounter the payload's JSON, the
gateway the record's bytes), given as the route's context."""


def keep_snapshot(kept: bytes, env: Envelope[Message], keep: Keep) -> Decision[bytes]:
    cov = env.payload
    if not isinstance(cov, WorkerCoverage) or env.schema_version != 1:
        raise Rejected("unexpected_coverage",
                       f"{env.type} v{env.schema_version} is not a WorkerCoverage v1 snapshot")
    if cov.worker_id != env.key:
        raise Rejected("unexpected_coverage", "not a WorkerCoverage snapshot for its key")
    return Decision(state=keep(env))


HANDLERS: dict[type[Message], Callable[[bytes, Envelope[Message], Keep], Decision[bytes]]] = {
    WorkerCoverage: keep_snapshot}
"""Any other type is refused `unexpected_coverage` (the route's `unexpected` code)."""
