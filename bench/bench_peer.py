"""lanescreen beside the plain peer pipeline, on the same labelled photos, in one run.

    .venv/bin/python bench/bench_peer.py [--set NAME ...] [--reader R ...] [--limit N] [--json]

The peer is what a plain script does with the same two public models and nothing else:
HyperLPR3's y5fu_640 on onnxruntime (letterbox, objectness x class score, NMS at 0.45), each
detection's box cut from the frame as it is (fast-alpr's crop) and read by fast-plate-ocr's
cct_xs_v1_global (128x64 RGB, argmax per slot). It is written here from the models' published
pre- and post-processing, importing nothing of lanescreen. lanescreen runs as a lane does: its
configured detector and reader (``--reader`` adds others), reads settled for the set's region
(``us``, ``eu``, ``cn``). Both are scored alike (openalpr's rules: a detection at IoU >= 0.4,
an exact read), the frame timed from its JPEG bytes to its texts, on one pinned core.

Chinese crops (lprnet_cn_dev, half ``b``, which the own reader never trained on) have no
detection step: each side reads the crops as they are.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from benchutil import SHARED, model_dir, percentiles, pin_one_core
from lanescreen.config import REGION_READERS, load_config
from lanescreen.domain.plates import normalize_plate
from lanescreen.evaluation.plate_sets import (
    Scene,
    corrected,
    load_crops,
    load_errata,
    load_scenes,
)
from lanescreen.evaluation.plates import RunMetrics, evaluate_crops, evaluate_scenes
from lanescreen.training.real_sets import write_half
from lanescreen.vision.pipeline import build_detector
from lanescreen.vision.readers import READER_NAMES, build_reader
from lanescreen.vision.weights import fetch, required_models

SETS = {"openalpr_us": "us", "openalpr_eu_dev": "eu", "lprnet_cn_dev": "cn"}
"""Each labelled set and the region of the lanes it stands for."""
CN_HALF = "b"
PEER_CROPS = ((0.0, "peer, box as found (fast-alpr)"), (0.2, "peer, box + 0.2 h margin"))
BEFORE = ("y5fu_640", "fast_plate_ocr")
"""lanescreen's detector and reader before issue 25, read with no region: today's figures."""
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
Floats = npt.NDArray[np.float32]


class PeerPipeline:
    """y5fu_640 and cct_xs_v1_global on onnxruntime, with their published processing only."""

    def __init__(self, models: Path, min_score: float) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        cpu = ["CPUExecutionProvider"]
        self.detector = ort.InferenceSession(str(models / "y5fu_640x_sim.onnx"), options, cpu)
        self.ocr = ort.InferenceSession(str(models / "cct_xs_v1_global.onnx"), options, cpu)
        self.min_score = min_score

    def detect(self, bgr: npt.NDArray[np.uint8]) -> list[tuple[int, int, int, int]]:
        """Plate boxes ``x0, y0, x1, y1``, best first."""
        height, width = bgr.shape[:2]
        scale = min(640 / height, 640 / width)
        new_w, new_h = max(1, int(width * scale)), max(1, int(height * scale))
        top, left = (640 - new_h) // 2, (640 - new_w) // 2
        canvas = np.zeros((640, 640, 3), np.uint8)
        canvas[top : top + new_h, left : left + new_w] = cv2.resize(bgr, (new_w, new_h))
        tensor = (canvas[:, :, ::-1].transpose(2, 0, 1).astype(np.float32) / 255.0)[None]
        feed = {self.detector.get_inputs()[0].name: np.ascontiguousarray(tensor)}
        rows: Floats = self.detector.run(None, feed)[0][0]
        scores = rows[:, 4] * rows[:, 13:15].max(axis=1)
        rows, scores = rows[scores >= self.min_score], scores[scores >= self.min_score]
        xywh = rows[:, :4].copy()
        xywh[:, :2] -= xywh[:, 2:4] / 2
        keep = cv2.dnn.NMSBoxes(xywh.tolist(), scores.tolist(), self.min_score, 0.5)
        boxes = []
        for i in np.asarray(keep, dtype=np.int64).reshape(-1):
            x, y, w, h = xywh[i]
            x0, y0 = int(max(0, (x - left) / scale)), int(max(0, (y - top) / scale))
            x1 = int(min(width, (x + w - left) / scale))
            y1 = int(min(height, (y + h - top) / scale))
            if x1 > x0 and y1 > y0:
                boxes.append((x0, y0, x1, y1))
        return boxes

    def read(self, crops: list[npt.NDArray[np.uint8]]) -> list[str]:
        if not crops:
            return []
        batch = np.stack([cv2.resize(cv2.cvtColor(c, cv2.COLOR_BGR2RGB), (128, 64)) for c in crops])
        probs = np.asarray(self.ocr.run(None, {self.ocr.get_inputs()[0].name: batch})[0])
        slots = probs.reshape(len(crops), 9, len(ALPHABET)).argmax(axis=2)
        return ["".join(ALPHABET[i] for i in s if ALPHABET[i] != "_") for s in slots]


@dataclass
class Tally:
    plates: int = 0
    detected: int = 0
    read: int = 0
    frame_ms: list[float] = field(default_factory=list)

    def row(self, name: str) -> dict[str, Any]:
        ms = percentiles(self.frame_ms, 1)
        return {
            "pipeline": name,
            "plates": self.plates,
            "detection_recall": round(self.detected / max(1, self.plates), 3),
            "exact_read": round(self.read / max(1, self.plates), 3),
            "ms_p50": ms["p50"],
            "ms_p95": ms["p95"],
        }


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union if union > 0 else 0.0


def _padded(
    box: tuple[int, int, int, int], pad: float, width: int, height: int
) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    margin = int(pad * (y1 - y0))
    return (
        max(0, x0 - margin),
        max(0, y0 - margin),
        min(width, x1 + margin),
        min(height, y1 + margin),
    )


def peer_scenes(peer: PeerPipeline, scenes: list[Scene], pad: float) -> Tally:
    """The peer on every photo; ``pad``: each box widened by this many heights before it is
    cut (0: fast-alpr's crop, the box as found)."""
    tally = Tally()
    for scene in scenes:
        data = scene.image.read_bytes()
        start = time.perf_counter()
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        boxes = peer.detect(bgr)
        cuts = [_padded(b, pad, bgr.shape[1], bgr.shape[0]) for b in boxes]
        texts = peer.read([bgr[y0:y1, x0:x1] for x0, y0, x1, y1 in cuts])
        tally.frame_ms.append((time.perf_counter() - start) * 1000)
        for plate in scene.plates:
            b = plate.box
            truth = (b.x, b.y, b.x + b.width, b.y + b.height)
            matched = [t for box, t in zip(boxes, texts, strict=True) if _iou(box, truth) >= 0.4]
            tally.plates += 1
            tally.detected += bool(matched)
            tally.read += normalize_plate(plate.text) in matched
    return tally


def peer_crops(peer: PeerPipeline, directory: Path) -> Tally:
    tally = Tally()
    for crop in load_crops(directory):
        data = crop.image.read_bytes()
        start = time.perf_counter()
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        (text,) = peer.read([bgr])
        tally.frame_ms.append((time.perf_counter() - start) * 1000)
        tally.plates += 1
        tally.detected += 1
        tally.read += text == normalize_plate(crop.text)
    return tally


def ours(run: RunMetrics) -> dict[str, Any]:
    metrics = run.to_dict()
    ms = percentiles(run.frame_ms, 1)
    return {
        "pipeline": f"lanescreen {' + '.join(n for n in (run.detector, run.reader) if n)}",
        "plates": run.plates,
        "detection_recall": metrics.get("detection_recall", 1.0),
        "exact_read": metrics["exact_read_rate"],
        "ms_p50": ms["p50"],
        "ms_p95": ms["p95"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--set", action="append", choices=list(SETS), dest="sets")
    parser.add_argument("--reader", action="append", choices=READER_NAMES, default=[])
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None, help="only the first N photos")
    parser.add_argument(
        "--errata",
        type=Path,
        default=None,
        metavar="FILE",
        help="correct published labels first (docs/eval-errata.tsv), for both sides",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    config = load_config()
    vision = config.vision
    pinning = pin_one_core()

    def fetch_models() -> Path:
        names = required_models(["y5fu_640", vision.detector], "fast_plate_ocr", *args.reader)
        fetch(names, config.model_dir, mirror=vision.model_mirror)
        return config.model_dir

    models = model_dir(args.model_dir, fetch_models)
    peer = PeerPipeline(models, vision.min_detection_score)
    detector = build_detector(vision.detector, models, accept_score=vision.min_detection_score)
    before = build_detector(BEFORE[0], models)
    results: dict[str, list[dict[str, Any]]] = {}
    for name in args.sets or list(SETS):
        region, directory = SETS[name], SHARED / "eval" / "plates" / name
        if not directory.is_dir():
            print(f"bench: {directory} not found, skipped", file=sys.stderr)
            continue
        names = dict.fromkeys([REGION_READERS.get(region, vision.reader), *args.reader])
        readers = [build_reader(n, models) for n in names]
        if name == "lprnet_cn_dev":
            with tempfile.TemporaryDirectory() as tmp:
                write_half(directory, CN_HALF, Path(tmp))
                rows = [peer_crops(peer, Path(tmp)).row("peer, fast-plate-ocr on the crop")]
                runs = evaluate_crops(load_crops(Path(tmp)), readers, region=region, progress=False)
            rows += [ours(run) for run in runs]
            name = f"{name} half {CN_HALF}"
        else:
            scenes = load_scenes(directory)[: args.limit]
            if args.errata is not None:
                scenes = corrected(scenes, load_errata(args.errata))[0]
            rows = [peer_scenes(peer, scenes, pad).row(label) for pad, label in PEER_CROPS]
            runs = evaluate_scenes(
                scenes,
                [before],
                [build_reader(BEFORE[1], models)],
                min_score=vision.min_detection_score,
                max_plates=vision.max_plates_per_frame,
                progress=False,
            )
            runs += evaluate_scenes(
                scenes,
                [detector],
                readers,
                min_score=vision.min_detection_score,
                max_plates=vision.max_plates_per_frame,
                region=region,
                progress=False,
            )
            rows += [ours(run) for run in runs]
        results[name] = rows
    if args.json:
        print(json.dumps({"pinning": pinning, "sets": results}, indent=2))
        return 0
    fixed = f"; labels corrected by {args.errata}" if args.errata else ""
    print(f"lanescreen beside the plain peer pipeline, one core ({pinning}); ms per frame{fixed}")
    for name, rows in results.items():
        print(f"\n{name}")
        print(f"  {'pipeline':46} {'recall':>7} {'exact':>7} {'vs peer':>8} {'p50':>7} {'p95':>7}")
        peer_row = rows[0]
        for row in rows:
            gain = (row["exact_read"] - peer_row["exact_read"]) * 100
            print(
                f"  {row['pipeline']:46} {row['detection_recall']:7.3f} {row['exact_read']:7.3f}"
                f" {gain:+7.1f}p {row['ms_p50']:7.1f} {row['ms_p95']:7.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
