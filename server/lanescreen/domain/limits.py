"""Per-lane rate limits: one terminal gone wild must not starve the other lanes.

A token bucket per lane: ``rate`` units a second on average (frames, or megapixels to decode),
bursts up to ``burst``. A frame over the limit is refused at once with a status saying so (the
stream goes on), before any decoding, so a flood costs the server almost nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..errors import RateLimitedError


class LaneRateLimiter:
    """Thread-safe token buckets, one per lane id."""

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        unit: str = "frames",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self.unit = unit
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        """lane id -> (tokens, when they were counted)."""

    def take(self, lane_id: str, cost: float = 1.0) -> None:
        """Spend ``cost`` of ``lane_id``'s allowance, or raise :class:`RateLimitedError`.

        A cost above the burst is charged as the burst (a full bucket lets one such frame by)."""
        if self.rate <= 0:
            return
        cost = min(cost, self.burst)
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get(lane_id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            if tokens < cost:
                self._buckets[lane_id] = (tokens, now)
                wait_ms = (cost - tokens) / self.rate * 1000
                raise RateLimitedError(
                    f"lane {lane_id!r} sends more than {self.rate:g} {self.unit} a second "
                    f"(bursts of {self.burst:g}); this frame was refused, send the next in "
                    f"{wait_ms:.0f} ms or more"
                )
            self._buckets[lane_id] = (tokens - cost, now)
