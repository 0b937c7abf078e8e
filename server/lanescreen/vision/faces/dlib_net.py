"""A strict reader of dlib's serialized DNN format, as far as dlib's face ResNet needs it.

dlib runs its face network about 13 times slower than onnxruntime runs the same arithmetic (its
wheels have no optimised BLAS), so the published weights are read here and rebuilt as an ONNX
graph (:mod:`.dlib_onnx`). ``dlib::serialize`` on ``loss<L_n<...<L_1<input>>>>`` writes:

1. ``add_loss_layer``: version 1, the loss's details, then the sub-network;
2. every layer below, outermost first, its version int before its sub-network, so all versions
   come first: 2 for ``add_layer``, 1 for ``add_tag_layer`` and ``add_skip_layer`` (alike on
   disk: neither writes its tag id), 3 for the ``add_layer`` on the input;
3. the input layer's details;
4. innermost first, each ``add_layer``'s details (a name such as ``"con_4"`` and its fields),
   three bools and its cached tensors (empty in a published file).

Primitives (dlib/serialize.h): an integer is a control byte (low nibble: byte count, 0x80:
negative) and that many little-endian bytes; a float is a mantissa and an exponent, two such
integers (value ``m * 2**e``); a string its length then its bytes; a bool ``'1'`` or ``'0'``. A
tensor (dlib/dnn/tensor.h) is a version, four dimensions, then raw little-endian float32 values
(version 2) or dlib floats (version 1).

Since tag ids are not stored, :func:`parse_dlib_net` returns :class:`TagOrSkip` placeholders and
:func:`bind_structure` names them from the network's C++ type (:data:`FACE_RESNET_V1`), checking
every layer's kind on the way. Anything else in a file is refused with its byte offset.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float32]
Pair = tuple[int, int]


class DlibFormatError(ValueError):
    """The bytes are not (this reader's subset of) dlib's DNN serialization format."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at byte {offset})")
        self.offset = offset


@dataclass(frozen=True)
class RgbInput:
    """``input_rgb_image_sized``: ``(pixel - mean) / 256``, planes in R, G, B order."""

    mean_rgb: tuple[float, float, float]
    rows: int
    cols: int


@dataclass(frozen=True, eq=False)
class Conv:
    """``con_``: ``filters`` (out, in, rows, cols), ``bias`` (out,); symmetric padding."""

    filters: Floats
    bias: Floats
    stride: Pair
    padding: Pair


@dataclass(frozen=True, eq=False)
class Affine:
    """``affine_`` per channel: ``gamma * x + beta`` (a batch norm frozen after training)."""

    gamma: Floats
    beta: Floats


@dataclass(frozen=True)
class Relu:
    """``relu_``."""


@dataclass(frozen=True)
class Pool:
    """``max_pool_`` / ``avg_pool_``; a window of 0 pools the whole input."""

    kind: Literal["max", "avg"]
    window: Pair
    stride: Pair
    padding: Pair


@dataclass(frozen=True)
class AddPrev:
    """``add_prevN``: the input plus what the nearest ``tagN`` below saw, the smaller one
    zero-padded at the end of each dimension (dlib's ``tt::add``). ``tag`` is 0 until bound."""

    tag: int = 0


@dataclass(frozen=True, eq=False)
class Dense:
    """``fc_`` without bias: ``flatten(x) @ weights``, weights (inputs, outputs)."""

    weights: Floats


@dataclass(frozen=True)
class TagOrSkip:
    """An ``add_tag_layer`` or ``add_skip_layer`` as read (they serialize alike)."""


@dataclass(frozen=True)
class Tag:
    """``tagN``: passes its input on and remembers it for a later ``skipN`` / ``add_prevN``."""

    tag: int


@dataclass(frozen=True)
class Skip:
    """``skipN``: outputs what the nearest ``tagN`` below saw, dropping its input."""

    tag: int


Layer = Conv | Affine | Relu | Pool | AddPrev | Dense | TagOrSkip | Tag | Skip


@dataclass(frozen=True)
class DlibNet:
    """A parsed network, its layers from the input (first) to the loss."""

    input: RgbInput
    layers: tuple[Layer, ...]


class _Cursor:
    """The file's bytes and a position, with dlib's primitive decoders."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, count: int, what: str) -> bytes:
        if self.pos + count > len(self.data):
            raise DlibFormatError(f"file ends inside {what}", self.pos)
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def integer(self, what: str, nbytes: int = 8) -> int:
        start = self.pos
        control = self.take(1, what)[0]
        size = control & 0x0F
        if control & 0x70 or size > nbytes:
            raise DlibFormatError(f"bad integer control byte 0x{control:02x} in {what}", start)
        value = int.from_bytes(self.take(size, what), "little")
        return -value if control & 0x80 else value

    def floating(self, what: str) -> float:
        mantissa, exponent = self.integer(what), self.integer(what, 2)
        special = {32000: math.inf, 32001: -math.inf, 32002: math.nan}
        return special.get(exponent, math.ldexp(mantissa, exponent))

    def boolean(self, what: str) -> bool:
        start, byte = self.pos, self.take(1, what)
        if byte not in (b"0", b"1"):
            raise DlibFormatError(f"bad bool {byte!r} in {what}", start)
        return byte == b"1"

    def string(self, what: str) -> str:
        start = self.pos
        raw = self.take(self.integer(what), what)
        if not raw.isascii():
            raise DlibFormatError(f"non-ASCII text in {what}", start)
        return raw.decode("ascii")

    def is_string(self, text: str) -> bool:
        """Whether ``text`` is serialized at the cursor (the cursor stays)."""
        start = self.pos
        try:
            return self.string("a name") == text
        except DlibFormatError:
            return False
        finally:
            self.pos = start

    def version(self, what: str, known: Sequence[int]) -> int:
        start, version = self.pos, self.integer(what, 4)
        if version not in known:
            raise DlibFormatError(f"{what} version {version} (known: {list(known)})", start)
        return version

    def tensor(self, what: str) -> Floats:
        start = self.pos
        version = self.version(f"tensor {what}", (1, 2))
        shape = tuple(self.integer(what) for _ in range(4))
        if min(shape) < 0:
            raise DlibFormatError(f"negative dimension in tensor {what}: {shape}", start)
        count = math.prod(shape)
        if version == 2:
            values = np.frombuffer(self.take(4 * count, what), "<f4").astype(np.float32)
        else:
            values = np.array([self.floating(what) for _ in range(count)], np.float32)
        return values.reshape(shape)

    def shape(self, what: str) -> tuple[int, ...]:
        """An ``alias_tensor``: only its shape is stored."""
        self.version(f"alias tensor {what}", (1,))
        return tuple(self.integer(what) for _ in range(4))


def _multipliers(cursor: _Cursor, what: str) -> None:
    for name in ("learning rate", "weight decay", "bias learning rate", "bias weight decay"):
        cursor.floating(f"{what} {name} multiplier")


def _conv(cursor: _Cursor, start: int) -> Conv:
    params = cursor.tensor("con params").ravel()
    count, rows, cols = (cursor.integer("con size") for _ in range(3))
    stride = (cursor.integer("con stride", 4), cursor.integer("con stride", 4))
    padding = (cursor.integer("con padding", 4), cursor.integer("con padding", 4))
    filters, biases = cursor.shape("con filters"), cursor.shape("con biases")
    _multipliers(cursor, "con")
    weights = math.prod(filters)
    if (
        (filters[0], filters[2], filters[3]) != (count, rows, cols)
        or biases != (1, count, 1, 1)
        or params.size != weights + count
    ):
        raise DlibFormatError(f"con_ shapes disagree: {filters}, {biases}, {params.size}", start)
    return Conv(params[:weights].reshape(filters), params[weights:], stride, padding)


def _affine(cursor: _Cursor, start: int) -> Affine:
    params = cursor.tensor("affine params").ravel()
    gamma, beta = cursor.shape("affine gamma"), cursor.shape("affine beta")
    if cursor.integer("affine mode", 4) != 0:
        raise DlibFormatError("affine_ per element (fc mode) is not used by this network", start)
    size = math.prod(gamma)
    if gamma != beta or params.size != 2 * size:
        raise DlibFormatError(f"affine_ shapes disagree: {gamma}, {beta}, {params.size}", start)
    return Affine(params[:size], params[size:])


def _pool(cursor: _Cursor, kind: Literal["max", "avg"]) -> Pool:
    window = (cursor.integer("pool size"), cursor.integer("pool size"))
    stride = (cursor.integer("pool stride", 4), cursor.integer("pool stride", 4))
    padding = (cursor.integer("pool padding", 4), cursor.integer("pool padding", 4))
    return Pool(kind, window, stride, padding)


def _dense(cursor: _Cursor, start: int) -> Dense:
    outputs, inputs = cursor.integer("fc outputs"), cursor.integer("fc inputs")
    params = cursor.tensor("fc params").ravel()
    weights = cursor.shape("fc weights")
    cursor.shape("fc biases")
    no_bias = cursor.integer("fc bias mode", 4) == 1
    _multipliers(cursor, "fc")
    if not no_bias or weights[:2] != (inputs, outputs) or params.size != inputs * outputs:
        raise DlibFormatError(f"fc_ is not fc_no_bias<{outputs}> of {inputs} inputs", start)
    return Dense(params.reshape(inputs, outputs))


def _details(cursor: _Cursor) -> Layer:
    start = cursor.pos
    name = cursor.string("layer name")
    match name:
        case "con_4":
            return _conv(cursor, start)
        case "affine_":
            return _affine(cursor, start)
        case "relu_":
            return Relu()
        case "max_pool_2":
            return _pool(cursor, "max")
        case "avg_pool_2":
            return _pool(cursor, "avg")
        case "add_prev_":
            return AddPrev()
        case "fc_2":
            return _dense(cursor, start)
    raise DlibFormatError(f"unsupported layer {name!r}", start)


def _layer_state(cursor: _Cursor, version: int, on_input: bool) -> None:
    """What ``add_layer`` writes after its details, needed by training only."""
    for name in ("setup called", "gradient input stale", "output and gradient disabled"):
        cursor.boolean(name)
    cursor.tensor("x_grad")
    cursor.tensor("cached output")
    if on_input:
        cursor.tensor("grad final")
        if version >= 3:
            cursor.integer("sample expansion factor", 4)
    else:
        cursor.tensor("params grad")


INPUT_NAME = "input_rgb_image_sized"


def _versions(cursor: _Cursor) -> list[int]:
    """Every level's version below the loss, outermost first; the last is the input's layer."""
    versions = []
    while True:
        start, version = cursor.pos, cursor.integer("layer version", 4)
        versions.append(version)
        if cursor.is_string(INPUT_NAME):
            if version not in (2, 3):
                raise DlibFormatError(f"input layer version {version} (known: 2, 3)", start)
            return versions
        if version not in (1, 2):
            raise DlibFormatError(f"layer version {version} (add_layer 2, tag or skip 1)", start)


def _input(cursor: _Cursor) -> RgbInput:
    cursor.string("input name")
    r, g, b = (cursor.floating("input mean") for _ in range(3))
    return RgbInput((r, g, b), cursor.integer("input rows"), cursor.integer("input cols"))


def parse_dlib_net(data: bytes) -> DlibNet:
    """A whole ``loss_metric<...<input_rgb_image_sized>>`` file, its layers input first."""
    cursor = _Cursor(data)
    cursor.version("add_loss_layer", (1,))
    start = cursor.pos
    if (loss := cursor.string("loss name")) != "loss_metric_2":
        raise DlibFormatError(f"unsupported loss {loss!r}", start)
    cursor.floating("loss margin")
    cursor.floating("loss distance threshold")
    versions = _versions(cursor)
    rgb = _input(cursor)
    layers: list[Layer] = []
    for depth, version in enumerate(reversed(versions)):
        if depth > 0 and version == 1:
            layers.append(TagOrSkip())
            continue
        layers.append(_details(cursor))
        _layer_state(cursor, version, on_input=depth == 0)
    if cursor.pos != len(data):
        raise DlibFormatError(f"{len(data) - cursor.pos} bytes after the network", cursor.pos)
    return DlibNet(rgb, tuple(layers))


def _face_resnet_v1() -> tuple[str, ...]:
    """``anet_type`` of dlib's examples/dnn_face_recognition_ex.cpp, input first::

    block<N,s>    = affine<con<N,3,3,1,1,relu<affine<con<N,3,3,s,s,SUB>>>>>
    ares<N>       = relu<add_prev1<block<N,1,tag1<SUB>>>>
    ares_down<N>  = relu<add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<N,2,tag1<SUB>>>>>>>
    anet_type     = loss_metric<fc_no_bias<128,avg_pool_everything<ares_down<256,
                    ares<256>x2, ares_down<256>, ares<128>x2, ares_down<128>, ares<64>x3,
                    ares_down<64>, ares<32>x3, max_pool<3,3,2,2,relu<affine<con<32,7,7,2,2,
                    input_rgb_image_sized<150>>>>>>>>>
    """
    block = ["con", "affine", "relu", "con", "affine"]
    ares = ["tag1", *block, "add_prev1", "relu"]
    down = ["tag1", *block, "tag2", "skip1", "avg_pool", "add_prev2", "relu"]
    stem = ["con", "affine", "relu", "max_pool"]
    levels = [*ares * 3, *down, *ares * 3, *down, *ares * 2, *down, *ares * 2, *down]
    return (*stem, *levels, "avg_pool", "dense")


FACE_RESNET_V1 = _face_resnet_v1()
"""dlib_face_recognition_resnet_model_v1's layers, input first, as :func:`bind_structure` reads."""

_KINDS: dict[str, type] = {"con": Conv, "affine": Affine, "relu": Relu, "dense": Dense}


def _bound(token: str, layer: Layer) -> Layer | None:
    """The layer named by ``token``, or None when the file has another kind there."""
    for prefix, kind in (("tag", Tag), ("skip", Skip)):
        if token.startswith(prefix):
            return kind(int(token.removeprefix(prefix))) if isinstance(layer, TagOrSkip) else None
    if token.startswith("add_prev"):
        return AddPrev(int(token.removeprefix("add_prev"))) if isinstance(layer, AddPrev) else None
    if token.endswith("_pool"):
        return layer if isinstance(layer, Pool) and f"{layer.kind}_pool" == token else None
    return layer if isinstance(layer, _KINDS[token]) else None


def bind_structure(net: DlibNet, structure: Sequence[str]) -> DlibNet:
    """``net`` with its tags and skips named from ``structure`` (tokens input first: ``con``,
    ``affine``, ``relu``, ``max_pool``, ``avg_pool``, ``dense``, ``tagN``, ``skipN``,
    ``add_prevN``), every layer's kind checked against it."""
    if len(structure) != len(net.layers):
        raise ValueError(f"the network has {len(net.layers)} layers, expected {len(structure)}")
    bound = []
    for index, (token, layer) in enumerate(zip(structure, net.layers, strict=True)):
        named = _bound(token, layer)
        if named is None:
            raise ValueError(f"layer {index} is {type(layer).__name__}, expected {token!r}")
        bound.append(named)
    return DlibNet(net.input, tuple(bound))
