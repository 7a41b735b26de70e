"""The clearing faust app and its wiring — nothing else."""

from __future__ import annotations

import faust

from contracts.runtime import audit_view, faust_app, ingress
from contracts.runtime.pool import LazyPool
from contracts.runtime.projection import LiveReadModels
from contracts.runtime.reads import Readers
from contracts.settings import load
from services.clearing.adapters import (
    commands,
    credentials,
    gateway_agent,
    http,
    items_http,
    ledger_agent,
    reconciliation_http,
)
from services.clearing.adapters.projection import PROJECTIONS

settings = load("clearing")
app: faust.App = faust_app.create("clearing", settings, default_web_port=18084)
read_models = LiveReadModels(PROJECTIONS, settings, http.SCHEMA).attach(app)
faust_app.add_health(app, settings, read_models)
ledger_agent.register(app, settings)
gateway_agent.register(app, settings)
pool = LazyPool(settings.database_url, http.SCHEMA).attach(app)
hospitals = credentials.register(app, settings)  # the reconciliation door's credentials
readers = Readers(institutions=hospitals.institution_for_token)
http.register(app, pool, readers)
items_http.register(app, pool, readers)
reconciliation_http.register(app, settings, readers, lambda: hospitals.ready)
audit_view.wire(app, "clearing", pool, readers)
ingress.mount(app, settings, commands.COMMAND_DESK)
