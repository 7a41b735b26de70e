"""Sign-in, sign-out and the home page (what this person may use)."""

from __future__ import annotations

from aiohttp import web

from console import i18n, signin
from console.web import TEMPLATES, Desk, language, page


def _safe_next(raw: str) -> str:
    # only a path of this console: never an open redirect to another site
    return raw if raw.startswith("/") and not raw.startswith("//") else "/"


async def signin_form(request: web.Request, error: str = "", status: int = 200,
                      user: str = "") -> web.Response:
    lang = language(request)
    t = i18n.translator(lang)
    message = error or (t("登录已失效，请重新登录") if request.query.get("expired") else "")
    body = request.app[TEMPLATES].get_template("signin.html").render(
        t=t, lang=lang, error=message, user=user,
        next=_safe_next(request.query.get("next", "/")))
    return web.Response(text=body, content_type="text/html", status=status)


async def signin_get(request: web.Request) -> web.Response:
    return await signin_form(request)


async def signin_post(request: web.Request) -> web.StreamResponse:
    data = await request.post()
    user, password = str(data.get("user", "")).strip(), str(data.get("password", ""))
    t = i18n.translator(language(request))
    if not user or not password:
        return await signin_form(request, t("此项必填"), 400, user)
    token = await signin.sign_in(user, password)
    if token is None:
        return await signin_form(request, t("用户名或密码不正确"), 401, user)
    response = web.HTTPSeeOther(_safe_next(str(data.get("next", "/"))))
    signin.set_cookie(response, token)
    return response


async def signout(request: web.Request) -> web.StreamResponse:
    response = web.HTTPSeeOther("/signin")
    response.del_cookie(signin.COOKIE, path="/")
    return response


@page
async def home(desk: Desk) -> web.StreamResponse:
    return desk.render("home.html")


def routes(app: web.Application) -> None:
    app.router.add_get("/signin", signin_get)
    app.router.add_post("/signin", signin_post)
    app.router.add_post("/signout", signout)
    app.router.add_get("/", home)
