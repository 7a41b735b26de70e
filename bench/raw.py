"""The raw Kafka limit on this machine: aiokafka produce, consume and relay of messages the
size of our envelope, and the broker's own perf tools from the cached jars, for reference."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts import envelope, wire
from contracts.encounter import ChargeLine, RecordChargeLine
from contracts.reference import CatalogKind
from contracts.settings import kafka_security
from contracts.topics import Topic
from ops.progress import Progress

KAFKA_LIBS = "infra-cache"  # replaced at run time by infra.kafka.LIBS


def typical_message() -> bytes:
    """A charge-line message as hospitals send it: our most frequent record."""
    line = ChargeLine(line_no=7, catalog_kind=CatalogKind.DRUG, item_code="XJ01CAA040A001",
                      quantity=Decimal("2"), unit_price_fen=1550, amount_fen=3100,
                      service_date=date(2024, 5, 6))
    msg = RecordChargeLine(message_id="HIS-2024-05-06-000123", institution_id="H37010200001",
                           encounter_no="ZY20240506001", worker_id="11010519491231002X", line=line)
    when = datetime(2024, 5, 6, 9, 30, tzinfo=UTC)
    return wire.encode(envelope.new(msg, key=msg.worker_id, occurred_at=when,
                                    source="hospital:H37010200001"))


async def produce(bootstrap: str, topic: str, value: bytes, n: int, keys: int = 1000) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **kafka_security(),
                                acks="all", linger_ms=5,
                                max_batch_size=256 * 1024)
    await producer.start()
    progress = Progress(f"raw produce {topic}", n)
    start = time.perf_counter()
    try:
        pending = []
        for i in range(n):
            pending.append(await producer.send(topic, value, key=str(i % keys).encode()))
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
                progress.update(i + 1)
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    progress.update(n)
    progress.finish()
    return n / (time.perf_counter() - start)


async def consume(bootstrap: str, topic: str, n: int) -> float:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, **kafka_security(),
                                group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                max_partition_fetch_bytes=4 * 1024 * 1024)
    await consumer.start()
    progress = Progress(f"raw consume {topic}", n)
    seen = 0
    start = time.perf_counter()
    try:
        while seen < n:
            batches = await consumer.getmany(timeout_ms=500, max_records=10000)
            seen += sum(len(records) for records in batches.values())
            progress.update(seen)
    finally:
        await consumer.stop()
    progress.finish()
    return seen / (time.perf_counter() - start)


async def relay(bootstrap: str, source: str, target: str, n: int) -> float:
    """Consume from one topic and produce every record to another: the floor of any agent.

    Records keep their partition (our worker-keyed topics are co-partitioned) and travel in
    whole batches with a bounded number in flight, so this is the broker's relay limit, not
    the cost of one future per record.
    """
    consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap, **kafka_security(),
                                group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                max_partition_fetch_bytes=4 * 1024 * 1024)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **kafka_security(),
                                acks="all", linger_ms=5,
                                max_batch_size=512 * 1024, max_request_size=4 * 1024 * 1024)
    await consumer.start()
    await producer.start()
    progress = Progress(f"raw relay {source} -> {target}", n)
    seen = 0
    in_flight: list[asyncio.Future[object]] = []
    start = time.perf_counter()
    try:
        while seen < n:
            batches = await consumer.getmany(timeout_ms=500, max_records=10_000)
            for tp, records in batches.items():
                batch = producer.create_batch()
                for r in records:
                    if batch.append(key=r.key, value=r.value, timestamp=None) is None:
                        in_flight.append(await producer.send_batch(batch, target,
                                                                   partition=tp.partition))
                        batch = producer.create_batch()
                        batch.append(key=r.key, value=r.value, timestamp=None)
                in_flight.append(await producer.send_batch(batch, target, partition=tp.partition))
                seen += len(records)
            if len(in_flight) >= 16:
                await asyncio.gather(*in_flight)
                in_flight.clear()
            progress.update(seen)
        await asyncio.gather(*in_flight)
    finally:
        await consumer.stop()
        await producer.stop()
    progress.finish()
    return seen / (time.perf_counter() - start)


def broker_tool(cls: str, args: list[str], timeout: float = 120.0) -> str:
    """Run one of the broker's Java tools from the cached jars; its output ("" if absent)."""
    from infra.kafka import LIBS

    try:
        out = subprocess.run(["java", "-Xmx256m", "-cp", f"{LIBS}/*", cls, *args],
                             capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:  # e.g. a missing topic (auto-create is off)
        print(f"{cls.rsplit('.', 1)[-1]}: no result within {timeout:.0f} s, skipped",
              file=sys.stderr)
        return str(exc.stdout or "") + str(exc.stderr or "")
    except FileNotFoundError:
        print("java not found: the broker's own perf tools are skipped", file=sys.stderr)
        return ""
    return out.stdout + out.stderr


def java_security() -> list[str]:
    """The Python clients' identity (`kafka_security`) as Java client properties."""
    sec = kafka_security()
    if not sec:
        return []
    jaas = ("org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{sec["sasl_plain_username"]}" password="{sec["sasl_plain_password"]}";')
    return [f"security.protocol={sec['security_protocol']}",
            f"sasl.mechanism={sec['sasl_mechanism']}", f"sasl.jaas.config={jaas}"]


def java_producer_rate(bootstrap: str, topic: str, n: int, size: int) -> float | None:
    text = broker_tool("org.apache.kafka.tools.ProducerPerformance", [
        "--topic", topic, "--num-records", str(n), "--record-size", str(size),
        "--throughput", "-1", "--producer-props", f"bootstrap.servers={bootstrap}", "acks=all",
        *java_security(),
    ])
    # The summary line is the last "records sent" line (log4j warnings may follow it).
    found = re.findall(r"\d+ records sent, ([\d.]+) records/sec", text)
    return float(found[-1]) if found else None


def java_consumer_rate(bootstrap: str, topic: str, n: int) -> float | None:
    with tempfile.NamedTemporaryFile("w", suffix=".properties") as config:  # mode 0600
        config.write("\n".join(java_security()) + "\n")
        config.flush()
        text = broker_tool("org.apache.kafka.tools.ConsumerPerformance", [
            "--bootstrap-server", bootstrap, "--topic", topic, "--messages", str(n),
            "--timeout", "60000", "--consumer.config", config.name,
        ])
    # header: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec…
    for line in text.splitlines():
        cols = [c.strip() for c in line.split(",")]
        if len(cols) >= 6 and re.fullmatch(r"[\d.]+", cols[5] or "x"):
            return float(cols[5])
    return None


def name(topic: Topic, prefix: str) -> str:
    return topic.name(prefix)
