"""The settlement faust app and its wiring: agents, the state table, projection, web views."""

from __future__ import annotations

from typing import Any

from contracts import settings as settings_mod
from contracts import topics
from contracts.runtime import audit_view, faust_app, ingress
from contracts.runtime.pool import LazyPool
from contracts.runtime.projection import LiveReadModels
from contracts.runtime.reads import Readers
from services.settlement.adapters import agents, commands, http
from services.settlement.adapters.projection import PROJECTIONS, SCHEMA
from services.settlement.adapters.reference import ReferenceStore

DEFAULT_WEB_PORT = 18083

settings = settings_mod.load("settlement")
app = faust_app.create("settlement", settings, DEFAULT_WEB_PORT)
read_models = LiveReadModels(PROJECTIONS, settings, SCHEMA).attach(app)
faust_app.add_health(app, settings, read_models)

encounter_events = faust_app.topic(app, topics.ENCOUNTER_EVENTS, settings)
claim_commands = faust_app.topic(app, topics.CLAIM_COMMANDS, settings)
pre_settlement_requests = faust_app.topic(app, topics.PRE_SETTLEMENT_REQUESTS, settings)

# Decision state per worker id (JSON of `domain.state.WorkerState`), co-partitioned with
# encounter-events, claim-commands and pre-settlement-requests (keyed by worker id, 4
# partitions).
worker_state = faust_app.table(app, "worker_to_settlement_state")

reference = ReferenceStore(settings.bootstrap, settings.topic_prefix)
settler = agents.Settler(app, settings, worker_state, reference)
agents.register(app, settler, encounter_events, claim_commands, pre_settlement_requests)

pool = LazyPool(settings.database_url, SCHEMA).attach(app)
readers = Readers()
http.register(app, pool, readers)
audit_view.wire(app, "settlement", pool, readers)
ingress.mount(app, settings, commands.COMMAND_DESK)

async def _shutdown(sender: Any, *args: Any, **kwargs: Any) -> None:
    await reference.stop()


app.on_before_shutdown.connect(_shutdown)  # type: ignore[arg-type]  # faust's stub is narrower
