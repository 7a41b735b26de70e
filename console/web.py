"""What every page shares: who is signed in, the language, the templates, the notices.

A page handler gets a `Desk` (the person, their token, the labels, the services) and
returns a rendered page; `Unavailable` from a service becomes a clear message on the
page, never a 500.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from aiohttp import web
from pydantic import BaseModel, ValidationError

from console import i18n, permits, signin, words
from console.backend import CHINA, Answer, Backend, Unavailable
from contracts import clearing, registration, settlement
from contracts.actor import Actor
from contracts.message import Message
from contracts.read_authority import Resource
from contracts.types import yuan_text

HERE = Path(__file__).parent
BACKEND: web.AppKey[Backend] = web.AppKey("backend", Backend)
TEMPLATES: web.AppKey[jinja2.Environment] = web.AppKey("templates", jinja2.Environment)
LANG_COOKIE = "wic_lang"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.globals.update(words=words, registration_commands=registration,
                       settlement_commands=settlement, clearing_commands=clearing,
                       quote=lambda v: quote(str(v), safe=""),
                       yuan=lambda fen: "" if fen is None else yuan_text(fen, True))
    env.filters["when"] = beijing
    return env


def beijing(value: Any) -> str:
    """An ISO instant as staff read it: Beijing time, to the minute."""
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "—")
    if instant.tzinfo is None:
        return str(value)
    return instant.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


@dataclass
class Notice:
    kind: str  # ok | pending | refused | down | invalid
    title: str
    detail: str = ""


@dataclass
class Form:
    """What was typed (kept when anything goes wrong) and the errors per field."""

    name: str = ""
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)


@dataclass
class Desk:
    request: web.Request
    actor: Actor
    token: str
    lang: str

    @property
    def t(self) -> Callable[[str], str]:
        return i18n.translator(self.lang)

    @property
    def backend(self) -> Backend:
        return self.request.app[BACKEND]

    def render(self, template: str, status: int = 200, **context: Any) -> web.Response:
        env = self.request.app[TEMPLATES]
        body = env.get_template(template).render(
            t=self.t, lang=self.lang, actor=self.actor, can=self.can, reads=self.reads,
            operates=permits.operates(self.actor), path=self.request.path_qs,
            Resource=Resource, **context)
        return web.Response(text=body, content_type="text/html", status=status)

    def can(self, command: type[Message], regions: Any = None) -> bool:
        return permits.can(self.actor, command, regions)

    def reads(self, resource: Resource) -> bool:
        return permits.reads(self.actor, resource)

    def operates_kafka(self) -> bool:
        return permits.operates(self.actor)

    async def read(self, service: str, path: str, params: Mapping[str, str] | None = None
                   ) -> Answer:
        return await self.backend.read(service, path, self.token, dict(params or {}))

    async def send(self, service: str, command: Message, key: str, day: date | None
                   ) -> Notice:
        """Send and say what became of it, in words."""
        try:
            answer = await self.backend.send(service, command, key, self.token, day)
        except Unavailable:
            return self.down()
        if answer.ok:
            return Notice("ok", self.t("已受理"))
        if answer.pending:
            return Notice("pending", self.t("已提交，等待服务处理"))
        return self.refused(answer)

    async def act(self, form: Form, command: Message | None, service: str, key: str,
                  day: date | None, done: str, redraw: Redraw) -> web.StreamResponse:
        """A form's command: invalid, the page again (400); sent and accepted, on to `done`
        (post/redirect/get); refused or the service down, the page again with the form kept
        and the reason in words (422 / 503)."""
        if command is None:
            return await redraw(self.invalid(form), 400)
        notice = await self.send(service, command, key, day)
        if notice.kind in ("ok", "pending"):
            sep = "&" if "?" in done else "?"
            raise web.HTTPSeeOther(f"{done}{sep}done={notice.kind}")
        return await redraw(notice, 503 if notice.kind == "down" else 422)

    def refused(self, answer: Answer) -> Notice:
        words_ = words.refusal(answer.code)
        title = f"{self.t('服务拒绝')}：{self.t(words_)}"
        return Notice("refused", title, f"{answer.code}: {answer.reason}".strip(": "))

    def down(self) -> Notice:
        return Notice("down", self.t("服务暂不可用，表单已保留，请稍后重试"))

    def invalid(self, form: Form) -> Notice:
        return Notice("invalid", self.t("输入有误"), "；".join(
            f"{k}: {v}" for k, v in form.errors.items()))


Handler = Callable[[Desk], Awaitable[web.StreamResponse]]
Redraw = Callable[[Notice, int], Awaitable[web.StreamResponse]]
"""The page a form was on, drawn again with a notice and a status."""


def language(request: web.Request) -> str:
    asked = request.query.get("lang") or request.cookies.get(LANG_COOKIE) or i18n.DEFAULT
    return asked if asked in i18n.LANGS else i18n.DEFAULT


def page(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Signed in, or to the sign-in page; a service that does not answer is a message."""
    async def run(request: web.Request) -> web.StreamResponse:
        signed = signin.who(request)
        lang = language(request)
        if signed is None:
            expired = "1" if request.cookies.get(signin.COOKIE) else ""
            raise web.HTTPSeeOther(f"/signin?next={quote(request.path_qs)}&expired={expired}")
        desk = Desk(request, signed[0], signed[1], lang)
        try:
            response = await handler(desk)
        except Unavailable as exc:
            response = desk.render("unavailable.html", status=503, service=exc.service,
                                   notice=desk.down())
        if "lang" in request.query and request.query["lang"] in i18n.LANGS:
            response.set_cookie(LANG_COOKIE, request.query["lang"], samesite="Strict")
        return response
    return run


def forbidden(desk: Desk) -> web.Response:
    return desk.render("forbidden.html", status=403)


async def form_of(desk: Desk, action: str, subject: str = "") -> Form:
    """The posted form; its name is `action`, or `action:<value of field subject>` where a
    page holds one such form per row (kept filled on that row only)."""
    data = await desk.request.post()
    values = {k: str(v).strip() for k, v in data.items() if isinstance(v, str)}
    return Form(f"{action}:{values.get(subject, '')}" if subject else action, values)


def build(model: type[BaseModel], form: Form, fields: Mapping[str, Any]) -> Any:
    """The command, or None with the form's errors filled (validated before sending)."""
    if form.errors:
        return None
    try:
        return model.model_validate(dict(fields))
    except ValidationError as exc:
        for err in exc.errors():
            where = str(err["loc"][0]) if err["loc"] else "-"
            form.errors[where] = err["msg"]
        return None


def required(form: Form, *names: str) -> None:
    for name in names:
        if not form.get(name):
            form.errors[name] = "此项必填"


def day_field(form: Form, name: str) -> date | None:
    raw = form.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        form.errors[name] = "YYYY-MM-DD"
        return None


def fen_field(form: Form, name: str) -> int | None:
    """Yuan as typed (two decimals at most) to integer fen; no float on the way."""
    raw = form.get(name).replace(",", "")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        form.errors[name] = "0.00"
        return None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        form.errors[name] = "0.00"
        return None
    return int(amount * 100)
