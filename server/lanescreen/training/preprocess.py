"""The network's input, made by EasyOCR's own functions, and the training-time augmentations.

A model only reads well what it was trained on, so training feeds the network exactly what
``easyocr.Reader.recognize`` feeds it for one crop: greyscale, EasyOCR's ``get_image_list`` resize
to ``imgH`` keeping the aspect ratio, then its ``AlignCollate`` (PIL bicubic resize, scaling to
[-1, 1], right padding to a multiple of ``imgH`` by repeating the last column). EasyOCR reads a
low-confidence crop a second time with its contrast stretch, so training shows the network that
view too, now and then.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import cv2
import numpy as np
import torch
from easyocr.recognition import AlignCollate
from easyocr.utils import get_image_list
from PIL import Image as PILImage

from lanescreen.vision.image import to_bgr
from lanescreen.vision.types import Image

EASYOCR_ADJUST_CONTRAST = 0.5
"""``recognize(adjust_contrast=...)`` default: the second-pass contrast target."""


def to_grey(image: Image) -> Image:
    """Greyscale the way :class:`~lanescreen.vision.readers.easyocr_reader.EasyOcrReader` does."""
    grey = cv2.cvtColor(to_bgr(image), cv2.COLOR_BGR2GRAY)
    return np.ascontiguousarray(grey, dtype=np.uint8)


def model_input(image: Image, img_h: int, *, adjust_contrast: float = 0.0) -> torch.Tensor:
    """``(1, img_h, W)`` float tensor: what EasyOCR's ``recognize`` gives the network for a crop."""
    grey = to_grey(image)
    height, width = grey.shape[:2]
    if height < 1 or width < 1:
        raise ValueError(f"empty crop {grey.shape}")
    listed, max_width = get_image_list([[0, width, 0, height]], [], grey, model_height=img_h)
    if not listed:
        raise ValueError(f"crop {grey.shape} is too small for EasyOCR to read")
    resized = np.ascontiguousarray(listed[0][1], dtype=np.uint8)
    collate = AlignCollate(
        imgH=img_h, imgW=int(max_width), keep_ratio_with_pad=True, adjust_contrast=adjust_contrast
    )
    batch: torch.Tensor = collate([PILImage.fromarray(resized, "L")])
    return batch[0]


def collate(inputs: Sequence[torch.Tensor]) -> torch.Tensor:
    """Stack ``(1, H, W_i)`` inputs to ``(B, 1, H, max W)``, padding as ``NormalizePAD`` does."""
    width = max(t.shape[2] for t in inputs)
    out = torch.empty(len(inputs), 1, inputs[0].shape[1], width)
    for i, tensor in enumerate(inputs):
        w = tensor.shape[2]
        out[i, :, :, :w] = tensor
        out[i, :, :, w:] = tensor[:, :, w - 1 :].expand(-1, -1, width - w)
    return out


def jitter_crop(image: Image, rng: random.Random, amount: float = 0.06) -> Image:
    """Move each edge in or out by up to ``amount`` x height: a detector's crop is never exact."""
    height = image.shape[0]
    edges = [round(rng.uniform(-amount, amount) * height) for _ in range(4)]
    top, bottom, left, right = edges
    padded = cv2.copyMakeBorder(
        image,
        max(0, -top),
        max(0, -bottom),
        max(0, -left),
        max(0, -right),
        cv2.BORDER_REPLICATE,
    )
    y0, x0 = max(0, top), max(0, left)
    y1 = padded.shape[0] - max(0, bottom)
    x1 = padded.shape[1] - max(0, right)
    if y1 - y0 < 4 or x1 - x0 < 4:
        return image
    return np.ascontiguousarray(padded[y0:y1, x0:x1], dtype=np.uint8)


def photometric(image: Image, rng: random.Random) -> Image:
    """Lighting, blur and sensor noise on a real crop (the renderer does this for synthetic ones)."""
    out = image.astype(np.float32) * rng.uniform(0.6, 1.3) + rng.uniform(-40, 40)
    if rng.random() < 0.4:
        sigma = rng.uniform(0.3, 1.2)
        out = np.asarray(cv2.GaussianBlur(out, (0, 0), sigma), dtype=np.float32)
    if rng.random() < 0.4:
        noise = np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(2, 10), out.shape)
        out = np.asarray(out + noise, dtype=np.float32)
    if rng.random() < 0.3:
        scale = rng.uniform(0.5, 0.9)
        h, w = out.shape[:2]
        small = cv2.resize(out, (max(4, round(w * scale)), max(4, round(h * scale))))
        out = np.asarray(cv2.resize(small, (w, h)), dtype=np.float32)
    return np.ascontiguousarray(np.clip(out, 0, 255), dtype=np.uint8)
