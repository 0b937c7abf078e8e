"""Who is signed in at the console, kept in Starlette's signed session cookie.

The cookie holds the person's name and roles (for showing the right links) and their bearer
token sealed with Fernet (AES with an HMAC, from ``cryptography``) under a key only this console
process knows, so neither the browser nor anyone who copies the cookie can read the token, and a
restarted console signs everyone out. What the person may do is never decided from the cookie:
every page calls the API with the token, and the server checks the roles.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from starlette.requests import Request

from .api import Person

_KEY = "person"


@dataclass(frozen=True)
class SignIn:
    """A signed-in person and the token every API call of theirs carries."""

    person: Person
    token: str


class SessionPolicy:
    """Seals tokens, and ends a sign-in past its lifetime or after being left idle."""

    def __init__(self, session_s: float, idle_s: float) -> None:
        self._fernet = Fernet(Fernet.generate_key())
        self.session_s = session_s
        self.idle_s = idle_s

    def start(self, request: Request, person: Person, token: str) -> None:
        now = time.time()
        request.session.clear()
        request.session[_KEY] = {
            "name": person.name,
            "roles": sorted(person.roles),
            "sealed": self._fernet.encrypt(token.encode()).decode(),
            "since": now,
            "seen": now,
        }

    def current(self, request: Request) -> SignIn | None:
        """The sign-in of this request, or None (none, expired, idle too long, or sealed by a
        console process that is gone); a live one is marked as just used."""
        held = request.session.get(_KEY)
        if not isinstance(held, dict):
            return None
        now = time.time()
        if now - held.get("since", 0) > self.session_s or now - held.get("seen", 0) > self.idle_s:
            request.session.clear()
            return None
        try:
            token = self._fernet.decrypt(str(held["sealed"]).encode()).decode()
        except (InvalidToken, KeyError, UnicodeError):
            request.session.clear()
            return None
        held["seen"] = now
        request.session[_KEY] = held
        return SignIn(Person(str(held["name"]), frozenset(held.get("roles", ()))), token)

    def end(self, request: Request) -> None:
        request.session.clear()
