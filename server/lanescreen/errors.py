"""lanescreen's one vocabulary of errors a caller is told about.

Every error the domain, the store, the vision layer or the access check raises for a caller
derives from :class:`LanescreenError` and names its status, a gRPC status code name. The edges
translate with the one table below: the gRPC servicers abort with that code
(:func:`lanescreen.api.errors.status_of`), the console answers an API refusal with
:data:`HTTP_STATUS` of its code. Anything else is an internal error, answered as such.
"""

from __future__ import annotations

from typing import ClassVar


class LanescreenError(Exception):
    """The root: a problem the caller is told about, in words naming it."""

    status: ClassVar[str] = "INTERNAL"


class NotFoundError(LanescreenError, LookupError):
    """A lane, watchlist, entry or decision does not exist."""

    status = "NOT_FOUND"


class ConflictError(LanescreenError, ValueError):
    """The request contradicts stored state, e.g. a duplicate watchlist name."""

    status = "ALREADY_EXISTS"


class InvalidRequestError(LanescreenError, ValueError):
    """The request itself is malformed; the message names the field."""

    status = "INVALID_ARGUMENT"


class RateLimitedError(LanescreenError):
    """A caller sends faster than its limit allows; it may retry."""

    status = "RESOURCE_EXHAUSTED"


class ForbiddenError(LanescreenError, PermissionError):
    """The caller may not do this here, e.g. approve their own change."""

    status = "PERMISSION_DENIED"


class UnauthenticatedError(LanescreenError):
    """No credentials, or ones that are unknown, expired or revoked."""

    status = "UNAUTHENTICATED"


class PreconditionError(LanescreenError, ValueError):
    """The target is not in a state that allows this, e.g. approving an entry that is not
    pending, or enrolling faces on a server that screens none."""

    status = "FAILED_PRECONDITION"


class UnsupportedError(LanescreenError):
    """This server version cannot do what is asked, e.g. screen frames of an unknown camera."""

    status = "UNIMPLEMENTED"


class UnavailableError(LanescreenError):
    """Something the request needs (the database) cannot be reached now; try again later."""

    status = "UNAVAILABLE"


HTTP_STATUS: dict[str, int] = {
    "INVALID_ARGUMENT": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "FAILED_PRECONDITION": 409,
    "RESOURCE_EXHAUSTED": 429,
    "INTERNAL": 500,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}
"""The HTTP answer to each status (by gRPC code name); any other code is 500."""


def http_status(code: str) -> int:
    return HTTP_STATUS.get(code, 500)
