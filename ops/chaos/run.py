"""A chaos run: the month's traffic while services are SIGKILLed and the stack restarted.

Issue 14, "What to build" 1-3. The run owns everything it touches: a private broker and
PostgreSQL (`ops.chaos.stack`, unless `private=False`: then the shared stack with its own
topic prefix and database, and no stack restarts), the four service processes, a topic
prefix and a database. A chaos plan of K SIGKILLs of random services plus one broker and
one PostgreSQL restart is drawn from the seed; each event fires when the run has received a
seeded share of its answers, after a seeded delay, so it lands mid-stream. One step
reproduces issue 14 finding 1 exactly (encounter stopped, a burst of hospital messages,
started, SIGKILLed 0.2-0.9 s after its /health answers 200, started again). At the end
`ops.chaos.checks` counts lost and duplicated from the log and `wic verify` proves the read
models.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

from aiokafka import AIOKafkaProducer

from contracts import envelope, wire
from contracts.encounter import RecordDischarge
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime.answers import Answers
from contracts.settings import Settings, kafka_security, load
from infra import cluster, databases, services
from infra.errors import StackError
from infra.layout import LOCAL
from infra.topics import delete_topics, ensure_topics
from ops import reference
from ops.chaos import checks, traffic
from ops.chaos.stack import PrivateStack, free_block
from ops.demo import claims, clearing, gateway
from ops.demo import world as w
from ops.demo.run import SAMPLE, month_cycles, outcome
from ops.demo.story import Step
from ops.lag import Lag, consumer_lag
from ops.progress import Progress
from ops.verify import verify

REPLY_TOPICS = checks.REPLIES


class ChaosFailed(RuntimeError):
    """The run could not go on (a bound hit, a service that would not serve again)."""


@dataclass(frozen=True)
class Options:
    seed: int = 14
    encounters: int = 100
    kills: int = 6
    max_seconds: float = 900.0
    burst: int = 3000  # hospital messages of the finding-1 step; 0 leaves the step out
    restart_stack: bool = True  # broker and PostgreSQL once each (private stack only)
    private: bool = True  # own broker and PostgreSQL; False: the shared stack, own prefix
    keep: bool = False  # leave topics, database and private stack for inspection
    # 3: the private Kafka is a three-node cluster (issue 17 item 5, `infra.cluster`), topics
    # replicated 3 times with min.insync.replicas=2; its "broker" fault SIGKILLs the node
    # that leads the ledger (clearing-events) while traffic goes on, and starts it again.
    brokers: int = 1
    restart_postgres: bool = True  # with restart_stack: PostgreSQL once too
    # issue 17: workers per service (an int for all, or per name; 1 for those not named),
    # and, if given, exactly which workers to SIGKILL (`infra.services.worker_key` names:
    # "encounter#1", "clearing") instead of `kills` random services
    workers: int | dict[str, int] = 1
    targets: tuple[str, ...] = ()


@dataclass
class Event:
    kind: str  # kill | broker | postgres | catch-up
    target: str
    at: float  # seconds since the run started
    serve_again: float = 0.0  # seconds from the fault until every affected service serves
    detail: str = ""


@dataclass
class Outcome:
    events: list[Event] = field(default_factory=list)
    sent: int = 0
    unexpected: list[str] = field(default_factory=list)
    exited: list[str] = field(default_factory=list)  # services that died by themselves
    findings: checks.Findings | None = None
    verify_code: int = -1
    seconds: float = 0.0
    holes_filled: list[str] = field(default_factory=list)  # the agents' log lines

    @property
    def ok(self) -> bool:
        f = self.findings
        return (f is not None and not f.problems() and not self.unexpected
                and not self.exited and self.verify_code == 0)


class Client:
    """Sends as agency clients, hospitals and gateways do; reads every reply topic."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, acks="all",
                                         **kafka_security(settings),
                                         enable_idempotence=True, linger_ms=5,
                                         request_timeout_ms=120_000)
        self.replies = Answers(settings, REPLY_TOPICS, every=self._answered)
        self.answers: dict[uuid.UUID, dict[str, Any]] = {}
        self.distinct: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        self.sent: list[uuid.UUID] = []
        self.broker_up = asyncio.Event()
        self.broker_up.set()

    async def start(self) -> None:
        await self.producer.start()
        await self.replies.start()

    async def stop(self) -> None:
        await self.replies.stop()
        with contextlib.suppress(Exception):
            await self.producer.stop()

    def _answered(self, env: Envelope[Message]) -> None:
        assert env.causation_id is not None
        self.answers.setdefault(env.causation_id, {"env": env})
        self.distinct[env.causation_id].add(env.event_id)

    async def send(self, step: Step) -> uuid.UUID:
        await self.broker_up.wait()
        env = envelope.new(step.payload, key=step.key, occurred_at=step.when,
                           source=step.source, actor=step.actor)
        await self.producer.send(step.topic.name(self.settings.topic_prefix), wire.encode(env),
                                 key=step.key.encode())
        self.sent.append(env.event_id)
        return env.event_id


@dataclass
class Run:
    opts: Options
    settings: Settings
    procs: dict[str, services.ServiceProcess]
    client: Client
    stack: PrivateStack | None
    rng: random.Random
    out: Outcome
    stream: TextIO | None = None
    started: float = field(default_factory=time.monotonic)
    exclusive: asyncio.Lock = field(default_factory=asyncio.Lock)
    traffic_done: asyncio.Event = field(default_factory=asyncio.Event)
    expected_answers: int = 1

    def say(self, text: str) -> None:
        print(text, flush=True, file=self.stream)

    def left(self) -> float:
        remaining = self.opts.max_seconds - (time.monotonic() - self.started)
        if remaining <= 0:
            raise ChaosFailed(f"--max-seconds {self.opts.max_seconds:.0f} reached")
        return remaining

    # --- traffic -------------------------------------------------------------------------
    async def send(self, title: str, steps: Sequence[Step]) -> list[tuple[Step, uuid.UUID]]:
        sent = [(step, await self.client.send(step)) for step in steps]
        await self.client.producer.flush()
        self.out.sent += len(sent)
        return sent

    async def answered(self, title: str, sent: list[tuple[Step, uuid.UUID]]) -> None:
        """Wait until every message sent has an answer, then compare it with the rules'."""
        progress = Progress(f"chaos: {title}", len(sent), unit="answers")
        while True:
            done = sum(1 for _, i in sent if i in self.client.answers)
            progress.update(done)
            if done == len(sent):
                break
            if time.monotonic() - self.started > self.opts.max_seconds:
                progress.finish()
                raise ChaosFailed(f"{title}: {len(sent) - done} of {len(sent)} messages "
                                  f"unanswered when --max-seconds was reached")
            await asyncio.sleep(0.2)
        progress.finish()
        for step, i in sent:
            got = outcome(self.client.answers[i]["env"])
            if not (got == step.expect or got.startswith(step.expect + ":")):
                self.out.unexpected.append(f"{step.says}: {got} (expected {step.expect})")

    async def steps(self, title: str, steps: Sequence[Step]) -> None:
        self.say(f"== {title} ({len(steps)} messages)")
        await self.answered(title, await self.send(title, steps))

    async def quiescent(self, polls: int = 3) -> None:
        """Every consumer group of the run has consumed everything, several polls in a row."""
        calm = 0
        lags: list[Lag] = []
        while calm < polls:
            try:
                self.left()
            except ChaosFailed as exc:
                behind = [f"{x.group} {x.topic}[{x.partition}] {x.lag}" for x in lags if x.lag]
                raise ChaosFailed(f"{exc} waiting for the consumers to catch up; behind: "
                                  + (", ".join(behind) or "lag unknown")) from None
            try:
                lags = await consumer_lag(self.settings)
            except Exception:
                lags = []
            calm = calm + 1 if lags and sum(x.lag for x in lags) == 0 else 0
            await asyncio.sleep(0.5)

    # --- faults --------------------------------------------------------------------------
    def _event(self, kind: str, target: str) -> Event:
        e = Event(kind, target, time.monotonic() - self.started)
        self.out.events.append(e)
        return e

    async def kill(self, name: str) -> Event:
        """SIGKILL one worker and start it again; serving again = the restarted worker
        answers and some worker of the service serves (for clearing: the standby took the
        ledger lease over, or the restarted worker did)."""
        e = self._event("kill", name)
        p = self.procs[name]
        began = time.monotonic()
        p.stop(kill=True)
        p.launch()
        await asyncio.to_thread(p.wait_ready, min(180.0, self.left()), p.service == "clearing")
        while not any(q.healthy() for q in self.procs.values() if q.service == p.service):
            self.left()
            await asyncio.sleep(0.1)
        e.serve_again = time.monotonic() - began
        self.say(f"chaos: SIGKILL {name} at {e.at:.1f}s; serving again after "
                 f"{e.serve_again:.1f}s")
        return e

    async def all_serving(self, quiet: bool) -> None:
        """Until each service answers /health 200 (and, if `quiet`, no read model failing).
        A service that exited by itself is a defect: it is noted and started again."""
        waiting = set(self.procs)
        while waiting:
            self.left()
            for name in sorted(waiting):
                p = self.procs[name]
                if p.proc is not None and p.proc.poll() is not None:
                    self.out.exited.append(f"{name} exited (code {p.proc.returncode}) at "
                                           f"{time.monotonic() - self.started:.0f}s")
                    self.say(f"chaos: DEFECT {name} exited by itself; log ends:\n{p.tail(15)}")
                    p.launch()
                    continue
                code, body = health(p.url)
                serving = code == 200 and (not quiet or not body.get("read_models_failing"))
                if serving or body.get("status") == "standby":  # clearing, waiting its turn
                    waiting.discard(name)
            await asyncio.sleep(0.2)

    async def kill_node(self) -> Event:
        """One of three brokers SIGKILLed mid-stream, traffic never paused: the ledger's
        leader, so the partition that must stay totally ordered fails over; started again
        after a few seconds, and the run goes on until it is back in the cluster."""
        assert self.stack is not None and self.stack.nodes is not None
        nodes = self.stack.nodes
        node = await ledger_leader(self.settings) or self.rng.randint(1, nodes.nodes)
        e = self._event("broker", f"kafka node {node}")
        down = self.rng.uniform(3.0, 8.0)
        await asyncio.to_thread(nodes.stop_node, node - 1, True)
        await asyncio.sleep(down)
        began = time.monotonic()
        await asyncio.to_thread(nodes.start_node, node - 1)
        await nodes.wait_brokers(timeout=min(120.0, self.left()))
        await nodes.wait_in_sync(self.settings.topic_prefix, timeout=min(120.0, self.left()))
        e.serve_again = time.monotonic() - began
        e.detail = (f"node {node} (ledger leader) SIGKILLed, down {down:.1f}s, rejoined and "
                    f"every partition in sync {e.serve_again:.1f}s after its start")
        self.say(f"chaos: {e.detail} at {e.at:.1f}s; traffic never paused")
        return e

    async def restart_broker(self) -> Event:
        assert self.stack is not None
        if self.stack.nodes is not None:
            return await self.kill_node()
        e = self._event("broker", "kafka")
        self.client.broker_up.clear()
        down = self.rng.uniform(3.0, 8.0)
        await asyncio.to_thread(self.stack.stop_kafka)
        await asyncio.sleep(down)
        took = await asyncio.to_thread(self.stack.start_kafka)
        back = time.monotonic()
        self.client.broker_up.set()
        await self.all_serving(quiet=False)
        e.serve_again = time.monotonic() - back
        e.detail = f"down {down:.1f}s, broker start {took:.1f}s"
        self.say(f"chaos: broker restarted at {e.at:.1f}s ({e.detail}); every service "
                 f"serving again {e.serve_again:.1f}s after the broker answered")
        return e

    async def restart_postgres(self) -> Event:
        assert self.stack is not None
        e = self._event("postgres", "postgresql")
        down = self.rng.uniform(3.0, 8.0)
        await asyncio.to_thread(self.stack.stop_postgres)
        await asyncio.sleep(down)
        await asyncio.to_thread(self.stack.start_postgres)
        back = time.monotonic()
        await self.all_serving(quiet=True)
        e.serve_again = time.monotonic() - back
        e.detail = f"down {down:.1f}s"
        self.say(f"chaos: PostgreSQL restarted at {e.at:.1f}s ({e.detail}); every read model "
                 f"running again {e.serve_again:.1f}s after it accepted connections")
        return e

    def plan(self) -> list[tuple[float, str]]:
        if self.opts.targets:  # these workers, in this order, spread over the traffic
            shares = sorted(self.rng.uniform(0.1, 0.8) for _ in self.opts.targets)
            return list(zip(shares, [f"kill:{t}" for t in self.opts.targets], strict=True))
        kinds = ["kill"] * self.opts.kills
        if self.stack is not None and self.opts.restart_stack:
            kinds += ["broker", "postgres"] if self.opts.restart_postgres else ["broker"]
        self.rng.shuffle(kinds)
        shares = sorted(self.rng.uniform(0.05, 0.9) for _ in kinds)
        return list(zip(shares, kinds, strict=True))

    async def chaos(self) -> None:
        for share, kind in self.plan():
            while (len(self.client.answers) < share * self.expected_answers
                   and not self.traffic_done.is_set()):
                await asyncio.sleep(0.1)
            await asyncio.sleep(self.rng.uniform(0.0, 1.5))
            async with self.exclusive:
                if kind.startswith("kill:"):
                    await self.kill(kind.removeprefix("kill:"))
                elif kind == "kill":
                    await self.kill(self.rng.choice(services.SERVICES))
                elif kind == "broker":
                    await self.restart_broker()
                else:
                    await self.restart_postgres()

    async def catch_up_crash(self, stays: list[list[Step]]) -> None:
        """Issue 14 finding 1, exactly: encounter stopped, a burst sent, encounter started,
        SIGKILLed 0.2-0.9 s after /health answers 200, started again; every message must
        then be answered (checked with the rest at the end)."""
        steps = [s for stay in stays for s in stay]
        self.say(f"== issue 14 finding 1: encounter stopped, a burst of {len(steps)} hospital "
                 "messages, started, SIGKILLed just after serving, started again")
        async with self.exclusive:
            e = self._event("catch-up", "encounter")
            enc = self.procs["encounter"]
            await asyncio.to_thread(enc.stop)
            sent = await self.send("burst", steps)
            enc.launch()
            await asyncio.to_thread(enc.wait_ready, min(180.0, self.left()))
            pause = self.rng.uniform(0.2, 0.9)
            await asyncio.sleep(pause)
            began = time.monotonic()
            enc.stop(kill=True)
            enc.launch()
            await asyncio.to_thread(enc.wait_ready, min(180.0, self.left()))
            e.serve_again = time.monotonic() - began
            e.detail = f"{len(steps)} messages, SIGKILL {pause:.2f}s after /health 200"
            self.say(f"chaos: encounter SIGKILLed {pause:.2f}s after serving; serving again "
                     f"after {e.serve_again:.1f}s")
        await self.answered("burst answered", sent)


async def ledger_leader(settings: Settings) -> int | None:
    """The node id leading clearing-events' one partition (None if unknown)."""
    from contracts import topics as registry
    from infra.topics import admin

    try:
        async with admin(settings.bootstrap) as client:
            (described,) = await client.describe_topics(
                [registry.CLEARING_EVENTS.name(settings.topic_prefix)])
    except Exception:
        return None
    leaders = [p["leader"] for p in described.get("partitions", []) if p["leader"] >= 0]
    return int(leaders[0]) if leaders else None


def health(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        with contextlib.suppress(ValueError):
            return err.code, json.loads(err.read() or b"{}")
        return err.code, {}
    except (OSError, ValueError):
        return 0, {}


async def scenario(run: Run) -> list[str]:
    """The month under chaos; returns the ids of the encounters it discharged."""
    opts = run.opts
    month = traffic.build(opts.encounters, opts.seed)
    generic = month.hospital[9:]
    burst_stays = min((opts.burst + 4) // 5, len(generic) - 1) if opts.burst else 0
    burst, rest = generic[:burst_stays], month.hospital[:9] + generic[burst_stays:]
    run.expected_answers = (len(month.regs.steps) + sum(map(len, month.hospital))
                            + len(month.after_discharge))
    chaos = asyncio.create_task(run.chaos())
    try:
        await run.steps("registrations (SD-REG-1..7)", month.regs.steps)
        await run.quiescent()  # encounter knows every registration before the admissions
        await run.steps("prepayments", clearing.prepayments())
        if burst:
            await run.catch_up_crash(burst)
        await run.steps("hospital traffic: admissions, lines, corrections, discharges",
                        [s for stay in rest for s in stay])
        await run.steps("corrections after discharge (reversed, settled again)",
                        month.after_discharge)
        await run.quiescent()
        await run.steps("reimbursement claims (XM-10/17/19/20)",
                        claims.build(month.regs.people, month.encounter_ids))
        stranger = month.cast.worker(w.JINAN, "stranger")
        await run.steps("cross-provincial gateway (Ed25519-signed)",
                        gateway.build(month.regs.people, stranger))
        await run.quiescent()
        cycles = await _retry(run, lambda: month_cycles(run.settings, w.MONTH))
        await run.steps(f"clearing close {w.MONTH}",
                        clearing.close(cycles, date(2024, 6, 3), date(2024, 6, 5),
                                       date(2024, 6, 7)))
        run.traffic_done.set()
        await asyncio.wait_for(asyncio.shield(chaos), run.left())
    finally:
        run.traffic_done.set()
        if not chaos.done():
            chaos.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await chaos
    if not chaos.cancelled() and (failed := chaos.exception()) is not None:
        raise failed
    await run.quiescent()
    return [stay.encounter_id for stay, steps in zip(month.stays, month.hospital, strict=True)
            if any(isinstance(s.payload, RecordDischarge) for s in steps)]


async def _retry(run: Run, fn: Any) -> Any:
    while True:
        run.left()
        try:
            return await fn()
        except (OSError, StackError) as exc:
            run.say(f"chaos: retrying after {exc}")
            await asyncio.sleep(1)


async def _prepare(settings: Settings) -> None:
    await ensure_topics(settings.bootstrap, settings.topic_prefix, replicas=settings.replication)
    envs = reference.read_envelopes(reference.files_under(SAMPLE))
    await reference.publish(envs, settings)


async def main(opts: Options, stream: TextIO | None = None) -> Outcome:
    """Run the chaos scenario; everything it created is deleted unless `opts.keep`."""
    if opts.brokers == 1:
        return await _main(opts, stream)
    # The services it starts inherit it (their changelogs get three replicas too); restored
    # after, so that a test session goes on with the single broker's replication.
    before = os.environ.get("WIC_KAFKA_REPLICATION")
    os.environ["WIC_KAFKA_REPLICATION"] = str(cluster.REPLICAS)
    try:
        return await _main(opts, stream)
    finally:
        if before is None:
            os.environ.pop("WIC_KAFKA_REPLICATION", None)
        else:
            os.environ["WIC_KAFKA_REPLICATION"] = before


async def _main(opts: Options, stream: TextIO | None = None) -> Outcome:
    rng = random.Random(opts.seed)
    tag = datetime.now(UTC).strftime("%Y%m%d%H%M%S") + f"-{opts.seed}"
    out = Outcome()
    stack: PrivateStack | None = None
    base = load()
    if opts.brokers != 1 and not opts.private:
        raise ChaosFailed("a cluster run needs its private stack (not --shared)")
    if opts.private:
        stack = PrivateStack.plan(tag, rng, opts.brokers)
        await asyncio.to_thread(stack.start)
        from infra.migrate import migrate

        await migrate(stack.database_url)
        # a prefix of the run's own: a service left over from an earlier run (the same seed
        # picks the same ports) cannot join this run's consumer groups
        settings = Settings(stack.bootstrap, stack.database_url, f"chaos-{tag}.",
                            replication=cluster.REPLICAS if stack.nodes else 1)
        url_base = stack.database_url
    else:
        url = await databases.create(f"chaos_{tag}", base.database_url)
        settings = Settings(base.bootstrap, url, f"chaos-{tag}.")
        url_base = base.database_url
    log_dir = (stack.home if stack else LOCAL / f"chaos-{tag}") / "services"
    print(f"chaos {tag}: seed {opts.seed}, {opts.encounters} encounters, {opts.kills} kills, "
          f"burst {opts.burst}, broker {settings.bootstrap}, database "
          f"{settings.database_url.rsplit('/', 1)[1]}, prefix {settings.topic_prefix}, "
          f"logs {log_dir}", file=stream, flush=True)
    procs: dict[str, services.ServiceProcess] = {}
    client = Client(settings)
    began = time.monotonic()
    try:
        await _prepare(settings)
        first = free_block(rng, len(services.SERVICES))
        ports = {n: first + i for i, n in enumerate(services.SERVICES)}
        procs = await asyncio.to_thread(services.start_all, settings.topic_prefix,
                                        settings.database_url, settings.bootstrap, log_dir,
                                        ports=ports, workers=opts.workers)
        await client.start()
        run = Run(opts, settings, procs, client, stack, rng, out, stream)
        discharged = await scenario(run)
        out.findings = await checks.check(settings, client.sent, discharged)
        out.verify_code = await verify(settings, "all")
    finally:
        out.seconds = time.monotonic() - began
        await client.stop()
        services.stop_all(procs)
        out.holes_filled = holes_filled(log_dir)
        if not opts.keep:
            if stack is not None:
                stack.close(keep=not out.ok)
            else:
                await delete_topics(settings.bootstrap, settings.topic_prefix)
                await databases.drop(settings.database_url, url_base)
    return out


HOLE = "handed over while"  # contracts.runtime.batching.InputPositions._fill logs it


def holes_filled(log_dir: Path) -> list[str]:
    """The services' log lines of holes their agents read from the broker themselves
    (issue 14 finding 1): faust handed over a record past records it never delivered."""
    found: list[str] = []
    for path in sorted(log_dir.glob("*.log")):
        with path.open(errors="replace") as log:
            found += [line.strip() for line in log if HOLE in line]
    return found


def report(opts: Options, out: Outcome) -> str:
    lines = ["", f"CHAOS RUN seed {opts.seed}: {opts.encounters} encounters, "
             f"{out.sent:,} messages sent, {out.seconds:.0f} s"]
    for e in out.events:
        lines.append(f"  {e.at:7.1f}s  {e.kind:<9} {e.target:<12} serving again after "
                     f"{e.serve_again:5.1f}s  {e.detail}")
    kills = [e.serve_again for e in out.events if e.kind == "kill"]
    if kills:
        lines.append(f"  SIGKILLs: {len(kills)}; serving again after min {min(kills):.1f}s, "
                     f"median {sorted(kills)[len(kills) // 2]:.1f}s, max {max(kills):.1f}s")
    f = out.findings
    if f is not None:
        lines += [
            f"  inputs answered: {f.answered:,} of {f.sent:,} (reply or dead letter); "
            f"replies re-emitted byte-identical after a crash: {f.redelivered_replies:,}",
            f"  discharged encounters settled: {f.settled:,} of {f.encounters:,}; settlements "
            f"and reversals posted once: {f.settlements - len(f.unposted) - len(f.posted_twice):,}"
            f" of {f.settlements:,}",
            f"  ledger sum {f.ledger_sum_fen} fen; {f.cycles} cycles, "
            f"{len(f.cycles_not_zero)} with nets not summing to 0",
            f"  LOST {f.lost}  DUPLICATED {f.duplicated}",
        ]
        lines += [f"  PROBLEM {p}" for p in f.problems()]
    lines += [f"  UNEXPECTED answer: {u}" for u in out.unexpected[:20]]
    lines += [f"  DEFECT {x}" for x in out.exited]
    lines.append(f"  holes faust left that the agents filled from the broker: "
                 f"{len(out.holes_filled)}")
    lines += [f"    {h[-160:]}" for h in out.holes_filled[:8]]
    lines.append(f"  wic verify: {'OK' if out.verify_code == 0 else 'FAILED'}")
    lines.append(f"chaos: {'OK' if out.ok else 'FAILED'}")
    return "\n".join(lines)
