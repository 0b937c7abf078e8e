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

class HitFilter(_message.Message):
    __slots__ = ("since", "until", "lane_id", "watchlist", "outcome")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    LANE_ID_FIELD_NUMBER: _ClassVar[int]
    WATCHLIST_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    lane_id: str
    watchlist: str
    outcome: _common_pb2.Outcome
    def __init__(self, since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lane_id: _Optional[str] = ..., watchlist: _Optional[str] = ..., outcome: _Optional[_Union[_common_pb2.Outcome, str]] = ...) -> None: ...

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
    __slots__ = ("hits", "next_page_token")
    HITS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    hits: _containers.RepeatedCompositeFieldContainer[_screening_pb2.Decision]
    next_page_token: str
    def __init__(self, hits: _Optional[_Iterable[_Union[_screening_pb2.Decision, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ExportHitsRequest(_message.Message):
    __slots__ = ("filter", "format")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    filter: HitFilter
    format: ExportFormat
    def __init__(self, filter: _Optional[_Union[HitFilter, _Mapping]] = ..., format: _Optional[_Union[ExportFormat, str]] = ...) -> None: ...

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
