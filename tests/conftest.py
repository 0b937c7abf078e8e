"""Shared fixtures: a model directory filled from ../shared/models through the real fetch code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import SHARED_MODELS, need_shared

pytest_plugins = ["tests.store_fixtures"]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A model directory filled from the shared mirror by the real fetch-and-verify code."""
    need_shared()
    from lanescreen.vision.weights import fetch

    target = tmp_path_factory.mktemp("models")
    fetch(
        ["y5fu_640", "y5fu_320", "cct_xs_v1_global", "yunet"],
        target,
        mirror=str(SHARED_MODELS),
        progress=False,
    )
    yield target
