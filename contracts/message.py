"""Base classes for every event and command, and the (type, version) -> model registry.

A message's type name is its class name unless it says otherwise; its version starts at 1.
Subclasses register themselves when defined, so importing `contracts.catalog` (which imports
every message module) fills the registry. Unknown types or versions are refused by
`model_for`, with a message that says which were expected.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

Kind = Literal["event", "command", "reply", "snapshot", "reference", "deadletter"]

_BASES = {"Event", "Command", "Reply", "Snapshot", "ReferenceData"}
_REGISTRY: dict[tuple[str, int], type[Message]] = {}


class UnknownMessage(LookupError):
    """A (type, version) pair that no contract defines."""


class Message(BaseModel):
    """Frozen, closed (extra fields forbidden) payload of a message."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)

    message_type: ClassVar[str] = ""
    version: ClassVar[int] = 1
    message_kind: ClassVar[Kind] = "event"

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.__name__.startswith("_") or cls.__name__ in _BASES:
            return
        if "message_type" not in cls.__dict__:
            cls.message_type = cls.__name__
        key = (cls.message_type, cls.version)
        existing = _REGISTRY.get(key)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise TypeError(f"message {key} defined twice: {existing} and {cls}")
        _REGISTRY[key] = cls


class Event(Message):
    """A fact, named in the past tense."""

    message_kind: ClassVar[Kind] = "event"


class Command(Message):
    """A request, named in the imperative; it may be refused."""

    message_kind: ClassVar[Kind] = "command"


class Reply(Message):
    """An answer to a sender about one of its messages."""

    message_kind: ClassVar[Kind] = "reply"


class Snapshot(Message):
    """The current state of one key on a compacted topic."""

    message_kind: ClassVar[Kind] = "snapshot"


class ReferenceData(Message):
    """Effective-dated reference data published by operators."""

    message_kind: ClassVar[Kind] = "reference"


def model_for(message_type: str, version: int) -> type[Message]:
    try:
        return _REGISTRY[(message_type, version)]
    except KeyError:
        known = sorted(v for (t, v) in _REGISTRY if t == message_type)
        if known:
            raise UnknownMessage(
                f"{message_type} has no schema version {version}; known versions: {known}"
            ) from None
        raise UnknownMessage(f"unknown message type {message_type!r}") from None


def registered() -> dict[tuple[str, int], type[Message]]:
    return dict(_REGISTRY)
