"""Face analysis in worker processes: same answers as in-process, and a killed worker recovered."""

from __future__ import annotations

import os
import signal
from concurrent.futures import wait
from pathlib import Path

import cv2
import numpy as np
import pytest
from lanescreen.config import FaceConfig, VisionConfig
from lanescreen.vision.faces.pipeline import build_face_pipeline, ensure_face_models
from lanescreen.vision.faces.workers import FaceWorkerError, FaceWorkerPool, InProcessAnalyser
from lanescreen.vision.types import Image
from lanescreen.vision.weights import ModelError

from tests.support import FACES, SHARED_MODELS, needs_faces

pytestmark = needs_faces

PHOTO = FACES / "openface_examples" / "images" / "longoria-cooper.jpg"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("face-models")
    ensure_face_models(FaceConfig(), VisionConfig(model_mirror=str(SHARED_MODELS)), target)
    return target


def _image() -> Image:
    return np.asarray(cv2.imread(str(PHOTO)), np.uint8)


@pytest.mark.slow
def test_pool_matches_in_process_and_survives_a_killed_worker(model_dir: Path) -> None:
    faces = FaceConfig(face_workers=1)
    expected = build_face_pipeline(faces, model_dir).analyse(_image())
    assert len(expected) == 2
    with FaceWorkerPool(faces, model_dir) as pool:
        pool.warm_up()
        got = pool.submit(_image()).result(timeout=60)
        assert [o.detection for o in got] == [o.detection for o in expected]
        for mine, theirs in zip(got, expected, strict=True):
            assert mine.embedding is not None and theirs.embedding is not None
            assert np.allclose(mine.embedding, theirs.embedding, atol=1e-6)
            assert np.array_equal(mine.chip, theirs.chip)
            assert mine.quality == theirs.quality and mine.camera_type == "colour"

        (pid,) = pool.worker_pids()
        in_flight = [pool.submit(_image()) for _ in range(3)]
        os.kill(pid, signal.SIGKILL)
        _, not_done = wait(in_flight, timeout=60)
        assert not not_done
        errors = [f.exception() for f in in_flight if f.exception() is not None]
        assert errors and all(isinstance(e, FaceWorkerError) for e in errors)
        assert "face worker process died" in str(errors[0])

        again = pool.submit(_image()).result(timeout=60)  # served by a fresh worker
        assert pool.restarts == 1 and pool.worker_pids() != [pid]
        assert again[0].embedding is not None and expected[0].embedding is not None
        assert np.allclose(again[0].embedding, expected[0].embedding, atol=1e-6)


@pytest.mark.slow
def test_warm_up_starts_every_worker(model_dir: Path) -> None:
    with FaceWorkerPool(FaceConfig(face_workers=2), model_dir) as pool:
        pool.warm_up()
        assert len(pool.worker_pids()) == 2
        # Ctrl-C at the terminal reaches the workers too: they go on, their server stops them.
        for pid in pool.worker_pids():
            os.kill(pid, signal.SIGINT)
        assert pool.submit(_image()).result(timeout=60)
        assert pool.restarts == 0 and len(pool.worker_pids()) == 2
    with pytest.raises(RuntimeError, match="closed"):
        pool.submit(_image())


@pytest.mark.slow
def test_in_process_analyser_hands_back_futures(model_dir: Path) -> None:
    analyser = InProcessAnalyser(build_face_pipeline(FaceConfig(), model_dir))
    faces = analyser.submit(_image(), max_faces=1).result(timeout=0)
    assert len(faces) == 1 and faces[0].embedding is not None
    broken = analyser.submit(np.zeros((4, 4), np.float32))  # type: ignore[arg-type]
    assert isinstance(broken.exception(timeout=0), ValueError)


def test_missing_models_fail_at_construction(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="yunet"):
        FaceWorkerPool(FaceConfig(), tmp_path)
    with pytest.raises(ValueError, match="face_workers"):
        FaceWorkerPool(FaceConfig(face_workers=0), tmp_path)
