"""ScreeningService: a thin servicer over :class:`lanescreen.domain.screening.Screener`.

A lane terminal screens only as itself: each frame's ``lane_id`` must be one of the lanes its
certificate names (the identity :mod:`lanescreen.api.auth` attached), else that frame is refused
with PERMISSION_DENIED and the refusal recorded; a Screen stream goes on with the next frame.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

import grpc

from ..domain.decisions import Decision
from ..domain.screening import Screener
from ..security.identity import PermissionDenied
from ..telemetry.observer import Telemetry
from ..v1 import screening_pb2, screening_pb2_grpc
from .auth import RefusalLog, identity_of
from .errors import status_of
from .mapping import decision_to_pb, frame_from_pb

log = logging.getLogger(__name__)

DEADLINE_MARGIN_S = 0.010
"""Kept back from a caller's gRPC deadline so the reply is on the wire before it expires."""
SCREEN_FRAME = "/lanescreen.v1.ScreeningService/ScreenFrame"
SCREEN = "/lanescreen.v1.ScreeningService/Screen"


class RefusalPacing:
    """Slows a Screen stream whose frames keep being refused: after the n-th refusal in a row
    the next frame is read only after ``FIRST_PAUSE_S * 2**(n-1)`` (at most ``MAX_PAUSE_S``).
    Not reading is backpressure: HTTP/2 flow control stops the terminal sending, so a lane
    sending oversized frames or bombs as fast as it can costs the server one frame a second,
    not its CPUs. One refused frame of a good terminal costs it 50 ms; a decided frame resets."""

    FIRST_PAUSE_S = 0.05
    MAX_PAUSE_S = 1.0

    def __init__(self, sleep: Callable[[float], object] = time.sleep) -> None:
        self._refused = 0
        self._sleep = sleep

    def decided(self) -> None:
        self._refused = 0

    def refused(self) -> None:
        self._refused += 1
        self._sleep(min(self.MAX_PAUSE_S, self.FIRST_PAUSE_S * 2 ** (self._refused - 1)))


class ScreeningServicer(screening_pb2_grpc.ScreeningServiceServicer):
    def __init__(
        self,
        screener: Screener,
        refusals: RefusalLog | None = None,
        node_status: Callable[[], screening_pb2.NodeStatus] = screening_pb2.NodeStatus,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._screener = screener
        self._refusals = refusals
        self._node_status = node_status
        self._telemetry = telemetry or Telemetry()

    def GetNodeStatus(
        self, request: screening_pb2.GetNodeStatusRequest, context: grpc.ServicerContext
    ) -> screening_pb2.NodeStatus:
        return self._node_status()

    def _check_lane(
        self, request: screening_pb2.Frame, context: grpc.ServicerContext
    ) -> PermissionDenied | None:
        """The refusal if the caller may not screen as the frame's lane, else None (a frame
        without a lane is refused as malformed by :meth:`_screen`)."""
        identity = identity_of(context)
        if not request.lane_id or (identity is not None and identity.may_screen(request.lane_id)):
            return None
        who = identity.name if identity is not None else "anonymous"
        own = ", ".join(sorted(identity.lanes)) if identity is not None else ""
        return PermissionDenied(
            f"{who} may not screen as lane {request.lane_id!r} (its lanes: {own or 'none'})", who
        )

    def _screen(
        self,
        request: screening_pb2.Frame,
        context: grpc.ServicerContext,
        method: str,
        refused_lanes: set[str],
    ) -> screening_pb2.Decision | tuple[grpc.StatusCode, str]:
        """The frame's decision, or the status it is refused with (reported to metrics and its
        trace alike; a lane the caller may not screen as, to the trail once per lane in
        ``refused_lanes``: a misconfigured terminal must not flood it)."""
        received_at = time.perf_counter()
        stream = method == SCREEN
        with self._telemetry.frame(request.lane_id, request.frame_id, own_trace=stream) as frame:
            try:
                decision = self._decide(request, context, method, received_at, refused_lanes)
                reply = decision_to_pb(decision)
            except Exception as exc:
                code, message = status_of(exc)
                if code is grpc.StatusCode.INTERNAL:
                    log.exception(
                        "screening frame %s of lane %s failed", request.frame_id, request.lane_id
                    )
                frame.refused(code.name)
                return code, message
            frame.decided(decision)
        return reply

    def _decide(
        self,
        request: screening_pb2.Frame,
        context: grpc.ServicerContext,
        method: str,
        received_at: float,
        refused_lanes: set[str],
    ) -> Decision:
        refusal = self._check_lane(request, context)
        if refusal is not None:
            if request.lane_id not in refused_lanes:
                refused_lanes.add(request.lane_id)
                self._refused(context, method, refusal, request.lane_id)
            raise refusal
        if not request.lane_id:
            raise ValueError("frame has no lane_id")
        remaining = context.time_remaining()
        deadline = None if remaining is None else received_at + remaining - DEADLINE_MARGIN_S
        return self._screener.screen(
            frame_from_pb(request), received_at=received_at, deadline=deadline
        )

    def _refused(
        self, context: grpc.ServicerContext, method: str, refusal: PermissionDenied, lane_id: str
    ) -> None:
        if self._refusals is not None:
            self._refusals.refused(context, method, refusal, lane_id=lane_id)

    def ScreenFrame(
        self, request: screening_pb2.Frame, context: grpc.ServicerContext
    ) -> screening_pb2.Decision:
        answer = self._screen(request, context, SCREEN_FRAME, set())
        if isinstance(answer, tuple):
            context.abort(*answer)
        return answer

    def Screen(
        self, request_iterator: Iterator[screening_pb2.Frame], context: grpc.ServicerContext
    ) -> Iterator[screening_pb2.ScreenResponse]:
        pacing = RefusalPacing()
        refused_lanes: set[str] = set()
        for frame in request_iterator:
            answer = self._screen(frame, context, SCREEN, refused_lanes)
            if isinstance(answer, tuple):
                code, message = answer
                error = screening_pb2.FrameError(code=code.value[0], message=message)
                yield screening_pb2.ScreenResponse(frame_id=frame.frame_id, error=error)
                pacing.refused()
            else:
                yield screening_pb2.ScreenResponse(frame_id=frame.frame_id, decision=answer)
                pacing.decided()
