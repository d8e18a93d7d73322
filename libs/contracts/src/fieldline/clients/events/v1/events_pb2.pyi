from fieldline.clients.v1 import resources_pb2 as _resources_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClientCreated(_message.Message):
    __slots__ = ("client",)
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    client: _resources_pb2.Client
    def __init__(self, client: _Optional[_Union[_resources_pb2.Client, _Mapping]] = ...) -> None: ...

class ClientChanged(_message.Message):
    __slots__ = ("client", "changed_fields")
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    client: _resources_pb2.Client
    changed_fields: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, client: _Optional[_Union[_resources_pb2.Client, _Mapping]] = ..., changed_fields: _Optional[_Iterable[str]] = ...) -> None: ...

class OutletCreated(_message.Message):
    __slots__ = ("outlet",)
    OUTLET_FIELD_NUMBER: _ClassVar[int]
    outlet: _resources_pb2.Outlet
    def __init__(self, outlet: _Optional[_Union[_resources_pb2.Outlet, _Mapping]] = ...) -> None: ...

class OutletChanged(_message.Message):
    __slots__ = ("outlet", "changed_fields", "changed_by")
    OUTLET_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    CHANGED_BY_FIELD_NUMBER: _ClassVar[int]
    outlet: _resources_pb2.Outlet
    changed_fields: _containers.RepeatedScalarFieldContainer[str]
    changed_by: str
    def __init__(self, outlet: _Optional[_Union[_resources_pb2.Outlet, _Mapping]] = ..., changed_fields: _Optional[_Iterable[str]] = ..., changed_by: _Optional[str] = ...) -> None: ...

class TerritoryChanged(_message.Message):
    __slots__ = ("territory",)
    TERRITORY_FIELD_NUMBER: _ClassVar[int]
    territory: _resources_pb2.Territory
    def __init__(self, territory: _Optional[_Union[_resources_pb2.Territory, _Mapping]] = ...) -> None: ...

class EmployeeChanged(_message.Message):
    __slots__ = ("employee",)
    EMPLOYEE_FIELD_NUMBER: _ClassVar[int]
    employee: _resources_pb2.Employee
    def __init__(self, employee: _Optional[_Union[_resources_pb2.Employee, _Mapping]] = ...) -> None: ...

class RouteChanged(_message.Message):
    __slots__ = ("route", "previous_agent_id")
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    route: _resources_pb2.Route
    previous_agent_id: str
    def __init__(self, route: _Optional[_Union[_resources_pb2.Route, _Mapping]] = ..., previous_agent_id: _Optional[str] = ...) -> None: ...

class RouteAssignmentChanged(_message.Message):
    __slots__ = ("assignment", "agent_id", "removed")
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    assignment: _resources_pb2.RouteAssignment
    agent_id: str
    removed: bool
    def __init__(self, assignment: _Optional[_Union[_resources_pb2.RouteAssignment, _Mapping]] = ..., agent_id: _Optional[str] = ..., removed: _Optional[bool] = ...) -> None: ...

class VisitStarted(_message.Message):
    __slots__ = ("visit",)
    VISIT_FIELD_NUMBER: _ClassVar[int]
    visit: _resources_pb2.Visit
    def __init__(self, visit: _Optional[_Union[_resources_pb2.Visit, _Mapping]] = ...) -> None: ...

class VisitCompleted(_message.Message):
    __slots__ = ("visit",)
    VISIT_FIELD_NUMBER: _ClassVar[int]
    visit: _resources_pb2.Visit
    def __init__(self, visit: _Optional[_Union[_resources_pb2.Visit, _Mapping]] = ...) -> None: ...

class VisitMissed(_message.Message):
    __slots__ = ("visit",)
    VISIT_FIELD_NUMBER: _ClassVar[int]
    visit: _resources_pb2.Visit
    def __init__(self, visit: _Optional[_Union[_resources_pb2.Visit, _Mapping]] = ...) -> None: ...

class QuestionnaireChanged(_message.Message):
    __slots__ = ("questionnaire",)
    QUESTIONNAIRE_FIELD_NUMBER: _ClassVar[int]
    questionnaire: _resources_pb2.Questionnaire
    def __init__(self, questionnaire: _Optional[_Union[_resources_pb2.Questionnaire, _Mapping]] = ...) -> None: ...

class AuditSubmitted(_message.Message):
    __slots__ = ("audit",)
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    audit: _resources_pb2.Audit
    def __init__(self, audit: _Optional[_Union[_resources_pb2.Audit, _Mapping]] = ...) -> None: ...

class CensusDecided(_message.Message):
    __slots__ = ("proposal",)
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    proposal: _resources_pb2.Proposal
    def __init__(self, proposal: _Optional[_Union[_resources_pb2.Proposal, _Mapping]] = ...) -> None: ...

class CallRecorded(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: _resources_pb2.Call
    def __init__(self, call: _Optional[_Union[_resources_pb2.Call, _Mapping]] = ...) -> None: ...
