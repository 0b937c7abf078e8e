"""The officers' console: a Starlette application whose every page is one or a few gRPC calls,
made as the signed-in person (:mod:`.api`), and a template.

Handlers map a request to calls and a page, and nothing more: who may see or do what is the
API's decision (a refusal is shown, and the server trails it), checked values are the domain's
(the server names a bad field). Forms post back and redirect (POST-redirect-GET), so a reload
never repeats an action; every form carries a CSRF token (asgi-csrf, double-submit cookie), and
the session cookie is signed, HttpOnly and SameSite=Strict (Starlette's SessionMiddleware).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, cast
from urllib.parse import parse_qs

from asgi_csrf import asgi_csrf
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import InvalidRequestError
from ..v1 import audit_pb2
from . import pages
from .api import ApiError, ConsoleApi
from .web import (
    CSRF_FIELD,
    HERE,
    SESSION_COOKIE,
    Console,
    ConsoleSettings,
    SignInNeeded,
    back,
    flash,
)

log = logging.getLogger(__name__)

Handler = Callable[[Console, Request], Awaitable[Response]]


def route(path: str, handler: Handler, console: Console, methods: list[str]) -> Route:
    async def endpoint(request: Request) -> Response:
        return await handler(console, request)

    return Route(path, endpoint, methods=methods)


def create_app(api: ConsoleApi, settings: ConsoleSettings | None = None) -> ASGIApp:
    """The console as an ASGI application calling the API through ``api``."""
    settings = settings or ConsoleSettings()
    console = Console(api, settings)
    routes: list[BaseRoute] = [
        route(path, handler, console, methods) for path, handler, methods in pages.ROUTES
    ]
    routes.append(Route("/queue/events", _events(console), methods=["GET"]))
    routes.append(Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"))
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=secrets.token_urlsafe(32),
                session_cookie=SESSION_COOKIE,
                max_age=int(settings.session_s),
                same_site="strict",
                https_only=settings.https,
            ),
        ],
        exception_handlers={
            SignInNeeded: _to_sign_in,
            ApiError: _refused(console),
            InvalidRequestError: _refused(console),
            HTTPException: _http_error(console),
        },
        lifespan=_closing(api),
    )
    protected = cast(
        ASGIApp,
        asgi_csrf(
            app,
            signing_secret=secrets.token_urlsafe(32),
            cookie_name="lanescreen_csrf",
            cookie_secure=settings.https,
            cookie_samesite="Strict",
            always_protect={"/signin"},
            send_csrf_failed=_csrf_failed,
        ),
    )
    return MultipartCsrf(protected)


def _closing(api: ConsoleApi) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await api.close()

    return lifespan


def _events(console: Console) -> Callable[[Request], Awaitable[Response]]:
    """The live queue: new alerts as table rows, pushed as server-sent events."""

    async def endpoint(request: Request) -> Response:
        sign_in = console.signed_in(request)
        watch = audit_pb2.WatchHitsRequest(filter=pages.hit_filter(request.query_params))

        async def rows() -> AsyncIterator[ServerSentEvent]:
            try:
                async for decision in console.api.stream(
                    sign_in.token, console.api.audit.WatchHits, watch
                ):
                    html = console.templates.get_template("_hit_row.html").render(
                        hit=decision, disposition=None, fresh=True
                    )
                    yield ServerSentEvent(data=html, event="hit")
            except ApiError as exc:
                yield ServerSentEvent(data=exc.message, event="refused")

        return EventSourceResponse(rows(), ping=15)

    return endpoint


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    if request.method == "GET" and request.url.path != "/signin":
        return back(
            "/signin",
            next=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        )
    return back("/signin")


def _refused(console: Console) -> Callable[[Request, Exception], Awaitable[Response]]:
    """An API refusal (or a form the console itself cannot send) as a page saying why; a
    token the server no longer accepts ends the sign-in."""

    async def handler(request: Request, exc: Exception) -> Response:
        if isinstance(exc, ApiError):
            code, message, status = exc.code, exc.message, exc.http
        else:
            code, message, status = "INVALID_ARGUMENT", str(exc), 400
        if code == "UNAUTHENTICATED" and request.url.path != "/signin":
            console.sessions.end(request)
            flash(request, f"Signed out: {message}")
            return back("/signin")
        log.info("console: %s %s answered %s: %s", request.method, request.url.path, code, message)
        return console.page(request, "error.html", status, code=code, message=message)

    return handler


def _http_error(console: Console) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return console.page(
            request, "error.html", exc.status_code, code=str(exc.status_code), message=exc.detail
        )

    return handler


async def _csrf_failed(scope: Scope, send: Send, message_id: Any) -> None:
    log.warning("console: refused %s %s without a valid CSRF token", scope["method"], scope["path"])
    body = (
        b"<!doctype html><title>Refused</title><h1>Refused: the form's security token is "
        b"missing or stale</h1><p>Reload the page and send the form again.</p>"
    )
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"text/html; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class MultipartCsrf:
    """CSRF for file uploads without parsing them twice: a multipart form names its CSRF token
    in its action URL (``?csrftoken=``), and this hands it to asgi-csrf as the ``x-csrftoken``
    header, which asgi-csrf compares with its cookie like a form field. asgi-csrf's own
    multipart parser does not work with python-multipart 0.0.26 and later (asgi-csrf issue 38),
    and the earlier python-multipart releases carry CVE-2026-40347; so no multipart body is
    ever given to it, and an upload without the token is refused here (403)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "TRACE"):
            await self.app(scope, receive, send)
            return
        headers = [(k.lower(), v) for k, v in scope.get("headers", [])]
        content_type = dict(headers).get(b"content-type", b"")
        if not content_type.startswith(b"multipart/"):
            await self.app(scope, receive, send)
            return
        token = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(CSRF_FIELD, [""])[0]
        if not token:
            await _csrf_failed(scope, send, None)
            return
        headers = [(k, v) for k, v in headers if k != b"x-csrftoken"]
        headers.append((b"x-csrftoken", token.encode("latin-1")))
        await self.app({**scope, "headers": headers}, receive, send)


class SecurityHeaders:
    """Headers every answer carries: no framing, no sniffing, scripts and styles only from the
    console itself, images from it or the page (evidence), and nothing kept in a cache."""

    HEADERS = (
        (
            b"content-security-policy",
            b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(self.HEADERS)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
