"""The face quality gate: a face too small, blurred or turned away becomes a stated reason.

A template from such a face matches poorly (its mate scores low) *and* unpredictably, so
searching it would turn a camera problem into a silent miss. The limits were chosen by measurement
(docs/faces.md); every measure is cheap next to the embedding it may save.

Pose comes from YuNet's five landmarks with a generic head: the eye centres sit about 0.86 of
half their distance behind the nose tip (the usual 3D face model used with ``solvePnP``). Turning
the head by ``yaw`` moves the nose tip off the eyes' and mouth's midline by
``depth * sin(yaw)`` while the eyes' spacing shrinks by ``cos(yaw)``, so
``yaw = atan(offset / (half eye distance * 0.86))``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from ..types import Image
from .types import FaceDetection, FaceQuality, Landmarks, QualityLimits, QualityProblem

NOSE_DEPTH_RATIO = 0.86
"""Nose-tip depth in front of the eye centres, over half the eye distance (generic 3D head)."""


SHARPNESS_REGION = (0.2, 0.85, 0.2, 0.8)
"""Rows and columns (fractions of the aligned chip) measured for sharpness: eyebrows to chin,
cheek to cheek. The chip's margin is left out because where a face is near the frame's edge the
chip is filled with black there, and that hard edge would read as detail."""


def sharpness(chip: Image) -> float:
    """Variance of the Laplacian of the face's grey levels: low when it lacks fine detail."""
    grey = chip if chip.ndim == 2 else cv2.cvtColor(chip, cv2.COLOR_BGR2GRAY)
    height, width = grey.shape[:2]
    top, bottom, left, right = SHARPNESS_REGION
    face = grey[
        round(height * top) : round(height * bottom), round(width * left) : round(width * right)
    ]
    return float(cv2.Laplacian(face, cv2.CV_64F).var())


def pose(landmarks: Landmarks) -> tuple[float, float]:
    """Estimated ``(yaw, roll)`` in degrees from YuNet's five landmarks.

    Roll is the eye line's tilt (positive clockwise on screen); yaw is positive when the nose
    points toward the image's right.
    """
    points = np.asarray(landmarks, dtype=np.float64)
    right_eye, left_eye = points[0], points[1]
    dx, dy = left_eye - right_eye
    roll = math.atan2(dy, dx)
    half_eyes = math.hypot(dx, dy) / 2
    if half_eyes < 1e-6:
        return 0.0, math.degrees(roll)
    # Undo the roll, then measure the nose against the midline of the eyes and the mouth.
    cos, sin = math.cos(-roll), math.sin(-roll)
    rotation = np.array([[cos, -sin], [sin, cos]])
    upright = (points - right_eye) @ rotation.T
    midline = (upright[0, 0] + upright[1, 0] + upright[3, 0] + upright[4, 0]) / 4
    offset = upright[2, 0] - midline
    yaw = math.atan2(offset, half_eyes * NOSE_DEPTH_RATIO)
    return math.degrees(yaw), math.degrees(roll)


def assess(detection: FaceDetection, chip: Image, limits: QualityLimits) -> FaceQuality:
    """Measure one face and name each limit it breaks."""
    eyes = detection.eye_distance
    sharp = sharpness(chip)
    yaw, roll = pose(detection.landmarks)
    problems = []
    if eyes < limits.min_eye_distance_px:
        problems.append(QualityProblem.TOO_SMALL)
    if sharp < limits.min_sharpness:
        problems.append(QualityProblem.BLURRED)
    if abs(yaw) > limits.max_yaw_deg:
        problems.append(QualityProblem.TURNED)
    return FaceQuality(eyes, sharp, yaw, roll, tuple(problems), limits)
