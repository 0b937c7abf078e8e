"""Model fetch and verification against the real model files, served over real HTTP."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lanescreen.vision import weights
from lanescreen.vision.weights import ModelError, fetch, require, required_models, verify

from tests.support import SHARED_MODELS, needs_shared


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[Any]:
    """Start HTTP servers on 127.0.0.1 for given directories; stop them afterwards."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(directory: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@needs_shared
def test_fetch_from_url_mirror_verifies_and_skips_present(tmp_path: Path, serve: Any) -> None:
    mirror = serve(SHARED_MODELS)
    paths = fetch(["yunet", "cct_xs_v1_global"], tmp_path, mirror=mirror, progress=False)
    assert [p.name for p in paths] == ["face_detection_yunet_2023mar.onnx", "cct_xs_v1_global.onnx"]
    assert all(r.ok for r in verify(tmp_path, ["yunet", "cct_xs_v1_global"]))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)
    before = paths[0].stat().st_mtime_ns
    fetch(["yunet"], tmp_path, mirror="http://127.0.0.1:9/unreachable", progress=False)
    assert paths[0].stat().st_mtime_ns == before  # valid file kept, mirror never contacted


@needs_shared
def test_fetch_from_directory_mirror(tmp_path: Path) -> None:
    (path,) = fetch(["yunet"], tmp_path / "models", mirror=str(SHARED_MODELS), progress=False)
    assert require(tmp_path / "models", "yunet") == path


@needs_shared
def test_corrupt_download_refused_and_deleted(tmp_path: Path, serve: Any) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    original = (SHARED_MODELS / "face_detection_yunet_2023mar.onnx").read_bytes()
    (bad / "face_detection_yunet_2023mar.onnx").write_bytes(original[: len(original) // 2])
    models = tmp_path / "models"
    with pytest.raises(ModelError, match="fails its sha256 check") as info:
        fetch(["yunet"], models, mirror=serve(bad), progress=False)
    assert weights.MODELS["yunet"].sha256 in str(info.value)
    assert list(models.iterdir()) == []  # no partial file left behind


@needs_shared
def test_oversized_download_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    original = (SHARED_MODELS / "face_detection_yunet_2023mar.onnx").read_bytes()
    (bad / "face_detection_yunet_2023mar.onnx").write_bytes(original + b"\0" * 100_000)
    with pytest.raises(ModelError, match="larger than the expected 232589 bytes"):
        fetch(["yunet"], tmp_path / "models", mirror=str(bad), progress=False)
    assert list((tmp_path / "models").iterdir()) == []


@needs_shared
def test_corrupt_file_in_model_dir_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "face_detection_yunet_2023mar.onnx"
    target.write_bytes(b"not a model")
    assert verify(tmp_path, ["yunet"])[0].status == "corrupt"
    fetch(["yunet"], tmp_path, mirror=str(SHARED_MODELS), progress=False)
    assert verify(tmp_path, ["yunet"])[0].ok


def test_verify_reports_missing_and_corrupt(tmp_path: Path) -> None:
    (tmp_path / "y5fu_320x_sim.onnx").write_bytes(b"truncated")
    results = {r.name: r for r in verify(tmp_path)}
    assert set(results) == set(weights.MODELS)
    assert results["y5fu_640"].status == "missing"
    assert results["y5fu_320"].status == "corrupt"
    assert results["y5fu_320"].expected == weights.MODELS["y5fu_320"].sha256
    assert len(results["y5fu_320"].actual) == 64
    assert results["english_g2"].algorithm == "md5"


def test_require_messages_are_actionable(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as missing:
        require(tmp_path, "y5fu_640")
    assert str(missing.value) == (
        f"model y5fu_640 (y5fu_640x_sim.onnx) is missing from {tmp_path}: run "
        "`lanescreen models fetch y5fu_640` or set LANESCREEN_MODEL_MIRROR to a directory "
        "holding it"
    )
    (tmp_path / "y5fu_640x_sim.onnx").write_bytes(b"junk")
    with pytest.raises(ModelError, match=r"sha256 check.*lanescreen models fetch y5fu_640"):
        require(tmp_path, "y5fu_640")
    with pytest.raises(ModelError, match="unknown model 'nope'"):
        require(tmp_path, "nope")


def test_unreachable_sources_fail_clearly(tmp_path: Path, serve: Any) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError, match="HTTP 404"):
        fetch(["yunet"], tmp_path / "m", mirror=serve(empty), progress=False)
    with pytest.raises(ModelError, match="could not fetch"):
        fetch(["yunet"], tmp_path / "m", mirror=str(empty), progress=False)
    assert list((tmp_path / "m").iterdir()) == []
    with pytest.raises(ModelError, match="neither an http"):
        fetch(["yunet"], tmp_path / "m", mirror=str(tmp_path / "absent"), progress=False)
    with pytest.raises(ModelError, match="unknown model"):
        fetch(["yunet", "bogus"], tmp_path / "m", progress=False)


def test_required_models_follow_configuration() -> None:
    assert required_models("y5fu_640", "fast_plate_ocr") == ["y5fu_640", "cct_xs_v1_global"]
    assert required_models("y5fu_320", "easyocr") == ["y5fu_320", "english_g2"]
    with pytest.raises(ModelError, match=r"unknown reader 'tesseract'.*lanescreen"):
        required_models("y5fu_320", "tesseract")
    # The shipped reader needs nothing fetched; lanes' readers are added once each.
    assert required_models("y5fu_640", "lanescreen") == ["y5fu_640"]
    assert required_models("y5fu_640", "fast_plate_ocr", "lanescreen", "fast_plate_ocr") == [
        "y5fu_640",
        "cct_xs_v1_global",
    ]


def test_every_spec_is_pinned() -> None:
    for model in weights.MODELS.values():
        assert model.url.startswith("https://")
        assert len(model.sha256) == 64 or (not model.sha256 and len(model.md5) == 32)


@needs_shared
def test_registry_matches_shared_manifest() -> None:
    rows = (SHARED_MODELS / "MANIFEST.tsv").read_text().splitlines()[1:]
    manifest = {r.split("\t")[0]: (int(r.split("\t")[1]), r.split("\t")[2]) for r in rows}
    for model in weights.MODELS.values():
        if model.filename in manifest:
            assert (model.size, model.sha256) == manifest[model.filename]


@needs_shared
def test_publisher_zip_is_unpacked_and_verified(tmp_path: Path, serve: Any) -> None:
    """EasyOCR-style publishing: a zip at the URL, the checksum pinned on the unpacked member."""
    import dataclasses
    import hashlib
    import zipfile

    source = tmp_path / "publisher"
    source.mkdir()
    payload = (SHARED_MODELS / "face_detection_yunet_2023mar.onnx").read_bytes()
    with zipfile.ZipFile(source / "bundle.zip", "w") as bundle:
        bundle.writestr("face.pth", payload)
    base = serve(source)
    zipped = dataclasses.replace(
        weights.MODELS["english_g2"],
        name="face_zip",
        filename="face.pth",
        url=base + "bundle.zip",
        md5=hashlib.md5(payload).hexdigest(),
        archive_member="face.pth",
    )
    models = tmp_path / "models"
    models.mkdir()
    path = weights._fetch_one(zipped, models, mirror="", progress=False)
    assert path.read_bytes() == payload and sorted(p.name for p in models.iterdir()) == ["face.pth"]
    path.unlink()
    wrong = dataclasses.replace(zipped, md5="0" * 32)
    with pytest.raises(ModelError, match="fails its md5 check"):
        weights._fetch_one(wrong, models, mirror="", progress=False)
    missing_member = dataclasses.replace(zipped, archive_member="other.pth")
    with pytest.raises(ModelError, match=r"does not hold other\.pth"):
        weights._fetch_one(missing_member, models, mirror="", progress=False)
    assert list(models.iterdir()) == []


def test_a_cascade_and_a_fused_reader_need_the_models_of_their_parts() -> None:
    assert required_models("y5fu_cascade", "fused") == ["y5fu_640", "y5fu_320", "cct_xs_v1_global"]
    assert required_models(["y5fu_cascade", "y5fu_320"], "lanescreen") == ["y5fu_640", "y5fu_320"]
