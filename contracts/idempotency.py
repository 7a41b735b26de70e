"""The ids of the input events a state has already decided: how every consumer recognises a
redelivered input (Kafka delivers at least once) and changes nothing for it.

One shape for every service: an immutable value, looked up and grown in constant time, kept
in the order the inputs were decided, and stored in a state table as a JSON list of strings.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema


class DecidedIds:
    """Input event ids already decided (idempotency).

    States evolve in a line (each decision's state replaces the one it was given), and a
    copy per decided input would make a replay quadratic. So each value is a prefix of one
    append-only index shared with its successors: `plus` on the newest value appends in
    place; on an older one (a batch decided again after a failure) it copies its prefix.
    """

    __slots__ = ("_index", "_size")

    def __init__(self, ids: Iterable[str | uuid.UUID] = ()) -> None:
        self._index: dict[str, int] = {}  # id -> the position it was decided at
        for event_id in ids:
            self._index.setdefault(str(event_id), len(self._index))
        self._size = len(self._index)

    def __contains__(self, event_id: object) -> bool:
        at = self._index.get(str(event_id))
        return at is not None and at < self._size

    def plus(self, event_id: str | uuid.UUID) -> DecidedIds:
        """This set with `event_id` decided too (itself when it already was)."""
        key = str(event_id)
        if key in self:
            return self
        grown = DecidedIds.__new__(DecidedIds)
        if self._size == len(self._index):  # the newest value: extend the shared index
            grown._index = self._index
        else:
            grown._index = {k: at for k, at in self._index.items() if at < self._size}
        grown._index[key] = self._size
        grown._size = self._size + 1
        return grown

    def __iter__(self) -> Iterator[str]:
        return itertools.islice(self._index, self._size)

    def __len__(self) -> int:
        return self._size

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, DecidedIds) and self._size == other._size
                and list(self) == list(other))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"DecidedIds({list(self)!r})"

    @classmethod
    def __get_pydantic_core_schema__(cls, _source: Any,
                                     _handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        from_list = core_schema.no_info_after_validator_function(
            cls, core_schema.list_schema(core_schema.str_schema()))
        return core_schema.json_or_python_schema(
            json_schema=from_list,
            python_schema=core_schema.union_schema(
                [core_schema.is_instance_schema(cls), from_list]),
            serialization=core_schema.plain_serializer_function_ser_schema(
                list, when_used="always"))
