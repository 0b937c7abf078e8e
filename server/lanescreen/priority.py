"""Thread priorities: background work yields the CPU to the threads that answer lanes."""

from __future__ import annotations

import contextlib
import os
import threading

BACKGROUND_NICE = 10
RECOGNITION_NICE = 3
"""Recognition workers run a little below the threads that answer, so that when the CPUs are
saturated a lane whose budget is up still gets its answer out on time."""


def lower_thread_priority(nice: int = BACKGROUND_NICE) -> None:
    """Run the calling thread at a lower CPU priority than the rest of the process (Linux sets
    priorities per thread); elsewhere, or where it is not allowed, nothing changes."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
