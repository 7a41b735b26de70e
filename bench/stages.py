"""Which stage holds an admission's time: the per-stage marks of `contracts.runtime.trace`.

With `WIC_TRACE_FILE` set (inherited by the services), the encounter process writes a mark
per stage of every admission its ingress publishes, and the admission phase sets the two
topics of the answer's round trip to `LogAppendTime`, so that their records carry the
broker's append time. `report` prints, for the slowest admissions, every gap between
consecutive stages and names the largest, with what the trace noted meanwhile (event-loop
lags, faust's full stream buffers, long commits, fetches that waited out their timeout).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.stats import percentile
from contracts.settings import kafka_security
from contracts.topics import HOSPITAL_MESSAGES, HOSPITAL_REPLIES

SLOWEST = 10
# the hand-over to the agent split up (marks from the consumer thread to the agent's batch)
HAND_OVER = (("to faust's conductor (fetched -> main loop's conductor)", "fetched", "conductor"),
             ("to the agent's buffer (conductor -> batches() buffer)", "conductor", "buffered"),
             ("the batch window (buffer -> batch start)", "buffered", "agent.start"))
# (name of the gap, the stage it ends at); the first stage is the client's send
PATH = (("HTTP handler (client sent -> handler's send)", "ingress.send"),
        ("ingress producer (send -> broker append)", "appended"),
        ("agent fetch (append -> consumer thread fetched)", "fetched"),
        ("hand-over to the agent (fetched -> batch start)", "agent.start"),
        ("agent batch (start -> reply handed to producer)", "reply.send"),
        ("reply producer (handed over -> broker append)", "reply.appended"),
        ("reply waiter (append -> received)", "waiter.received"),
        ("response (received -> client got it)", "done"))


async def log_append_time(env: Any) -> None:
    """hospital-messages and hospital-replies of this run: timestamps set by the broker."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    admin = AIOKafkaAdminClient(bootstrap_servers=env.settings.bootstrap,
                                **kafka_security(env.settings))
    await admin.start()
    try:
        await admin.alter_configs([ConfigResource(
            ConfigResourceType.TOPIC, t.name(env.prefix),
            configs={"message.timestamp.type": "LogAppendTime"})
            for t in (HOSPITAL_MESSAGES, HOSPITAL_REPLIES)])
    finally:
        await admin.close()


def read(path: Path) -> tuple[dict[str, dict[str, float]], list[tuple[float, str, str]]]:
    marks: dict[str, dict[str, float]] = defaultdict(dict)
    notes: list[tuple[float, str, str]] = []
    for line in path.read_text().splitlines():
        parts = line.split(" ", 3)
        if len(parts) < 3:
            continue
        if parts[0] == "-":
            notes.append((float(parts[2]), parts[1], parts[3] if len(parts) > 3 else ""))
        else:
            marks[parts[0]].setdefault(parts[1], float(parts[2]))
            if parts[1] == "fetched" and len(parts) > 3:
                marks[parts[0]]["fetched.detail"] = 0.0
    return marks, notes


def report(path: Path, answered: list[tuple[float, float, str]], published: dict[str, float],
           replied: dict[str, float]) -> None:
    """Print the slowest admissions stage by stage (to the log), and the p99 of each gap."""
    if not path.exists():
        print(f"admission stages: no trace at {path}", file=sys.stderr)
        return
    marks, notes = read(path)
    rows = []
    for sent, done, eid in answered:
        m = {"sent": sent, "done": done, **marks.get(eid, {})}
        if eid in published:
            m["appended"] = published[eid]
        if eid in replied:
            m["reply.appended"] = replied[eid]
        rows.append((done - sent, eid, m))
    gaps: dict[str, list[float]] = defaultdict(list)
    for _, _, m in rows:
        prev = m["sent"]
        for name, stage in PATH:
            if stage in m:
                gaps[name].append(m[stage] - prev)
                prev = m[stage]
    print(f"admission stages ({len(rows)} traced): p50 / p99 / max ms", file=sys.stderr)
    for name, _ in PATH:
        g = gaps.get(name, [])
        if g:
            print(f"  {name}: {percentile(g, 50) * 1e3:.1f} / {percentile(g, 99) * 1e3:.1f}"
                  f" / {max(g) * 1e3:.1f}", file=sys.stderr)
    for name, start, end in HAND_OVER:
        g = [m[end] - m[start] for _, _, m in rows if start in m and end in m]
        if g:
            print(f"    hand-over {name}: {percentile(g, 50) * 1e3:.1f} / "
                  f"{percentile(g, 99) * 1e3:.1f} / {max(g) * 1e3:.1f}", file=sys.stderr)
    rows.sort(reverse=True)
    print(f"admission stages, the {SLOWEST} slowest:", file=sys.stderr)
    for total, eid, m in rows[:SLOWEST]:
        prev, worst, spans = m["sent"], ("?", 0.0), []
        for name, stage in PATH:
            if stage not in m:
                spans.append(f"{stage}=?")
                continue
            span = m[stage] - prev
            spans.append(f"{stage}+{span * 1e3:.0f}")
            if span > worst[1]:
                worst = (name, span)
            prev = m[stage]
        extra = [f"{k}+{(m[k] - m['sent']) * 1e3:.0f}" for k in ("ingress.acked", "reply.acked",
                                                                  "agent.end") if k in m]
        print(f"  {total * 1e3:7.1f} ms {eid[:8]} at {m['sent']:.3f}: held by {worst[0]} "
              f"({worst[1] * 1e3:.0f} ms) | {' '.join(spans)} | {' '.join(extra)}",
              file=sys.stderr)
        during = [f"{what}@{(t - m['sent']) * 1e3:.0f}ms {detail}" for t, what, detail in notes
                  if m["sent"] - 0.5 <= t <= m["done"] and what not in ("batch", "fetch")]
        if during:
            print(f"      meanwhile: {'; '.join(during[:12])}", file=sys.stderr)
