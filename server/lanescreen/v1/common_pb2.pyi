from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class CameraRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAMERA_ROLE_UNSPECIFIED: _ClassVar[CameraRole]
    CAMERA_ROLE_PLATE: _ClassVar[CameraRole]
    CAMERA_ROLE_DRIVER: _ClassVar[CameraRole]
    CAMERA_ROLE_OVERVIEW: _ClassVar[CameraRole]

class ListKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIST_KIND_UNSPECIFIED: _ClassVar[ListKind]
    LIST_KIND_DENY: _ClassVar[ListKind]
    LIST_KIND_ALLOW: _ClassVar[ListKind]

class MatchMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MATCH_MODE_UNSPECIFIED: _ClassVar[MatchMode]
    MATCH_MODE_EXACT: _ClassVar[MatchMode]
    MATCH_MODE_LENIENT: _ClassVar[MatchMode]

class MatchKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MATCH_KIND_UNSPECIFIED: _ClassVar[MatchKind]
    MATCH_KIND_EXACT: _ClassVar[MatchKind]
    MATCH_KIND_CANDIDATE: _ClassVar[MatchKind]
    MATCH_KIND_CONFUSABLE: _ClassVar[MatchKind]
    MATCH_KIND_ONE_EDIT: _ClassVar[MatchKind]
    MATCH_KIND_FACE: _ClassVar[MatchKind]

class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTCOME_UNSPECIFIED: _ClassVar[Outcome]
    OUTCOME_HIT: _ClassVar[Outcome]
    OUTCOME_CLEAR: _ClassVar[Outcome]
    OUTCOME_REVIEW: _ClassVar[Outcome]
CAMERA_ROLE_UNSPECIFIED: CameraRole
CAMERA_ROLE_PLATE: CameraRole
CAMERA_ROLE_DRIVER: CameraRole
CAMERA_ROLE_OVERVIEW: CameraRole
LIST_KIND_UNSPECIFIED: ListKind
LIST_KIND_DENY: ListKind
LIST_KIND_ALLOW: ListKind
MATCH_MODE_UNSPECIFIED: MatchMode
MATCH_MODE_EXACT: MatchMode
MATCH_MODE_LENIENT: MatchMode
MATCH_KIND_UNSPECIFIED: MatchKind
MATCH_KIND_EXACT: MatchKind
MATCH_KIND_CANDIDATE: MatchKind
MATCH_KIND_CONFUSABLE: MatchKind
MATCH_KIND_ONE_EDIT: MatchKind
MATCH_KIND_FACE: MatchKind
OUTCOME_UNSPECIFIED: Outcome
OUTCOME_HIT: Outcome
OUTCOME_CLEAR: Outcome
OUTCOME_REVIEW: Outcome

class Box(_message.Message):
    __slots__ = ("x", "y", "width", "height")
    X_FIELD_NUMBER: _ClassVar[int]
    Y_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    x: float
    y: float
    width: float
    height: float
    def __init__(self, x: _Optional[float] = ..., y: _Optional[float] = ..., width: _Optional[float] = ..., height: _Optional[float] = ...) -> None: ...

class Point(_message.Message):
    __slots__ = ("x", "y")
    X_FIELD_NUMBER: _ClassVar[int]
    Y_FIELD_NUMBER: _ClassVar[int]
    x: float
    y: float
    def __init__(self, x: _Optional[float] = ..., y: _Optional[float] = ...) -> None: ...
