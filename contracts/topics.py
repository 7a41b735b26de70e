"""Every Kafka topic of the system, in one registry.

Infra creates topics from this list, tests loop over it, docs are checked against it.
No topic name is written as a string anywhere else: code says `topics.REGISTRATION_EVENTS`
and resolves the physical name with `.name(prefix)` (tests run with a per-test prefix).

Partitioning: every topic keyed by worker (resident id) has the same number of partitions,
one setting (`contracts.settings.worker_partitions()`, `WIC_WORKER_PARTITIONS`, default 12),
so that one worker's registration, hospital messages, encounter and settlement records are
co-partitioned: a service reads "this worker's registrations" from a local table on the same
partition it is processing, without calling anyone. Each service checks that count at
start-up (`contracts.runtime.partitions`). Money topics that need one total order (the
ledger) have a fixed single partition (`fixed_partitions=1`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from contracts.settings import worker_partitions

FOREVER = "-1"
WEEK_MS = str(7 * 24 * 3600 * 1000)


class Writer(StrEnum):
    """The one writer of each topic (outside parties are named as such); the same parties
    name a topic's readers. `contracts.acl` turns both into the broker's ACLs."""

    REGISTRATION = "registration"
    ENCOUNTER = "encounter"
    SETTLEMENT = "settlement"
    CLEARING = "clearing"
    BENEFITS = "benefits"
    OPERATOR = "operator"  # the `wic` CLI: reference data, re-drives
    AGENCY = "agency"  # insured-place agency clients (counter, online channel, offline upload)
    HOSPITAL = "hospital"  # agreement institutions' information systems (or our HTTP ingress)
    GATEWAY = "gateway"  # other provinces' gateways


@dataclass(frozen=True)
class Topic:
    base: str
    key: str
    values: str  # the contracts module whose models travel on it
    writer: Writer
    # Who consumes it besides its writer (a service always reads its own topics, and the
    # operator reads every topic: replay, verify, lag, dead letters).
    readers: tuple[Writer, ...] = ()
    # Services that also publish a narrow part of it, checked by its consumers
    # (reference-data: encounter publishes the institutions' own code mappings, 3301/3302;
    # `contracts.reference.written_by`).
    co_writers: tuple[Writer, ...] = ()
    # None: co-partitioned with every worker-keyed topic (the setting); a number: pinned.
    fixed_partitions: int | None = None
    retention_ms: str = FOREVER
    compacted: bool = False
    doc: str = ""
    extra_config: dict[str, str] = field(default_factory=dict)

    @property
    def co_partitioned(self) -> bool:
        """Does this topic take the worker-partition setting (and so must match the others)?"""
        return self.fixed_partitions is None

    @property
    def partitions(self) -> int:
        """Read when used, not at import: a process's environment decides (tests, bench)."""
        return self.fixed_partitions if self.fixed_partitions is not None \
            else worker_partitions()

    def name(self, prefix: str = "") -> str:
        return f"{prefix}{self.base}"

    def config(self) -> dict[str, str]:
        cfg = {"retention.ms": self.retention_ms}
        cfg["cleanup.policy"] = "compact" if self.compacted else "delete"
        cfg.update(self.extra_config)
        return cfg


REFERENCE_DATA = Topic(
    "reference-data", "dataset id", "contracts.reference", Writer.OPERATOR,
    readers=(Writer.ENCOUNTER, Writer.SETTLEMENT, Writer.CLEARING, Writer.BENEFITS),
    fixed_partitions=1, co_writers=(Writer.ENCOUNTER,),
    doc="Effective-dated reference data: institutions, catalogs, pilot membership, wages, "
    "benefit levels; institutions' code mappings (3301/3302, also written by encounter).",
)
REGISTRATION_COMMANDS = Topic(
    "registration-commands", "worker id", "contracts.registration", Writer.AGENCY,
    readers=(Writer.REGISTRATION,),
    doc="Apply / approve / reject / change / cancel / import-offline registrations.",
)
REGISTRATION_EVENTS = Topic(
    "registration-events", "worker id", "contracts.registration", Writer.REGISTRATION,
    doc="What happened to registrations (备案): the source of truth.",
)
REGISTRATION_COVERAGE = Topic(
    "registration-coverage", "worker id", "contracts.registration", Writer.REGISTRATION,
    readers=(Writer.ENCOUNTER, Writer.CLEARING),
    compacted=True,
    doc="Snapshot per worker: every approved coverage window. Derived from the events; "
    "compacted; read by encounter and clearing as a local table.",
)
REGISTRATION_REPLIES = Topic(
    "registration-replies", "command source", "contracts.replies", Writer.REGISTRATION,
    retention_ms=WEEK_MS, doc="Accepted / rejected answers to registration commands.",
)
HOSPITAL_MESSAGES = Topic(
    "hospital-messages", "worker id", "contracts.encounter", Writer.HOSPITAL,
    readers=(Writer.ENCOUNTER,),
    doc="Admissions, charge lines, corrections, discharges, cancellations from hospitals.",
)
ENCOUNTER_EVENTS = Topic(
    "encounter-events", "worker id", "contracts.encounter", Writer.ENCOUNTER,
    readers=(Writer.SETTLEMENT,),
    doc="What happened to encounters (就医), incl. admission decisions and discharges.",
)
HOSPITAL_REPLIES = Topic(
    "hospital-replies", "institution id", "contracts.replies", Writer.ENCOUNTER,
    readers=(Writer.HOSPITAL,),
    retention_ms=WEEK_MS, doc="Answers to hospital messages: acknowledged or refused.",
)
PRE_SETTLEMENT_REQUESTS = Topic(
    "pre-settlement-requests", "worker id", "contracts.presettlement", Writer.ENCOUNTER,
    readers=(Writer.SETTLEMENT,), retention_ms=WEEK_MS,
    doc="Pre-settlement (2303/2206) of an open encounter as it stands, asked by encounter "
    "for a hospital: a query, not a record.",
)
PRE_SETTLEMENT_ANSWERS = Topic(
    "pre-settlement-answers", "worker id", "contracts.presettlement", Writer.SETTLEMENT,
    readers=(Writer.ENCOUNTER,), retention_ms=WEEK_MS,
    doc="Settlement's pre-settlement answers, handed to the hospital by encounter on "
    "hospital-replies.",
)
CLAIM_COMMANDS = Topic(
    "claim-commands", "worker id", "contracts.settlement", Writer.AGENCY,
    readers=(Writer.SETTLEMENT,),
    doc="Reimbursement claims, documents, reviews, payments, advances, clawbacks.",
)
SETTLEMENT_EVENTS = Topic(
    "settlement-events", "worker id", "contracts.settlement", Writer.SETTLEMENT,
    readers=(Writer.CLEARING,),
    doc="Direct settlements, reversals, claim lifecycle, advances, receivables.",
)
CLAIM_REPLIES = Topic(
    "claim-replies", "command source", "contracts.replies", Writer.SETTLEMENT,
    retention_ms=WEEK_MS, doc="Answers to claim commands.",
)
CLEARING_COMMANDS = Topic(
    "clearing-commands", "region pair", "contracts.clearing", Writer.AGENCY,
    readers=(Writer.CLEARING,), fixed_partitions=1,
    doc="Prepayments, cycle close / confirm / dispute / settle, audit refusals.",
)
CLEARING_EVENTS = Topic(
    "clearing-events", "ledger", "contracts.clearing", Writer.CLEARING, fixed_partitions=1,
    doc="Ledger postings and clearing-cycle facts, one total order (balances as of offset).",
)
CLEARING_REPLIES = Topic(
    "clearing-replies", "command source", "contracts.replies", Writer.CLEARING,
    retention_ms=WEEK_MS, doc="Answers to clearing commands.",
)
RECONCILIATION_REQUESTS = Topic(
    "reconciliation-requests", "institution id", "contracts.reconciliation", Writer.HOSPITAL,
    readers=(Writer.CLEARING,), fixed_partitions=1, retention_ms=WEEK_MS,
    doc="Institution reconciliation (3201 totals / 3202 detail) of a period or a cycle: "
    "a query, not a record.",
)
RECONCILIATION_ANSWERS = Topic(
    "reconciliation-answers", "hospital source", "contracts.reconciliation", Writer.CLEARING,
    readers=(Writer.HOSPITAL,), fixed_partitions=1, retention_ms=WEEK_MS,
    doc="Clearing's answers to reconciliation requests: match / mismatch with wic's figures "
    "and the settlements that differ, or the refusal.",
)
GATEWAY_INBOUND = Topic(
    "gateway-inbound", "province code", "contracts.gateway", Writer.GATEWAY,
    readers=(Writer.CLEARING,),
    doc="Signed cross-provincial claims from other provinces' gateways.",
)
GATEWAY_OUTBOUND = Topic(
    "gateway-outbound", "province code", "contracts.gateway", Writer.CLEARING,
    readers=(Writer.GATEWAY,),
    doc="Our signed claims and answers to other provinces' gateways.",
)
BENEFIT_COMMANDS = Topic(
    "benefits-commands", "worker id (a run: its month)", "contracts.benefits", Writer.AGENCY,
    readers=(Writer.BENEFITS,), fixed_partitions=1,
    doc="Benefit facts (wages, assessments, death, prison, retirement, dependants), one-time "
    "benefit claims, the monthly payment run: one order, as the run reads every worker.",
)
BENEFIT_EVENTS = Topic(
    "benefits-events", "worker id (a run: its month)", "contracts.benefits", Writer.BENEFITS,
    readers=(Writer.CLEARING,), fixed_partitions=1,
    doc="Recorded benefit facts, claims, monthly payments and reversals (待遇): the source "
    "of truth; payments are posted by clearing's ledger.",
)
BENEFIT_REPLIES = Topic(
    "benefits-replies", "command source", "contracts.replies", Writer.BENEFITS,
    retention_ms=WEEK_MS, doc="Answers to benefit commands.",
)
REGISTRATION_DEADLETTERS = Topic(
    "registration-deadletters", "stage", "contracts.deadletter", Writer.REGISTRATION,
    fixed_partitions=1, doc="Rejected input of the registration service, with the original bytes.",
)
ENCOUNTER_DEADLETTERS = Topic(
    "encounter-deadletters", "stage", "contracts.deadletter", Writer.ENCOUNTER,
    fixed_partitions=1, doc="Rejected input of the encounter service, with the original bytes.",
)
SETTLEMENT_DEADLETTERS = Topic(
    "settlement-deadletters", "stage", "contracts.deadletter", Writer.SETTLEMENT,
    fixed_partitions=1, doc="Rejected input of the settlement service, with the original bytes.",
)
CLEARING_DEADLETTERS = Topic(
    "clearing-deadletters", "stage", "contracts.deadletter", Writer.CLEARING,
    fixed_partitions=1, doc="Rejected input of the clearing service, with the original bytes.",
)
BENEFIT_DEADLETTERS = Topic(
    "benefits-deadletters", "stage", "contracts.deadletter", Writer.BENEFITS,
    fixed_partitions=1, doc="Rejected input of the benefits service, with the original bytes.",
)

ALL: tuple[Topic, ...] = (
    REFERENCE_DATA,
    REGISTRATION_COMMANDS, REGISTRATION_EVENTS, REGISTRATION_COVERAGE, REGISTRATION_REPLIES,
    HOSPITAL_MESSAGES, ENCOUNTER_EVENTS, HOSPITAL_REPLIES,
    PRE_SETTLEMENT_REQUESTS, PRE_SETTLEMENT_ANSWERS,
    CLAIM_COMMANDS, SETTLEMENT_EVENTS, CLAIM_REPLIES,
    CLEARING_COMMANDS, CLEARING_EVENTS, CLEARING_REPLIES,
    RECONCILIATION_REQUESTS, RECONCILIATION_ANSWERS,
    GATEWAY_INBOUND, GATEWAY_OUTBOUND,
    BENEFIT_COMMANDS, BENEFIT_EVENTS, BENEFIT_REPLIES,
    REGISTRATION_DEADLETTERS, ENCOUNTER_DEADLETTERS, SETTLEMENT_DEADLETTERS,
    CLEARING_DEADLETTERS, BENEFIT_DEADLETTERS,
)

DEADLETTERS: dict[Writer, Topic] = {
    Writer.REGISTRATION: REGISTRATION_DEADLETTERS,
    Writer.ENCOUNTER: ENCOUNTER_DEADLETTERS,
    Writer.SETTLEMENT: SETTLEMENT_DEADLETTERS,
    Writer.CLEARING: CLEARING_DEADLETTERS,
    Writer.BENEFITS: BENEFIT_DEADLETTERS,
}


def by_base(base: str) -> Topic:
    for topic in ALL:
        if topic.base == base:
            return topic
    raise KeyError(f"no topic named {base!r} in contracts.topics")
