"""gRPC server metrics: every RPC counted by method and final status, and timed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc

from ..telemetry.metrics import Metrics
from .grpc_types import Handler, ServerInterceptor


def _code(context: grpc.ServicerContext, failed: bool) -> str:
    code = context.code()  # type: ignore[attr-defined]  # set by abort() and set_code()
    if isinstance(code, grpc.StatusCode):
        return code.name
    return "UNKNOWN" if failed else "OK"


class RpcMetricsInterceptor(ServerInterceptor):
    """Counts and times the RPCs of the services this server has (unknown methods have no
    handler and are not counted, so the method label stays bounded). Outermost, so refusals by
    the interceptors inside it count too."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def intercept_service(
        self, continuation: Callable[[Any], Handler | None], details: Any
    ) -> Handler | None:
        handler = continuation(details)
        if handler is None:
            return None
        method: str = details.method
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(method, handler.unary_unary),
                handler.request_deserializer,
                handler.response_serializer,
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._unary(method, handler.stream_unary),
                handler.request_deserializer,
                handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._streaming(method, handler.unary_stream),
                handler.request_deserializer,
                handler.response_serializer,
            )
        return grpc.stream_stream_rpc_method_handler(
            self._streaming(method, handler.stream_stream),
            handler.request_deserializer,
            handler.response_serializer,
        )

    def _unary(self, method: str, behaviour: Callable[..., Any] | None) -> Callable[..., Any]:
        assert behaviour is not None

        def counted(request: Any, context: grpc.ServicerContext) -> Any:
            start, failed = time.perf_counter(), True
            try:
                response = behaviour(request, context)
                failed = False
                return response
            finally:
                self._metrics.rpc(method, _code(context, failed), time.perf_counter() - start)

        return counted

    def _streaming(self, method: str, behaviour: Callable[..., Any] | None) -> Callable[..., Any]:
        assert behaviour is not None

        def counted(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            start, failed, code = time.perf_counter(), True, ""
            try:
                yield from behaviour(request, context)
                failed = False
            except GeneratorExit:  # the caller went away mid-stream
                code = grpc.StatusCode.CANCELLED.name
                raise
            finally:
                if not code and failed and not context.is_active():
                    code = grpc.StatusCode.CANCELLED.name  # the caller left, or its deadline
                code = code or _code(context, failed)
                self._metrics.rpc(method, code, time.perf_counter() - start)

        return counted
