"""Hospital traffic for the pipeline benchmarks: realistic encounters, paced or in a burst.

An encounter is an admission, `k` charge lines and a discharge at a Qingdao hospital
(H370200001, direct settlement) for one of the seeded workers (insured in Jinan, registered
for Qingdao, approved 2024-05-02): encounter records it, settlement settles it at discharge,
clearing posts `LedgerPosted` to `clearing-events`. Every derived message keeps the cause's
`correlation_id`, so the ledger posting of an encounter is found by its discharge's id.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench import gen
from contracts import envelope, wire
from contracts.business_time import CHINA
from contracts.encounter import (
    CareType,
    ChargeLine,
    RecordAdmission,
    RecordChargeLine,
    RecordDischarge,
    hospital_source,
)
from contracts.message import Message
from contracts.reference import CatalogKind
from contracts.settings import kafka_security
from contracts.topics import CLEARING_EVENTS, HOSPITAL_MESSAGES

HOSPITAL = "H370200001"
ADMITTED = datetime(2024, 6, 3, 9, tzinfo=CHINA)
DISCHARGED = datetime(2024, 6, 5, 16, tzinfo=CHINA)
LINES = [(CatalogKind.MEDICAL_ITEM, "MI-001", 2500), (CatalogKind.DRUG, "DR-001", 1800),
         (CatalogKind.MEDICAL_ITEM, "MI-003", 30000),
         (CatalogKind.SERVICE_STANDARD, "SS-BED", 6000)]


def admission(worker: int, no: str) -> RecordAdmission:
    return RecordAdmission(
        message_id=f"adm-{no}", institution_id=HOSPITAL, encounter_no=no,
        worker_id=gen.worker_id(worker), social_security_card=gen.card(worker),
        insured_region="370100", care_type=CareType.INPATIENT, admitted_at=ADMITTED,
        diagnosis_code="S82.201")


def encounter(worker: int, no: str, k: int) -> list[envelope.Envelope[Message]]:
    """Admission, k charge lines, discharge: hospital-message envelopes in order."""
    w = gen.worker_id(worker)
    msgs: list[Message] = [admission(worker, no)]
    for n in range(1, k + 1):
        kind, code, price = LINES[(n - 1) % len(LINES)]
        line = ChargeLine(line_no=n, catalog_kind=kind, item_code=code, quantity=Decimal(1),
                          unit_price_fen=price, amount_fen=price, service_date=date(2024, 6, 4))
        msgs.append(RecordChargeLine(message_id=f"chg-{no}-{n}", institution_id=HOSPITAL,
                                     encounter_no=no, worker_id=w, line=line))
    msgs.append(RecordDischarge(message_id=f"dis-{no}", institution_id=HOSPITAL,
                                encounter_no=no, worker_id=w, discharged_at=DISCHARGED))
    at = [ADMITTED] + [ADMITTED + timedelta(days=1)] * k + [DISCHARGED]
    return [envelope.new(m, key=w, occurred_at=t, source=hospital_source(HOSPITAL))
            for m, t in zip(msgs, at, strict=True)]


@dataclass
class Workers:
    """Hands out seeded workers, each at most once (one open encounter per worker)."""

    total: int
    next: int = 0

    def take(self) -> int:
        if self.next >= self.total:
            raise RuntimeError(f"all {self.total} seeded workers used: seed more (--workers)")
        self.next += 1
        return self.next - 1


@dataclass
class Traffic:
    """Pre-encoded messages of `count` encounters, and the discharge ids to watch for."""

    records: list[tuple[bytes, bytes, uuid.UUID | None]]  # key, value, discharge id or None
    encounters: int

    @classmethod
    def build(cls, workers: Workers, count: int, k: int, tag: str) -> Traffic:
        records: list[tuple[bytes, bytes, uuid.UUID | None]] = []
        for _ in range(count):
            w = workers.take()
            envs = encounter(w, f"B{tag}{w:08d}", k)
            for n, e in enumerate(envs):
                last = n == len(envs) - 1
                records.append((e.key.encode(), wire.encode(e), e.event_id if last else None))
        return cls(records, count)


@dataclass
class Ledger:
    """Watches `clearing-events` from its current end; times postings by correlation id."""

    bootstrap: str
    topic: str
    sent: dict[uuid.UUID, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    last_seen: float = 0.0
    postings: int = 0
    _task: asyncio.Task[None] | None = None
    _consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, **kafka_security(),
                                          group_id=None,
                                          enable_auto_commit=False)
        await self._consumer.start()
        tp = TopicPartition(self.topic, 0)
        self._consumer.assign([tp])
        await self._consumer.seek_to_end(tp)
        await self._consumer.position(tp)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self._consumer is not None
        while True:
            batches = await self._consumer.getmany(timeout_ms=100)
            now = time.perf_counter()
            for records in batches.values():
                for r in records:
                    data = orjson.loads(r.value)
                    if data.get("type") != "LedgerPosted":
                        continue
                    cid = data.get("correlation_id")
                    sent = self.sent.pop(uuid.UUID(cid), None) if cid else None
                    if sent is not None:
                        self.latencies.append(now - sent)
                        self.postings += 1
                        self.last_seen = now

    def reset(self) -> None:
        """Forget earlier phases: only discharges sent from now on are timed."""
        self.sent.clear()
        self.latencies.clear()
        self.postings = 0
        self.last_seen = 0.0

    def censored(self, now: float) -> list[float]:
        """Latencies, plus `now - sent` for each discharge not posted yet (a lower bound)."""
        return self.latencies + [now - t for t in self.sent.values()]

    async def wait(self, expected: int, timeout: float, stall: float = 30.0) -> bool:
        """Until `expected` postings were seen; gives up after `timeout` s, or `stall` s
        without a new posting (a broken pipeline must not hold the run for long)."""
        deadline = time.perf_counter() + timeout
        seen, since = self.postings, time.perf_counter()
        while self.postings < expected and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
            if self.postings != seen:
                seen, since = self.postings, time.perf_counter()
            elif time.perf_counter() - since > stall:
                break
        return self.postings >= expected

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()


async def drive(producer: AIOKafkaProducer, topic: str, traffic: Traffic, ledger: Ledger,
                rate: float | None) -> tuple[float, float]:
    """Send the traffic at `rate` messages/s (None: as fast as possible).

    Returns (first send, last send) perf_counter times. A discharge's send time is taken
    when it is handed to the producer (linger 1 ms), before the broker acknowledges it.
    """
    start = time.perf_counter()
    pending: list[asyncio.Future[object]] = []
    for n, (key, value, discharge) in enumerate(traffic.records):
        if rate:
            due = start + n / rate
            delay = due - time.perf_counter()
            if delay > 0.002:
                await asyncio.sleep(delay)
        if discharge is not None:
            ledger.sent[discharge] = time.perf_counter()
        pending.append(await producer.send(topic, value, key=key))
        if len(pending) >= 2000:
            await asyncio.gather(*pending)
            pending.clear()
    await asyncio.gather(*pending)
    return start, time.perf_counter()


def topics_of(prefix: str) -> tuple[str, str]:
    return HOSPITAL_MESSAGES.name(prefix), CLEARING_EVENTS.name(prefix)
