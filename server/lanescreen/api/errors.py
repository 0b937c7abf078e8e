"""The gRPC edge of lanescreen's error vocabulary (:mod:`lanescreen.errors`): one translation
from an error to a status code and message, used by every servicer."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any, TypeVar

import grpc
from sqlalchemy.exc import SQLAlchemyError

from ..errors import LanescreenError


def status_of(exc: Exception) -> tuple[grpc.StatusCode, str]:
    """The status a caller gets for ``exc``, and the message naming the problem."""
    if isinstance(exc, LanescreenError):
        return grpc.StatusCode[exc.status], str(exc)
    if isinstance(exc, SQLAlchemyError):
        cause = " ".join(str(getattr(exc, "orig", exc)).split())[:300]
        return (
            grpc.StatusCode.UNAVAILABLE,
            f"the database is unreachable ({cause}); screening goes on, try this again later",
        )
    if isinstance(exc, ValueError):  # a library's refusal of the caller's bytes (a frame's)
        return grpc.StatusCode.INVALID_ARGUMENT, str(exc)
    return grpc.StatusCode.INTERNAL, f"internal error: {type(exc).__name__}"


R = TypeVar("R")


def errors_to_status(method: Callable[..., R]) -> Callable[..., R]:
    """A servicer method that answers lanescreen's errors (and an unreachable database) with
    their status and message; anything else stays an internal error, logged by gRPC. Streaming
    methods (generators) are covered while they stream."""
    if inspect.isgeneratorfunction(method):

        @wraps(method)
        def streaming(self: Any, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            try:
                yield from method(self, request, context)
            except (LanescreenError, SQLAlchemyError) as exc:
                context.abort(*status_of(exc))

        return streaming  # type: ignore[return-value]

    @wraps(method)
    def unary(self: Any, request: Any, context: grpc.ServicerContext) -> R:
        try:
            return method(self, request, context)
        except (LanescreenError, SQLAlchemyError) as exc:
            context.abort(*status_of(exc))

    return unary
