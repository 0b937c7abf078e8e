import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from lanescreen.v1 import common_pb2 as _common_pb2
from lanescreen.v1 import screening_pb2 as _screening_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPORT_FORMAT_UNSPECIFIED: _ClassVar[ExportFormat]
    EXPORT_FORMAT_CSV: _ClassVar[ExportFormat]
    EXPORT_FORMAT_JSONL: _ClassVar[ExportFormat]
EXPORT_FORMAT_UNSPECIFIED: ExportFormat
EXPORT_FORMAT_CSV: ExportFormat
EXPORT_FORMAT_JSONL: ExportFormat

class TrailFilter(_message.Message):
    __slots__ = ("since", "until", "actor", "action", "target")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    actor: str
    action: str
    target: str
    def __init__(self, since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., target: _Optional[str] = ...) -> None: ...

class TrailEntry(_message.Message):
    __slots__ = ("chain", "seq", "at", "actor", "action", "target", "detail_json", "hash")
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    DETAIL_JSON_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    chain: str
    seq: int
    at: _timestamp_pb2.Timestamp
    actor: str
    action: str
    target: str
    detail_json: str
    hash: str
    def __init__(self, chain: _Optional[str] = ..., seq: _Optional[int] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., target: _Optional[str] = ..., detail_json: _Optional[str] = ..., hash: _Optional[str] = ...) -> None: ...

class SearchTrailRequest(_message.Message):
    __slots__ = ("filter", "page_size", "page_token")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    filter: TrailFilter
    page_size: int
    page_token: str
    def __init__(self, filter: _Optional[_Union[TrailFilter, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SearchTrailResponse(_message.Message):
    __slots__ = ("records", "next_page_token")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[TrailEntry]
    next_page_token: str
    def __init__(self, records: _Optional[_Iterable[_Union[TrailEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ExportTrailRequest(_message.Message):
    __slots__ = ("filter", "format", "reason")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    filter: TrailFilter
    format: ExportFormat
    reason: str
    def __init__(self, filter: _Optional[_Union[TrailFilter, _Mapping]] = ..., format: _Optional[_Union[ExportFormat, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class VerifyTrailRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TrailVerification(_message.Message):
    __slots__ = ("ok", "records", "chain", "broken_seq", "problem", "head_hash", "decisions_checked", "keyed")
    OK_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    BROKEN_SEQ_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    HEAD_HASH_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    KEYED_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    records: int
    chain: str
    broken_seq: int
    problem: str
    head_hash: str
    decisions_checked: int
    keyed: bool
    def __init__(self, ok: _Optional[bool] = ..., records: _Optional[int] = ..., chain: _Optional[str] = ..., broken_seq: _Optional[int] = ..., problem: _Optional[str] = ..., head_hash: _Optional[str] = ..., decisions_checked: _Optional[int] = ..., keyed: _Optional[bool] = ...) -> None: ...

class GetHitRequest(_message.Message):
    __slots__ = ("decision_id",)
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    def __init__(self, decision_id: _Optional[str] = ...) -> None: ...

class HitDetail(_message.Message):
    __slots__ = ("decision", "dispositions")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    DISPOSITIONS_FIELD_NUMBER: _ClassVar[int]
    decision: _screening_pb2.Decision
    dispositions: _containers.RepeatedCompositeFieldContainer[DispositionRecord]
    def __init__(self, decision: _Optional[_Union[_screening_pb2.Decision, _Mapping]] = ..., dispositions: _Optional[_Iterable[_Union[DispositionRecord, _Mapping]]] = ...) -> None: ...

class WatchHitsRequest(_message.Message):
    __slots__ = ("filter", "replay_s")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    REPLAY_S_FIELD_NUMBER: _ClassVar[int]
    filter: HitFilter
    replay_s: int
    def __init__(self, filter: _Optional[_Union[HitFilter, _Mapping]] = ..., replay_s: _Optional[int] = ...) -> None: ...

class HitFilter(_message.Message):
    __slots__ = ("since", "until", "lane_id", "watchlist", "outcome", "disposition")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    LANE_ID_FIELD_NUMBER: _ClassVar[int]
    WATCHLIST_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    DISPOSITION_FIELD_NUMBER: _ClassVar[int]
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    lane_id: str
    watchlist: str
    outcome: _common_pb2.Outcome
    disposition: str
    def __init__(self, since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lane_id: _Optional[str] = ..., watchlist: _Optional[str] = ..., outcome: _Optional[_Union[_common_pb2.Outcome, str]] = ..., disposition: _Optional[str] = ...) -> None: ...

class ListHitsRequest(_message.Message):
    __slots__ = ("filter", "page_size", "page_token")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    filter: HitFilter
    page_size: int
    page_token: str
    def __init__(self, filter: _Optional[_Union[HitFilter, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListHitsResponse(_message.Message):
    __slots__ = ("hits", "next_page_token", "dispositions")
    HITS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DISPOSITIONS_FIELD_NUMBER: _ClassVar[int]
    hits: _containers.RepeatedCompositeFieldContainer[_screening_pb2.Decision]
    next_page_token: str
    dispositions: _containers.RepeatedCompositeFieldContainer[DispositionRecord]
    def __init__(self, hits: _Optional[_Iterable[_Union[_screening_pb2.Decision, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., dispositions: _Optional[_Iterable[_Union[DispositionRecord, _Mapping]]] = ...) -> None: ...

class DisposeHitRequest(_message.Message):
    __slots__ = ("decision_id", "verdict", "code", "note")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    verdict: str
    code: str
    note: str
    def __init__(self, decision_id: _Optional[str] = ..., verdict: _Optional[str] = ..., code: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class DispositionRecord(_message.Message):
    __slots__ = ("decision_id", "verdict", "code", "note", "actor", "at")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    verdict: str
    code: str
    note: str
    actor: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, decision_id: _Optional[str] = ..., verdict: _Optional[str] = ..., code: _Optional[str] = ..., note: _Optional[str] = ..., actor: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DispositionCount(_message.Message):
    __slots__ = ("outcome", "pending", "confirmed", "dismissed")
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_FIELD_NUMBER: _ClassVar[int]
    DISMISSED_FIELD_NUMBER: _ClassVar[int]
    outcome: str
    pending: int
    confirmed: int
    dismissed: int
    def __init__(self, outcome: _Optional[str] = ..., pending: _Optional[int] = ..., confirmed: _Optional[int] = ..., dismissed: _Optional[int] = ...) -> None: ...

class DispositionStats(_message.Message):
    __slots__ = ("by_outcome", "by_code")
    class ByCodeEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    BY_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    BY_CODE_FIELD_NUMBER: _ClassVar[int]
    by_outcome: _containers.RepeatedCompositeFieldContainer[DispositionCount]
    by_code: _containers.ScalarMap[str, int]
    def __init__(self, by_outcome: _Optional[_Iterable[_Union[DispositionCount, _Mapping]]] = ..., by_code: _Optional[_Mapping[str, int]] = ...) -> None: ...

class ExportHitsRequest(_message.Message):
    __slots__ = ("filter", "format", "reason")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    filter: HitFilter
    format: ExportFormat
    reason: str
    def __init__(self, filter: _Optional[_Union[HitFilter, _Mapping]] = ..., format: _Optional[_Union[ExportFormat, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class ExportChunk(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...

class GetEvidenceRequest(_message.Message):
    __slots__ = ("decision_id",)
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    def __init__(self, decision_id: _Optional[str] = ...) -> None: ...

class Evidence(_message.Message):
    __slots__ = ("decision_id", "plate_crop_jpeg", "frame_jpeg", "face_chip_jpeg")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    PLATE_CROP_JPEG_FIELD_NUMBER: _ClassVar[int]
    FRAME_JPEG_FIELD_NUMBER: _ClassVar[int]
    FACE_CHIP_JPEG_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    plate_crop_jpeg: bytes
    frame_jpeg: bytes
    face_chip_jpeg: bytes
    def __init__(self, decision_id: _Optional[str] = ..., plate_crop_jpeg: _Optional[bytes] = ..., frame_jpeg: _Optional[bytes] = ..., face_chip_jpeg: _Optional[bytes] = ...) -> None: ...
