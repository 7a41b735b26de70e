"""The clearing faust app and its wiring — nothing else."""

from __future__ import annotations

from typing import Any

import faust

from contracts.runtime import faust_app
from contracts.runtime.projection import LiveReadModels
from contracts.settings import load
from services.clearing.adapters import gateway_agent, http, ledger_agent
from services.clearing.adapters.projection import PROJECTIONS

settings = load()
app: faust.App = faust_app.create("clearing", settings, default_web_port=18084)
read_models = LiveReadModels(PROJECTIONS, settings, http.SCHEMA).attach(app)
faust_app.add_health(app, settings, read_models)
ledger_agent.register(app, settings)
gateway_agent.register(app, settings)
http.register(app, settings)

async def _shutdown(sender: Any, *args: Any, **kwargs: Any) -> None:
    await http.close()


app.on_before_shutdown.connect(_shutdown)  # type: ignore[arg-type]  # faust's stub is narrower
