"""Claims board (零星报销): open claims with their XM-17 due dates, overdue ones marked for
the day asked, the documents missing per checklist (XM-11/XM-12), review and payment."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from console import words
from console.web import (
    Desk,
    Form,
    Notice,
    build,
    day_field,
    fen_field,
    forbidden,
    form_of,
    page,
    required,
)
from contracts import settlement as st
from contracts.message import Command
from contracts.read_authority import Resource


async def _board(desk: Desk, form: Form | None = None, notice: Notice | None = None,
                 status: int = 200) -> web.Response:
    if not desk.reads(Resource.CLAIM):
        return forbidden(desk)
    q = desk.request.query
    as_of = q.get("as_of", "").strip() or date.today().isoformat()
    try:
        date.fromisoformat(as_of)
    except ValueError:
        as_of = date.today().isoformat()
    params = {"status": q["status"]} if q.get("status") in words.CLAIM_STATUS else {}
    answer = await desk.read("settlement", "/claims", params)
    if not answer.ok:
        return desk.render("claims.html", status=answer.status, claims=[], overdue=set(),
                           as_of=as_of, refusal=desk.refused(answer), form=form or Form(),
                           notice=notice, params=params)
    # overdue as of the day asked: the service's rule decides (XM-17), not a copy here
    late = await desk.read("settlement", "/claims", {"overdue_on": as_of})
    overdue = {c["claim_id"] for c in late.body.get("claims", [])} if late.ok else set()
    claims: list[dict[str, Any]] = [c for c in answer.body.get("claims", [])
                                    if c["status"] != "paid" or params]
    return desk.render("claims.html", status=status, claims=claims, overdue=overdue,
                       as_of=as_of, refusal=None, form=form or Form(), notice=notice,
                       params=params, today=date.today().isoformat())


@page
async def board(desk: Desk) -> web.StreamResponse:
    ok = Notice("ok", desk.t("已受理")) if desk.request.query.get("done") else None
    return await _board(desk, notice=ok)


@page
async def act(desk: Desk) -> web.StreamResponse:
    action = desk.request.match_info["action"]
    form = await form_of(desk, action, "claim_id")
    required(form, "claim_id", "worker_id", "on")
    on = day_field(form, "on")
    fields: dict[str, Any] = {"claim_id": form.get("claim_id"),
                              "worker_id": form.get("worker_id")}
    model: type[Command]
    if action == "review":
        required(form, "approved_yuan")
        fields.update(approved_fen=fen_field(form, "approved_yuan"), reviewed_on=on,
                      requested_channel=form.get("channel") or "bank_transfer")
        model = st.ReviewClaim
    elif action == "pay":
        fields.update(paid_on=on)
        model = st.PayClaim
    else:
        raise web.HTTPNotFound()
    command = build(model, form, fields)
    return await desk.act(form, command, "settlement",
                          "" if command is None else command.worker_id, on, "/claims",
                          lambda notice, status: _board(desk, form, notice, status))


def routes(app: web.Application) -> None:
    app.router.add_get("/claims", board)
    app.router.add_post("/claims/{action}", act)
