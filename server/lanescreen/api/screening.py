"""ScreeningService: a thin servicer over :class:`lanescreen.domain.screening.Screener`."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import grpc

from ..domain.errors import NotFoundError
from ..domain.screening import Screener, UnsupportedCameraError
from ..v1 import screening_pb2, screening_pb2_grpc
from ..vision.image import FrameError
from .mapping import decision_to_pb, frame_from_pb

log = logging.getLogger(__name__)

DEADLINE_MARGIN_S = 0.010
"""Kept back from a caller's gRPC deadline so the reply is on the wire before it expires."""


def frame_status(exc: Exception) -> tuple[grpc.StatusCode, str]:
    """The gRPC status for a frame that cannot be screened, and a message naming the problem."""
    if isinstance(exc, FrameError):
        code = (
            grpc.StatusCode.RESOURCE_EXHAUSTED
            if exc.code == "too_large"
            else grpc.StatusCode.INVALID_ARGUMENT
        )
        return code, str(exc)
    if isinstance(exc, NotFoundError):
        return grpc.StatusCode.NOT_FOUND, str(exc)
    if isinstance(exc, UnsupportedCameraError):
        return grpc.StatusCode.UNIMPLEMENTED, str(exc)
    if isinstance(exc, ValueError):
        return grpc.StatusCode.INVALID_ARGUMENT, str(exc)
    return grpc.StatusCode.INTERNAL, f"internal error: {type(exc).__name__}"


class ScreeningServicer(screening_pb2_grpc.ScreeningServiceServicer):
    def __init__(self, screener: Screener) -> None:
        self._screener = screener

    def _screen(
        self, request: screening_pb2.Frame, context: grpc.ServicerContext
    ) -> screening_pb2.Decision:
        received_at = time.perf_counter()
        if not request.lane_id:
            raise ValueError("frame has no lane_id")
        remaining = context.time_remaining()
        deadline = None if remaining is None else received_at + remaining - DEADLINE_MARGIN_S
        decision = self._screener.screen(
            frame_from_pb(request), received_at=received_at, deadline=deadline
        )
        return decision_to_pb(decision)

    def ScreenFrame(
        self, request: screening_pb2.Frame, context: grpc.ServicerContext
    ) -> screening_pb2.Decision:
        try:
            return self._screen(request, context)
        except Exception as exc:
            code, message = frame_status(exc)
            if code is grpc.StatusCode.INTERNAL:
                log.exception(
                    "screening frame %s of lane %s failed", request.frame_id, request.lane_id
                )
            context.abort(code, message)

    def Screen(
        self, request_iterator: Iterator[screening_pb2.Frame], context: grpc.ServicerContext
    ) -> Iterator[screening_pb2.ScreenResponse]:
        for frame in request_iterator:
            try:
                decision = self._screen(frame, context)
            except Exception as exc:
                code, message = frame_status(exc)
                if code is grpc.StatusCode.INTERNAL:
                    log.exception(
                        "screening frame %s of lane %s failed", frame.frame_id, frame.lane_id
                    )
                error = screening_pb2.FrameError(code=code.value[0], message=message)
                yield screening_pb2.ScreenResponse(frame_id=frame.frame_id, error=error)
            else:
                yield screening_pb2.ScreenResponse(frame_id=frame.frame_id, decision=decision)
