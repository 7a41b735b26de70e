"""contracts.idempotency: the one shape every consumer remembers decided inputs in."""

import json
import uuid

from pydantic import BaseModel

from contracts.idempotency import DecidedIds


class Holder(BaseModel):
    seen: DecidedIds = DecidedIds()


def test_a_redelivered_input_is_recognised_by_its_id_in_either_spelling() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    ids = DecidedIds().plus(first)
    assert first in ids and str(first) in ids
    assert second not in ids
    assert ids.plus(first) is ids  # deciding it again changes nothing
    assert list(ids.plus(second)) == [str(first), str(second)]  # the order decided in


def test_stored_as_the_json_list_the_state_tables_held_before() -> None:
    """The state tables held `tuple[str, ...]`: the same bytes go in and come out."""
    ids = [str(uuid.UUID(int=n)) for n in (3, 1, 2)]
    old_bytes = json.dumps({"seen": ids}, separators=(",", ":"))
    state = Holder.model_validate_json(old_bytes)
    assert list(state.seen) == ids and uuid.UUID(int=1) in state.seen
    assert state.model_dump_json() == old_bytes
    assert Holder.model_validate({"seen": ids}) == state
    assert Holder().model_dump_json() == '{"seen":[]}'


def test_an_older_value_is_not_changed_by_what_its_successor_decided() -> None:
    """A batch that failed is decided again from the state stored before it: that older
    value must not see the ids its discarded successor added."""
    a, b, c = (uuid.UUID(int=n) for n in (1, 2, 3))
    before = DecidedIds().plus(a)
    discarded = before.plus(b)
    assert b in discarded and b not in before
    again = before.plus(c)
    assert c in again and b not in again and c not in discarded
    assert list(again) == [str(a), str(c)] and list(discarded) == [str(a), str(b)]
    assert list(discarded.plus(c)) == [str(a), str(b), str(c)]
    assert len(before) == 1 and before == DecidedIds([a]) and before != again
