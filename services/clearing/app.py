"""The clearing faust app and its wiring — nothing else."""

from __future__ import annotations

import asyncio
from typing import Any

import faust

from contracts.runtime import faust_app
from contracts.runtime.projection import ProjectionRunner
from contracts.settings import load
from services.clearing.adapters import gateway_agent, http, ledger_agent
from services.clearing.adapters.projection import PROJECTIONS

settings = load()
app: faust.App = faust_app.create("clearing", settings, default_web_port=18084)
faust_app.add_health(app)
ledger_agent.register(app, settings)
gateway_agent.register(app, settings)
http.register(app, settings)

_stop = asyncio.Event()


@app.task
async def project_ledger() -> None:
    runners = [ProjectionRunner(projection=p, bootstrap=settings.bootstrap,
                                database_url=settings.database_url, schema=http.SCHEMA,
                                prefix=settings.topic_prefix) for p in PROJECTIONS]
    await asyncio.gather(*(r.run(_stop) for r in runners))


async def _shutdown(sender: Any, *args: Any, **kwargs: Any) -> None:
    _stop.set()
    await http.close()


app.on_before_shutdown.connect(_shutdown)  # type: ignore[arg-type]  # faust's stub is narrower
