"""Thread priorities: background work yields the CPU to the threads that answer lanes."""

from __future__ import annotations

import contextlib
import os
import threading

BACKGROUND_NICE = 10


def lower_thread_priority() -> None:
    """Run the calling thread at a lower CPU priority than the rest of the process (Linux sets
    priorities per thread); elsewhere, or where it is not allowed, nothing changes."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
