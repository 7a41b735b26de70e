"""Clearing (清算): cycles by month and region pair, a cycle's statement per institution with
its files (CSV, XLSX), close / confirm / dispute / settle (SD-FUND-2) and refusals after
the fact (拒付, SD-FUND-3); prepayment positions with their warning lines (SD-FUND-1) as a
chart of balances over time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from console import svg
from console.backend import CHINA
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
from contracts import clearing as cl
from contracts.message import Command
from contracts.read_authority import Resource, account_regions

FILES = ("csv", "xlsx")


def _month(raw: str | None) -> str:
    if raw and len(raw) == 7 and raw[4] == "-" and raw[:4].isdigit() and raw[5:].isdigit():
        return raw
    return date.today().strftime("%Y-%m")


@page
async def cycles(desk: Desk) -> web.StreamResponse:
    if not desk.reads(Resource.LEDGER):
        return forbidden(desk)
    month = _month(desk.request.query.get("month"))
    answer = await desk.read("clearing", "/cycles", {"month": month})
    rows = answer.body if answer.ok and isinstance(answer.body, list) else []
    for row in rows:
        _, row["region_a"], row["region_b"] = cl.parse_cycle_id(row["cycle_id"])
    return desk.render("cycles.html", month=month, cycles=rows,
                       refusal=None if answer.ok else desk.refused(answer))


async def _cycle(desk: Desk, cycle_id: str, form: Form | None = None,
                 notice: Notice | None = None, status: int = 200) -> web.Response:
    if not desk.reads(Resource.LEDGER):
        return forbidden(desk)
    answer = await desk.read("clearing", f"/cycles/{cycle_id}/statement")
    if not answer.ok:
        return desk.render("cycle.html", status=answer.status, statement=None,
                           refusal=desk.refused(answer), form=form or Form(), notice=notice,
                           mine=[], files=FILES, cycle_id=cycle_id, today="")
    statement: dict[str, Any] = answer.body
    _, a, b = cl.parse_cycle_id(cycle_id)
    mine = [r for r in (a, b) if desk.actor.acts_for(r)]  # the sides this person speaks for
    return desk.render("cycle.html", status=status, statement=statement, refusal=None,
                       form=form or Form(), notice=notice, mine=mine, files=FILES,
                       cycle_id=cycle_id, today=date.today().isoformat(), parties=(a, b))


@page
async def cycle(desk: Desk) -> web.StreamResponse:
    done = desk.request.query.get("done")
    notice = Notice("ok", desk.t("已受理")) if done else None
    return await _cycle(desk, desk.request.match_info["cycle_id"], notice=notice)


@page
async def statement_file(desk: Desk) -> web.StreamResponse:
    """The statement file the clearing service writes, passed through as the reader."""
    cycle_id, suffix = desk.request.match_info["cycle_id"], desk.request.match_info["suffix"]
    if suffix not in FILES:
        raise web.HTTPNotFound()
    answer = await desk.read("clearing", f"/cycles/{cycle_id}/statement.{suffix}",
                             {k: v for k, v in desk.request.query.items()
                              if k == "institution"})
    if not answer.ok:
        return await _cycle(desk, cycle_id, notice=desk.refused(answer), status=answer.status)
    return web.Response(body=answer.raw, headers=answer.headers)


@page
async def act(desk: Desk) -> web.StreamResponse:
    cycle_id, action = desk.request.match_info["cycle_id"], desk.request.match_info["action"]
    form = await form_of(desk, action)
    required(form, "on")
    on = day_field(form, "on")
    fields: dict[str, Any] = {"cycle_id": cycle_id}
    key = cycle_id
    model: type[Command]
    if action == "close":
        model, fields["closed_on"] = cl.CloseCycle, on
    elif action == "confirm":
        required(form, "region")
        model = cl.ConfirmCycle
        fields.update(region=form.get("region"), confirmed_on=on)
    elif action == "dispute":
        required(form, "region", "reason")
        model = cl.DisputeCycle
        fields.update(region=form.get("region"), reason=form.get("reason"), disputed_on=on)
    elif action == "settle":
        model, fields["settled_on"] = cl.SettleCycle, on
    elif action == "refuse":
        required(form, "refusal_id", "settlement_id", "amount_yuan", "reason_code", "reason")
        model, key = cl.RefuseItems, "clearing"  # as `wic clearing refuse` keys it
        fields = {"refusal_id": form.get("refusal_id"),
                  "settlement_id": form.get("settlement_id"),
                  "amount_fen": fen_field(form, "amount_yuan"),
                  "reason_code": form.get("reason_code"), "reason": form.get("reason"),
                  "refused_on": on}
    else:
        raise web.HTTPNotFound()
    command = build(model, form, fields)
    return await desk.act(form, command, "clearing", key, on, f"/clearing/cycles/{cycle_id}",
                          lambda notice, status: _cycle(desk, cycle_id, form, notice, status))


def _points(month: str, count: int = 6) -> list[date]:
    """Month ends of the `count` months ending `month`: where the chart samples."""
    year, m = int(month[:4]), int(month[5:])
    out = []
    for back in range(count - 1, -1, -1):
        mm = m - back
        y, mm = year + (mm - 1) // 12, (mm - 1) % 12 + 1
        first_next = date(y + mm // 12, mm % 12 + 1, 1)
        out.append(first_next - timedelta(days=1))
    return out


@page
async def prepayments(desk: Desk) -> web.StreamResponse:
    if not desk.reads(Resource.LEDGER):
        return forbidden(desk)
    month = _month(desk.request.query.get("month"))
    answer = await desk.read("clearing", "/prepayments")
    positions = answer.body if answer.ok and isinstance(answer.body, list) else []
    series = []
    for p in positions:
        points = []
        for day in _points(month):
            # the balance as of the end of that day (business time, Beijing)
            end = datetime.combine(day + timedelta(days=1), time(0), CHINA)
            got = await desk.read("clearing", f"/accounts/{p['account']}/balance",
                                  {"as_of": end.isoformat()})
            if got.ok:
                points.append((day, int(got.body["balance_fen"])))
        series.append(svg.Series(p["account"], points, int(p["warning_line_fen"])))
    chart = svg.balances(series, desk.t)
    return desk.render("prepayments.html", month=month, positions=positions, chart=chart,
                       refusal=None if answer.ok else desk.refused(answer),
                       regions={p["account"]: account_regions(p["account"])
                                for p in positions})


def routes(app: web.Application) -> None:
    app.router.add_get("/clearing", cycles)
    app.router.add_get("/clearing/prepayments", prepayments)
    app.router.add_get("/clearing/cycles/{cycle_id}", cycle)
    app.router.add_get("/clearing/cycles/{cycle_id}/statement.{suffix}", statement_file)
    app.router.add_post("/clearing/cycles/{cycle_id}/{action}", act)
