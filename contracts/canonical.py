"""Canonical JSON: the bytes of one model, UTF-8 with sorted keys (orjson).

What `contracts.wire` puts on the log and what a gateway signs are these same bytes. It
knows no message registry, so `contracts.gateway` can sign with it while `contracts.wire`
imports the catalog of every message (and so the gateway) to decode.
"""

from __future__ import annotations

import orjson
from pydantic import BaseModel

OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z


def canonical_json(model: BaseModel) -> bytes:
    return orjson.dumps(model.model_dump(mode="json"), option=OPTIONS)
