"""Errors the domain and store raise; the wire layer maps each to one gRPC status."""

from __future__ import annotations


class NotFoundError(LookupError):
    """A lane, watchlist, entry or decision does not exist (gRPC NOT_FOUND)."""


class ConflictError(ValueError):
    """The request contradicts stored state, e.g. a duplicate watchlist name (gRPC ALREADY_EXISTS)."""


class InvalidRequestError(ValueError):
    """The request itself is malformed; the message names the field (gRPC INVALID_ARGUMENT)."""


class RateLimitedError(Exception):
    """A caller sends faster than its limit allows (gRPC RESOURCE_EXHAUSTED); it may retry."""


class ForbiddenError(PermissionError):
    """The caller may not do this here, e.g. approve their own change (gRPC PERMISSION_DENIED)."""


class PreconditionError(ValueError):
    """The target is not in a state that allows this, e.g. approving an entry that is not
    pending (gRPC FAILED_PRECONDITION)."""
