"""The model files lanescreen runs, where they come from, and how they are checked.

Every file is pinned by checksum: a download (from the publisher or from a site's mirror) that
does not match is deleted and refused, so a tampered or truncated model can never be loaded.
Downloads land in a temporary file inside the model directory and are renamed into place only
once verified, so a crash or a concurrent fetch never leaves a half-written model behind.

A mirror (``vision.model_mirror`` / ``LANESCREEN_MODEL_MIRROR``) is a local directory or an
http(s) base URL serving each model under its ``filename`` (the file as it sits in the model
directory, already unpacked), for air-gapped sites.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

__all__ = [
    "MODELS",
    "ModelError",
    "ModelSpec",
    "VerifyResult",
    "fetch",
    "file_digest",
    "model_names",
    "require",
    "required_models",
    "spec",
    "verify",
]

_CHUNK = 1 << 16
_TIMEOUT_S = 60.0


class ModelError(RuntimeError):
    """A model is unknown, missing, corrupt or cannot be fetched; the message says what to do."""


@dataclass(frozen=True)
class ModelSpec:
    """One model file: its publisher's address, its pinned checksum and its licence."""

    name: str
    filename: str
    url: str
    sha256: str
    size: int | None
    license: str
    kind: str
    """``plate_detector``, ``plate_reader`` or ``face_detector``."""
    md5: str = ""
    """Only for files whose publisher pins nothing stronger (EasyOCR's weights)."""
    archive_member: str = ""
    """When the publisher ships a zip, the member to extract (the URL is the zip)."""

    @property
    def algorithm(self) -> str:
        return "sha256" if self.sha256 else "md5"

    @property
    def digest(self) -> str:
        return self.sha256 or self.md5


_HYPERLPR = "https://github.com/szad670401/HyperLPR/raw/master/resource/models/onnx/"
_ZOO = "https://github.com/opencv/opencv_zoo/raw/main/models/"

MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "y5fu_320",
            "y5fu_320x_sim.onnx",
            _HYPERLPR + "y5fu_320x_sim.onnx",
            "2a985dc63a5cc947ec36d18503d6fc0fd54525b9dba17f2fe29a71e86b44456d",
            2343161,
            "Apache-2.0 (HyperLPR)",
            "plate_detector",
        ),
        ModelSpec(
            "y5fu_640",
            "y5fu_640x_sim.onnx",
            _HYPERLPR + "y5fu_640x_sim.onnx",
            "0306de937471b87f56eb3f5620815e7e7058f8ab7428e0734fc64627cc4d716c",
            3930791,
            "Apache-2.0 (HyperLPR)",
            "plate_detector",
        ),
        ModelSpec(
            "lpd_yunet",
            "license_plate_detection_lpd_yunet_2023mar.onnx",
            _ZOO + "license_plate_detection_yunet/license_plate_detection_lpd_yunet_2023mar.onnx",
            "6d4978a7b6d25514d5e24811b82bfb511d166bdd8ca3b03aa63c1623d4d039c7",
            4146213,
            "Apache-2.0 (OpenCV Zoo)",
            "plate_detector",
        ),
        ModelSpec(
            "lpd_yunet_int8",
            "license_plate_detection_lpd_yunet_2023mar_int8.onnx",
            _ZOO
            + "license_plate_detection_yunet/license_plate_detection_lpd_yunet_2023mar_int8.onnx",
            "d67982a014fe93ad04612f565ed23ca010dcb0fd925d880ef0edf9cd7bdf931a",
            1087142,
            "Apache-2.0 (OpenCV Zoo)",
            "plate_detector",
        ),
        ModelSpec(
            "yunet",
            "face_detection_yunet_2023mar.onnx",
            _ZOO + "face_detection_yunet/face_detection_yunet_2023mar.onnx",
            "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
            232589,
            "MIT (OpenCV Zoo) / Apache-2.0 (libfacedetection.train)",
            "face_detector",
        ),
        ModelSpec(
            "cct_xs_v1_global",
            "cct_xs_v1_global.onnx",
            "https://github.com/ankandrew/cnn-ocr-lp/releases/download/arg-plates/cct_xs_v1_global.onnx",
            "c1ae2ae031b10f8ab7ed6e3cdaf8d9c753477e299dbad3579c8f705a7d882134",
            2113942,
            "MIT (fast-plate-ocr)",
            "plate_reader",
        ),
        # EasyOCR publishes only an md5 of the unpacked .pth (easyocr/config.py) and no sha256 of
        # it is known here, so this one file is pinned by md5; it ships inside a zip.
        ModelSpec(
            "english_g2",
            "english_g2.pth",
            "https://github.com/JaidedAI/EasyOCR/releases/download/v1.3/english_g2.zip",
            "",
            None,
            "Apache-2.0 (EasyOCR)",
            "plate_reader",
            md5="5864788e1821be9e454ec108d61b887d",
            archive_member="english_g2.pth",
        ),
    )
}

DETECTOR_MODELS = {
    "y5fu_320": ("y5fu_320",),
    "y5fu_640": ("y5fu_640",),
    "y5fu_cascade": ("y5fu_640", "y5fu_320"),
}
"""Detector name (``vision.detector``) -> the models it loads."""
READER_MODELS = {"fast_plate_ocr": "cct_xs_v1_global", "easyocr": "english_g2"}
"""Reader name (``vision.reader``) -> the model it loads."""
SHIPPED_READERS = ("lanescreen",)
"""Readers whose model ships inside the package (nothing to fetch)."""
FUSED_READERS = {
    "fused": ("fast_plate_ocr", "lanescreen"),
    "lanescreen_fused": ("lanescreen", "fast_plate_ocr"),
}
"""Readers made of others (``vision.readers.fused``) -> the readers they are made of, the lead
first."""


def reader_parts(name: str) -> tuple[str, ...]:
    """The readers a reader name loads: a fused reader's parts, else the reader itself."""
    return FUSED_READERS.get(name, (name,))


def known_readers() -> frozenset[str]:
    """Every plate reader name a lane or ``vision.reader`` may ask for."""
    return frozenset((*READER_MODELS, *SHIPPED_READERS, *FUSED_READERS))


@dataclass(frozen=True)
class VerifyResult:
    """The state of one model file in a model directory."""

    name: str
    filename: str
    path: Path
    status: str
    """``ok``, ``missing`` or ``corrupt``."""
    algorithm: str
    expected: str
    actual: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def model_names() -> list[str]:
    return list(MODELS)


def spec(name: str) -> ModelSpec:
    """The registry entry for ``name``, or a ModelError listing the known names."""
    try:
        return MODELS[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r} (known: {', '.join(MODELS)})") from None


def required_models(detectors: str | Sequence[str], *readers: str) -> list[str]:
    """The model names configured detectors and readers load (shipped readers need none)."""
    names: list[str] = []
    for detector in [detectors] if isinstance(detectors, str) else detectors:
        if detector not in DETECTOR_MODELS:
            known = ", ".join(DETECTOR_MODELS)
            raise ModelError(f"unknown detector {detector!r} (known: {known})")
        names += [m for m in DETECTOR_MODELS[detector] if m not in names]
    parts = [part for reader in readers for part in reader_parts(reader)]
    for reader in parts:
        if reader in SHIPPED_READERS:
            continue
        if reader not in READER_MODELS:
            known = ", ".join(sorted(known_readers()))
            raise ModelError(f"unknown reader {reader!r} (known: {known})")
        if READER_MODELS[reader] not in names:
            names.append(READER_MODELS[reader])
    return names


def _hash_file(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@lru_cache(maxsize=64)
def _cached_hash(path: str, size: int, mtime_ns: int, algorithm: str) -> str:
    """Hash keyed by size and mtime, so repeated checks of an unchanged file cost one stat."""
    return _hash_file(Path(path), algorithm)


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """The hex digest of a file, recomputed only when its size or mtime changed."""
    stat = path.stat()
    return _cached_hash(str(path), stat.st_size, stat.st_mtime_ns, algorithm)


def _check(model: ModelSpec, model_dir: Path) -> VerifyResult:
    path = model_dir / model.filename
    try:
        stat = path.stat()
    except FileNotFoundError:
        return VerifyResult(
            model.name, model.filename, path, "missing", model.algorithm, model.digest
        )
    actual = _cached_hash(str(path), stat.st_size, stat.st_mtime_ns, model.algorithm)
    status = "ok" if actual == model.digest else "corrupt"
    return VerifyResult(
        model.name, model.filename, path, status, model.algorithm, model.digest, actual
    )


def verify(model_dir: Path, names: Iterable[str] | None = None) -> list[VerifyResult]:
    """Check each named model (default: all) against its pinned checksum."""
    chosen = list(MODELS) if names is None else list(names)
    return [_check(spec(name), Path(model_dir)) for name in chosen]


def require(model_dir: Path, name: str) -> Path:
    """The verified path of a model, or a ModelError saying how to obtain a good copy."""
    model = spec(name)
    result = _check(model, Path(model_dir))
    if result.status == "missing":
        raise ModelError(
            f"model {name} ({model.filename}) is missing from {model_dir}: run "
            f"`lanescreen models fetch {name}` or set LANESCREEN_MODEL_MIRROR to a directory "
            "holding it"
        )
    if result.status == "corrupt":
        raise ModelError(
            f"model {name} ({result.path}) fails its {model.algorithm} check (expected "
            f"{model.digest}, got {result.actual}): delete it and run "
            f"`lanescreen models fetch {name}`"
        )
    return result.path


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def _open_source(location: str) -> tuple[BinaryIO, int | None]:
    """Open a URL or local file for streaming; return it and its length when known."""
    if _is_url(location):
        request = urllib.request.Request(location, headers={"User-Agent": "lanescreen"})
        response = urllib.request.urlopen(request, timeout=_TIMEOUT_S)
        length = response.headers.get("Content-Length")
        return response, int(length) if length and length.isdigit() else None
    path = Path(location.removeprefix("file://"))
    return path.open("rb"), path.stat().st_size


def _source(model: ModelSpec, mirror: str) -> tuple[str, bool]:
    """Where to read ``model`` from and whether that is the publisher's zip."""
    if not mirror:
        return model.url, bool(model.archive_member)
    if _is_url(mirror):
        return mirror.rstrip("/") + "/" + model.filename, False
    directory = Path(mirror.removeprefix("file://")).expanduser()
    if not directory.is_dir():
        raise ModelError(f"model mirror {mirror} is neither an http(s) URL nor a directory")
    return str(directory / model.filename), False


def _copy_stream(
    source: BinaryIO, target: BinaryIO, total: int | None, limit: int | None, label: str, show: bool
) -> None:
    written = 0
    with tqdm(
        total=total,
        unit="B",
        unit_scale=True,
        desc=label,
        file=sys.stderr,
        disable=not show,
        leave=False,
    ) as bar:
        for chunk in iter(lambda: source.read(_CHUNK), b""):
            written += len(chunk)
            if limit is not None and written > limit:
                raise ModelError(f"{label} is larger than the expected {limit} bytes; refused")
            target.write(chunk)
            bar.update(len(chunk))


def _download(location: str, target: Path, limit: int | None, label: str, show: bool) -> None:
    try:
        source, total = _open_source(location)
    except urllib.error.HTTPError as exc:
        raise ModelError(f"could not fetch {label} from {location}: HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelError(f"could not fetch {label} from {location}: {reason}") from exc
    try:
        with source, target.open("wb") as out:
            _copy_stream(source, out, total, limit, label, show)
    except (urllib.error.URLError, OSError) as exc:
        raise ModelError(f"download of {label} from {location} failed: {exc}") from exc


def _extract(archive: Path, member: str, target: Path) -> None:
    try:
        with (
            zipfile.ZipFile(archive) as bundle,
            bundle.open(member) as src,
            target.open("wb") as out,
        ):
            shutil.copyfileobj(src, out, _CHUNK)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise ModelError(f"downloaded archive does not hold {member}: {exc}") from exc


def _temp_path(model_dir: Path, filename: str, suffix: str) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{filename}.", suffix=suffix, dir=model_dir)
    os.close(handle)
    return Path(name)


def _fetch_one(model: ModelSpec, model_dir: Path, mirror: str, progress: bool) -> Path:
    current = _check(model, model_dir)
    if current.ok:
        return current.path
    location, zipped = _source(model, mirror)
    part = _temp_path(model_dir, model.filename, ".part")
    unpacked = _temp_path(model_dir, model.filename, ".unpacked") if zipped else part
    try:
        try:
            _download(location, part, None if zipped else model.size, model.filename, progress)
        except ModelError as exc:
            if mirror:
                raise
            raise ModelError(
                f"{exc}. Without internet access, set LANESCREEN_MODEL_MIRROR to a directory or "
                f"URL serving the model files, or put {model.filename} in {model_dir}"
            ) from exc
        if zipped:
            _extract(part, model.archive_member, unpacked)
        actual = _hash_file(unpacked, model.algorithm)
        if actual != model.digest:
            raise ModelError(
                f"{model.filename} from {location} fails its {model.algorithm} check "
                f"(expected {model.digest}, got {actual}); refused and deleted"
            )
        os.chmod(unpacked, 0o644)  # mkstemp makes files private; models are not secrets
        os.replace(unpacked, current.path)
    finally:
        for leftover in {part, unpacked}:
            leftover.unlink(missing_ok=True)
    return current.path


def fetch(
    names: Sequence[str], model_dir: Path, mirror: str = "", progress: bool = True
) -> list[Path]:
    """Make each named model present and verified in ``model_dir``; return their paths.

    Files already present and valid are kept; missing or corrupt ones are fetched from ``mirror``
    (a directory or http(s) base URL) when given, else from the publisher.
    """
    models = [spec(name) for name in names]
    model_dir = Path(model_dir)
    try:
        model_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"cannot create model directory {model_dir}: {exc}") from exc
    return [_fetch_one(model, model_dir, mirror, progress) for model in models]
