"""What every console page shares: the API client, the sign-in, templates, flashes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from ..domain.dispositions import CODES
from .api import ConsoleApi
from .sessions import SessionPolicy, SignIn
from .views import FILTERS

HERE = Path(__file__).parent
SESSION_COOKIE = "lanescreen_console"
CSRF_FIELD = "csrftoken"


@dataclass(frozen=True)
class ConsoleSettings:
    session_s: float = 8 * 3600.0
    idle_s: float = 30 * 60.0
    https: bool = False
    """Mark cookies Secure (the console serves HTTPS itself)."""


class SignInNeeded(Exception):
    """The request has no live sign-in: it is sent to the sign-in page, and shown nothing."""


class Console:
    """The state the handlers share: the API client, the sign-in policy, the templates."""

    def __init__(self, api: ConsoleApi, settings: ConsoleSettings) -> None:
        self.api = api
        self.settings = settings
        self.sessions = SessionPolicy(settings.session_s, settings.idle_s)
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.filters.update(FILTERS)
        self.templates.env.globals["codes"] = {str(k): v for k, v in CODES.items()}

    def signed_in(self, request: Request) -> SignIn:
        sign_in = self.sessions.current(request)
        if sign_in is None:
            raise SignInNeeded
        return sign_in

    async def call(self, request: Request, method: Callable[..., Any], message: Any) -> Any:
        """One API call as the person signed in at ``request``."""
        return await self.api.call(self.signed_in(request).token, method, message)

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        sign_in = self.sessions.current(request)
        flash = request.session.pop("flash", None)
        return self.templates.TemplateResponse(
            request,
            template,
            {
                "person": sign_in.person if sign_in else None,
                "csrf": request.scope["csrftoken"](),
                "csrf_field": CSRF_FIELD,
                "flash": flash,
                **context,
            },
            status_code=status,
        )


def flash(request: Request, message: str) -> None:
    """A line the next page shows once (what the last action did)."""
    request.session["flash"] = message


def back(path: str, **query: str) -> RedirectResponse:
    target = path + ("?" + urlencode({k: v for k, v in query.items() if v}) if query else "")
    return RedirectResponse(target, status_code=303)
