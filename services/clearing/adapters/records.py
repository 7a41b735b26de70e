"""The `Rejector` of this service."""

from __future__ import annotations

import faust

from contracts.runtime import faust_app
from contracts.runtime.rejection import Rejector, Send
from contracts.settings import Settings
from contracts.topics import CLEARING_REPLIES, Topic, Writer


def rejector(app: faust.App, settings: Settings, reply: Topic | None = CLEARING_REPLIES,
             send: Send | None = None) -> Rejector:
    """Rejections and outputs go through `send` (default: wait for each delivery)."""
    return Rejector(service=Writer.CLEARING, reply_topic=reply, prefix=settings.topic_prefix,
                    send=send or faust_app.sender(app))
