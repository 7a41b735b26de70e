"""The registration faust app and its wiring: topics, table, agent, projection task, views."""

from __future__ import annotations

from contracts import topics
from contracts.runtime import faust_app
from contracts.runtime.pool import LazyPool
from contracts.settings import load
from services.registration import DEFAULT_WEB_PORT, SERVICE
from services.registration.adapters import agents, http, projection

settings = load(SERVICE)
app = faust_app.create(SERVICE, settings, DEFAULT_WEB_PORT)

commands_topic = faust_app.topic(app, topics.REGISTRATION_COMMANDS, settings)
worker_state = faust_app.table(app, "worker_state", topics.REGISTRATION_COMMANDS.partitions)

agents.wire(app, commands_topic, worker_state, settings.topic_prefix)
read_models = projection.wire(app, settings)
http.wire(app, settings, LazyPool(settings.database_url, projection.SCHEMA).attach(app))
faust_app.add_health(app, settings, read_models)
