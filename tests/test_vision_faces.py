"""The face pipeline on real photos: YuNet detection, dlib alignment and embedding, the quality
gate, camera types, and the dlib model files."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from lanescreen.config import FaceConfig, VisionConfig
from lanescreen.vision.faces.dlib_models import RESNET, SHAPE_PREDICTOR_5, dlib_model_path
from lanescreen.vision.faces.pipeline import (
    FacePipeline,
    build_face_pipeline,
    camera_type,
    ensure_face_models,
)
from lanescreen.vision.faces.quality import pose
from lanescreen.vision.faces.types import FaceObservation, QualityProblem
from lanescreen.vision.types import Image
from lanescreen.vision.weights import ModelError

from tests.support import FACES, SHARED_MODELS, needs_faces

pytestmark = needs_faces

LFW = FACES / "lfw7_subset_faces" / "images"
OPENFACE = FACES / "openface_examples" / "images"


def _photo(path: Path, flags: int = cv2.IMREAD_COLOR) -> Image:
    image = cv2.imread(str(path), flags)
    assert image is not None, path
    return np.asarray(image, np.uint8)


@pytest.fixture(scope="module")
def face_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """YuNet fetched from the shared mirror by the real code; dlib's files from the package."""
    model_dir = tmp_path_factory.mktemp("face-models")
    vision = VisionConfig(model_mirror=str(SHARED_MODELS))
    paths = ensure_face_models(FaceConfig(), vision, model_dir)
    assert [p.name for p in paths] == [
        "face_detection_yunet_2023mar.onnx",
        SHAPE_PREDICTOR_5,
        RESNET,
    ]
    return model_dir


@pytest.fixture(scope="module")
def pipeline(face_model_dir: Path) -> FacePipeline:
    return build_face_pipeline(FaceConfig(), face_model_dir)


def _largest(pipeline: FacePipeline, image: Image, **kwargs: bool) -> FaceObservation:
    faces = pipeline.analyse(image, **kwargs)
    assert faces, "no face found"
    return faces[0]


@pytest.mark.slow
def test_detection_and_landmarks(pipeline: FacePipeline) -> None:
    image = _photo(LFW / "Colin_Powell" / "Colin_Powell_0001.jpg")
    (face,) = pipeline.detect(image)
    assert face.score >= 0.9
    box = face.box
    right_eye, left_eye, nose, right_mouth, left_mouth = face.landmarks
    for x, y in face.landmarks:
        assert box.x <= x <= box.x + box.width and box.y <= y <= box.y + box.height
    assert (
        right_eye[0] < left_eye[0] and right_mouth[0] < left_mouth[0]
    )  # subject's right on the left
    assert max(right_eye[1], left_eye[1]) < nose[1] < min(right_mouth[1], left_mouth[1])
    assert 30 < face.eye_distance < 80
    # No face among the dogs (YuNet scores one dog 0.85; the floor is 0.9).
    assert pipeline.detect(_photo(FACES / "dlib_faces_detection" / "images" / "dogs.jpg")) == []
    two = pipeline.detect(_photo(OPENFACE / "longoria-cooper.jpg"))
    assert len(two) == 2
    areas = [f.box.width * f.box.height for f in two]
    assert areas == sorted(areas, reverse=True) and two[0].box.iou(two[1].box) == 0


@pytest.mark.slow
def test_large_frames_are_detected_on_a_scaled_copy(face_model_dir: Path) -> None:
    image = _photo(OPENFACE / "lennon-1.jpg")  # 1400x1050, the face ~700 px tall
    full_size = build_face_pipeline(FaceConfig(face_detect_max_side=100_000), face_model_dir)
    assert full_size.detect(image) == []  # YuNet misses a face this large at full size
    pipeline = build_face_pipeline(FaceConfig(face_detect_max_side=640), face_model_dir)
    (face,) = pipeline.detect(image)
    double = np.asarray(cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC))
    (big,) = pipeline.detect(double)  # boxes and landmarks come back in full-frame pixels
    assert big.eye_distance == pytest.approx(2 * face.eye_distance, rel=0.03)
    assert big.box.x == pytest.approx(2 * face.box.x, abs=8)
    assert big.landmarks[2][1] == pytest.approx(2 * face.landmarks[2][1], abs=8)


@pytest.mark.slow
def test_same_person_scores_above_a_stranger(pipeline: FacePipeline) -> None:
    def embed(name: str) -> npt.NDArray[np.float32]:
        person = name.rsplit("_", 1)[0]
        face = _largest(pipeline, _photo(LFW / person / f"{name}.jpg"))
        assert face.embedding is not None, face.quality.describe()
        return face.embedding

    blair = embed("Tony_Blair_0002"), embed("Tony_Blair_0003")
    bush = embed("George_W_Bush_0001"), embed("George_W_Bush_0002")
    for vector in (*blair, *bush):
        assert vector.dtype == np.float32 and vector.shape == (128,)
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    same = min(float(blair[0] @ blair[1]), float(bush[0] @ bush[1]))
    different = max(float(a @ b) for a in blair for b in bush)
    assert same > different + 0.05


@pytest.mark.slow
def test_observation_shape_and_the_openface_pair(pipeline: FacePipeline) -> None:
    lennon = [_largest(pipeline, _photo(OPENFACE / f"lennon-{i}.jpg")) for i in (1, 2)]
    clapton = _largest(pipeline, _photo(OPENFACE / "clapton-1.jpg"))
    for face in (*lennon, clapton):
        assert face.chip.shape == (150, 150, 3) and face.chip.dtype == np.uint8
        assert face.camera_type == "colour" and face.quality.ok
        assert face.embedding is not None
    a, b, c = (f.embedding for f in (*lennon, clapton))
    assert a is not None and b is not None and c is not None
    assert float(a @ b) > max(float(a @ c), float(b @ c))


@pytest.mark.slow
def test_quality_gate_refuses_a_tiny_face_with_the_reason(pipeline: FacePipeline) -> None:
    image = _photo(OPENFACE / "clapton-1.jpg")
    limit = pipeline.limits.min_eye_distance_px
    full = _largest(pipeline, image)
    scale = 0.85 * limit / full.quality.eye_distance_px  # still big enough for YuNet to find
    tiny = np.asarray(
        cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), np.uint8
    )
    face = _largest(pipeline, tiny)
    assert QualityProblem.TOO_SMALL in face.quality.problems and not face.quality.ok
    assert face.embedding is None
    text = face.quality.describe()
    assert text.startswith("face too small: eyes ") and f"at least {limit:.0f} needed" in text
    poor = _largest(pipeline, tiny, embed_poor=True)
    assert poor.embedding is not None and not poor.quality.ok


@pytest.mark.slow
def test_quality_gate_refuses_a_blurred_face(pipeline: FacePipeline) -> None:
    image = _photo(LFW / "Colin_Powell" / "Colin_Powell_0001.jpg")
    sharp = _largest(pipeline, image)
    assert sharp.quality.ok
    sigma = 0.05 * sharp.quality.eye_distance_px  # blur in proportion to the face's size
    blurred = np.asarray(cv2.GaussianBlur(image, (0, 0), sigma), np.uint8)
    face = _largest(pipeline, blurred)
    assert face.quality.problems == (QualityProblem.BLURRED,)
    assert "face blurred: sharpness" in face.quality.describe()
    assert face.quality.sharpness < pipeline.limits.min_sharpness


@pytest.mark.slow
def test_pose_from_landmarks(face_model_dir: Path) -> None:
    pipeline = build_face_pipeline(FaceConfig(face_max_yaw_deg=30), face_model_dir)
    turned = _photo(LFW / "Tony_Blair" / "Tony_Blair_0001.jpg")  # looks well to the side
    face = _largest(pipeline, turned)
    assert face.quality.yaw_deg < -30
    assert QualityProblem.TURNED in face.quality.problems and face.embedding is None
    assert face.quality.describe().startswith("face turned away: about 4")
    assert "at most 30 allowed" in face.quality.describe()
    # Mirrored, it turns the other way (YuNet's landmarks are not exactly mirror-symmetric).
    mirrored = _largest(pipeline, np.ascontiguousarray(turned[:, ::-1]))
    assert mirrored.quality.yaw_deg > 25
    lennon = _photo(OPENFACE / "lennon-1.jpg")
    frontal = _largest(pipeline, lennon)
    assert abs(frontal.quality.yaw_deg) < 15 and frontal.quality.ok
    flipped = _largest(pipeline, np.ascontiguousarray(lennon[:, ::-1]))
    assert flipped.quality.yaw_deg == pytest.approx(-frontal.quality.yaw_deg, abs=4)
    # Roll is the eye line's tilt; rotating the landmarks rotates it, and yaw stays put.
    points = np.asarray(frontal.detection.landmarks)
    angle = np.deg2rad(20)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    rotated = points @ rotation.T
    yaw, roll = pose(tuple(map(tuple, rotated)))  # type: ignore[arg-type]
    assert roll == pytest.approx(frontal.quality.roll_deg + 20, abs=0.01)
    assert yaw == pytest.approx(frontal.quality.yaw_deg, abs=0.01)


@pytest.mark.slow
def test_grey_frames(pipeline: FacePipeline) -> None:
    colour = _photo(OPENFACE / "lennon-1.jpg")
    grey = np.asarray(cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY), np.uint8)
    assert camera_type(colour) == "colour"
    assert camera_type(grey) == camera_type(grey[:, :, None]) == "grey"
    assert camera_type(np.asarray(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), np.uint8)) == "grey"
    orl = _photo(FACES / "orl_att_faces" / "images" / "s1" / "1.pgm", cv2.IMREAD_UNCHANGED)
    assert orl.ndim == 2
    for image in (grey, orl):
        face = _largest(pipeline, image, embed_poor=True)
        assert face.camera_type == "grey" and face.chip.shape == (150, 150, 3)
        assert face.embedding is not None
    same = _largest(pipeline, colour).embedding
    grey_same = _largest(pipeline, grey).embedding
    other = _largest(pipeline, _photo(OPENFACE / "clapton-1.jpg")).embedding
    assert same is not None and grey_same is not None and other is not None
    assert float(same @ grey_same) > float(same @ other)


def test_dlib_files_prefer_the_model_dir_and_are_checked(tmp_path: Path) -> None:
    packaged = dlib_model_path(None, SHAPE_PREDICTOR_5)
    assert packaged.parent.name == "models"
    shutil.copy(packaged, tmp_path / SHAPE_PREDICTOR_5)
    assert dlib_model_path(tmp_path, SHAPE_PREDICTOR_5) == tmp_path / SHAPE_PREDICTOR_5
    (tmp_path / RESNET).write_bytes(b"not a network")
    with pytest.raises(ModelError, match="fails its sha256 check"):
        dlib_model_path(tmp_path, RESNET)
    with pytest.raises(ModelError, match="unknown dlib model"):
        dlib_model_path(tmp_path, "mmod_human_face_detector.dat")


def test_unknown_embedder_is_refused(face_model_dir: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown face embedder 'sface'.*dlib_resnet"):
        build_face_pipeline(FaceConfig(face_embedder="sface"), face_model_dir)
