"""dlib's face network read from its published file and run on onnxruntime: the reader refuses
what it does not know, naming where; the converted network gives dlib's own descriptors on real
faces."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from lanescreen.config import FaceConfig, VisionConfig
from lanescreen.evaluation.face_sets import find_photos
from lanescreen.vision.faces.dlib_models import RESNET, DlibResNetEmbedder, dlib_model_path
from lanescreen.vision.faces.dlib_net import (
    FACE_RESNET_V1,
    AddPrev,
    Conv,
    DlibFormatError,
    Skip,
    Tag,
    bind_structure,
    parse_dlib_net,
)
from lanescreen.vision.faces.dlib_onnx import OnnxResNetEmbedder
from lanescreen.vision.faces.pipeline import build_face_pipeline, ensure_face_models

from tests.support import FACES, SHARED_MODELS, needs_faces


@pytest.fixture(scope="module")
def published() -> bytes:
    return dlib_model_path(None, RESNET).read_bytes()


def test_the_published_file_is_the_face_resnet_of_dlibs_example(published: bytes) -> None:
    net = bind_structure(parse_dlib_net(published), FACE_RESNET_V1)
    assert (net.input.rows, net.input.cols) == (150, 150)
    assert net.input.mean_rgb == pytest.approx((122.782, 117.001, 104.298), abs=1e-3)
    convs = [layer for layer in net.layers if isinstance(layer, Conv)]
    assert len(convs) == 29 and convs[0].filters.shape == (32, 3, 7, 7)
    assert {type(layer) for layer in net.layers} >= {Tag, Skip, AddPrev}
    # The tags are not in the file: a structure of other kinds at a place is refused.
    wrong = list(FACE_RESNET_V1)
    wrong[1] = "relu"
    with pytest.raises(ValueError, match=r"layer 1 is Affine, expected 'relu'"):
        bind_structure(parse_dlib_net(published), wrong)


def test_a_file_it_does_not_know_is_refused_naming_the_byte(published: bytes) -> None:
    with pytest.raises(DlibFormatError, match=r"file ends inside .* \(at byte \d+\)"):
        parse_dlib_net(published[: len(published) // 2])
    with pytest.raises(DlibFormatError, match=r"1 bytes after the network"):
        parse_dlib_net(published + b"\0")
    renamed = published.replace(b"relu_", b"relX_", 1)
    with pytest.raises(DlibFormatError, match=r"unsupported layer 'relX_' \(at byte \d+\)"):
        parse_dlib_net(renamed)
    with pytest.raises(DlibFormatError, match=r"add_loss_layer version"):
        parse_dlib_net(b"\x01\x07" + published[2:])
    with pytest.raises(DlibFormatError):
        parse_dlib_net(b"not a network")


def test_chips_of_another_size_are_refused(published: bytes) -> None:
    embedder = OnnxResNetEmbedder(dlib_model_path(None, RESNET))
    with pytest.raises(ValueError, match="150x150 BGR uint8"):
        embedder.embed([np.zeros((112, 112, 3), np.uint8)])
    assert embedder.embed([]).shape == (0, 128)


@needs_faces
@pytest.mark.slow
def test_the_converted_network_gives_dlibs_descriptors_on_real_faces(tmp_path: Path) -> None:
    """The service's embedder against dlib's own runtime on the chips the service cuts (colour and
    greyscale sets): the shipped thresholds and calibration stay valid."""
    ensure_face_models(FaceConfig(), VisionConfig(model_mirror=str(SHARED_MODELS)), tmp_path)
    pipeline = build_face_pipeline(FaceConfig(), tmp_path)
    assert isinstance(pipeline.embedder, OnnxResNetEmbedder)
    folders = [FACES / name for name in ("lfw7_subset_faces", "orl_att_faces", "openface_examples")]
    chips = []
    for folder in folders:
        for path in find_photos([folder])[:12]:
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            chips += [face.chip for face in pipeline.analyse(image, embed_poor=True)]
    assert len(chips) >= 30
    ours = pipeline.embedder.raw(chips)
    dlibs = DlibResNetEmbedder(dlib_model_path(tmp_path, RESNET)).raw(chips)
    cosine = (
        (ours * dlibs).sum(axis=1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(dlibs, axis=1)
    )
    assert cosine.min() >= 0.9999
    assert np.abs(ours - dlibs).max() < 1e-4
    # one chip alone reads as it does in a batch
    assert np.allclose(pipeline.embedder.raw(chips[:1]), ours[:1], atol=1e-5)
