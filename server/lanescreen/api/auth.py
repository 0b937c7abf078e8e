"""Authentication and authorisation of every RPC, before any servicer runs.

A server interceptor wraps each method handler: it reads the verified client certificate from the
TLS auth context and an ``authorization: Bearer`` token from the metadata, asks
:mod:`lanescreen.security.identity` who that is and whether the policy lets them call the method,
and either aborts (UNAUTHENTICATED or PERMISSION_DENIED, recorded in the audit trail as
``auth_refused`` by a writer of its own, :class:`RefusalLog`) or runs the servicer with the identity attached to its context
(:func:`identity_of`). Client streams are re-checked at each message, so a revocation reaches an
open Screen stream.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import grpc

from ..security.identity import (
    ANONYMOUS,
    Admission,
    Authenticator,
    AuthError,
    Identity,
    authorize,
    dev_identity,
)
from .grpc_types import ServerInterceptor

log = logging.getLogger(__name__)

ACTOR_METADATA_KEY = "x-lanescreen-actor"
"""Development mode only (``server.insecure_dev``): who the caller says it is. Ignored over TLS."""
AUTHORIZATION_METADATA_KEY = "authorization"

RecordEvent = Callable[[str, str, str, dict[str, Any]], None]
"""``Database.record_event(action, actor, target, detail)``."""

_IDENTITIES: weakref.WeakKeyDictionary[grpc.ServicerContext, Identity] = weakref.WeakKeyDictionary()


def identity_of(context: grpc.ServicerContext) -> Identity | None:
    """The caller the interceptor admitted for this RPC (None outside an intercepted call)."""
    return _IDENTITIES.get(context)


class RefusalLog:
    """Records refused calls in the audit trail (and, at once, the server log), off the
    caller's path: a refusal is queued and written by a thread of its own, so neither a refused
    frame's answer nor a flood of refused calls ever waits on the database. While the database
    fails the writer retries (the refusals wait, in order); past :attr:`MAX_WAITING` waiting,
    further refusals are only logged, and how many were is logged too."""

    MAX_WAITING = 10_000
    RETRY_S = (0.5, 1.0, 2.0, 5.0)

    def __init__(self, record_event: RecordEvent) -> None:
        self._record_event = record_event
        self._waiting: queue.Queue[tuple[str, str, dict[str, Any]] | None] = queue.Queue(
            self.MAX_WAITING
        )
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._write_loop, name="refusals", daemon=True)
        self._thread.start()

    def refused(
        self, context: grpc.ServicerContext, method: str, error: AuthError, **detail: Any
    ) -> None:
        peer = context.peer()
        log.warning(
            "refused %s to %s from %s: %s %s", method, error.actor, peer, error.status, error.reason
        )
        event = {"peer": peer, "code": error.status, "reason": error.reason, **detail}
        try:
            self._waiting.put_nowait((error.actor, method, event))
        except queue.Full:
            log.error("refusal of %s to %s not trailed: too many refusals waiting", method, peer)

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until every refusal queued so far is in the trail; False if not in time."""
        deadline = time.monotonic() + timeout_s
        while self._waiting.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self, timeout_s: float = 5.0) -> None:
        """Write what waits (for at most ``timeout_s``), then stop."""
        self.flush(timeout_s)
        self._closing.set()
        with contextlib.suppress(queue.Full):
            self._waiting.put_nowait(None)
        self._thread.join(timeout=1.0)

    def _write_loop(self) -> None:
        while (item := self._waiting.get()) is not None:
            actor, method, event = item
            for attempt in itertools.count():
                try:
                    self._record_event("auth_refused", actor, method, event)
                    break
                except Exception:
                    if attempt == 0:
                        log.exception("cannot trail the refusal of %s yet; retrying", method)
                    if self._closing.wait(self.RETRY_S[min(attempt, len(self.RETRY_S) - 1)]):
                        log.error("refusal of %s to %s not trailed: stopping", method, actor)
                        break
            self._waiting.task_done()
        self._waiting.task_done()


def _metadata(context: grpc.ServicerContext, key: str) -> str | None:
    for name, value in context.invocation_metadata() or ():
        if name == key and isinstance(value, str):
            return value
    return None


def _bearer_token(context: grpc.ServicerContext) -> str | None:
    header = _metadata(context, AUTHORIZATION_METADATA_KEY)
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        # Not a refusal reason of its own: an empty token is simply unknown.
        return ""
    return token.strip()


def _peer_certificate(context: grpc.ServicerContext) -> bytes | None:
    # The auth context maps each property to a list of values (the stubs say one value).
    pems: Any = context.auth_context().get("x509_pem_cert") or []
    return bytes(pems[0]) if pems else None


class AuthInterceptor(ServerInterceptor):
    """Admits or refuses every call. ``authenticator=None`` is development mode: plaintext,
    callers named by ``x-lanescreen-actor`` metadata, every role allowed."""

    def __init__(self, authenticator: Authenticator | None, refusals: RefusalLog) -> None:
        self._authenticator = authenticator
        self._refusals = refusals

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None  # no such method: gRPC answers UNIMPLEMENTED and runs nothing
        return _wrap(handler, _Gate(self, handler_call_details.method))

    def admit(self, context: grpc.ServicerContext, method: str) -> Admission:
        """Who is calling and whether they may; aborts the call (after recording it) if not."""
        if self._authenticator is None:
            identity = dev_identity(_metadata(context, ACTOR_METADATA_KEY) or "", context.peer())
            _IDENTITIES[context] = identity
            return Admission(identity)
        try:
            admission = self._authenticator.authenticate(
                _peer_certificate(context), _bearer_token(context)
            )
            authorize(admission.identity, method)
        except AuthError as exc:
            self._refuse(context, method, exc)
        except Exception:
            log.exception("cannot check the credentials of a call to %s", method)
            context.abort(grpc.StatusCode.UNAVAILABLE, "credentials cannot be checked right now")
        _IDENTITIES[context] = admission.identity
        return admission

    def recheck(self, context: grpc.ServicerContext, method: str, admission: Admission) -> None:
        if self._authenticator is None:
            return
        try:
            self._authenticator.recheck(admission)
        except AuthError as exc:
            self._refuse(context, method, exc)

    def _refuse(self, context: grpc.ServicerContext, method: str, error: AuthError) -> NoReturn:
        self._refusals.refused(context, method, error)
        context.abort(grpc.StatusCode[error.status], error.reason)


class _Gate:
    """One method's admission, shared by the handler wrappers below."""

    def __init__(self, interceptor: AuthInterceptor, method: str) -> None:
        self.interceptor = interceptor
        self.method = method

    def admit(self, context: grpc.ServicerContext) -> Admission:
        return self.interceptor.admit(context, self.method)

    def guard(
        self, requests: Iterator[Any], context: grpc.ServicerContext, admission: Admission
    ) -> Iterator[Any]:
        for request in requests:
            self.interceptor.recheck(context, self.method, admission)
            yield request


def _wrap(handler: grpc.RpcMethodHandler[Any, Any], gate: _Gate) -> grpc.RpcMethodHandler[Any, Any]:
    """The same handler, admitting each call first."""
    serializers = (handler.request_deserializer, handler.response_serializer)
    if handler.unary_unary:
        unary_unary = handler.unary_unary

        def uu(request: Any, context: grpc.ServicerContext) -> Any:
            gate.admit(context)
            return unary_unary(request, context)

        return grpc.unary_unary_rpc_method_handler(uu, *serializers)
    if handler.unary_stream:
        unary_stream = handler.unary_stream

        def us(request: Any, context: grpc.ServicerContext) -> Any:
            gate.admit(context)
            return unary_stream(request, context)

        return grpc.unary_stream_rpc_method_handler(us, *serializers)
    if handler.stream_unary:
        stream_unary = handler.stream_unary

        def su(requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
            admission = gate.admit(context)
            return stream_unary(gate.guard(requests, context, admission), context)

        return grpc.stream_unary_rpc_method_handler(su, *serializers)
    stream_stream = handler.stream_stream
    assert stream_stream is not None, "a method handler has one behaviour"

    def ss(requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
        admission = gate.admit(context)
        return stream_stream(gate.guard(requests, context, admission), context)

    return grpc.stream_stream_rpc_method_handler(ss, *serializers)


def actor_of(context: grpc.ServicerContext) -> str:
    """The authenticated caller's name, recorded with everything they change."""
    identity = identity_of(context)
    return identity.name if identity is not None else f"{ANONYMOUS}@{context.peer()}"
