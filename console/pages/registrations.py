"""Registrations (备案): the review queue, the application form, a worker's page with the
coverage timeline and the approve / reject / change / cancel actions (SD-REG-1…7)."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from console import svg, words
from console.backend import Unavailable
from console.web import Desk, Form, Notice, build, day_field, forbidden, form_of, page, required
from contracts import registration as reg
from contracts.message import Command
from contracts.read_authority import Resource

TWELVE_MONTHS = ("long_term_residence", "stationed_work")


def change_allowed_from(registered_on: date) -> date:
    """SD-REG-5, for display only (registration decides): three calendar months after the
    registration date, the last day of the month when it is shorter."""
    month = registered_on.month + 3
    year, month = registered_on.year + (month - 1) // 12, (month - 1) % 12 + 1
    for day in range(registered_on.day, 27, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return date(year, month, min(registered_on.day, 28))


async def _queue(desk: Desk) -> tuple[list[dict[str, Any]], Notice | None]:
    """The review queue, or why it cannot be shown (the form stays usable either way)."""
    try:
        answer = await desk.read("registration", "/registrations", {"status": "pending"})
    except Unavailable:
        return [], desk.down()
    if not answer.ok:
        return [], desk.refused(answer)
    return list(answer.body.get("registrations", [])), None


async def _index(desk: Desk, form: Form | None = None, notice: Notice | None = None,
                 status: int = 200) -> web.Response:
    if not desk.reads(Resource.REGISTRATION):
        return forbidden(desk)
    queue, trouble = await _queue(desk)
    return desk.render("registrations.html", status=status, queue=queue,
                       notice=notice or trouble,
                       form=form or Form("apply"),
                       types=words.REGISTRATION_TYPE, confirmations=words.CONFIRMATION,
                       today=date.today().isoformat())


@page
async def index(desk: Desk) -> web.StreamResponse:
    if worker := desk.request.query.get("worker_id", "").strip():
        raise web.HTTPSeeOther(f"/workers/{worker}")
    ok = Notice("ok", desk.t("已受理")) if desk.request.query.get("done") else None
    return await _index(desk, notice=ok)


@page
async def apply(desk: Desk) -> web.StreamResponse:
    form = await form_of(desk, "apply")
    required(form, "registration_id", "worker_id", "registration_type", "insured_region",
             "treatment_region", "confirmation_kind", "confirmation_no",
             "confirmation_on")
    day = day_field(form, "business_day")
    command = build(reg.ApplyForRegistration, form, {
        "registration_id": form.get("registration_id"), "worker_id": form.get("worker_id"),
        "social_security_card": form.get("social_security_card") or None,
        "insured_for_work_injury": form.get("insured") == "on",
        "confirmation": {"kind": form.get("confirmation_kind"),
                         "reference_no": form.get("confirmation_no"),
                         "completed_on": form.get("confirmation_on")},
        "registration_type": form.get("registration_type"),
        "insured_region": form.get("insured_region"),
        "treatment_region": form.get("treatment_region"),
        "institution_id": form.get("institution_id") or None})
    worker = "" if command is None else command.worker_id
    return await desk.act(form, command, "registration", worker, day, f"/workers/{worker}",
                          lambda notice, status: _index(desk, form, notice, status))


async def _worker(desk: Desk, worker: str, form: Form | None = None,
                  notice: Notice | None = None, status: int = 200) -> web.Response:
    if not desk.reads(Resource.WORKER_HISTORY):
        return forbidden(desk)
    answer = await desk.read("registration", f"/workers/{worker}/history")
    if not answer.ok:
        return desk.render("worker.html", status=answer.status, worker=worker, history=None,
                           refusal=desk.refused(answer), form=form or Form(),
                           notice=notice, timeline="", lock={}, today="")
    history = answer.body
    bars, marks, lock = [], [], {}
    for i, r in enumerate(history["registrations"]):
        kind = desk.t(words.REGISTRATION_TYPE.get(r["registration_type"], ""))
        for w in r["windows"]:
            bars.append(svg.Bar(r["registration_id"], date.fromisoformat(w["valid_from"]),
                                date.fromisoformat(w["valid_until"]),
                                f"{kind} {w['treatment_region']}", i))
        if not r["windows"]:  # pending: the window applied for, not yet coverage
            bars.append(svg.Bar(r["registration_id"], date.fromisoformat(r["valid_from"]),
                                date.fromisoformat(r["valid_until"]),
                                f"{kind} {r['treatment_region']} "
                                f"({desk.t(words.REGISTRATION_STATUS[r['status']])})", 5))
        if r["registration_type"] in TWELVE_MONTHS:
            until = change_allowed_from(date.fromisoformat(r["registered_on"]))
            lock[r["registration_id"]] = until.isoformat()
            marks.append((until, f"{desk.t('变更锁定至')} {until}"))
    return desk.render("worker.html", status=status, worker=worker, history=history,
                       refusal=None, form=form or Form(), notice=notice,
                       timeline=svg.timeline(bars, marks), lock=lock,
                       today=date.today().isoformat())


@page
async def worker_page(desk: Desk) -> web.StreamResponse:
    worker = desk.request.match_info["worker_id"]
    done = desk.request.query.get("done")
    notice = Notice(done, desk.t("已受理" if done == "ok" else "已提交，等待服务处理")) \
        if done in ("ok", "pending") else None
    return await _worker(desk, worker, notice=notice)


ACTIONS: dict[str, tuple[type[Command], tuple[str, ...]]] = {
    "approve": (reg.ApproveRegistration, ()),
    "reject": (reg.RejectRegistration, ("reason",)),
    "change": (reg.ChangeRegistration, ("treatment_region",)),
    "cancel": (reg.CancelRegistration, ()),
}


@page
async def act(desk: Desk) -> web.StreamResponse:
    worker = desk.request.match_info["worker_id"]
    action = desk.request.match_info["action"]
    if action not in ACTIONS:
        raise web.HTTPNotFound()
    model, needed = ACTIONS[action]
    form = await form_of(desk, action, "registration_id")
    required(form, "registration_id", *needed)
    day = day_field(form, "business_day")
    fields: dict[str, Any] = {"registration_id": form.get("registration_id"),
                              "worker_id": worker}
    if action == "reject":
        fields["reason"] = form.get("reason")
    if action in ("change", "cancel"):
        fields["effective_on"] = day_field(form, "effective_on")
        fields["reason"] = form.get("reason")
    if action == "change":
        fields["treatment_region"] = form.get("treatment_region")
        fields["institution_id"] = form.get("institution_id") or None
    command = build(model, form, fields)
    return await desk.act(form, command, "registration", worker, day, f"/workers/{worker}",
                          lambda notice, status: _worker(desk, worker, form, notice, status))


def routes(app: web.Application) -> None:
    app.router.add_get("/registrations", index)
    app.router.add_post("/registrations/apply", apply)
    app.router.add_get("/workers/{worker_id}", worker_page)
    app.router.add_post("/workers/{worker_id}/{action}", act)
