"""Operators (运维): dead letters with their reasons and re-drive, consumer lag, and the
audit trail.

Dead letters and lag have no HTTP API: they are the `wic` CLI's functions (`ops.dlq`,
`ops.lag`), run here with the operator's Kafka credential of this machine, and shown only
to staff holding the `operator` role (docs/assumptions.md, "Console"). The audit trail is
every service's `GET /audit`, read with the signed-in person's token (auditor, operator).
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

from aiohttp import web

from console.web import Desk, Notice, forbidden, page
from contracts import settings as settings_mod
from contracts.read_authority import Resource
from ops import audit, dlq, lag

KAFKA_TIMEOUT = 20.0


async def _operator_view(desk: Desk) -> dict[str, Any]:
    settings = settings_mod.load("operator")
    try:
        letters = await asyncio.wait_for(dlq.read_dead_letters(settings), KAFKA_TIMEOUT)
        done = await asyncio.wait_for(dlq.redriven(settings), KAFKA_TIMEOUT)
        lags = await asyncio.wait_for(lag.consumer_lag(settings), KAFKA_TIMEOUT)
    except Exception as exc:  # any outage is a message on the page, never a 500
        return {"kafka_error": f"{type(exc).__name__}: {exc}", "letters": [], "lags": [],
                "redriven": {}}
    return {"kafka_error": "", "letters": list(reversed(letters[-100:])), "redriven": done,
            "lags": [x for x in lags if x.lag or x.committed is None][:200]}


async def _audit(desk: Desk) -> dict[str, Any]:
    q = desk.request.query
    params = {k: q[k].strip() for k in ("actor", "worker_id", "cycle_id")
              if q.get(k, "").strip()}
    urls = dict(desk.backend.urls)
    merged = await asyncio.to_thread(audit.collect, urls, params, 100,
                                     lambda url: audit._get(url, desk.token))
    return {"entries": list(reversed(merged.entries)), "silent": merged.silent,
            "refused_reads": merged.refused, "params": params, "action": audit.action,
            "subject": audit.subject}


async def _page(desk: Desk, notice: Notice | None = None, status: int = 200
                ) -> web.StreamResponse:
    operator, auditor = desk.operates_kafka(), desk.reads(Resource.AUDIT)
    if not (operator or auditor):
        return forbidden(desk)
    context: dict[str, Any] = {"kafka_error": "", "letters": [], "lags": [], "redriven": {}}
    if operator:
        context.update(await _operator_view(desk))
    context.update(await _audit(desk) if auditor else {"entries": [], "silent": {},
                                                        "refused_reads": {}, "params": {}})
    return desk.render("operators.html", status=status, notice=notice, **context)


@page
async def index(desk: Desk) -> web.StreamResponse:
    return await _page(desk)


@page
async def redrive(desk: Desk) -> web.StreamResponse:
    if not desk.operates_kafka():
        return forbidden(desk)
    data = await desk.request.post()
    letter = str(data.get("dead_letter_id", ""))
    out, err = io.StringIO(), io.StringIO()
    try:
        code = await dlq.redrive(settings_mod.load("operator"), [letter], out=out, err=err)
    except Exception as exc:
        return await _page(desk, Notice("down", desk.t("无法连接 Kafka"), str(exc)), 503)
    notice = Notice("ok" if code == 0 else "refused",
                    desk.t("已受理") if code == 0 else desk.t("服务拒绝"),
                    (out.getvalue() + err.getvalue()).strip())
    return await _page(desk, notice, 200 if code == 0 else 422)


def routes(app: web.Application) -> None:
    app.router.add_get("/operators", index)
    app.router.add_post("/operators/redrive", redrive)
