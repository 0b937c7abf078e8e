from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetCallerRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Caller(_message.Message):
    __slots__ = ("name", "roles", "via", "person")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    VIA_FIELD_NUMBER: _ClassVar[int]
    PERSON_FIELD_NUMBER: _ClassVar[int]
    name: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    via: str
    person: bool
    def __init__(self, name: _Optional[str] = ..., roles: _Optional[_Iterable[str]] = ..., via: _Optional[str] = ..., person: _Optional[bool] = ...) -> None: ...

class Lane(_message.Message):
    __slots__ = ("id", "name", "budget_ms", "deny_lists", "every_deny_list", "allow_lists", "region", "review_when_no_plate", "reader", "review_when_no_face")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    BUDGET_MS_FIELD_NUMBER: _ClassVar[int]
    DENY_LISTS_FIELD_NUMBER: _ClassVar[int]
    EVERY_DENY_LIST_FIELD_NUMBER: _ClassVar[int]
    ALLOW_LISTS_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    REVIEW_WHEN_NO_PLATE_FIELD_NUMBER: _ClassVar[int]
    READER_FIELD_NUMBER: _ClassVar[int]
    REVIEW_WHEN_NO_FACE_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    budget_ms: int
    deny_lists: _containers.RepeatedScalarFieldContainer[str]
    every_deny_list: bool
    allow_lists: _containers.RepeatedScalarFieldContainer[str]
    region: str
    review_when_no_plate: bool
    reader: str
    review_when_no_face: bool
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., budget_ms: _Optional[int] = ..., deny_lists: _Optional[_Iterable[str]] = ..., every_deny_list: _Optional[bool] = ..., allow_lists: _Optional[_Iterable[str]] = ..., region: _Optional[str] = ..., review_when_no_plate: _Optional[bool] = ..., reader: _Optional[str] = ..., review_when_no_face: _Optional[bool] = ...) -> None: ...

class ListLanesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class LaneList(_message.Message):
    __slots__ = ("lanes",)
    LANES_FIELD_NUMBER: _ClassVar[int]
    lanes: _containers.RepeatedCompositeFieldContainer[Lane]
    def __init__(self, lanes: _Optional[_Iterable[_Union[Lane, _Mapping]]] = ...) -> None: ...

class PutLaneRequest(_message.Message):
    __slots__ = ("lane", "reason")
    LANE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    lane: Lane
    reason: str
    def __init__(self, lane: _Optional[_Union[Lane, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class RemoveLaneRequest(_message.Message):
    __slots__ = ("lane_id", "reason")
    LANE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    lane_id: str
    reason: str
    def __init__(self, lane_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class LaneChange(_message.Message):
    __slots__ = ("before", "after")
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    before: Lane
    after: Lane
    def __init__(self, before: _Optional[_Union[Lane, _Mapping]] = ..., after: _Optional[_Union[Lane, _Mapping]] = ...) -> None: ...

class GetSitePolicyRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SitePolicy(_message.Message):
    __slots__ = ("settings",)
    class SettingsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: _containers.ScalarMap[str, str]
    def __init__(self, settings: _Optional[_Mapping[str, str]] = ...) -> None: ...

class SetSitePolicyRequest(_message.Message):
    __slots__ = ("name", "value", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class SitePolicyChange(_message.Message):
    __slots__ = ("name", "before", "after")
    NAME_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    name: str
    before: str
    after: str
    def __init__(self, name: _Optional[str] = ..., before: _Optional[str] = ..., after: _Optional[str] = ...) -> None: ...
