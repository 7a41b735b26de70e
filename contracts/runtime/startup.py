"""Refusing to start: a service whose configuration is missing says so in one sentence.

A service reads its configuration while it is wired (importing its `app`). Where that
configuration is missing or wrong — a gateway key file, say — it raises `NotConfigured`;
`python -m services.<name> worker` wires the app inside `refusal`, which turns that into
one line on stderr and exit status 2 instead of a traceback, before anything connects.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_NOT_CONFIGURED = 2


class NotConfigured(Exception):
    """The service must not start; the message names the variable and the path to fix."""


@contextmanager
def refusal(service: str) -> Iterator[None]:
    try:
        yield
    except NotConfigured as exc:
        sys.stderr.write(f"{service}: not started: {exc}\n")
        sys.stderr.flush()
        raise SystemExit(EXIT_NOT_CONFIGURED) from None
