"""The main job: a realistic month through the whole system, then proof by replay.

Each run gets its own topic prefix and database (`demo-<time>.`, `demo_<time>_…`), so
runs never mix; services, reference data and traffic all use them.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg

from contracts.envelope import Envelope
from contracts.message import Message
from contracts.settings import Settings, load
from infra import databases, services
from infra.layout import LOCAL
from infra.topics import ensure_topics
from ops import reference
from ops.demo import benefits, claims, clearing, gateway, hospitals, platform, registrations, report
from ops.demo import world as w
from ops.demo.client import Client, get_json, post_json
from ops.demo.story import Step
from ops.lag import consumer_lag
from ops.progress import Progress
from ops.verify import verify

SAMPLE = Path(__file__).resolve().parents[2] / "reference" / "sample"


class ScenarioFailed(RuntimeError):
    """The system answered something the scenario did not expect."""


@dataclass
class Run:
    settings: Settings
    client: Client
    procs: dict[str, services.ServiceProcess]
    verbose: bool
    out: Path  # the run's directory: logs, and the files the agency files
    failures: int = 0

    def say(self, text: str) -> None:
        print(text, flush=True)

    async def steps(self, title: str, steps: Sequence[Step], quiet_after: int = 40
                    ) -> list[Envelope[Message]]:
        """Send every step in order, then check each answer against what was expected."""
        self.say(f"\n== {title} ({len(steps)} messages)")
        progress = Progress(title, len(steps)) if len(steps) > quiet_after else None
        sent = []
        for step in steps:
            sent.append(await self.client.send(step.topic, step.payload, key=step.key,
                                               when=step.when, source=step.source,
                                               actor=step.actor))
            if progress:
                progress.advance()
        answers = await self.client.answers_to(sent, timeout=120)
        if progress:
            progress.finish()
        for i, (step, answer) in enumerate(zip(steps, answers, strict=True)):
            self.check(step, outcome(answer), show=self.verbose or i < quiet_after)
        return answers

    def check(self, step: Step, got: str, show: bool) -> None:
        who = f"[{step.actor.name} {step.actor.id}] " if step.actor else ""
        self.expect(who + step.says, got, step.expect, show)

    def expect(self, says: str, got: str, expected: str = "equal", show: bool = True) -> None:
        ok = got == expected or got.startswith(expected + ":")
        if not ok:
            self.failures += 1
        if show or not ok:
            mark = "ok " if ok else "UNEXPECTED"
            self.say(f"  {mark} {says}  -> {got}" + ("" if ok else f" (expected {expected})"))


def outcome(answer: object) -> str:
    payload = getattr(answer, "payload", None)
    kind = type(payload).__name__
    if kind == "MessageRejected":
        return str(payload.reason_code)  # type: ignore[union-attr]
    if kind == "AdmissionAnswered":
        reasons = ",".join(payload.not_direct_reasons)  # type: ignore[union-attr]
        return "accepted: " + ("direct settlement" if payload.direct_settlement  # type: ignore[union-attr]
                               else f"not direct ({reasons})")
    if kind == "PreSettlementAnswered":
        return (f"pre-settled: fund {report.yuan(payload.fund_fen)}, self "  # type: ignore[union-attr]
                f"{report.yuan(payload.self_fen)}, employer "  # type: ignore[union-attr]
                f"{report.yuan(payload.employer_fen)}")  # type: ignore[union-attr]
    if kind == "GatewayClaimAnswered":
        return ("accepted" if payload.accepted  # type: ignore[union-attr]
                else "refused: " + ",".join(payload.reason_codes))  # type: ignore[union-attr]
    return "accepted"


async def prepare(run_id: str, base: Settings) -> Settings:
    url = await databases.create(f"demo_{run_id}", base.database_url)
    prefix = f"demo-{run_id}."
    await ensure_topics(base.bootstrap, prefix)
    settings = Settings(bootstrap=base.bootstrap, database_url=url, topic_prefix=prefix)
    envs = reference.read_envelopes(reference.files_under(SAMPLE))
    published, _ = await reference.publish(envs, settings)
    print(f"reference data: {published} effective-dated records from {SAMPLE.name}/ "
          "(institutions, catalogs, pilot cities, credentials)")
    return settings


async def until(what: str, check: object, timeout: float = 120.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.3)
    raise ScenarioFailed(f"timed out waiting for {what}")


async def quiescent(settings: Settings, polls: int = 3) -> None:
    """Wait until every consumer group of this run has consumed everything (lag 0, several
    polls in a row): each service has decided, and each read model has caught up."""
    calm = 0

    async def idle() -> bool:
        nonlocal calm
        lags = await consumer_lag(settings)
        calm = calm + 1 if lags and sum(entry.lag for entry in lags) == 0 else 0
        return calm >= polls
    await until("the services to consume everything", idle)


async def coverage_known(run: Run, people: dict[str, registrations.Registered]) -> None:
    """The encounter service has absorbed every approved registration (SD-ENC-1), asked
    as a hospital asks before admitting (with its credential: reads are authorized)."""
    # every encounter worker is asked (issue 17: each answers for every worker)
    urls = [p.url for p in run.procs.values() if p.service == "encounter"]
    credential = f"sample-token-{w.HOSPITAL[w.JINAN]}"

    async def known() -> bool:
        codes = [get_json(f"{url}/workers/{p.worker.worker_id}/coverage",
                          token=credential)[0]
                 for p in people.values() for url in urls]
        return all(code == 200 for code in codes)
    await until("encounter to know every registration", known)


async def month_cycles(settings: Settings, month: str) -> list[str]:
    conn = await asyncpg.connect(settings.database_url)
    try:
        rows = await conn.fetch("SELECT cycle_id FROM clearing.cycles WHERE month = $1 "
                                "ORDER BY cycle_id", month)
        return [r["cycle_id"] for r in rows]
    finally:
        await conn.close()


async def hospital_traffic(run: Run, stays: list[hospitals.Stay]
                           ) -> dict[str, tuple[int, ...]]:
    """Every stay's messages; returns the pre-settlements answered, per encounter id."""
    referral = stays[0]
    body = referral.build()
    admission, lines, discharge = body[0], body[1:-1], body[-1]
    run.say("\n== hospital over HTTP: referral's Jinan hospital has no Kafka client")
    # the last encounter worker: with --workers 2 its answer may be decided by the other
    ingress = [p for p in run.procs.values() if p.service == "encounter"][-1]
    status, answer = post_json(
        f"{ingress.url}/hospital/messages",
        {"type": admission.payload.message_type, "schema_version": 1,
         "payload": admission.payload.model_dump(mode="json")},
        token=f"sample-token-{referral.institution}")
    reply = answer.get("reply", {})
    run.check(admission, "accepted: direct settlement" if reply.get("direct_settlement")
              else f"HTTP {status} {answer}", show=True)
    steps = lines + hospitals.out_of_catalog(referral) + [discharge]
    for stay in stays[1:]:
        steps += stay.build()
    answers = await run.steps("hospital traffic on Kafka: admissions, charge lines, "
                              "pre-settlement, discharges", steps)
    await run.steps("a correction after discharge (SD 1(6): reverse, settle again)",
                    hospitals.correction_after_discharge(referral))
    return {a.payload.encounter_id: platform.split_of(a.payload.model_dump())  # type: ignore[attr-defined]
            for a in answers if type(a.payload).__name__ == "PreSettlementAnswered"}


async def pre_settlements_held(run: Run, asked: dict[str, tuple[int, ...]]) -> None:
    """2303/2206: discharged the same day with nothing changed, the final settlement is
    exactly what the pre-settlement said, fund / self / employer to the fen."""
    run.say("\n== pre-settlement against the final settlement (2303/2206)")
    for encounter_id, said in asked.items():
        got = await asyncio.to_thread(platform.settled_split,
                                      run.procs["settlement"].url, encounter_id)
        run.expect(f"{encounter_id}: settled fund/self/employer "
                   f"{' / '.join(report.yuan(x) for x in got)}",
                   "equal" if got == said else
                   f"pre-settlement said {' / '.join(report.yuan(x) for x in said)}")


async def files_filed(run: Run, cycle_id: str, encounter_id: str) -> None:
    """The statement CSV and a settlement slip, as the finance department files them."""
    run.say("\n== files the finance department keeps (statement CSV, settlement slip PDF)")
    path, in_file, in_json = await asyncio.to_thread(
        platform.statement_file, run.procs["clearing"].url, cycle_id, run.out)
    run.expect(f"statement {cycle_id}: {path} (合计 {report.yuan(in_file)}) against the JSON",
               "equal" if in_file == in_json else f"JSON says {report.yuan(in_json)}")
    slip = await asyncio.to_thread(platform.settlement_slip, run.procs["settlement"].url,
                                   encounter_id, run.out)
    run.say(f"  ok  settlement slip (结算单) {slip} ({slip.stat().st_size} bytes)")


async def reconciled(run: Run, cycle_ids: list[str]) -> None:
    """3201/3202: a hospital reconciles a cycle before booking its last settlement notice
    (totals mismatch; the detail names that settlement), then after booking it (match)."""
    urls = run.procs["clearing"].url, run.procs["settlement"].url
    institutions = sorted({*w.HOSPITAL.values(), w.REHAB_JINAN, w.DEVICES_JINAN})
    best: tuple[str, str, list[dict[str, int | str]]] | None = None
    for cid in cycle_ids:  # the first institution with two notices, else the largest book
        for inst in institutions:
            book = await asyncio.to_thread(platform.hospital_book, *urls, cid, inst)
            if book and (best is None or len(book) > len(best[2])):
                best = cid, inst, book
        if best and len(best[2]) >= 2:
            break
    if best is None:
        raise ScenarioFailed("no cycle holds a settlement to reconcile")
    cid, inst, book = best
    run.say(f"\n== reconciliation (对账 3201/3202): {inst} and cycle {cid}")
    unbooked = book[-1]["settlement_id"]
    for detail, entries, expected in ((False, book[:-1], "mismatch"),
                                      (True, book[:-1], "mismatch"), (False, book, "match")):
        answer = await asyncio.to_thread(platform.reconcile, urls[0], inst, cid, entries, detail)
        named = {d["settlement_id"]: d["reasons"] for d in answer.get("differences", [])}
        got = answer["result"]
        if detail and named != {unbooked: ["missing_at_institution"]}:
            got = f"differences {named}"
        run.expect(f"{answer['transaction']} with {len(entries)} of {len(book)} settlements "
                   f"booked" + (f": names {unbooked}" if detail else ""), got, expected)


async def scenario(run: Run, size: int) -> None:
    cast = w.Cast()
    regs = registrations.build(cast, generic=size)
    await run.steps("registrations (SD-REG-1..7)", regs.steps)
    await coverage_known(run, regs.people)
    await run.steps("prepayments", clearing.prepayments())
    stays = hospitals.stays(regs.people, generic=size)
    asked = await hospital_traffic(run, stays)
    await quiescent(run.settings)
    await pre_settlements_held(run, asked)
    ids = {s.person: s.encounter_id for s in stays}
    await run.steps("reimbursement claims (XM-10/17/19/20)", claims.build(regs.people, ids))
    await run.steps("benefits: facts, a one-time claim, monthly runs (XM-21…27)",
                    benefits.build(cast.worker(w.JINAN, "benefits")))
    stranger = cast.worker(w.JINAN, "stranger")
    await run.steps("cross-provincial gateway (Ed25519-signed)",
                    gateway.build(regs.people, stranger))
    await quiescent(run.settings)
    cycles = await month_cycles(run.settings, w.MONTH)
    await run.steps(f"clearing close {w.MONTH}",
                    clearing.close(cycles, date(2024, 6, 3), date(2024, 6, 5),
                                   date(2024, 6, 7)))
    await files_filed(run, cycles[0], next(iter(asked)))
    await reconciled(run, cycles)
    await run.steps("audit refusal after the close",
                    clearing.refusal(f"S-{stays[0].encounter_id}-r1"))
    await quiescent(run.settings)


async def prove(run: Run, months: tuple[str, ...]) -> str:
    """Print the statement, then rebuild every read model from offset zero and compare."""
    live = await report.render(run.settings.database_url, "clearing", months)
    run.say("\n" + await report.claims(run.settings.database_url))
    run.say("\n" + await report.benefits(run.settings.database_url))
    run.say("\n" + live)
    run.say("\n== proof: rebuild every read model from offset zero and compare with live")
    code = await verify(run.settings, "all")
    if code != 0:
        raise ScenarioFailed("a rebuild from the log differs from the live read model")
    return live


async def main(size: int, keep: bool, verbose: bool, workers: int = 1) -> int:
    base = load()
    run_id = datetime.now(UTC).strftime("%Y%m%d%H%M%S")  # names the run; decides nothing
    settings = await prepare(run_id, base)
    log_dir = LOCAL / "demo" / run_id
    print(f"run {run_id}: topics {settings.topic_prefix}*, database "
          f"{settings.database_url.rsplit('/', 1)[1]}, logs {log_dir}")
    procs = await asyncio.to_thread(services.start_all, settings.topic_prefix,
                                    settings.database_url, settings.bootstrap, log_dir,
                                    ports={services.CONSOLE: services.CONSOLE_PORT},
                                    console=True, workers=workers)
    print("services: " + ", ".join(f"{n} {p.url}" for n, p in procs.items()))
    try:
        async with Client(settings) as client:
            run = Run(settings, client, procs, verbose, log_dir)
            await scenario(run, size)
            await prove(run, (w.MONTH, "2024-06"))
        if run.failures:
            print(f"\ndemo: {run.failures} answers differed from the scenario", file=sys.stderr)
            return 1
        print("\ndemo: OK — the statement above is what the log rebuilds, to the fen.")
        print(f"inspect it: export WIC_TOPIC_PREFIX={settings.topic_prefix} "
              f"WIC_DATABASE_URL={settings.database_url}; wic dlq list; wic lag")
        return 0
    finally:
        if keep:
            print("services left running (--keep-running): " +
                  " ".join(str(p.proc.pid) for p in procs.values() if p.proc))
        else:
            services.stop_all(procs)
