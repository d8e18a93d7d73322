from fieldline.clients.v1 import clients_service_pb2 as _clients_service_pb2
from fieldline.clients.v1 import resources_pb2 as _resources_pb2
from google.type import date_pb2 as _date_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CallState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CALL_STATE_UNSPECIFIED: _ClassVar[CallState]
    CALL_STATE_OPEN: _ClassVar[CallState]
    CALL_STATE_DONE: _ClassVar[CallState]
CALL_STATE_UNSPECIFIED: CallState
CALL_STATE_OPEN: CallState
CALL_STATE_DONE: CallState

class CreateEmployeeRequest(_message.Message):
    __slots__ = ("request_id", "employee")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    employee: _resources_pb2.Employee
    def __init__(self, request_id: _Optional[str] = ..., employee: _Optional[_Union[_resources_pb2.Employee, _Mapping]] = ...) -> None: ...

class CreateEmployeeResponse(_message.Message):
    __slots__ = ("employee",)
    EMPLOYEE_FIELD_NUMBER: _ClassVar[int]
    employee: _resources_pb2.Employee
    def __init__(self, employee: _Optional[_Union[_resources_pb2.Employee, _Mapping]] = ...) -> None: ...

class GetEmployeeRequest(_message.Message):
    __slots__ = ("employee_id",)
    EMPLOYEE_ID_FIELD_NUMBER: _ClassVar[int]
    employee_id: str
    def __init__(self, employee_id: _Optional[str] = ...) -> None: ...

class GetEmployeeResponse(_message.Message):
    __slots__ = ("employee",)
    EMPLOYEE_FIELD_NUMBER: _ClassVar[int]
    employee: _resources_pb2.Employee
    def __init__(self, employee: _Optional[_Union[_resources_pb2.Employee, _Mapping]] = ...) -> None: ...

class UpdateEmployeeRequest(_message.Message):
    __slots__ = ("request_id", "employee")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    employee: _resources_pb2.Employee
    def __init__(self, request_id: _Optional[str] = ..., employee: _Optional[_Union[_resources_pb2.Employee, _Mapping]] = ...) -> None: ...

class UpdateEmployeeResponse(_message.Message):
    __slots__ = ("employee",)
    EMPLOYEE_FIELD_NUMBER: _ClassVar[int]
    employee: _resources_pb2.Employee
    def __init__(self, employee: _Optional[_Union[_resources_pb2.Employee, _Mapping]] = ...) -> None: ...

class ListEmployeesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "role", "territory_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    TERRITORY_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    role: _resources_pb2.Role
    territory_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., role: _Optional[_Union[_resources_pb2.Role, str]] = ..., territory_id: _Optional[str] = ...) -> None: ...

class ListEmployeesResponse(_message.Message):
    __slots__ = ("employees", "next_page_token")
    EMPLOYEES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    employees: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Employee]
    next_page_token: str
    def __init__(self, employees: _Optional[_Iterable[_Union[_resources_pb2.Employee, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class EmployeeUpsert(_message.Message):
    __slots__ = ("external_id", "full_name", "roles", "active", "phone", "supervisor_external_id", "territory_id")
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    SUPERVISOR_EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    TERRITORY_ID_FIELD_NUMBER: _ClassVar[int]
    external_id: str
    full_name: str
    roles: _containers.RepeatedScalarFieldContainer[_resources_pb2.Role]
    active: bool
    phone: str
    supervisor_external_id: str
    territory_id: str
    def __init__(self, external_id: _Optional[str] = ..., full_name: _Optional[str] = ..., roles: _Optional[_Iterable[_Union[_resources_pb2.Role, str]]] = ..., active: _Optional[bool] = ..., phone: _Optional[str] = ..., supervisor_external_id: _Optional[str] = ..., territory_id: _Optional[str] = ...) -> None: ...

class UpsertEmployeesRequest(_message.Message):
    __slots__ = ("request_id", "employees")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    employees: _containers.RepeatedCompositeFieldContainer[EmployeeUpsert]
    def __init__(self, request_id: _Optional[str] = ..., employees: _Optional[_Iterable[_Union[EmployeeUpsert, _Mapping]]] = ...) -> None: ...

class EmployeeUpsertResult(_message.Message):
    __slots__ = ("external_id", "employee_id", "outcome")
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    external_id: str
    employee_id: str
    outcome: _clients_service_pb2.UpsertOutcome
    def __init__(self, external_id: _Optional[str] = ..., employee_id: _Optional[str] = ..., outcome: _Optional[_Union[_clients_service_pb2.UpsertOutcome, str]] = ...) -> None: ...

class UpsertEmployeesResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[EmployeeUpsertResult]
    def __init__(self, results: _Optional[_Iterable[_Union[EmployeeUpsertResult, _Mapping]]] = ...) -> None: ...

class CreateTerritoryRequest(_message.Message):
    __slots__ = ("request_id", "territory")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TERRITORY_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    territory: _resources_pb2.Territory
    def __init__(self, request_id: _Optional[str] = ..., territory: _Optional[_Union[_resources_pb2.Territory, _Mapping]] = ...) -> None: ...

class CreateTerritoryResponse(_message.Message):
    __slots__ = ("territory",)
    TERRITORY_FIELD_NUMBER: _ClassVar[int]
    territory: _resources_pb2.Territory
    def __init__(self, territory: _Optional[_Union[_resources_pb2.Territory, _Mapping]] = ...) -> None: ...

class ListTerritoriesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "parent_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., parent_id: _Optional[str] = ...) -> None: ...

class ListTerritoriesResponse(_message.Message):
    __slots__ = ("territories", "next_page_token")
    TERRITORIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    territories: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Territory]
    next_page_token: str
    def __init__(self, territories: _Optional[_Iterable[_Union[_resources_pb2.Territory, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateRouteRequest(_message.Message):
    __slots__ = ("request_id", "route")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    route: _resources_pb2.Route
    def __init__(self, request_id: _Optional[str] = ..., route: _Optional[_Union[_resources_pb2.Route, _Mapping]] = ...) -> None: ...

class CreateRouteResponse(_message.Message):
    __slots__ = ("route",)
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    route: _resources_pb2.Route
    def __init__(self, route: _Optional[_Union[_resources_pb2.Route, _Mapping]] = ...) -> None: ...

class GetRouteRequest(_message.Message):
    __slots__ = ("route_id",)
    ROUTE_ID_FIELD_NUMBER: _ClassVar[int]
    route_id: str
    def __init__(self, route_id: _Optional[str] = ...) -> None: ...

class GetRouteResponse(_message.Message):
    __slots__ = ("route",)
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    route: _resources_pb2.Route
    def __init__(self, route: _Optional[_Union[_resources_pb2.Route, _Mapping]] = ...) -> None: ...

class ListRoutesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "agent_id", "territory_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    TERRITORY_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    agent_id: str
    territory_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., agent_id: _Optional[str] = ..., territory_id: _Optional[str] = ...) -> None: ...

class ListRoutesResponse(_message.Message):
    __slots__ = ("routes", "next_page_token")
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    routes: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Route]
    next_page_token: str
    def __init__(self, routes: _Optional[_Iterable[_Union[_resources_pb2.Route, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SetRouteAssignmentRequest(_message.Message):
    __slots__ = ("request_id", "assignment")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    assignment: _resources_pb2.RouteAssignment
    def __init__(self, request_id: _Optional[str] = ..., assignment: _Optional[_Union[_resources_pb2.RouteAssignment, _Mapping]] = ...) -> None: ...

class SetRouteAssignmentResponse(_message.Message):
    __slots__ = ("assignment",)
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    assignment: _resources_pb2.RouteAssignment
    def __init__(self, assignment: _Optional[_Union[_resources_pb2.RouteAssignment, _Mapping]] = ...) -> None: ...

class RemoveRouteAssignmentRequest(_message.Message):
    __slots__ = ("request_id", "route_id", "outlet_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ROUTE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    route_id: str
    outlet_id: str
    def __init__(self, request_id: _Optional[str] = ..., route_id: _Optional[str] = ..., outlet_id: _Optional[str] = ...) -> None: ...

class RemoveRouteAssignmentResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListRouteAssignmentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "route_id", "outlet_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ROUTE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    route_id: str
    outlet_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., route_id: _Optional[str] = ..., outlet_id: _Optional[str] = ...) -> None: ...

class ListRouteAssignmentsResponse(_message.Message):
    __slots__ = ("assignments", "next_page_token")
    ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    assignments: _containers.RepeatedCompositeFieldContainer[_resources_pb2.RouteAssignment]
    next_page_token: str
    def __init__(self, assignments: _Optional[_Iterable[_Union[_resources_pb2.RouteAssignment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ScheduleRouteAgentsRequest(_message.Message):
    __slots__ = ("request_id", "periods")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PERIODS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    periods: _containers.RepeatedCompositeFieldContainer[_resources_pb2.RouteAgentPeriod]
    def __init__(self, request_id: _Optional[str] = ..., periods: _Optional[_Iterable[_Union[_resources_pb2.RouteAgentPeriod, _Mapping]]] = ...) -> None: ...

class ScheduleRouteAgentsResponse(_message.Message):
    __slots__ = ("periods", "outcomes", "routes")
    PERIODS_FIELD_NUMBER: _ClassVar[int]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    periods: _containers.RepeatedCompositeFieldContainer[_resources_pb2.RouteAgentPeriod]
    outcomes: _containers.RepeatedScalarFieldContainer[_clients_service_pb2.UpsertOutcome]
    routes: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Route]
    def __init__(self, periods: _Optional[_Iterable[_Union[_resources_pb2.RouteAgentPeriod, _Mapping]]] = ..., outcomes: _Optional[_Iterable[_Union[_clients_service_pb2.UpsertOutcome, str]]] = ..., routes: _Optional[_Iterable[_Union[_resources_pb2.Route, _Mapping]]] = ...) -> None: ...

class ListRouteAgentPeriodsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "route_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ROUTE_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    route_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., route_id: _Optional[str] = ...) -> None: ...

class ListRouteAgentPeriodsResponse(_message.Message):
    __slots__ = ("periods", "next_page_token")
    PERIODS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    periods: _containers.RepeatedCompositeFieldContainer[_resources_pb2.RouteAgentPeriod]
    next_page_token: str
    def __init__(self, periods: _Optional[_Iterable[_Union[_resources_pb2.RouteAgentPeriod, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetVisitPlanRequest(_message.Message):
    __slots__ = ("agent_id", "date")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    date: _date_pb2.Date
    def __init__(self, agent_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class PlannedVisit(_message.Message):
    __slots__ = ("outlet", "route_id", "sequence", "visit")
    OUTLET_FIELD_NUMBER: _ClassVar[int]
    ROUTE_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    VISIT_FIELD_NUMBER: _ClassVar[int]
    outlet: _resources_pb2.Outlet
    route_id: str
    sequence: int
    visit: _resources_pb2.Visit
    def __init__(self, outlet: _Optional[_Union[_resources_pb2.Outlet, _Mapping]] = ..., route_id: _Optional[str] = ..., sequence: _Optional[int] = ..., visit: _Optional[_Union[_resources_pb2.Visit, _Mapping]] = ...) -> None: ...

class GetVisitPlanResponse(_message.Message):
    __slots__ = ("agent_id", "date", "visits")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    VISITS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    date: _date_pb2.Date
    visits: _containers.RepeatedCompositeFieldContainer[PlannedVisit]
    def __init__(self, agent_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., visits: _Optional[_Iterable[_Union[PlannedVisit, _Mapping]]] = ...) -> None: ...

class GetCallPlanRequest(_message.Message):
    __slots__ = ("teleseller_id", "date")
    TELESELLER_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    teleseller_id: str
    date: _date_pb2.Date
    def __init__(self, teleseller_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class PlannedCall(_message.Message):
    __slots__ = ("outlet", "route_id", "sequence", "scheduled", "call_back_of", "state", "calls")
    OUTLET_FIELD_NUMBER: _ClassVar[int]
    ROUTE_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_FIELD_NUMBER: _ClassVar[int]
    CALL_BACK_OF_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CALLS_FIELD_NUMBER: _ClassVar[int]
    outlet: _resources_pb2.Outlet
    route_id: str
    sequence: int
    scheduled: bool
    call_back_of: _resources_pb2.Call
    state: CallState
    calls: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Call]
    def __init__(self, outlet: _Optional[_Union[_resources_pb2.Outlet, _Mapping]] = ..., route_id: _Optional[str] = ..., sequence: _Optional[int] = ..., scheduled: _Optional[bool] = ..., call_back_of: _Optional[_Union[_resources_pb2.Call, _Mapping]] = ..., state: _Optional[_Union[CallState, str]] = ..., calls: _Optional[_Iterable[_Union[_resources_pb2.Call, _Mapping]]] = ...) -> None: ...

class CallPlanCompletion(_message.Message):
    __slots__ = ("listed", "done", "not_called", "ordered", "no_answer", "call_back", "refused")
    LISTED_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    NOT_CALLED_FIELD_NUMBER: _ClassVar[int]
    ORDERED_FIELD_NUMBER: _ClassVar[int]
    NO_ANSWER_FIELD_NUMBER: _ClassVar[int]
    CALL_BACK_FIELD_NUMBER: _ClassVar[int]
    REFUSED_FIELD_NUMBER: _ClassVar[int]
    listed: int
    done: int
    not_called: int
    ordered: int
    no_answer: int
    call_back: int
    refused: int
    def __init__(self, listed: _Optional[int] = ..., done: _Optional[int] = ..., not_called: _Optional[int] = ..., ordered: _Optional[int] = ..., no_answer: _Optional[int] = ..., call_back: _Optional[int] = ..., refused: _Optional[int] = ...) -> None: ...

class GetCallPlanResponse(_message.Message):
    __slots__ = ("teleseller_id", "date", "calls", "completion", "unplanned_calls")
    TELESELLER_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    CALLS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_FIELD_NUMBER: _ClassVar[int]
    UNPLANNED_CALLS_FIELD_NUMBER: _ClassVar[int]
    teleseller_id: str
    date: _date_pb2.Date
    calls: _containers.RepeatedCompositeFieldContainer[PlannedCall]
    completion: CallPlanCompletion
    unplanned_calls: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Call]
    def __init__(self, teleseller_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., calls: _Optional[_Iterable[_Union[PlannedCall, _Mapping]]] = ..., completion: _Optional[_Union[CallPlanCompletion, _Mapping]] = ..., unplanned_calls: _Optional[_Iterable[_Union[_resources_pb2.Call, _Mapping]]] = ...) -> None: ...
