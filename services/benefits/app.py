"""The benefits faust app and its wiring: the agent, reference data, projection, web views."""

from __future__ import annotations

from typing import Any

import faust

from contracts import settings as settings_mod
from contracts import topics
from contracts.runtime import audit_view, faust_app, ingress, routing
from contracts.runtime.pool import LazyPool
from contracts.runtime.projection import LiveReadModels
from contracts.runtime.reads import Readers
from services.benefits.adapters import agents, commands, http
from services.benefits.adapters.projection import PROJECTIONS, SCHEMA
from services.benefits.adapters.reference import ReferenceStore

DEFAULT_WEB_PORT = 18085

settings = settings_mod.load("benefits")
app: faust.App = faust_app.create("benefits", settings, DEFAULT_WEB_PORT)
read_models = LiveReadModels(PROJECTIONS, settings, SCHEMA).attach(app)
faust_app.add_health(app, settings, read_models)

reference = ReferenceStore(settings.bootstrap, settings.topic_prefix)
book = agents.register(app, settings, reference)

pool = LazyPool(settings.database_url, SCHEMA).attach(app)
readers = Readers()
decided = topics.BENEFIT_COMMANDS.name(settings.topic_prefix)  # one partition: one decider
http.register(app, pool, book, reference, readers,
              owner=lambda: routing.owner_of_topic(app, decided))
audit_view.wire(app, "benefits", pool, readers)
ingress.mount(app, settings, commands.COMMAND_DESK)


async def _shutdown(sender: Any, *args: Any, **kwargs: Any) -> None:
    await reference.stop()


app.on_before_shutdown.connect(_shutdown)  # type: ignore[arg-type]  # faust's stub is narrower
