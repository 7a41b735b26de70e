"""`wic dlq`: list, show and re-drive dead letters.

Dead letters are `MessageDeadLettered` envelopes on the `<service>-deadletters` topics, each
with the original key and value bytes. A re-drive republishes those bytes to the original
topic with headers `wic-redrive-of: <dead letter id>` and `wic-attempt: <n>`; if the message
fails again the service dead-letters it again, under a new id. Each re-drive is recorded in
`ops.redrives` in the same transaction that claims it, so a dead letter is re-driven at most
once (unless `--force`), even by two operators at the same time.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer, ConsumerRecord, TopicPartition

from contracts import settings as settings_mod
from contracts import wire
from contracts.deadletter import MessageDeadLettered
from contracts.runtime.topic_reader import TopicReader
from contracts.settings import Settings, kafka_security
from contracts.topics import ALL, DEADLETTERS

REDRIVES_DDL = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.redrives (
    dead_letter_id uuid        PRIMARY KEY,
    redriven_at    timestamptz NOT NULL DEFAULT now(),
    target_topic   text        NOT NULL,
    target_offset  bigint,
    attempt        int         NOT NULL
)"""


@dataclass(frozen=True)
class DeadLetter:
    id: str
    service: str
    dl_offset: int
    letter: MessageDeadLettered


async def read_dead_letters(settings: Settings, service: str | None = None) -> list[DeadLetter]:
    """Every dead letter (oldest first) of one service or all, read to the current end."""
    writers = [w for w in DEADLETTERS if service is None or w.value == service]
    if not writers:
        known = ", ".join(w.value for w in DEADLETTERS)
        raise LookupError(f"no service {service!r}; one of {known}")
    tps = [TopicPartition(DEADLETTERS[w].name(settings.topic_prefix), p)
           for w in writers for p in range(DEADLETTERS[w].partitions)]
    owner = {DEADLETTERS[w].name(settings.topic_prefix): w.value for w in writers}
    found: list[DeadLetter] = []

    def keep(rec: ConsumerRecord[bytes, bytes]) -> None:
        try:
            env = wire.decode(rec.value)
        except wire.WireError:
            return  # not ours to judge; `show` cannot display it either
        if isinstance(env.payload, MessageDeadLettered):
            found.append(DeadLetter(str(env.event_id), owner[rec.topic], rec.offset, env.payload))

    reader = TopicReader(settings.bootstrap, tps, cut_at_end=True)
    try:
        await reader.read_to_end(keep)
    finally:
        await reader.stop()
    return found


async def redriven(settings: Settings) -> dict[str, tuple[str, int | None]]:
    """Dead letter id -> (topic, offset) it was re-driven to (the console shows it too)."""
    conn = await asyncpg.connect(settings.database_url, timeout=10)
    try:
        await conn.execute(REDRIVES_DDL)
        rows = await conn.fetch(
            "SELECT dead_letter_id, target_topic, target_offset FROM ops.redrives")
        return {str(r["dead_letter_id"]): (r["target_topic"], r["target_offset"]) for r in rows}
    finally:
        await conn.close()


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


async def list_(settings: Settings, service: str | None = None, limit: int = 50,
                out: TextIO | None = None) -> int:
    out = out or sys.stdout
    letters = (await read_dead_letters(settings, service))[-limit:] if limit else []
    done = await redriven(settings)
    rows = [("ID", "SERVICE", "STAGE", "REASON CODE", "REASON", "ORIGINAL", "REDRIVEN")]
    for d in letters:
        lt = d.letter
        rows.append((d.id, d.service, lt.stage, lt.reason_code, _short(lt.reason, 40),
                     f"{lt.topic}/{lt.partition}@{lt.offset}", "yes" if d.id in done else "no"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), file=out)
    print(f"{len(letters)} dead letter(s)", file=out)
    return 0


async def show(settings: Settings, dead_letter_id: str, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    match = [d for d in await read_dead_letters(settings) if d.id == dead_letter_id]
    if not match:
        print(f"wic dlq show: no dead letter {dead_letter_id}", file=sys.stderr)
        return 1
    d, lt = match[0], match[0].letter
    done = (await redriven(settings)).get(d.id)
    key = lt.original_key()
    print(f"id:           {d.id}\nservice:      {d.service} (dead-letter offset {d.dl_offset})\n"
          f"stage:        {lt.stage}\nreason code:  {lt.reason_code}\nreason:       {lt.reason}\n"
          f"original:     {lt.topic} partition {lt.partition} offset {lt.offset}\n"
          f"failed at:    {lt.failed_at.isoformat()}\nattempt:      {lt.attempt}\n"
          f"key:          {key.decode(errors='replace') if key is not None else '(none)'}\n"
          f"redriven:     {f'yes, to {done[0]} offset {done[1]}' if done else 'no'}\nvalue:",
          file=out)
    raw = lt.original_value()
    try:
        text = orjson.dumps(orjson.loads(raw), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        text = repr(raw)
    print("  " + text.replace("\n", "\n  "), file=out)
    return 0


def _target_allowed(topic: str, prefix: str) -> bool:
    """Only a registry topic under the current prefix: a dead letter never picks a new topic."""
    return any(t.name(prefix) == topic for t in ALL)


async def redrive(settings: Settings, ids: Sequence[str] = (), *, all_: bool = False,
                  service: str | None = None, reason_code: str | None = None,
                  force: bool = False, out: TextIO | None = None,
                  err: TextIO | None = None) -> int:
    """Re-drive the given dead letters (or all matching); 1 if any was refused."""
    out, err = out or sys.stdout, err or sys.stderr
    letters = await read_dead_letters(settings, service)
    if all_:
        chosen = [d for d in letters if reason_code is None or d.letter.reason_code == reason_code]
    else:
        by_id = {d.id: d for d in letters}
        missing = [i for i in ids if i not in by_id]
        for i in missing:
            print(f"wic dlq redrive: no dead letter {i}", file=err)
        chosen = [by_id[i] for i in ids if i in by_id]
    refused = len(chosen) < len(ids)
    conn = await asyncpg.connect(settings.database_url, timeout=10)
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, **kafka_security(settings),
                                acks="all")
    await producer.start()
    try:
        await conn.execute(REDRIVES_DDL)
        for d in chosen:
            ok = await _redrive_one(conn, producer, settings, d, force, out, err, quiet=all_)
            refused = refused or not ok
    finally:
        await producer.stop()
        await conn.close()
    return 1 if refused and not all_ else 0


async def _redrive_one(conn: asyncpg.Connection, producer: AIOKafkaProducer, settings: Settings,
                       d: DeadLetter, force: bool, out: TextIO, err: TextIO, quiet: bool) -> bool:
    lt = d.letter
    if not _target_allowed(lt.topic, settings.topic_prefix):
        print(f"{d.id}: refused: original topic {lt.topic} is not a registry topic under "
              f"prefix {settings.topic_prefix!r}", file=err)
        return False
    attempt = lt.attempt + 1
    # Claim, send, record the offset, commit: a crash before commit leaves no claim (and a
    # duplicate send is harmless: services deduplicate by event id).
    async with conn.transaction():
        claimed = await conn.fetchval(
            "INSERT INTO ops.redrives (dead_letter_id, target_topic, attempt) VALUES ($1, $2, $3)"
            " ON CONFLICT (dead_letter_id) DO " + ("UPDATE SET redriven_at = now(), "
            "attempt = EXCLUDED.attempt" if force else "NOTHING") + " RETURNING true",
            d.id, lt.topic, attempt)
        if not claimed:
            if not quiet:
                print(f"{d.id}: refused: already re-driven (use --force to send it again)",
                      file=err)
            return quiet  # with --all, skipping what was done is the point, not an error
        meta = await producer.send_and_wait(
            lt.topic, lt.original_value(), key=lt.original_key(), partition=None,
            headers=[("wic-redrive-of", d.id.encode()), ("wic-attempt", str(attempt).encode())])
        await conn.execute("UPDATE ops.redrives SET target_offset = $2 WHERE dead_letter_id = $1",
                           d.id, meta.offset)
    print(f"{d.id}: re-driven to {lt.topic} partition {meta.partition} offset {meta.offset} "
          f"(attempt {attempt})", file=out)
    return True


EPILOG = """\
examples:
  wic dlq list                                   the 50 most recent dead letters, all services
  wic dlq list --service encounter --limit 10
  wic dlq show 7d0c…                             reason, origin and the original message
  wic dlq redrive 7d0c…                          send it again to its original topic
  wic dlq redrive --all --service encounter --reason-code unknown_institution
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "dlq", help="list, show and re-drive dead-lettered messages",
        description="Dead letters are rejected input kept with its reason and original bytes "
        "on the <service>-deadletters topics. Re-driving sends the original bytes again to "
        "the original topic, once per dead letter (recorded in PostgreSQL ops.redrives).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="dlq_command", metavar="ACTION", required=True)
    services = [w.value for w in DEADLETTERS]
    lp = sub.add_parser("list", help="table of dead letters, newest last")
    lp.add_argument("--service", choices=services, help="only this service's dead letters")
    lp.add_argument("--limit", type=int, default=50, metavar="N",
                    help="show the N most recent (default 50)")
    lp.set_defaults(func=lambda a: asyncio.run(list_(settings_mod.load(), a.service, a.limit)))
    sp = sub.add_parser("show", help="everything about one dead letter, incl. the original")
    sp.add_argument("id", metavar="ID", help="dead letter id (first column of `dlq list`)")
    sp.set_defaults(func=lambda a: asyncio.run(show(settings_mod.load(), a.id)))
    rp = sub.add_parser("redrive", help="republish original messages to their topics")
    rp.add_argument("ids", nargs="*", metavar="ID", help="dead letter ids to re-drive")
    rp.add_argument("--all", dest="all_", action="store_true",
                    help="every not-yet-re-driven dead letter (narrow with --service, "
                    "--reason-code)")
    rp.add_argument("--service", choices=services, help="only this service's dead letters")
    rp.add_argument("--reason-code", metavar="C", help="only dead letters with this reason code")
    rp.add_argument("--force", action="store_true",
                    help="re-drive even if already re-driven (the service deduplicates by id)")
    rp.set_defaults(func=_redrive_cli)


def _redrive_cli(args: argparse.Namespace) -> int:
    if bool(args.ids) == args.all_:
        print("wic dlq redrive: give dead letter ids or --all (not both)", file=sys.stderr)
        return 2
    return asyncio.run(redrive(settings_mod.load(), args.ids, all_=args.all_,
                               service=args.service, reason_code=args.reason_code,
                               force=args.force))

