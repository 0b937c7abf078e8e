"""The console's client of the lanescreen gRPC API: every call made as the signed-in person.

The console holds a console certificate, which on its own may call nothing but health checks
and :rpc:`GetCaller`; each call adds the person's bearer token, so the server checks that
person's roles for every page and action exactly as it does for any other client, and trails
each refusal. The console never opens the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
import grpc.aio

from ..api.auth import ACTOR_METADATA_KEY, AUTHORIZATION_METADATA_KEY
from ..errors import LanescreenError, http_status
from ..v1 import audit_pb2_grpc, site_pb2, site_pb2_grpc, watchlist_pb2_grpc

CALL_TIMEOUT_S = 10.0
"""A page waits at most this for one answer; a server that takes longer is shown as busy."""

Reply = TypeVar("Reply")


@dataclass(frozen=True)
class Person:
    """Who is signed in, as the server named them at sign-in."""

    name: str
    roles: frozenset[str]

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


class ApiError(LanescreenError):
    """The API refused or could not answer a call; ``code`` is its gRPC status name and
    :attr:`http` the console's answer for it (:data:`lanescreen.errors.HTTP_STATUS`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http(self) -> int:
        return http_status(self.code)

    @classmethod
    def of(cls, exc: grpc.aio.AioRpcError) -> ApiError:
        code = exc.code()
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            detail = exc.details() or code.name
            return cls(code.name, f"the lanescreen server does not answer now ({detail})")
        return cls(code.name, exc.details() or code.name)


class ConsoleApi:
    """Stubs of the services the console uses over one channel, and the person's credentials
    for each call. ``credentials=None`` is development mode: plaintext, and the person named
    by what they typed at sign-in (``x-lanescreen-actor``)."""

    def __init__(self, target: str, credentials: grpc.ChannelCredentials | None) -> None:
        self.target = target
        self.dev = credentials is None
        self._credentials = credentials
        self._channel: grpc.aio.Channel | None = None

    def _open(self) -> grpc.aio.Channel:
        """The channel, made on first use: a grpc.aio channel belongs to the event loop it was
        made in, which is the web server's, started after this object."""
        if self._channel is None:
            self._channel = (
                grpc.aio.insecure_channel(self.target)
                if self._credentials is None
                else grpc.aio.secure_channel(self.target, self._credentials)
            )
        return self._channel

    @property
    def audit(self) -> audit_pb2_grpc.AuditServiceStub:
        return audit_pb2_grpc.AuditServiceStub(self._open())

    @property
    def watchlists(self) -> watchlist_pb2_grpc.WatchlistServiceStub:
        return watchlist_pb2_grpc.WatchlistServiceStub(self._open())

    @property
    def site(self) -> site_pb2_grpc.SiteServiceStub:
        return site_pb2_grpc.SiteServiceStub(self._open())

    def metadata(self, token: str) -> tuple[tuple[str, str], ...]:
        if self.dev:
            return ((ACTOR_METADATA_KEY, token),)
        return ((AUTHORIZATION_METADATA_KEY, f"Bearer {token}"),)

    async def call(self, token: str, method: Callable[..., Any], request: Any) -> Any:
        """``method(request)`` as the person whose token this is; :class:`ApiError` if refused."""
        try:
            return await method(request, metadata=self.metadata(token), timeout=CALL_TIMEOUT_S)
        except grpc.aio.AioRpcError as exc:
            raise ApiError.of(exc) from None

    async def stream(
        self, token: str, method: Callable[..., Any], request: Any, *, timeout: float | None = None
    ) -> AsyncIterator[Any]:
        """The replies of a server-streaming ``method``, as the person; :class:`ApiError`."""
        call = method(request, metadata=self.metadata(token), timeout=timeout)
        try:
            async for reply in call:
                yield reply
        except grpc.aio.AioRpcError as exc:
            raise ApiError.of(exc) from None
        finally:
            call.cancel()

    async def sign_in(self, token: str) -> Person:
        """The person ``token`` belongs to; ApiError if it is none (unknown, revoked, or not
        presented over a console certificate)."""
        caller = await self.call(token, self.site.GetCaller, site_pb2.GetCallerRequest())
        if not caller.person:
            raise ApiError(
                "PERMISSION_DENIED",
                f"{caller.name} is not a person: sign in with your own token "
                "(lanescreen users add), at a console holding a console certificate",
            )
        return Person(caller.name, frozenset(caller.roles))

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close(grace=None)
            self._channel = None
