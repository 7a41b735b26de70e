"""`wic reference load DIR|FILE [--dry-run]`: validate reference files, publish reference events.

File format (YAML or JSON), one dataset type per file:

    type: CatalogPublished        # a ReferenceData message type of contracts.reference
    records:                      # each record is that message's payload
      - {kind: drug, region: "370100", effective_from: 2024-01-01, items: [...]}

Every record is validated before anything is sent; one bad record publishes nothing.
Each record becomes an envelope keyed by `contracts.reference.dataset_key` with a
deterministic event id (uuid5 of key + effective_from + content hash): loading the same
files twice publishes nothing new (ids already on the topic are skipped), and even a
duplicate that slipped through is ignored by consumers, which deduplicate by event id.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import uuid
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import ValidationError

from contracts import envelope, topics, wire
from contracts.business_time import CHINA
from contracts.message import ReferenceData, UnknownMessage, model_for
from contracts.reference import REFERENCE_NAMESPACE, dataset_key, reference_event_id
from contracts.settings import Settings, kafka_security, load

NAMESPACE = REFERENCE_NAMESPACE
SUFFIXES = (".yaml", ".yml", ".json")


class ReferenceFileError(ValueError):
    pass


def files_under(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in SUFFIXES)
    if path.is_file():
        return [path]
    raise ReferenceFileError(f"{path}: no such file or directory")


def event_id_for(payload: ReferenceData) -> uuid.UUID:
    """The record's deterministic id (shared with encounter's code-mapping door, 3301)."""
    return reference_event_id(payload)


def _records(path: Path) -> tuple[type[ReferenceData], list[Any]]:
    text = path.read_text(encoding="utf-8")
    doc = orjson.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(doc, dict) or "type" not in doc or not isinstance(doc.get("records"), list):
        raise ReferenceFileError(f"{path}: expected a mapping with `type` and a `records` list")
    try:
        model = model_for(str(doc["type"]), int(doc.get("schema_version", 1)))
    except UnknownMessage as exc:
        raise ReferenceFileError(f"{path}: {exc}") from None
    if not issubclass(model, ReferenceData):
        raise ReferenceFileError(f"{path}: {doc['type']} is not reference data")
    return model, doc["records"]


def read_envelopes(paths: list[Path], now: datetime | None = None
                   ) -> list[envelope.Envelope[Any]]:
    """Validate every record of every file; raise ReferenceFileError listing all faults."""
    out: list[envelope.Envelope[Any]] = []
    faults: list[str] = []
    for path in paths:
        try:
            model, records = _records(path)
        except (ReferenceFileError, yaml.YAMLError, orjson.JSONDecodeError) as exc:
            faults.append(str(exc))
            continue
        for i, record in enumerate(records):
            try:
                payload = model.model_validate(record)
            except ValidationError as exc:
                faults.append(f"{path} record {i}: {wire.describe(exc)}")
                continue
            effective = getattr(payload, "effective_from")  # noqa: B009 (every dataset has one)
            out.append(envelope.new(
                payload, key=dataset_key(payload), source=topics.Writer.OPERATOR.value,
                occurred_at=datetime.combine(effective, time(0), CHINA),
                event_id=event_id_for(payload), recorded_at=now or datetime.now(UTC)))
    if faults:
        raise ReferenceFileError("invalid reference data:\n  " + "\n  ".join(faults))
    return out


async def published_ids(settings: Settings) -> set[uuid.UUID]:
    """Event ids already on `reference-data` (one partition, read to its end)."""
    from aiokafka import ConsumerRecord

    from contracts.runtime.topic_reader import read_topic

    seen: set[uuid.UUID] = set()

    def keep(rec: ConsumerRecord[bytes, bytes]) -> None:
        with contextlib.suppress(wire.WireError):
            seen.add(wire.decode(rec.value).event_id)

    await read_topic(settings.bootstrap, topics.REFERENCE_DATA, settings.topic_prefix, keep)
    return seen


async def publish(envs: list[envelope.Envelope[Any]], settings: Settings) -> tuple[int, int]:
    """Publish envelopes not yet on the topic, in file order; returns (published, skipped)."""
    from aiokafka import AIOKafkaProducer

    seen = await published_ids(settings)
    fresh = [e for e in envs if e.event_id not in seen]
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, **kafka_security(settings),
                                acks="all")
    await producer.start()
    try:
        name = topics.REFERENCE_DATA.name(settings.topic_prefix)
        for env in fresh:
            await producer.send_and_wait(name, wire.encode(env), key=env.key.encode())
    finally:
        await producer.stop()
    return len(fresh), len(envs) - len(fresh)


def _load(args: argparse.Namespace) -> int:
    try:
        envs = read_envelopes(files_under(Path(args.path)))
    except ReferenceFileError as exc:
        print(f"wic reference load: {exc}")
        return 1
    counts: dict[str, int] = {}
    for env in envs:
        counts[env.type] = counts.get(env.type, 0) + 1
    summary = ", ".join(f"{n} {t}" for t, n in sorted(counts.items()))
    if args.dry_run:
        print(f"valid: {summary} (dry run: nothing published)")
        return 0
    published, skipped = asyncio.run(publish(envs, load()))
    print(f"{summary}: published {published}, already on the log {skipped}")
    return 0


def _hash_token(args: argparse.Namespace) -> int:
    print(hashlib.sha256(args.token.encode()).hexdigest())
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("reference", help="load reference data onto the log",
                              description="Effective-dated reference data (reference-data topic).")
    sub = p.add_subparsers(dest="reference_command", metavar="SUBCOMMAND", required=True)
    ld = sub.add_parser("load", help="validate files and publish their reference events",
                        description="e.g. `wic reference load reference/sample`")
    ld.add_argument("path", help="a directory of .yaml/.yml/.json files, or one file")
    ld.add_argument("--dry-run", action="store_true", help="validate only, publish nothing")
    ld.set_defaults(func=_load)
    ht = sub.add_parser("hash-token", help="SHA-256 of an institution token for credentials")
    ht.add_argument("token")
    ht.set_defaults(func=_hash_token)
