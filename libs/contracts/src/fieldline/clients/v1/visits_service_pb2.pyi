import datetime

from fieldline.clients.v1 import resources_pb2 as _resources_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from google.type import latlng_pb2 as _latlng_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CheckInRequest(_message.Message):
    __slots__ = ("request_id", "visit_id", "outlet_id", "time", "location", "date", "for_agent_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    FOR_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    visit_id: str
    outlet_id: str
    time: _timestamp_pb2.Timestamp
    location: _latlng_pb2.LatLng
    date: _date_pb2.Date
    for_agent_id: str
    def __init__(self, request_id: _Optional[str] = ..., visit_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., location: _Optional[_Union[_latlng_pb2.LatLng, _Mapping]] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., for_agent_id: _Optional[str] = ...) -> None: ...

class CheckInResponse(_message.Message):
    __slots__ = ("visit",)
    VISIT_FIELD_NUMBER: _ClassVar[int]
    visit: _resources_pb2.Visit
    def __init__(self, visit: _Optional[_Union[_resources_pb2.Visit, _Mapping]] = ...) -> None: ...

class CheckOutRequest(_message.Message):
    __slots__ = ("request_id", "visit_id", "time", "location", "outcome", "notes")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    visit_id: str
    time: _timestamp_pb2.Timestamp
    location: _latlng_pb2.LatLng
    outcome: _resources_pb2.VisitOutcome
    notes: str
    def __init__(self, request_id: _Optional[str] = ..., visit_id: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., location: _Optional[_Union[_latlng_pb2.LatLng, _Mapping]] = ..., outcome: _Optional[_Union[_resources_pb2.VisitOutcome, str]] = ..., notes: _Optional[str] = ...) -> None: ...

class CheckOutResponse(_message.Message):
    __slots__ = ("visit",)
    VISIT_FIELD_NUMBER: _ClassVar[int]
    visit: _resources_pb2.Visit
    def __init__(self, visit: _Optional[_Union[_resources_pb2.Visit, _Mapping]] = ...) -> None: ...

class RecordMissedVisitRequest(_message.Message):
    __slots__ = ("request_id", "visit_id", "outlet_id", "date", "reason", "for_agent_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FOR_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    visit_id: str
    outlet_id: str
    date: _date_pb2.Date
    reason: str
    for_agent_id: str
    def __init__(self, request_id: _Optional[str] = ..., visit_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., reason: _Optional[str] = ..., for_agent_id: _Optional[str] = ...) -> None: ...

class RecordMissedVisitResponse(_message.Message):
    __slots__ = ("visit",)
    VISIT_FIELD_NUMBER: _ClassVar[int]
    visit: _resources_pb2.Visit
    def __init__(self, visit: _Optional[_Union[_resources_pb2.Visit, _Mapping]] = ...) -> None: ...

class GetVisitRequest(_message.Message):
    __slots__ = ("visit_id",)
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    visit_id: str
    def __init__(self, visit_id: _Optional[str] = ...) -> None: ...

class GetVisitResponse(_message.Message):
    __slots__ = ("visit",)
    VISIT_FIELD_NUMBER: _ClassVar[int]
    visit: _resources_pb2.Visit
    def __init__(self, visit: _Optional[_Union[_resources_pb2.Visit, _Mapping]] = ...) -> None: ...

class ListVisitsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "agent_id", "outlet_id", "from_date", "to_date")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    agent_id: str
    outlet_id: str
    from_date: _date_pb2.Date
    to_date: _date_pb2.Date
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., agent_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., from_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., to_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class ListVisitsResponse(_message.Message):
    __slots__ = ("visits", "next_page_token")
    VISITS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    visits: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Visit]
    next_page_token: str
    def __init__(self, visits: _Optional[_Iterable[_Union[_resources_pb2.Visit, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateQuestionnaireRequest(_message.Message):
    __slots__ = ("request_id", "questionnaire")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    QUESTIONNAIRE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    questionnaire: _resources_pb2.Questionnaire
    def __init__(self, request_id: _Optional[str] = ..., questionnaire: _Optional[_Union[_resources_pb2.Questionnaire, _Mapping]] = ...) -> None: ...

class CreateQuestionnaireResponse(_message.Message):
    __slots__ = ("questionnaire",)
    QUESTIONNAIRE_FIELD_NUMBER: _ClassVar[int]
    questionnaire: _resources_pb2.Questionnaire
    def __init__(self, questionnaire: _Optional[_Union[_resources_pb2.Questionnaire, _Mapping]] = ...) -> None: ...

class UpdateQuestionnaireRequest(_message.Message):
    __slots__ = ("request_id", "questionnaire")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    QUESTIONNAIRE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    questionnaire: _resources_pb2.Questionnaire
    def __init__(self, request_id: _Optional[str] = ..., questionnaire: _Optional[_Union[_resources_pb2.Questionnaire, _Mapping]] = ...) -> None: ...

class UpdateQuestionnaireResponse(_message.Message):
    __slots__ = ("questionnaire",)
    QUESTIONNAIRE_FIELD_NUMBER: _ClassVar[int]
    questionnaire: _resources_pb2.Questionnaire
    def __init__(self, questionnaire: _Optional[_Union[_resources_pb2.Questionnaire, _Mapping]] = ...) -> None: ...

class GetQuestionnaireRequest(_message.Message):
    __slots__ = ("questionnaire_id",)
    QUESTIONNAIRE_ID_FIELD_NUMBER: _ClassVar[int]
    questionnaire_id: str
    def __init__(self, questionnaire_id: _Optional[str] = ...) -> None: ...

class GetQuestionnaireResponse(_message.Message):
    __slots__ = ("questionnaire",)
    QUESTIONNAIRE_FIELD_NUMBER: _ClassVar[int]
    questionnaire: _resources_pb2.Questionnaire
    def __init__(self, questionnaire: _Optional[_Union[_resources_pb2.Questionnaire, _Mapping]] = ...) -> None: ...

class ListQuestionnairesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListQuestionnairesResponse(_message.Message):
    __slots__ = ("questionnaires", "next_page_token")
    QUESTIONNAIRES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    questionnaires: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Questionnaire]
    next_page_token: str
    def __init__(self, questionnaires: _Optional[_Iterable[_Union[_resources_pb2.Questionnaire, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SubmitAuditRequest(_message.Message):
    __slots__ = ("request_id", "audit")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    audit: _resources_pb2.Audit
    def __init__(self, request_id: _Optional[str] = ..., audit: _Optional[_Union[_resources_pb2.Audit, _Mapping]] = ...) -> None: ...

class SubmitAuditResponse(_message.Message):
    __slots__ = ("audit",)
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    audit: _resources_pb2.Audit
    def __init__(self, audit: _Optional[_Union[_resources_pb2.Audit, _Mapping]] = ...) -> None: ...

class GetAuditRequest(_message.Message):
    __slots__ = ("audit_id",)
    AUDIT_ID_FIELD_NUMBER: _ClassVar[int]
    audit_id: str
    def __init__(self, audit_id: _Optional[str] = ...) -> None: ...

class GetAuditResponse(_message.Message):
    __slots__ = ("audit",)
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    audit: _resources_pb2.Audit
    def __init__(self, audit: _Optional[_Union[_resources_pb2.Audit, _Mapping]] = ...) -> None: ...

class ListAuditsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "outlet_id", "visit_id", "distributor_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    outlet_id: str
    visit_id: str
    distributor_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., outlet_id: _Optional[str] = ..., visit_id: _Optional[str] = ..., distributor_id: _Optional[str] = ...) -> None: ...

class ListAuditsResponse(_message.Message):
    __slots__ = ("audits", "next_page_token")
    AUDITS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    audits: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Audit]
    next_page_token: str
    def __init__(self, audits: _Optional[_Iterable[_Union[_resources_pb2.Audit, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RecordCallRequest(_message.Message):
    __slots__ = ("request_id", "call", "for_teleseller_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_FIELD_NUMBER: _ClassVar[int]
    FOR_TELESELLER_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    call: _resources_pb2.Call
    for_teleseller_id: str
    def __init__(self, request_id: _Optional[str] = ..., call: _Optional[_Union[_resources_pb2.Call, _Mapping]] = ..., for_teleseller_id: _Optional[str] = ...) -> None: ...

class RecordCallResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: _resources_pb2.Call
    def __init__(self, call: _Optional[_Union[_resources_pb2.Call, _Mapping]] = ...) -> None: ...

class GetCallRequest(_message.Message):
    __slots__ = ("call_id",)
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    def __init__(self, call_id: _Optional[str] = ...) -> None: ...

class GetCallResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: _resources_pb2.Call
    def __init__(self, call: _Optional[_Union[_resources_pb2.Call, _Mapping]] = ...) -> None: ...

class ListCallsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "teleseller_id", "outlet_id", "from_date", "to_date")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TELESELLER_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    teleseller_id: str
    outlet_id: str
    from_date: _date_pb2.Date
    to_date: _date_pb2.Date
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., teleseller_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., from_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., to_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class ListCallsResponse(_message.Message):
    __slots__ = ("calls", "next_page_token")
    CALLS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    calls: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Call]
    next_page_token: str
    def __init__(self, calls: _Optional[_Iterable[_Union[_resources_pb2.Call, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
