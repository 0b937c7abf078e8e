import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from lanescreen.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetNodeStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class NodeStatus(_message.Message):
    __slots__ = ("node", "lanes", "journal_decisions", "journal_bytes", "journal_oldest_age_s", "watchlists_confirmed_age_s", "max_watchlist_staleness_ms", "watchlist_versions", "clock_offset_s", "serving")
    class WatchlistVersionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    NODE_FIELD_NUMBER: _ClassVar[int]
    LANES_FIELD_NUMBER: _ClassVar[int]
    JOURNAL_DECISIONS_FIELD_NUMBER: _ClassVar[int]
    JOURNAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    JOURNAL_OLDEST_AGE_S_FIELD_NUMBER: _ClassVar[int]
    WATCHLISTS_CONFIRMED_AGE_S_FIELD_NUMBER: _ClassVar[int]
    MAX_WATCHLIST_STALENESS_MS_FIELD_NUMBER: _ClassVar[int]
    WATCHLIST_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    CLOCK_OFFSET_S_FIELD_NUMBER: _ClassVar[int]
    SERVING_FIELD_NUMBER: _ClassVar[int]
    node: str
    lanes: _containers.RepeatedScalarFieldContainer[str]
    journal_decisions: int
    journal_bytes: int
    journal_oldest_age_s: float
    watchlists_confirmed_age_s: float
    max_watchlist_staleness_ms: int
    watchlist_versions: _containers.ScalarMap[str, int]
    clock_offset_s: float
    serving: bool
    def __init__(self, node: _Optional[str] = ..., lanes: _Optional[_Iterable[str]] = ..., journal_decisions: _Optional[int] = ..., journal_bytes: _Optional[int] = ..., journal_oldest_age_s: _Optional[float] = ..., watchlists_confirmed_age_s: _Optional[float] = ..., max_watchlist_staleness_ms: _Optional[int] = ..., watchlist_versions: _Optional[_Mapping[str, int]] = ..., clock_offset_s: _Optional[float] = ..., serving: _Optional[bool] = ...) -> None: ...

class Frame(_message.Message):
    __slots__ = ("lane_id", "camera", "frame_id", "captured_at", "image", "region_hint", "plate_region", "passage_id")
    LANE_ID_FIELD_NUMBER: _ClassVar[int]
    CAMERA_FIELD_NUMBER: _ClassVar[int]
    FRAME_ID_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_AT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    REGION_HINT_FIELD_NUMBER: _ClassVar[int]
    PLATE_REGION_FIELD_NUMBER: _ClassVar[int]
    PASSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    lane_id: str
    camera: _common_pb2.CameraRole
    frame_id: str
    captured_at: _timestamp_pb2.Timestamp
    image: bytes
    region_hint: _common_pb2.Box
    plate_region: str
    passage_id: str
    def __init__(self, lane_id: _Optional[str] = ..., camera: _Optional[_Union[_common_pb2.CameraRole, str]] = ..., frame_id: _Optional[str] = ..., captured_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., image: _Optional[bytes] = ..., region_hint: _Optional[_Union[_common_pb2.Box, _Mapping]] = ..., plate_region: _Optional[str] = ..., passage_id: _Optional[str] = ...) -> None: ...

class FrameError(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class ScreenResponse(_message.Message):
    __slots__ = ("frame_id", "decision", "error")
    FRAME_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    frame_id: str
    decision: Decision
    error: FrameError
    def __init__(self, frame_id: _Optional[str] = ..., decision: _Optional[_Union[Decision, _Mapping]] = ..., error: _Optional[_Union[FrameError, _Mapping]] = ...) -> None: ...

class PlateCandidate(_message.Message):
    __slots__ = ("text", "confidence")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    text: str
    confidence: float
    def __init__(self, text: _Optional[str] = ..., confidence: _Optional[float] = ...) -> None: ...

class PlateRead(_message.Message):
    __slots__ = ("text", "region", "format", "confidence", "char_confidences", "candidates", "box", "corners", "detection_score", "reader", "frame_id", "frames", "track_id", "carried")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    CHAR_CONFIDENCES_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    CORNERS_FIELD_NUMBER: _ClassVar[int]
    DETECTION_SCORE_FIELD_NUMBER: _ClassVar[int]
    READER_FIELD_NUMBER: _ClassVar[int]
    FRAME_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    CARRIED_FIELD_NUMBER: _ClassVar[int]
    text: str
    region: str
    format: str
    confidence: float
    char_confidences: _containers.RepeatedScalarFieldContainer[float]
    candidates: _containers.RepeatedCompositeFieldContainer[PlateCandidate]
    box: _common_pb2.Box
    corners: _containers.RepeatedCompositeFieldContainer[_common_pb2.Point]
    detection_score: float
    reader: str
    frame_id: str
    frames: int
    track_id: str
    carried: bool
    def __init__(self, text: _Optional[str] = ..., region: _Optional[str] = ..., format: _Optional[str] = ..., confidence: _Optional[float] = ..., char_confidences: _Optional[_Iterable[float]] = ..., candidates: _Optional[_Iterable[_Union[PlateCandidate, _Mapping]]] = ..., box: _Optional[_Union[_common_pb2.Box, _Mapping]] = ..., corners: _Optional[_Iterable[_Union[_common_pb2.Point, _Mapping]]] = ..., detection_score: _Optional[float] = ..., reader: _Optional[str] = ..., frame_id: _Optional[str] = ..., frames: _Optional[int] = ..., track_id: _Optional[str] = ..., carried: _Optional[bool] = ...) -> None: ...

class PassageState(_message.Message):
    __slots__ = ("passage_id", "outcome", "reasons", "plates", "frames", "closed", "tentative", "alert_id")
    PASSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    PLATES_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    TENTATIVE_FIELD_NUMBER: _ClassVar[int]
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    passage_id: str
    outcome: _common_pb2.Outcome
    reasons: _containers.RepeatedScalarFieldContainer[str]
    plates: _containers.RepeatedCompositeFieldContainer[PlateRead]
    frames: int
    closed: bool
    tentative: bool
    alert_id: str
    def __init__(self, passage_id: _Optional[str] = ..., outcome: _Optional[_Union[_common_pb2.Outcome, str]] = ..., reasons: _Optional[_Iterable[str]] = ..., plates: _Optional[_Iterable[_Union[PlateRead, _Mapping]]] = ..., frames: _Optional[int] = ..., closed: _Optional[bool] = ..., tentative: _Optional[bool] = ..., alert_id: _Optional[str] = ...) -> None: ...

class FaceRead(_message.Message):
    __slots__ = ("box", "detection_score", "camera_type", "eye_distance_px", "sharpness", "yaw_deg", "quality_ok", "quality_detail", "embedder", "frame_id")
    BOX_FIELD_NUMBER: _ClassVar[int]
    DETECTION_SCORE_FIELD_NUMBER: _ClassVar[int]
    CAMERA_TYPE_FIELD_NUMBER: _ClassVar[int]
    EYE_DISTANCE_PX_FIELD_NUMBER: _ClassVar[int]
    SHARPNESS_FIELD_NUMBER: _ClassVar[int]
    YAW_DEG_FIELD_NUMBER: _ClassVar[int]
    QUALITY_OK_FIELD_NUMBER: _ClassVar[int]
    QUALITY_DETAIL_FIELD_NUMBER: _ClassVar[int]
    EMBEDDER_FIELD_NUMBER: _ClassVar[int]
    FRAME_ID_FIELD_NUMBER: _ClassVar[int]
    box: _common_pb2.Box
    detection_score: float
    camera_type: str
    eye_distance_px: float
    sharpness: float
    yaw_deg: float
    quality_ok: bool
    quality_detail: str
    embedder: str
    frame_id: str
    def __init__(self, box: _Optional[_Union[_common_pb2.Box, _Mapping]] = ..., detection_score: _Optional[float] = ..., camera_type: _Optional[str] = ..., eye_distance_px: _Optional[float] = ..., sharpness: _Optional[float] = ..., yaw_deg: _Optional[float] = ..., quality_ok: _Optional[bool] = ..., quality_detail: _Optional[str] = ..., embedder: _Optional[str] = ..., frame_id: _Optional[str] = ...) -> None: ...

class WatchlistMatch(_message.Message):
    __slots__ = ("entry_id", "watchlist_id", "watchlist_name", "list_kind", "category", "action", "priority", "entry_plate", "read_text", "match_kind", "distance", "reason", "subject_kind", "subject_name", "score", "threshold")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    WATCHLIST_ID_FIELD_NUMBER: _ClassVar[int]
    WATCHLIST_NAME_FIELD_NUMBER: _ClassVar[int]
    LIST_KIND_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ENTRY_PLATE_FIELD_NUMBER: _ClassVar[int]
    READ_TEXT_FIELD_NUMBER: _ClassVar[int]
    MATCH_KIND_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_NAME_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    watchlist_id: str
    watchlist_name: str
    list_kind: _common_pb2.ListKind
    category: str
    action: str
    priority: int
    entry_plate: str
    read_text: str
    match_kind: _common_pb2.MatchKind
    distance: int
    reason: str
    subject_kind: str
    subject_name: str
    score: float
    threshold: float
    def __init__(self, entry_id: _Optional[str] = ..., watchlist_id: _Optional[str] = ..., watchlist_name: _Optional[str] = ..., list_kind: _Optional[_Union[_common_pb2.ListKind, str]] = ..., category: _Optional[str] = ..., action: _Optional[str] = ..., priority: _Optional[int] = ..., entry_plate: _Optional[str] = ..., read_text: _Optional[str] = ..., match_kind: _Optional[_Union[_common_pb2.MatchKind, str]] = ..., distance: _Optional[int] = ..., reason: _Optional[str] = ..., subject_kind: _Optional[str] = ..., subject_name: _Optional[str] = ..., score: _Optional[float] = ..., threshold: _Optional[float] = ...) -> None: ...

class Reason(_message.Message):
    __slots__ = ("code", "detail", "stage")
    CODE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    code: str
    detail: str
    stage: str
    def __init__(self, code: _Optional[str] = ..., detail: _Optional[str] = ..., stage: _Optional[str] = ...) -> None: ...

class StageTiming(_message.Message):
    __slots__ = ("stage", "ms")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    MS_FIELD_NUMBER: _ClassVar[int]
    stage: str
    ms: float
    def __init__(self, stage: _Optional[str] = ..., ms: _Optional[float] = ...) -> None: ...

class Decision(_message.Message):
    __slots__ = ("decision_id", "lane_id", "frame_id", "camera", "outcome", "reasons", "plates", "matches", "timings", "budget_ms", "budget_met", "total_ms", "captured_at", "decided_at", "passage_id", "faces", "frame_ids", "frame_plates", "passages", "alert_id", "alert")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    LANE_ID_FIELD_NUMBER: _ClassVar[int]
    FRAME_ID_FIELD_NUMBER: _ClassVar[int]
    CAMERA_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    PLATES_FIELD_NUMBER: _ClassVar[int]
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    BUDGET_MS_FIELD_NUMBER: _ClassVar[int]
    BUDGET_MET_FIELD_NUMBER: _ClassVar[int]
    TOTAL_MS_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_AT_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    PASSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    FACES_FIELD_NUMBER: _ClassVar[int]
    FRAME_IDS_FIELD_NUMBER: _ClassVar[int]
    FRAME_PLATES_FIELD_NUMBER: _ClassVar[int]
    PASSAGES_FIELD_NUMBER: _ClassVar[int]
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    ALERT_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    lane_id: str
    frame_id: str
    camera: _common_pb2.CameraRole
    outcome: _common_pb2.Outcome
    reasons: _containers.RepeatedCompositeFieldContainer[Reason]
    plates: _containers.RepeatedCompositeFieldContainer[PlateRead]
    matches: _containers.RepeatedCompositeFieldContainer[WatchlistMatch]
    timings: _containers.RepeatedCompositeFieldContainer[StageTiming]
    budget_ms: int
    budget_met: bool
    total_ms: float
    captured_at: _timestamp_pb2.Timestamp
    decided_at: _timestamp_pb2.Timestamp
    passage_id: str
    faces: _containers.RepeatedCompositeFieldContainer[FaceRead]
    frame_ids: _containers.RepeatedScalarFieldContainer[str]
    frame_plates: _containers.RepeatedCompositeFieldContainer[PlateRead]
    passages: _containers.RepeatedCompositeFieldContainer[PassageState]
    alert_id: str
    alert: AlertSummary
    def __init__(self, decision_id: _Optional[str] = ..., lane_id: _Optional[str] = ..., frame_id: _Optional[str] = ..., camera: _Optional[_Union[_common_pb2.CameraRole, str]] = ..., outcome: _Optional[_Union[_common_pb2.Outcome, str]] = ..., reasons: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., plates: _Optional[_Iterable[_Union[PlateRead, _Mapping]]] = ..., matches: _Optional[_Iterable[_Union[WatchlistMatch, _Mapping]]] = ..., timings: _Optional[_Iterable[_Union[StageTiming, _Mapping]]] = ..., budget_ms: _Optional[int] = ..., budget_met: _Optional[bool] = ..., total_ms: _Optional[float] = ..., captured_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., passage_id: _Optional[str] = ..., faces: _Optional[_Iterable[_Union[FaceRead, _Mapping]]] = ..., frame_ids: _Optional[_Iterable[str]] = ..., frame_plates: _Optional[_Iterable[_Union[PlateRead, _Mapping]]] = ..., passages: _Optional[_Iterable[_Union[PassageState, _Mapping]]] = ..., alert_id: _Optional[str] = ..., alert: _Optional[_Union[AlertSummary, _Mapping]] = ...) -> None: ...

class AlertSummary(_message.Message):
    __slots__ = ("frames", "first_at", "last_at", "closed_at", "history")
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    FIRST_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_AT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    frames: int
    first_at: _timestamp_pb2.Timestamp
    last_at: _timestamp_pb2.Timestamp
    closed_at: _timestamp_pb2.Timestamp
    history: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, frames: _Optional[int] = ..., first_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., history: _Optional[_Iterable[str]] = ...) -> None: ...
