"""The benefits agent: `benefits-commands` through the shared runner to the handler map of
`domain/handlers.py`, on a book rebuilt from `benefits-events` when the agent starts.

The book is one in-memory state (`OneState`), as clearing's ledger: this agent is the only
writer of `benefits-events`, so the log is its checkpoint; a crash before a batch's outputs
were delivered rebuilds the book from the log and decides the redelivered inputs again, to
the same events (derived ids), or to none where they are on the log already.
"""

from __future__ import annotations

import logging

import faust
from aiokafka import ConsumerRecord

from contracts import topics, wire
from contracts.runtime import faust_app
from contracts.runtime.batching import DeferredSends, InputPositions, batches
from contracts.runtime.rejection import RawRecord, Rejector
from contracts.runtime.runner import OneState, Route, Runner
from contracts.runtime.topic_reader import read_topic, read_until_done
from contracts.settings import Settings
from contracts.topics import Writer
from services.benefits.adapters.reference import ReferenceStore
from services.benefits.domain.book import BenefitsBook, evolve
from services.benefits.domain.handlers import HANDLERS, KEYED_BY, Context

log = logging.getLogger(__name__)


async def rebuild(settings: Settings) -> BenefitsBook:
    """Fold `benefits-events` from offset 0 to its end."""
    book = BenefitsBook()

    def fold(rec: ConsumerRecord[bytes, bytes]) -> None:
        nonlocal book
        book = evolve(book, wire.decode(rec.value))

    await read_topic(settings.bootstrap, topics.BENEFIT_EVENTS, settings.topic_prefix, fold)
    log.warning("benefits book rebuilt: %s workers", len(book.workers))
    return book


def register(app: faust.App, settings: Settings, store: ReferenceStore
             ) -> OneState[BenefitsBook]:
    """The agent; returns the book it keeps (the query views read it)."""
    name = topics.BENEFIT_COMMANDS.name(settings.topic_prefix)
    source = app.topic(name, key_type=bytes, value_type=bytes)
    deferred = DeferredSends(app)
    book = OneState(BenefitsBook())
    positions = InputPositions(app).attach(app, name)
    runner = Runner(app, book, positions, deferred)

    def context(_record: RawRecord) -> Context:
        return store.context

    route = Route("benefit-command", HANDLERS,
                  Rejector(Writer.BENEFITS, topics.BENEFIT_REPLIES, settings.topic_prefix,
                           deferred.send), context, keyed_by=KEYED_BY)

    async def references(_events: object) -> None:
        await read_until_done(store.sync)

    assignments = faust_app.Assignments(app, [name])

    @app.agent(source, concurrency=1, name="decide_benefit_commands")
    async def decide_benefit_commands(stream: faust.StreamT[bytes]) -> None:
        book.value = await rebuild(settings)  # for the queries, before any command
        async for events in batches(stream):
            if taken := assignments.gained():  # taken over from another worker: its book is newer
                await positions.resume_from_group(taken)
                book.value = await rebuild(settings)
            await runner.run(events, route, prepare=references)

    return book
