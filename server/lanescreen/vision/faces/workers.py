"""Face analysis in worker processes: a driver frame costs 30-60 ms of one core (YuNet, dlib's
aligner, which holds the GIL, and the embedding), kept off the gRPC threads and the plate path.

Each worker loads its own models once (in the pool initialiser) and warms them up before taking
frames. Workers start with ``forkserver`` (``spawn`` where that is unavailable), never ``fork``:
the server process runs gRPC threads, and forking a threaded process can deadlock the child.

A worker that dies (killed, out of memory, a crash in native code) breaks a
``ProcessPoolExecutor``: every frame in flight then fails with :class:`FaceWorkerError` naming the
cause, and the pool replaces its executor at once, so later frames are served again.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, InvalidStateError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

import cv2

from lanescreen.config import FaceConfig

from ..types import Image
from ..weights import require
from .dlib_models import dlib_model_path
from .pipeline import DETECTOR_MODEL, EMBEDDER_FILES, EMBEDDERS, FacePipeline, build_face_pipeline
from .types import FaceObservation

__all__ = ["FaceWorkerError", "FaceWorkerPool", "InProcessAnalyser"]


class FaceWorkerError(RuntimeError):
    """A face worker process died while this frame was queued or being analysed."""


_pipeline: FacePipeline | None = None


class InProcessAnalyser:
    """The pool's ``submit`` interface, run at once in this process: for one-shot tools (CLI
    enrolment, evaluation) where starting worker processes would cost more than it saves."""

    def __init__(self, pipeline: FacePipeline) -> None:
        self.pipeline = pipeline

    def submit(
        self, image: Image, *, max_faces: int = 4, embed_poor: bool = False
    ) -> Future[list[FaceObservation]]:
        future: Future[list[FaceObservation]] = Future()
        try:
            future.set_result(
                self.pipeline.analyse(image, max_faces=max_faces, embed_poor=embed_poor)
            )
        except Exception as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future


SERVER_CHECK_S = 1.0
"""How often a worker checks that the server that started it still runs."""


def _exit_with(server_pid: int) -> None:
    """A worker's watch on its server: a server killed outright (``kill -9``) cannot stop its
    workers, and they would live on holding a face model each; so each exits on its own."""
    while True:
        time.sleep(SERVER_CHECK_S)
        try:
            os.kill(server_pid, 0)
        except (ProcessLookupError, PermissionError):  # gone (or its pid now someone else's)
            os._exit(0)


def _start_worker(faces: FaceConfig, model_dir: Path, ready: Any, server_pid: int) -> None:
    """Pool initialiser: one OpenCV thread (parallelism is the processes), models loaded, warm,
    and a watch that ends the worker when its server is gone. Ctrl-C at a terminal reaches the
    whole process group: a worker ignores it (no traceback per worker), its server stops it."""
    global _pipeline
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(
        target=_exit_with, args=(server_pid,), name="server-watch", daemon=True
    ).start()
    cv2.setNumThreads(1)
    _pipeline = build_face_pipeline(faces, model_dir)
    _pipeline.warm_up()
    with ready.get_lock():
        ready.value += 1


def _analyse(image: Image, max_faces: int, embed_poor: bool) -> list[FaceObservation]:
    if _pipeline is None:  # pragma: no cover - the initialiser always runs first
        raise RuntimeError("face worker has no pipeline (initialiser did not run)")
    return _pipeline.analyse(image, max_faces=max_faces, embed_poor=embed_poor)


def _pid() -> int:
    return os.getpid()


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


@dataclass
class _Generation:
    """One executor and the counter its workers bump once warm."""

    executor: ProcessPoolExecutor
    ready: Synchronized[int]
    number: int


class FaceWorkerPool:
    """``faces.face_workers`` processes, each with its own face pipeline."""

    def __init__(self, faces: FaceConfig, model_dir: Path) -> None:
        if faces.face_workers < 1:
            raise ValueError(f"face_workers must be at least 1, got {faces.face_workers}")
        if faces.face_embedder not in EMBEDDERS:
            known = ", ".join(EMBEDDERS)
            raise ValueError(f"unknown face embedder {faces.face_embedder!r} (known: {known})")
        # Fail here, with the model error's advice, rather than as a broken pool later.
        require(model_dir, DETECTOR_MODEL)
        for name in EMBEDDER_FILES.get(faces.face_embedder, ()):
            dlib_model_path(model_dir, name)
        self.faces = faces
        self.model_dir = Path(model_dir)
        self.workers = faces.face_workers
        self.restarts = 0
        """How many times a dead worker made the pool replace its executor."""
        self._context = _context()
        self._lock = threading.Lock()
        self._closed = False
        self._generation = self._new_generation(0)

    def _new_generation(self, number: int) -> _Generation:
        ready: Synchronized[int] = self._context.Value("i", 0)
        executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self._context,
            initializer=_start_worker,
            initargs=(self.faces, self.model_dir, ready, os.getpid()),
        )
        return _Generation(executor, ready, number)

    def _current(self) -> _Generation:
        with self._lock:
            if self._closed:
                raise RuntimeError("face worker pool is closed")
            return self._generation

    def _replace(self, broken: _Generation) -> None:
        """Swap a broken executor for a fresh one (once, however many frames saw it break)."""
        with self._lock:
            if self._closed or self._generation is not broken:
                return
            fresh = self._new_generation(broken.number + 1)
            self._generation = fresh
            self.restarts += 1
        broken.executor.shutdown(wait=False, cancel_futures=True)
        for _ in range(self.workers):  # start (and so warm) every replacement worker now
            fresh.executor.submit(_pid)

    def _submit(
        self, generation: _Generation, image: Image, max_faces: int, embed_poor: bool
    ) -> Future[list[FaceObservation]]:
        return generation.executor.submit(_analyse, image, max_faces, embed_poor)

    def submit(
        self, image: Image, *, max_faces: int = 4, embed_poor: bool = False
    ) -> Future[list[FaceObservation]]:
        """Analyse ``image`` in a worker; the future holds the observations, largest face first,
        or :class:`FaceWorkerError` when the worker died."""
        generation = self._current()
        try:
            inner = self._submit(generation, image, max_faces, embed_poor)
        except BrokenProcessPool:
            # A worker died while idle: replace the executor and hand the frame to the new one.
            self._replace(generation)
            generation = self._current()
            inner = self._submit(generation, image, max_faces, embed_poor)
        # Cancelling the returned future (a caller whose deadline passed) cancels the work too
        # while it is still queued, so an overloaded pool does not analyse frames nobody awaits.
        outer: Future[list[FaceObservation]] = Future()
        outer.add_done_callback(lambda done: inner.cancel() if done.cancelled() else None)

        def relay(done: Future[list[FaceObservation]]) -> None:
            if outer.cancelled():
                return
            error = None if done.cancelled() else done.exception()
            try:
                if done.cancelled():
                    outer.set_exception(FaceWorkerError("face analysis was cancelled"))
                elif error is None:
                    outer.set_result(done.result())
                elif isinstance(error, BrokenProcessPool):
                    self._replace(generation)
                    outer.set_exception(
                        FaceWorkerError(
                            "a face worker process died while this frame was queued or analysed "
                            f"({error}); the pool has been restarted"
                        )
                    )
                else:
                    outer.set_exception(error)
            except InvalidStateError:  # the caller cancelled meanwhile: nobody wants the result
                pass

        inner.add_done_callback(relay)
        return outer

    def warm_up(self, timeout_s: float = 120.0) -> None:
        """Start every worker and wait until each has loaded and warmed its models."""
        generation = self._current()
        deadline = time.monotonic() + timeout_s
        pending = [generation.executor.submit(_pid) for _ in range(self.workers)]
        for future in pending:
            try:
                future.result(timeout=max(0.0, deadline - time.monotonic()))
            except BrokenProcessPool as exc:
                self._replace(generation)
                raise FaceWorkerError(f"face workers failed to start: {exc}") from exc
        while generation.ready.value < self.workers:
            if time.monotonic() > deadline:
                raise FaceWorkerError(
                    f"only {generation.ready.value} of {self.workers} face workers warmed up "
                    f"within {timeout_s:.0f} s"
                )
            time.sleep(0.01)

    def worker_pids(self) -> list[int]:
        """Process ids of the current workers (for monitoring; empty before the first frame)."""
        processes = getattr(self._current().executor, "_processes", None) or {}
        return sorted(int(pid) for pid in processes)

    def close(self) -> None:
        """Stop the workers; frames still queued fail with :class:`FaceWorkerError`."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            generation = self._generation
        generation.executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> FaceWorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
