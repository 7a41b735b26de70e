"""Encounters and settlements (就医与结算): the list, one encounter with its charge lines,
each line's fund / self / employer amounts with reason codes and their rule ids, every
revision after a correction, and the settlement slip (结算单) as the service prints it."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from console.web import Desk, forbidden, page
from contracts.read_authority import Resource


@page
async def index(desk: Desk) -> web.StreamResponse:
    if not desk.reads(Resource.ENCOUNTER):
        return forbidden(desk)
    q = desk.request.query
    params = {k: q[k].strip() for k in ("worker_id", "status", "institution_id")
              if q.get(k, "").strip()}
    answer = await desk.read("encounter", "/encounters", params)
    return desk.render("encounters.html", encounters=answer.body.get("encounters", [])
                       if answer.ok else [], refusal=None if answer.ok else
                       desk.refused(answer), params=params)


@page
async def one(desk: Desk) -> web.StreamResponse:
    if not desk.reads(Resource.ENCOUNTER):
        return forbidden(desk)
    eid = desk.request.match_info["encounter_id"]
    answer = await desk.read("encounter", f"/encounters/{eid}")
    if not answer.ok:
        return desk.render("encounter.html", status=answer.status, encounter=None,
                           refusal=desk.refused(answer), settlement=None, judged={})
    settlement: dict[str, Any] | None = None
    if desk.reads(Resource.SETTLEMENT):
        settled = await desk.read("settlement", f"/encounters/{eid}/settlement")
        settlement = settled.body if settled.ok else None
    judged = {line["line_no"]: line for line in settlement["current"]["lines"]} \
        if settlement else {}
    return desk.render("encounter.html", encounter=answer.body, refusal=None,
                       settlement=settlement, judged=judged)


@page
async def slip(desk: Desk) -> web.StreamResponse:
    """The PDF the settlement service prints, passed through as the signed-in reader."""
    eid = desk.request.match_info["encounter_id"]
    answer = await desk.read("settlement", f"/encounters/{eid}/settlement.pdf")
    if not answer.ok:
        return desk.render("encounter.html", status=answer.status, encounter=None,
                           refusal=desk.refused(answer), settlement=None, judged={})
    return web.Response(body=answer.raw, headers=answer.headers)


def routes(app: web.Application) -> None:
    app.router.add_get("/encounters", index)
    app.router.add_get("/encounters/{encounter_id}", one)
    app.router.add_get("/encounters/{encounter_id}/settlement.pdf", slip)
