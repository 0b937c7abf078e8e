"""Lane sequences: labelled video of vehicles passing a camera, read from disk or simulated.

A sequence is a video file or a folder of frames (sorted by name) with a labels CSV, one row per
vehicle: ``plate,first_frame,last_frame`` (0-based frame numbers, inclusive: the frames in which
the vehicle's plate is in the picture). That is the format of real lane clips labelled by hand,
and of the sequences :func:`simulate` builds.

No labelled lane video is at hand, so :func:`simulate` makes sequences from the real labelled
photos (openalpr-style scenes): each vehicle is the part of a photo around its plate, seen
approaching the camera, far and small at the top of the picture, then larger and lower frame by
frame, leaving through the bottom edge (its last frames show only part of the plate). The
approach is drawn by perspective and scale (a slight keystone that eases as the vehicle nears),
with vertical motion blur growing with speed, sensor noise and JPEG compression, on a road-grey
background; between vehicles the lane is empty for a moment, and some vehicles pass side by side
(two lanes in one camera). It is a stand-in for real video, documented as such: the photos are
real, the motion is drawn.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lanescreen.evaluation.plate_sets import DatasetError, Scene
from lanescreen.vision.types import Box, Image

FRAME_SIZE = (1280, 720)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm")


@dataclass(frozen=True)
class VehicleLabel:
    plate: str
    first_frame: int
    last_frame: int


def load_labels(path: Path) -> list[VehicleLabel]:
    """The vehicles of a sequence; DatasetError naming the line of a malformed row."""
    labels = []
    try:
        with Path(path).open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), 2):
                try:
                    label = VehicleLabel(
                        row["plate"].strip(), int(row["first_frame"]), int(row["last_frame"])
                    )
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    raise DatasetError(
                        f"{path}:{number}: needs plate, first_frame and last_frame (numbers)"
                    ) from exc
                if not label.plate or label.last_frame < label.first_frame < 0:
                    raise DatasetError(f"{path}:{number}: empty plate or frames out of order")
                labels.append(label)
    except FileNotFoundError as exc:
        raise DatasetError(f"labels file {path} does not exist") from exc
    if not labels:
        raise DatasetError(f"{path} labels no vehicle")
    return labels


def read_frames(source: Path) -> Iterator[bytes]:
    """The sequence's frames as encoded images, in order: a folder's image files by name, or
    a video file's frames (encoded as JPEG, as a lane terminal sends them)."""
    source = Path(source)
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise DatasetError(f"{source} holds no frames ({', '.join(IMAGE_SUFFIXES)})")
        for path in files:
            yield path.read_bytes()
        return
    if source.suffix.lower() not in VIDEO_SUFFIXES or not source.is_file():
        raise DatasetError(f"{source} is neither a folder of frames nor a video file")
    capture = cv2.VideoCapture(str(source))
    if not capture.isOpened():
        raise DatasetError(f"{source}: cannot open the video (codec not available?)")
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
    finally:
        capture.release()


def video_fps(source: Path, default: float) -> float:
    """A video file's frame rate (``default`` for a folder, or a video that does not say)."""
    if Path(source).is_dir():
        return default
    capture = cv2.VideoCapture(str(source))
    try:
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0)
    finally:
        capture.release()
    return fps if 1 <= fps <= 240 else default


# --- simulation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Vehicle:
    patch: Image
    plate: Box
    """The plate's box inside the patch."""
    text: str


def _vehicle(scene: Scene) -> _Vehicle | None:
    """The part of ``scene`` around its first plate: the front of the vehicle."""
    image = cv2.imread(str(scene.image))
    if image is None or not scene.plates:
        return None
    plate = scene.plates[0]
    b = plate.box
    height, width = image.shape[:2]
    x0, x1 = int(max(0, b.x - 1.6 * b.width)), int(min(width, b.x + 2.6 * b.width))
    y0, y1 = int(max(0, b.y - 3.0 * b.height)), int(min(height, b.y + 2.2 * b.height))
    patch = np.ascontiguousarray(image[y0:y1, x0:x1], dtype=np.uint8)
    if patch.size == 0:
        return None
    return _Vehicle(patch, Box(b.x - x0, b.y - y0, b.width, b.height), plate.text)


def _road(rng: random.Random) -> Image:
    width, height = FRAME_SIZE
    gradient = np.linspace(70, 120, height, dtype=np.float32)[:, None]
    road = np.repeat(gradient, width, axis=1)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, 6, (height, width))
    grey = np.clip(road + noise, 0, 255).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def _place(
    frame: Image,
    vehicle: _Vehicle,
    plate_width: float,
    cx: float,
    plate_y: float,
    speed: float,
) -> bool:
    """Draw ``vehicle`` so its plate is ``plate_width`` wide, centred at ``cx`` with its top at
    ``plate_y``; returns whether any of the plate is in the picture."""
    scale = plate_width / vehicle.plate.width
    patch = cv2.resize(
        vehicle.patch,
        None,
        fx=scale,
        fy=scale,
        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC,
    )
    h, w = patch.shape[:2]
    squeeze = 0.06 * (1 - min(1.0, plate_width / 220))  # far: the top looks narrower
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = np.array([[w * squeeze, 0], [w * (1 - squeeze), 0], [w, h], [0, h]], np.float32)
    patch = cv2.warpPerspective(
        patch, cv2.getPerspectiveTransform(src, dst), (w, h), borderMode=cv2.BORDER_REPLICATE
    )
    blur = max(1, int(speed * 0.35))
    if blur > 1:
        kernel = np.zeros((blur, blur), np.float32)
        kernel[:, blur // 2] = 1 / blur
        patch = cv2.filter2D(patch, -1, kernel)
    x = int(cx - (vehicle.plate.x + vehicle.plate.width / 2) * scale)
    y = int(plate_y - vehicle.plate.y * scale)
    fh, fw = frame.shape[:2]
    fx0, fy0, fx1, fy1 = max(0, x), max(0, y), min(fw, x + w), min(fh, y + h)
    if fx0 >= fx1 or fy0 >= fy1:
        return False
    frame[fy0:fy1, fx0:fx1] = patch[fy0 - y : fy1 - y, fx0 - x : fx1 - x]
    top = plate_y
    return top < fh and top + vehicle.plate.height * scale > 0


def _approach(frames: int, exit_frames: int) -> list[tuple[float, float]]:
    """(plate width, plate top) per frame: closing in geometrically, then leaving the picture
    through the bottom edge over the last ``exit_frames`` (the plate cut more each frame)."""
    height = FRAME_SIZE[1]
    path = []
    for k in range(frames):
        t = k / max(1, frames - 1)
        width = 40 * (230 / 40) ** t
        plate_height = width * 0.23
        top = 150 + (height - 1.6 * plate_height - 150) * min(
            1.0, t * frames / (frames - exit_frames)
        )
        if k >= frames - exit_frames:
            out = (k - (frames - exit_frames) + 1) / exit_frames  # 1/n ... 1
            top = height - plate_height * (1.3 - 0.9 * out)
        path.append((width, top))
    return path


def simulate(
    scenes: Sequence[Scene],
    out: Path,
    *,
    vehicles: int = 5,
    frames_per_vehicle: int = 30,
    gap_frames: int = 12,
    side_by_side_every: int = 3,
    seed: int = 0,
) -> list[VehicleLabel]:
    """Write a sequence of ``vehicles`` passing the camera to ``out`` (``frame_NNNNN.jpg`` and
    ``labels.csv``) and return its labels. Every ``side_by_side_every``-th vehicle passes beside
    the one before (0: never)."""
    rng = random.Random(seed)
    pool = [v for s in scenes if (v := _vehicle(s)) is not None]
    if not pool:
        raise DatasetError("no scene with a usable plate to simulate from")
    rng.shuffle(pool)
    out.mkdir(parents=True, exist_ok=True)
    road = _road(rng)
    frames: list[Image] = []
    labels: list[VehicleLabel] = []
    exit_frames = max(2, frames_per_vehicle // 10)
    path = _approach(frames_per_vehicle, exit_frames)
    n = 0
    while n < vehicles:
        pair = side_by_side_every > 0 and n + 1 < vehicles and (n + 1) % side_by_side_every == 0
        group = [pool[(n + i) % len(pool)] for i in range(2 if pair else 1)]
        start = len(frames)
        centres = [FRAME_SIZE[0] * 0.25, FRAME_SIZE[0] * 0.75] if pair else [FRAME_SIZE[0] / 2]
        seen: list[list[int]] = [[] for _ in group]
        for k, (width, top) in enumerate(path):
            frame = road.copy()
            speed = path[k][1] - path[k - 1][1] if k else 0.0
            for i, (vehicle, cx) in enumerate(zip(group, centres, strict=True)):
                drift = cx + 12 * np.sin(k / 7 + i)
                if _place(frame, vehicle, width, drift, top, speed):
                    seen[i].append(start + k)
            frames.append(frame)
        for vehicle, shown in zip(group, seen, strict=True):
            labels.append(VehicleLabel(vehicle.text, shown[0], shown[-1]))
        frames.extend(road.copy() for _ in range(gap_frames))
        n += len(group)
    noise = np.random.default_rng(seed)
    for index, frame in enumerate(frames):
        noisy = np.clip(frame + noise.normal(0, 4, frame.shape), 0, 255).astype(np.uint8)
        quality = rng.randint(72, 88)
        cv2.imwrite(str(out / f"frame_{index:05d}.jpg"), noisy, [cv2.IMWRITE_JPEG_QUALITY, quality])
    with (out / "labels.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["plate", "first_frame", "last_frame"])
        writer.writerows((v.plate, v.first_frame, v.last_frame) for v in labels)
    return labels
