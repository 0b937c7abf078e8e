"""Names for grpc's generic types, which are generic only in the type stubs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import grpc

if TYPE_CHECKING:
    ServerInterceptor = grpc.ServerInterceptor[Any, Any]
    Handler = grpc.RpcMethodHandler[Any, Any]
else:
    ServerInterceptor = grpc.ServerInterceptor
    Handler = grpc.RpcMethodHandler
