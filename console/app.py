"""The console's aiohttp application: routes, templates, static files, the backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from console.backend import Backend
from console.pages import claims, clearing, encounters, entry, operators, registrations
from console.web import BACKEND, HERE, TEMPLATES, environment


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def make_app(urls: dict[str, str]) -> web.Application:
    app = web.Application(client_max_size=256 * 1024)
    app[BACKEND] = Backend(urls)
    app[TEMPLATES] = environment()
    for module in (entry, registrations, encounters, claims, clearing, operators):
        module.routes(app)
    app.router.add_get("/health", health)
    app.router.add_static("/static", HERE / "static")

    async def backend_session(app: web.Application) -> AsyncIterator[None]:
        yield
        await app[BACKEND].close()

    app.cleanup_ctx.append(backend_session)
    return app
