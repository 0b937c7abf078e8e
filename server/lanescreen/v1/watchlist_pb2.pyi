import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from lanescreen.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ApprovalStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    APPROVAL_STATUS_UNSPECIFIED: _ClassVar[ApprovalStatus]
    APPROVAL_STATUS_ACTIVE: _ClassVar[ApprovalStatus]
    APPROVAL_STATUS_PENDING: _ClassVar[ApprovalStatus]
    APPROVAL_STATUS_REJECTED: _ClassVar[ApprovalStatus]

class ImportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IMPORT_FORMAT_UNSPECIFIED: _ClassVar[ImportFormat]
    IMPORT_FORMAT_CSV: _ClassVar[ImportFormat]
    IMPORT_FORMAT_JSON: _ClassVar[ImportFormat]
APPROVAL_STATUS_UNSPECIFIED: ApprovalStatus
APPROVAL_STATUS_ACTIVE: ApprovalStatus
APPROVAL_STATUS_PENDING: ApprovalStatus
APPROVAL_STATUS_REJECTED: ApprovalStatus
IMPORT_FORMAT_UNSPECIFIED: ImportFormat
IMPORT_FORMAT_CSV: ImportFormat
IMPORT_FORMAT_JSON: ImportFormat

class Watchlist(_message.Message):
    __slots__ = ("id", "name", "kind", "description", "version", "entry_count", "created_at", "created_by", "subject_count")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ENTRY_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_COUNT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    kind: _common_pb2.ListKind
    description: str
    version: int
    entry_count: int
    created_at: _timestamp_pb2.Timestamp
    created_by: str
    subject_count: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[_common_pb2.ListKind, str]] = ..., description: _Optional[str] = ..., version: _Optional[int] = ..., entry_count: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., subject_count: _Optional[int] = ...) -> None: ...

class FaceSubject(_message.Message):
    __slots__ = ("id", "watchlist_id", "name", "plates", "category", "action", "priority", "reason", "legal_basis", "owner", "created_by", "created_at", "updated_at", "expires_at", "photo_count", "case_number", "status", "updated_by", "reviewed_by", "reviewed_at", "review_note")
    ID_FIELD_NUMBER: _ClassVar[int]
    WATCHLIST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PLATES_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    PHOTO_COUNT_FIELD_NUMBER: _ClassVar[int]
    CASE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    REVIEWED_BY_FIELD_NUMBER: _ClassVar[int]
    REVIEWED_AT_FIELD_NUMBER: _ClassVar[int]
    REVIEW_NOTE_FIELD_NUMBER: _ClassVar[int]
    id: str
    watchlist_id: str
    name: str
    plates: _containers.RepeatedScalarFieldContainer[str]
    category: str
    action: str
    priority: int
    reason: str
    legal_basis: str
    owner: str
    created_by: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    photo_count: int
    case_number: str
    status: ApprovalStatus
    updated_by: str
    reviewed_by: str
    reviewed_at: _timestamp_pb2.Timestamp
    review_note: str
    def __init__(self, id: _Optional[str] = ..., watchlist_id: _Optional[str] = ..., name: _Optional[str] = ..., plates: _Optional[_Iterable[str]] = ..., category: _Optional[str] = ..., action: _Optional[str] = ..., priority: _Optional[int] = ..., reason: _Optional[str] = ..., legal_basis: _Optional[str] = ..., owner: _Optional[str] = ..., created_by: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., photo_count: _Optional[int] = ..., case_number: _Optional[str] = ..., status: _Optional[_Union[ApprovalStatus, str]] = ..., updated_by: _Optional[str] = ..., reviewed_by: _Optional[str] = ..., reviewed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., review_note: _Optional[str] = ...) -> None: ...

class EnrolSubjectRequest(_message.Message):
    __slots__ = ("watchlist", "subject", "photos")
    WATCHLIST_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    PHOTOS_FIELD_NUMBER: _ClassVar[int]
    watchlist: str
    subject: FaceSubject
    photos: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, watchlist: _Optional[str] = ..., subject: _Optional[_Union[FaceSubject, _Mapping]] = ..., photos: _Optional[_Iterable[bytes]] = ...) -> None: ...

class PhotoResult(_message.Message):
    __slots__ = ("index", "ok", "error", "eye_distance_px", "sharpness", "camera_type")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    EYE_DISTANCE_PX_FIELD_NUMBER: _ClassVar[int]
    SHARPNESS_FIELD_NUMBER: _ClassVar[int]
    CAMERA_TYPE_FIELD_NUMBER: _ClassVar[int]
    index: int
    ok: bool
    error: str
    eye_distance_px: float
    sharpness: float
    camera_type: str
    def __init__(self, index: _Optional[int] = ..., ok: _Optional[bool] = ..., error: _Optional[str] = ..., eye_distance_px: _Optional[float] = ..., sharpness: _Optional[float] = ..., camera_type: _Optional[str] = ...) -> None: ...

class EnrolSubjectResponse(_message.Message):
    __slots__ = ("subject", "photos", "watchlist_version")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    PHOTOS_FIELD_NUMBER: _ClassVar[int]
    WATCHLIST_VERSION_FIELD_NUMBER: _ClassVar[int]
    subject: FaceSubject
    photos: _containers.RepeatedCompositeFieldContainer[PhotoResult]
    watchlist_version: int
    def __init__(self, subject: _Optional[_Union[FaceSubject, _Mapping]] = ..., photos: _Optional[_Iterable[_Union[PhotoResult, _Mapping]]] = ..., watchlist_version: _Optional[int] = ...) -> None: ...

class AddSubjectPhotosRequest(_message.Message):
    __slots__ = ("subject_id", "photos")
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PHOTOS_FIELD_NUMBER: _ClassVar[int]
    subject_id: str
    photos: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, subject_id: _Optional[str] = ..., photos: _Optional[_Iterable[bytes]] = ...) -> None: ...

class GetSubjectRequest(_message.Message):
    __slots__ = ("subject_id",)
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    subject_id: str
    def __init__(self, subject_id: _Optional[str] = ...) -> None: ...

class UpdateSubjectRequest(_message.Message):
    __slots__ = ("subject", "update_mask")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    subject: FaceSubject
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, subject: _Optional[_Union[FaceSubject, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class RemoveSubjectRequest(_message.Message):
    __slots__ = ("subject_id", "reason")
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    subject_id: str
    reason: str
    def __init__(self, subject_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListSubjectsRequest(_message.Message):
    __slots__ = ("watchlist", "page_size", "page_token", "status")
    WATCHLIST_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    watchlist: str
    page_size: int
    page_token: str
    status: ApprovalStatus
    def __init__(self, watchlist: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[_Union[ApprovalStatus, str]] = ...) -> None: ...

class ListSubjectsResponse(_message.Message):
    __slots__ = ("subjects", "next_page_token", "watchlist_version")
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    WATCHLIST_VERSION_FIELD_NUMBER: _ClassVar[int]
    subjects: _containers.RepeatedCompositeFieldContainer[FaceSubject]
    next_page_token: str
    watchlist_version: int
    def __init__(self, subjects: _Optional[_Iterable[_Union[FaceSubject, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., watchlist_version: _Optional[int] = ...) -> None: ...

class PlateEntry(_message.Message):
    __slots__ = ("id", "watchlist_id", "plate", "region", "match_mode", "category", "action", "priority", "reason", "legal_basis", "owner", "created_by", "created_at", "updated_at", "expires_at", "normalized_plate", "case_number", "status", "updated_by", "reviewed_by", "reviewed_at", "review_note")
    ID_FIELD_NUMBER: _ClassVar[int]
    WATCHLIST_ID_FIELD_NUMBER: _ClassVar[int]
    PLATE_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    MATCH_MODE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_PLATE_FIELD_NUMBER: _ClassVar[int]
    CASE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    REVIEWED_BY_FIELD_NUMBER: _ClassVar[int]
    REVIEWED_AT_FIELD_NUMBER: _ClassVar[int]
    REVIEW_NOTE_FIELD_NUMBER: _ClassVar[int]
    id: str
    watchlist_id: str
    plate: str
    region: str
    match_mode: _common_pb2.MatchMode
    category: str
    action: str
    priority: int
    reason: str
    legal_basis: str
    owner: str
    created_by: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    normalized_plate: str
    case_number: str
    status: ApprovalStatus
    updated_by: str
    reviewed_by: str
    reviewed_at: _timestamp_pb2.Timestamp
    review_note: str
    def __init__(self, id: _Optional[str] = ..., watchlist_id: _Optional[str] = ..., plate: _Optional[str] = ..., region: _Optional[str] = ..., match_mode: _Optional[_Union[_common_pb2.MatchMode, str]] = ..., category: _Optional[str] = ..., action: _Optional[str] = ..., priority: _Optional[int] = ..., reason: _Optional[str] = ..., legal_basis: _Optional[str] = ..., owner: _Optional[str] = ..., created_by: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., normalized_plate: _Optional[str] = ..., case_number: _Optional[str] = ..., status: _Optional[_Union[ApprovalStatus, str]] = ..., updated_by: _Optional[str] = ..., reviewed_by: _Optional[str] = ..., reviewed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., review_note: _Optional[str] = ...) -> None: ...

class CreateWatchlistRequest(_message.Message):
    __slots__ = ("name", "kind", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: _common_pb2.ListKind
    description: str
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[_common_pb2.ListKind, str]] = ..., description: _Optional[str] = ...) -> None: ...

class GetWatchlistRequest(_message.Message):
    __slots__ = ("watchlist",)
    WATCHLIST_FIELD_NUMBER: _ClassVar[int]
    watchlist: str
    def __init__(self, watchlist: _Optional[str] = ...) -> None: ...

class ListWatchlistsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListWatchlistsResponse(_message.Message):
    __slots__ = ("watchlists",)
    WATCHLISTS_FIELD_NUMBER: _ClassVar[int]
    watchlists: _containers.RepeatedCompositeFieldContainer[Watchlist]
    def __init__(self, watchlists: _Optional[_Iterable[_Union[Watchlist, _Mapping]]] = ...) -> None: ...

class AddPlateEntryRequest(_message.Message):
    __slots__ = ("watchlist", "entry")
    WATCHLIST_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    watchlist: str
    entry: PlateEntry
    def __init__(self, watchlist: _Optional[str] = ..., entry: _Optional[_Union[PlateEntry, _Mapping]] = ...) -> None: ...

class GetPlateEntryRequest(_message.Message):
    __slots__ = ("entry_id",)
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    def __init__(self, entry_id: _Optional[str] = ...) -> None: ...

class UpdatePlateEntryRequest(_message.Message):
    __slots__ = ("entry", "update_mask")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    entry: PlateEntry
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, entry: _Optional[_Union[PlateEntry, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class RemovePlateEntryRequest(_message.Message):
    __slots__ = ("entry_id", "reason")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    reason: str
    def __init__(self, entry_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RemovePlateEntryResponse(_message.Message):
    __slots__ = ("watchlist_version",)
    WATCHLIST_VERSION_FIELD_NUMBER: _ClassVar[int]
    watchlist_version: int
    def __init__(self, watchlist_version: _Optional[int] = ...) -> None: ...

class ListPlateEntriesRequest(_message.Message):
    __slots__ = ("watchlist", "page_size", "page_token", "plate_prefix", "status")
    WATCHLIST_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PLATE_PREFIX_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    watchlist: str
    page_size: int
    page_token: str
    plate_prefix: str
    status: ApprovalStatus
    def __init__(self, watchlist: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., plate_prefix: _Optional[str] = ..., status: _Optional[_Union[ApprovalStatus, str]] = ...) -> None: ...

class ListPlateEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token", "watchlist_version")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    WATCHLIST_VERSION_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[PlateEntry]
    next_page_token: str
    watchlist_version: int
    def __init__(self, entries: _Optional[_Iterable[_Union[PlateEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., watchlist_version: _Optional[int] = ...) -> None: ...

class ImportPlateEntriesRequest(_message.Message):
    __slots__ = ("watchlist", "format", "data", "dry_run")
    WATCHLIST_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    watchlist: str
    format: ImportFormat
    data: bytes
    dry_run: bool
    def __init__(self, watchlist: _Optional[str] = ..., format: _Optional[_Union[ImportFormat, str]] = ..., data: _Optional[bytes] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class ImportRowResult(_message.Message):
    __slots__ = ("line", "ok", "entry_id", "error", "status")
    LINE_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    line: int
    ok: bool
    entry_id: str
    error: str
    status: ApprovalStatus
    def __init__(self, line: _Optional[int] = ..., ok: _Optional[bool] = ..., entry_id: _Optional[str] = ..., error: _Optional[str] = ..., status: _Optional[_Union[ApprovalStatus, str]] = ...) -> None: ...

class ImportPlateEntriesResponse(_message.Message):
    __slots__ = ("imported", "rejected", "rows", "watchlist_version")
    IMPORTED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    WATCHLIST_VERSION_FIELD_NUMBER: _ClassVar[int]
    imported: int
    rejected: int
    rows: _containers.RepeatedCompositeFieldContainer[ImportRowResult]
    watchlist_version: int
    def __init__(self, imported: _Optional[int] = ..., rejected: _Optional[int] = ..., rows: _Optional[_Iterable[_Union[ImportRowResult, _Mapping]]] = ..., watchlist_version: _Optional[int] = ...) -> None: ...

class ApprovePlateEntryRequest(_message.Message):
    __slots__ = ("entry_id", "note")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    note: str
    def __init__(self, entry_id: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class RejectPlateEntryRequest(_message.Message):
    __slots__ = ("entry_id", "note")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    note: str
    def __init__(self, entry_id: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class ApproveSubjectRequest(_message.Message):
    __slots__ = ("subject_id", "note")
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    subject_id: str
    note: str
    def __init__(self, subject_id: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class RejectSubjectRequest(_message.Message):
    __slots__ = ("subject_id", "note")
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    subject_id: str
    note: str
    def __init__(self, subject_id: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class SubjectChips(_message.Message):
    __slots__ = ("subject_id", "chips_jpeg")
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    CHIPS_JPEG_FIELD_NUMBER: _ClassVar[int]
    subject_id: str
    chips_jpeg: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, subject_id: _Optional[str] = ..., chips_jpeg: _Optional[_Iterable[bytes]] = ...) -> None: ...
