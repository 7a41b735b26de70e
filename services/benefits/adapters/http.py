"""Query API (faust web): a worker's benefits as of a day, a month's payment runs, OpenAPI.

A worker's facts, entitlements and claims come from the book this worker keeps (one
partition: the agent's in-memory state, the same the decisions use); payments and runs from
the PostgreSQL read model. Reads are authorized (`contracts.runtime.reads`): benefit
reviewers, finance and auditors, for the worker's insured region; a month's runs for the
whole agency. Parameters are read with the bounded helpers of `contracts.runtime.http`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import faust
import orjson
from faust.web import Request, Response, View
from yarl import URL

from contracts.business_time import business_date
from contracts.decision import Rejected
from contracts.read_authority import Resource
from contracts.runtime import routing
from contracts.runtime.http import (
    BadRequest,
    day,
    install_error_bodies,
    month,
    query,
    refusing,
    required_text,
)
from contracts.runtime.pool import LazyPool
from contracts.runtime.reads import Readers, allow
from contracts.runtime.runner import OneState
from contracts.runtime.topic_reader import read_until_done
from services.benefits.adapters.openapi import document
from services.benefits.adapters.reference import ReferenceStore
from services.benefits.adapters.views import (
    ClaimOut,
    EntitlementOut,
    MonthRuns,
    PaymentOut,
    RunOut,
    WorkerBenefits,
)
from services.benefits.domain.book import BenefitsBook, Worker
from services.benefits.domain.claim_state import BenefitClaim
from services.benefits.domain.entitlements import monthly_entitlements
from services.benefits.domain.months import Month


def _json(view: View, body: Any) -> Response:
    data = body.model_dump(mode="json") if hasattr(body, "model_dump") else body
    return view.bytes(orjson.dumps(data), content_type="application/json")


def _claim(claim: BenefitClaim, as_of: date) -> ClaimOut:
    reviewed, paid = claim.reviewed, claim.paid
    return ClaimOut(
        claim_id=claim.claim_id, kind=claim.kind.value, status=claim.status.value,
        filed_on=claim.filed.filed_on,
        review_due_on=claim.completed.review_due_on if claim.completed else None,
        payment_due_on=reviewed.payment_due_on if reviewed else None,
        approved_fen=reviewed.amount_fen if reviewed else None,
        paid_fen=paid.amount_fen if paid else None,
        payee=reviewed.payee.value if reviewed else None,
        payee_id=reviewed.payee_id if reviewed else None,
        missing_documents=[d.value for d in claim.missing], overdue=claim.overdue(as_of))


def _payment(r: Any) -> PaymentOut:
    return PaymentOut(**{k: (str(v) if k in ("payment_id", "reversed_by") and v is not None
                             else v) for k, v in dict(r).items() if k in PaymentOut.model_fields})


def register(app: faust.App, pool: LazyPool, book: OneState[BenefitsBook],
             store: ReferenceStore, readers: Readers,
             owner: Callable[[], URL | None] | None = None) -> None:
    """`owner`: the web URL of the worker deciding `benefits-commands` (the one whose book
    is current: issue 17 item 3); None with one worker (tests)."""
    install_error_bodies(app)

    def worker_of(worker_id: str) -> Worker:
        found = book.value.workers.get(worker_id)
        if found is None or found.facts.injury is None:
            raise BadRequest("unknown_worker", f"no recognised injury recorded for {worker_id}",
                             404)
        return found

    @app.page("/workers/{worker_id}/benefits")
    class Benefits(View):
        async def get(self, request: Request, worker_id: str) -> Response:
            # the book is the deciding worker's memory: any other worker forwards the query
            if owner is None:
                return await self.here(request, worker_id=worker_id)
            return await routing.answer_from_owner(
                app, self, request, owner(), lambda: self.here(request, worker_id=worker_id))

        @refusing
        async def here(self, request: Request, worker_id: str) -> Response:
            who = readers.reader(request, Resource.BENEFITS)
            worker_id = required_text(worker_id, "worker_id")
            as_of = (day(query(request).get("as_of"), "as_of", required=False)
                     or business_date(datetime.now(UTC)))
            worker = worker_of(worker_id)
            injury = worker.facts.injury
            assert injury is not None
            allow(who, Resource.BENEFITS, [injury.insured_region])
            asked = Month.of(as_of)
            await read_until_done(store.sync)  # the levels and wages published so far
            try:
                owed = monthly_entitlements(worker.facts, store.context.refs, asked)
            except Rejected as exc:  # e.g. no city average yet: the run holds the worker too
                raise BadRequest(exc.code, exc.reason, 409) from None
            rows = await (await pool.get()).fetch(
                "SELECT * FROM payments WHERE worker_id=$1 AND paid_on <= $2"
                " ORDER BY benefit_month, person_id, benefit, revision", worker_id, as_of)
            payments = [_payment(r) for r in rows]
            live = [p for p in payments if p.reversed_by is None or _reversed_after(p, as_of)]
            return _json(self, WorkerBenefits(
                worker_id=worker_id, as_of=as_of, insured_region=injury.insured_region,
                injured_on=injury.injured_on, month=str(asked),
                entitlements=[EntitlementOut(person_id=e.person_id, benefit=e.benefit.value,
                                             month=str(e.month), amount_fen=e.amount_fen,
                                             rules=list(e.rules)) for e in owed],
                payments=payments, paid_fen=sum(p.amount_fen for p in live),
                claims=[_claim(c, as_of) for c in worker.claims.claims]))

    @app.page("/runs")
    class Runs(View):
        @refusing
        async def get(self, request: Request) -> Response:
            readers.reader(request, Resource.BENEFITS)  # a run is the whole agency's
            asked = month(query(request).get("month"))
            conn = await pool.get()
            runs = [RunOut(**{**dict(r), "held": orjson.loads(r["held"])}) for r in
                    await conn.fetch("SELECT * FROM runs WHERE run_month=$1 ORDER BY run_id",
                                     asked)]
            nets = await conn.fetch(
                "SELECT benefit, SUM(amount_fen) AS fen FROM ("
                " SELECT benefit, amount_fen FROM payments WHERE run_month=$1"
                " UNION ALL SELECT benefit, -amount_fen FROM reversals WHERE run_month=$1"
                ") moves GROUP BY benefit ORDER BY benefit", asked)
            return _json(self, MonthRuns(
                month=asked, runs=runs, paid_fen=sum(r.paid_fen for r in runs),
                reversed_fen=sum(r.reversed_fen for r in runs),
                by_benefit={r["benefit"]: int(r["fen"]) for r in nets}))

    @app.page("/openapi.json")
    class OpenApi(View):
        async def get(self, request: Request) -> Response:
            return _json(self, document())


def _reversed_after(payment: PaymentOut, as_of: date) -> bool:
    """Still live on `as_of` if its reversal came in a later month's run."""
    return payment.reversed_in is not None and payment.reversed_in > f"{as_of:%Y-%m}"
