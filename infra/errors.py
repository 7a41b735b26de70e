"""The one exception the operator sees: its message is a full sentence the CLI prints as is."""

from __future__ import annotations


class StackError(RuntimeError):
    """Something about the local stack is wrong in a way the user must fix (or retry)."""
