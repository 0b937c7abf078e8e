"""Writing a trained recogniser in EasyOCR's custom-model format, and checksumming it.

EasyOCR loads a custom recogniser from three files: ``NAME.yaml`` (``network_params``, ``imgH``,
``lang_list``, ``character_list``) and ``NAME.py`` (defining ``Model``) in its user-network
directory, and ``NAME.pth`` (the state dict) in its model directory. On the CPU it strips the first
seven characters of every state-dict key (the ``module.`` that ``DataParallel`` adds), so the keys
are written with that prefix.

``NAME.py`` is :mod:`lanescreen.training.model`'s own source, copied byte for byte, so the network
exists once. The YAML is written as JSON values (YAML is a superset), with no YAML library needed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from . import model as model_module

STATE_PREFIX = "module."
"""What EasyOCR's CPU loader strips from every key (``key[7:]``)."""


@dataclass(frozen=True)
class NetworkParams:
    """``Model`` constructor arguments besides ``num_class`` (EasyOCR's ``network_params``)."""

    input_channel: int = 1
    output_channel: int = 128
    hidden_size: int = 128
    time_scale: int = 2


@dataclass(frozen=True)
class ModelSpec:
    """Everything EasyOCR's YAML says about a network."""

    name: str
    charset: str
    params: NetworkParams = NetworkParams()
    img_h: int = 32
    lang_list: tuple[str, ...] = ("en",)

    @property
    def num_class(self) -> int:
        """CTC classes: the blank (index 0, as EasyOCR's ``CTCLabelConverter`` puts it) + charset."""
        return len(self.charset) + 1


@dataclass(frozen=True)
class ExportedFiles:
    """The three files of one exported network, and the weights' sha256."""

    yaml: Path
    network: Path
    weights: Path
    sha256: str


def build_model(spec: ModelSpec) -> model_module.Model:
    """A freshly initialised network of ``spec``'s shape."""
    return model_module.Model(num_class=spec.num_class, **asdict(spec.params))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def yaml_text(spec: ModelSpec) -> str:
    """The ``NAME.yaml`` EasyOCR reads (JSON scalars and lists are valid YAML)."""
    lines = [
        f"# lanescreen plate recogniser {spec.name}: EasyOCR custom network (CTC, blank = 0)",
        "network_params:",
        *(f"  {key}: {value}" for key, value in asdict(spec.params).items()),
        f"imgH: {spec.img_h}",
        f"lang_list: {json.dumps(list(spec.lang_list))}",
        f"character_list: {json.dumps(spec.charset, ensure_ascii=False)}",
        "",
    ]
    return "\n".join(lines)


def export(
    network: torch.nn.Module, spec: ModelSpec, model_dir: Path, user_network_dir: Path
) -> ExportedFiles:
    """Write ``NAME.yaml`` and ``NAME.py`` to ``user_network_dir`` and ``NAME.pth`` to ``model_dir``."""
    model_dir, user_network_dir = Path(model_dir), Path(user_network_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    user_network_dir.mkdir(parents=True, exist_ok=True)
    yaml_path = user_network_dir / f"{spec.name}.yaml"
    yaml_path.write_text(yaml_text(spec), encoding="utf-8")
    py_path = user_network_dir / f"{spec.name}.py"
    source = model_module.__file__
    assert source is not None
    shutil.copyfile(source, py_path)
    weights = model_dir / f"{spec.name}.pth"
    state = OrderedDict(
        (STATE_PREFIX + key, value.detach().cpu().clone(memory_format=torch.contiguous_format))
        for key, value in network.state_dict().items()
    )
    torch.save(state, weights)
    return ExportedFiles(yaml_path, py_path, weights, sha256_of(weights))


def load_exported(spec: ModelSpec, weights: Path) -> model_module.Model:
    """The float network back from an exported ``NAME.pth`` (for evaluation and fine-tuning)."""
    state = torch.load(weights, map_location="cpu", weights_only=True)
    net = build_model(spec)
    net.load_state_dict(
        OrderedDict((key[len(STATE_PREFIX) :], value) for key, value in state.items())
    )
    return net
