"""The registration faust app and its wiring: topics, table, agent, projection task, views."""

from __future__ import annotations

from contracts import topics
from contracts.runtime import audit_view, faust_app, ingress
from contracts.runtime.pool import LazyPool
from contracts.runtime.reads import Readers
from contracts.settings import load
from services.registration import DEFAULT_WEB_PORT, SERVICE
from services.registration.adapters import agents, commands, http, projection

settings = load(SERVICE)
app = faust_app.create(SERVICE, settings, DEFAULT_WEB_PORT)

commands_topic = faust_app.topic(app, topics.REGISTRATION_COMMANDS, settings)
worker_state = faust_app.table(app, "worker_state", topics.REGISTRATION_COMMANDS.partitions)

agents.wire(app, commands_topic, worker_state, settings.topic_prefix)
read_models = projection.wire(app, settings)
pool = LazyPool(settings.database_url, projection.SCHEMA).attach(app)
readers = Readers()
http.wire(app, settings, pool, readers)
audit_view.wire(app, SERVICE, pool, readers)
ingress.mount(app, settings, commands.COMMAND_DESK)
faust_app.add_health(app, settings, read_models)
