"""The end of a chaos run: what the log and the public interfaces say, counted (issue 14 item 1).

Everything is read from offset zero of the run's topics, never from the run's own memory of
what it saw on the way:
- every input the run sent is answered: a reply whose `causation_id` is the input's
  `event_id` (hospital-replies, registration-replies, claim-replies, clearing-replies,
  gateway-outbound) or a dead letter on `<service>-deadletters` whose `original_event_id` is
  it. Two replies with different event ids for one input count as duplicated (a hospital told
  two different things, as in issue 14 finding 1); a byte-identical re-emission (same event
  id) after a crash is the design working and counts as a redelivery only;
- every discharged encounter is settled exactly once per revision: one `EncounterSettled` or
  `EncounterReimbursable` per (encounter, revision) on settlement-events by distinct event
  id — deduplicating by event id never hides a second, different settlement;
- every direct settlement and every reversal is posted once on clearing-events
  (`LedgerPosted` by kind and reference, distinct event ids);
- the ledger's balances and every cycle's nets sum to zero (the clearing read model).
`wic verify` (read models = rebuild, cross-service checks) runs after these.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts import topics
from contracts.settings import Settings, kafka_security

REPLIES = (topics.REGISTRATION_REPLIES, topics.HOSPITAL_REPLIES, topics.CLAIM_REPLIES,
           topics.CLEARING_REPLIES, topics.GATEWAY_OUTBOUND)
DEAD_LETTERS = (topics.REGISTRATION_DEADLETTERS, topics.ENCOUNTER_DEADLETTERS,
                topics.SETTLEMENT_DEADLETTERS, topics.CLEARING_DEADLETTERS)
SETTLED = ("EncounterSettled", "EncounterReimbursable")


@dataclass
class Findings:
    sent: int = 0
    answered: int = 0
    unanswered: list[str] = field(default_factory=list)
    contradictory: list[str] = field(default_factory=list)  # >1 distinct reply to one input
    redelivered_replies: int = 0  # same reply event id seen more than once
    encounters: int = 0
    settled: int = 0
    unsettled: list[str] = field(default_factory=list)
    unsettled_why: dict[str, str] = field(default_factory=dict)  # what the log says of each
    settled_twice: list[str] = field(default_factory=list)
    settlements: int = 0
    unposted: list[str] = field(default_factory=list)
    posted_twice: list[str] = field(default_factory=list)
    ledger_sum_fen: int = 0
    cycles: int = 0
    cycles_not_zero: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return len(self.unanswered) + len(self.unsettled) + len(self.unposted)

    @property
    def duplicated(self) -> int:
        return len(self.contradictory) + len(self.settled_twice) + len(self.posted_twice)

    def problems(self) -> list[str]:
        out = [f"input {i} got no reply and no dead letter" for i in self.unanswered[:10]]
        out += [f"input {i} got more than one distinct reply" for i in self.contradictory[:10]]
        out += [f"encounter {e} was discharged but never settled "
                f"({self.unsettled_why.get(e, 'not examined')})" for e in self.unsettled[:10]]
        out += [f"encounter {e} settled twice (distinct event ids)"
                for e in self.settled_twice[:10]]
        out += [f"{s} is not posted in the ledger" for s in self.unposted[:10]]
        out += [f"{s} is posted more than once" for s in self.posted_twice[:10]]
        if self.ledger_sum_fen:
            out.append(f"the ledger's balances sum to {self.ledger_sum_fen} fen, not 0")
        out += [f"cycle {c}: nets do not sum to 0" for c in self.cycles_not_zero[:10]]
        return out


async def read_all(bootstrap: str, names: Iterable[str]) -> list[dict[str, object]]:
    """Every record of the topics from offset zero to their current end, decoded as JSON."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **kafka_security(), group_id=None,
                                enable_auto_commit=False, max_partition_fetch_bytes=4 << 20)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        tps = [TopicPartition(t, p) for t in names for p in cluster.partitions_for_topic(t) or ()]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        for tp in tps:
            await consumer.position(tp)
        ends = await consumer.end_offsets(tps)
        left = {tp for tp in tps if ends[tp] > 0}
        out: list[dict[str, object]] = []
        while left:
            batches = await consumer.getmany(timeout_ms=1000)
            for tp, records in batches.items():
                if tp not in left:
                    continue
                for r in records:
                    if r.offset < ends[tp] and r.value is not None:
                        out.append(orjson.loads(r.value))
                if records and records[-1].offset >= ends[tp] - 1:
                    left.discard(tp)
        return out
    finally:
        await consumer.stop()


def _answers(findings: Findings, sent: Iterable[uuid.UUID],
             replies: list[dict[str, object]], dead: list[dict[str, object]]) -> None:
    by_cause: dict[str, set[str]] = defaultdict(set)
    seen: set[str] = set()
    for r in replies:
        eid = str(r["event_id"])
        if eid in seen:
            findings.redelivered_replies += 1
        seen.add(eid)
        if r.get("causation_id"):
            by_cause[str(r["causation_id"])].add(eid)
    dead_letters = {str(p.get("original_event_id")) for d in dead
                    if isinstance(p := d.get("payload"), dict)}
    for i in sent:
        findings.sent += 1
        key = str(i)
        distinct = by_cause.get(key, set())
        if distinct or key in dead_letters:
            findings.answered += 1
        else:
            findings.unanswered.append(key)
        if len(distinct) > 1:
            findings.contradictory.append(key)


def _settlements(findings: Findings, discharged: Iterable[str],
                 events: list[dict[str, object]], ledger: list[dict[str, object]]) -> None:
    per_revision: dict[tuple[str, int], set[str]] = defaultdict(set)
    made: dict[tuple[str, str], None] = {}  # (kind, settlement id) that must be posted
    for e in events:
        payload = e["payload"]
        assert isinstance(payload, dict)
        if e["type"] in SETTLED:
            per_revision[(str(payload["encounter_id"]), int(payload["revision"]))].add(
                str(e["event_id"]))
        if e["type"] == "EncounterSettled":
            made[("settlement", str(payload["settlement_id"]))] = None
        elif e["type"] == "SettlementReversed":
            made[("reversal", str(payload["settlement_id"]))] = None
    encounters: dict[str, int] = defaultdict(int)
    for (eid, _), ids in per_revision.items():
        encounters[eid] += 1
        if len(ids) > 1:
            findings.settled_twice.append(eid)
    for eid in discharged:
        findings.encounters += 1
        if encounters.get(eid):
            findings.settled += 1
        else:
            findings.unsettled.append(eid)
    posted: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in ledger:
        payload = e["payload"]
        assert isinstance(payload, dict)
        if e["type"] == "LedgerPosted" and payload.get("kind") in ("settlement", "reversal"):
            posted[(str(payload["kind"]), str(payload["reference"]))].add(str(e["event_id"]))
    findings.settlements = len(made)
    for key in made:
        n = len(posted.get(key, ()))
        if n == 0:
            findings.unposted.append(f"{key[0]} {key[1]}")
        elif n > 1:
            findings.posted_twice.append(f"{key[0]} {key[1]}")


def _why_unsettled(findings: Findings, encounter_events: list[dict[str, object]],
                   dead: list[dict[str, object]]) -> None:
    """Where each unsettled encounter's trail stops: no discharge event from encounter, a
    settlement dead letter (with its reason), or a discharge event settlement said nothing
    about — the last one is a lost input."""
    wanted = set(findings.unsettled)
    discharges: dict[str, list[str]] = defaultdict(list)
    for e in encounter_events:
        payload = e["payload"]
        if (e["type"] == "EncounterDischarged" and isinstance(payload, dict)
                and isinstance(enc := payload.get("encounter"), dict)
                and (eid := str(enc.get("encounter_id"))) in wanted):
            discharges[eid].append(str(e["event_id"]))
    refused = {str(p.get("original_event_id")): f"{p.get('reason_code')}: {p.get('reason')}"
               for d in dead if isinstance(p := d.get("payload"), dict)}
    for eid in findings.unsettled:
        ids = discharges.get(eid)
        if not ids:
            findings.unsettled_why[eid] = "no EncounterDischarged on encounter-events"
            continue
        reasons = [refused[i] for i in ids if i in refused]
        findings.unsettled_why[eid] = (
            f"EncounterDischarged {ids[0]} dead-lettered by settlement: {reasons[0]}" if reasons
            else f"EncounterDischarged {ids[0]} on encounter-events, no answer from settlement")


async def _sums(findings: Findings, database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        findings.ledger_sum_fen = int(await conn.fetchval(
            "SELECT COALESCE(SUM(balance_fen), 0) FROM clearing.balances"))
        rows = await conn.fetch("SELECT c.cycle_id, COALESCE(SUM(n.net_fen), 0) AS total, "
                                "count(n.party) AS parties FROM clearing.cycles c LEFT JOIN "
                                "clearing.cycle_nets n USING (cycle_id) GROUP BY 1 ORDER BY 1")
        findings.cycles = len(rows)
        findings.cycles_not_zero = [r["cycle_id"] for r in rows if r["total"] != 0]
    finally:
        await conn.close()


async def check(settings: Settings, sent: Iterable[uuid.UUID], discharged: Iterable[str]
                ) -> Findings:
    p = settings.topic_prefix
    findings = Findings()
    replies = await read_all(settings.bootstrap, [t.name(p) for t in REPLIES])
    dead = await read_all(settings.bootstrap, [t.name(p) for t in DEAD_LETTERS])
    _answers(findings, sent, replies, dead)
    events = await read_all(settings.bootstrap, [topics.SETTLEMENT_EVENTS.name(p)])
    ledger = await read_all(settings.bootstrap, [topics.CLEARING_EVENTS.name(p)])
    _settlements(findings, discharged, events, ledger)
    if findings.unsettled:
        _why_unsettled(findings, await read_all(
            settings.bootstrap, [topics.ENCOUNTER_EVENTS.name(p)]), dead)
    await _sums(findings, settings.database_url)
    return findings
