"""The encounter faust app and its wiring: tables, agents, feeds, projection, web views."""

from __future__ import annotations

import asyncio

from contracts import settings as settings_module
from contracts import topics
from contracts.runtime import audit_view, faust_app, trace
from contracts.runtime.answers import Answers
from contracts.runtime.pool import LazyPool
from contracts.runtime.projection import LiveReadModels
from services.encounter.adapters import agents, catalog_http, http
from services.encounter.adapters.feeds import follow_reference
from services.encounter.adapters.projection import PROJECTIONS, SCHEMA
from services.encounter.domain.reference_book import ReferenceBook

DEFAULT_WEB_PORT = 18082

settings = settings_module.load("encounter")
app = faust_app.create("encounter", settings, DEFAULT_WEB_PORT)
trace.install(app)  # per-stage marks of admissions, only with WIC_TRACE_FILE set
read_models = LiveReadModels(PROJECTIONS, settings, SCHEMA).attach(app)
faust_app.add_health(app, settings, read_models)

book = ReferenceBook()
reference_ready = asyncio.Event()
# a hospital is waiting: a fetch held for idle partitions must not hold its answer
waiter = Answers(settings, [topics.HOSPITAL_REPLIES],
                 fetch_max_wait_ms=faust_app.AGENT_FETCH_MAX_WAIT_MS)

# the agent hands its delivered replies to the waiter: no hop back for this process's own
coverage_by_worker, encounters_by_worker = agents.register(app, settings, book, reference_ready,
                                                           waiter.handed_over)
pool = LazyPool(settings.database_url, SCHEMA).attach(app)
readers = http.readers_of(book)
http.register(app, settings, book, reference_ready, waiter, pool, readers)
catalog_http.register(app, settings, book, reference_ready, readers)
audit_view.wire(app, "encounter", pool, readers)
http.register_coverage_view(app, coverage_by_worker, readers)


@app.task
async def read_reference_data() -> None:
    await follow_reference(settings, book, reference_ready)


@app.task
async def wait_for_replies() -> None:
    await waiter.run()
