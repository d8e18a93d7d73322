import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from google.type import latlng_pb2 as _latlng_pb2
from google.type import money_pb2 as _money_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClientType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLIENT_TYPE_UNSPECIFIED: _ClassVar[ClientType]
    CLIENT_TYPE_RETAIL: _ClassVar[ClientType]
    CLIENT_TYPE_DISTRIBUTOR: _ClassVar[ClientType]
    CLIENT_TYPE_KEY_ACCOUNT: _ClassVar[ClientType]

class OutletStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTLET_STATUS_UNSPECIFIED: _ClassVar[OutletStatus]
    OUTLET_STATUS_PENDING: _ClassVar[OutletStatus]
    OUTLET_STATUS_ACTIVE: _ClassVar[OutletStatus]
    OUTLET_STATUS_REJECTED: _ClassVar[OutletStatus]
    OUTLET_STATUS_CLOSED: _ClassVar[OutletStatus]

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_AGENT: _ClassVar[Role]
    ROLE_VAN_SELLER: _ClassVar[Role]
    ROLE_MERCHANDISER: _ClassVar[Role]
    ROLE_DISTRIBUTOR_MANAGER: _ClassVar[Role]
    ROLE_SUPERVISOR: _ClassVar[Role]
    ROLE_TECHNICIAN: _ClassVar[Role]
    ROLE_ADMIN: _ClassVar[Role]
    ROLE_TELESELLER: _ClassVar[Role]

class VisitFrequency(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VISIT_FREQUENCY_UNSPECIFIED: _ClassVar[VisitFrequency]
    VISIT_FREQUENCY_WEEKLY: _ClassVar[VisitFrequency]
    VISIT_FREQUENCY_EVERY_2_WEEKS: _ClassVar[VisitFrequency]
    VISIT_FREQUENCY_EVERY_4_WEEKS: _ClassVar[VisitFrequency]

class RouteKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTE_KIND_UNSPECIFIED: _ClassVar[RouteKind]
    ROUTE_KIND_FIELD: _ClassVar[RouteKind]
    ROUTE_KIND_PHONE: _ClassVar[RouteKind]

class VisitStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VISIT_STATUS_UNSPECIFIED: _ClassVar[VisitStatus]
    VISIT_STATUS_IN_PROGRESS: _ClassVar[VisitStatus]
    VISIT_STATUS_COMPLETED: _ClassVar[VisitStatus]
    VISIT_STATUS_MISSED: _ClassVar[VisitStatus]

class VisitOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VISIT_OUTCOME_UNSPECIFIED: _ClassVar[VisitOutcome]
    VISIT_OUTCOME_ORDER_TAKEN: _ClassVar[VisitOutcome]
    VISIT_OUTCOME_NO_ORDER: _ClassVar[VisitOutcome]
    VISIT_OUTCOME_AUDIT_ONLY: _ClassVar[VisitOutcome]
    VISIT_OUTCOME_OUTLET_CLOSED: _ClassVar[VisitOutcome]
    VISIT_OUTCOME_REFUSED: _ClassVar[VisitOutcome]

class QuestionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUESTION_TYPE_UNSPECIFIED: _ClassVar[QuestionType]
    QUESTION_TYPE_NUMBER: _ClassVar[QuestionType]
    QUESTION_TYPE_MONEY: _ClassVar[QuestionType]
    QUESTION_TYPE_YES_NO: _ClassVar[QuestionType]
    QUESTION_TYPE_CHOICE: _ClassVar[QuestionType]
    QUESTION_TYPE_PHOTO: _ClassVar[QuestionType]

class ProposalKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROPOSAL_KIND_UNSPECIFIED: _ClassVar[ProposalKind]
    PROPOSAL_KIND_NEW_OUTLET: _ClassVar[ProposalKind]
    PROPOSAL_KIND_CARD_CHANGE: _ClassVar[ProposalKind]

class ProposalStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROPOSAL_STATUS_UNSPECIFIED: _ClassVar[ProposalStatus]
    PROPOSAL_STATUS_PENDING: _ClassVar[ProposalStatus]
    PROPOSAL_STATUS_APPROVED: _ClassVar[ProposalStatus]
    PROPOSAL_STATUS_REJECTED: _ClassVar[ProposalStatus]

class CallOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CALL_OUTCOME_UNSPECIFIED: _ClassVar[CallOutcome]
    CALL_OUTCOME_ORDERED: _ClassVar[CallOutcome]
    CALL_OUTCOME_NO_ANSWER: _ClassVar[CallOutcome]
    CALL_OUTCOME_CALL_BACK: _ClassVar[CallOutcome]
    CALL_OUTCOME_REFUSED: _ClassVar[CallOutcome]
CLIENT_TYPE_UNSPECIFIED: ClientType
CLIENT_TYPE_RETAIL: ClientType
CLIENT_TYPE_DISTRIBUTOR: ClientType
CLIENT_TYPE_KEY_ACCOUNT: ClientType
OUTLET_STATUS_UNSPECIFIED: OutletStatus
OUTLET_STATUS_PENDING: OutletStatus
OUTLET_STATUS_ACTIVE: OutletStatus
OUTLET_STATUS_REJECTED: OutletStatus
OUTLET_STATUS_CLOSED: OutletStatus
ROLE_UNSPECIFIED: Role
ROLE_AGENT: Role
ROLE_VAN_SELLER: Role
ROLE_MERCHANDISER: Role
ROLE_DISTRIBUTOR_MANAGER: Role
ROLE_SUPERVISOR: Role
ROLE_TECHNICIAN: Role
ROLE_ADMIN: Role
ROLE_TELESELLER: Role
VISIT_FREQUENCY_UNSPECIFIED: VisitFrequency
VISIT_FREQUENCY_WEEKLY: VisitFrequency
VISIT_FREQUENCY_EVERY_2_WEEKS: VisitFrequency
VISIT_FREQUENCY_EVERY_4_WEEKS: VisitFrequency
ROUTE_KIND_UNSPECIFIED: RouteKind
ROUTE_KIND_FIELD: RouteKind
ROUTE_KIND_PHONE: RouteKind
VISIT_STATUS_UNSPECIFIED: VisitStatus
VISIT_STATUS_IN_PROGRESS: VisitStatus
VISIT_STATUS_COMPLETED: VisitStatus
VISIT_STATUS_MISSED: VisitStatus
VISIT_OUTCOME_UNSPECIFIED: VisitOutcome
VISIT_OUTCOME_ORDER_TAKEN: VisitOutcome
VISIT_OUTCOME_NO_ORDER: VisitOutcome
VISIT_OUTCOME_AUDIT_ONLY: VisitOutcome
VISIT_OUTCOME_OUTLET_CLOSED: VisitOutcome
VISIT_OUTCOME_REFUSED: VisitOutcome
QUESTION_TYPE_UNSPECIFIED: QuestionType
QUESTION_TYPE_NUMBER: QuestionType
QUESTION_TYPE_MONEY: QuestionType
QUESTION_TYPE_YES_NO: QuestionType
QUESTION_TYPE_CHOICE: QuestionType
QUESTION_TYPE_PHOTO: QuestionType
PROPOSAL_KIND_UNSPECIFIED: ProposalKind
PROPOSAL_KIND_NEW_OUTLET: ProposalKind
PROPOSAL_KIND_CARD_CHANGE: ProposalKind
PROPOSAL_STATUS_UNSPECIFIED: ProposalStatus
PROPOSAL_STATUS_PENDING: ProposalStatus
PROPOSAL_STATUS_APPROVED: ProposalStatus
PROPOSAL_STATUS_REJECTED: ProposalStatus
CALL_OUTCOME_UNSPECIFIED: CallOutcome
CALL_OUTCOME_ORDERED: CallOutcome
CALL_OUTCOME_NO_ANSWER: CallOutcome
CALL_OUTCOME_CALL_BACK: CallOutcome
CALL_OUTCOME_REFUSED: CallOutcome

class Client(_message.Message):
    __slots__ = ("id", "name", "inn", "kpp", "type", "legal_address", "version", "create_time", "update_time", "external_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INN_FIELD_NUMBER: _ClassVar[int]
    KPP_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    LEGAL_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    inn: str
    kpp: str
    type: ClientType
    legal_address: str
    version: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    external_id: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., inn: _Optional[str] = ..., kpp: _Optional[str] = ..., type: _Optional[_Union[ClientType, str]] = ..., legal_address: _Optional[str] = ..., version: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., external_id: _Optional[str] = ...) -> None: ...

class Contact(_message.Message):
    __slots__ = ("name", "role", "phone", "email")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    name: str
    role: str
    phone: str
    email: str
    def __init__(self, name: _Optional[str] = ..., role: _Optional[str] = ..., phone: _Optional[str] = ..., email: _Optional[str] = ...) -> None: ...

class WorkingHours(_message.Message):
    __slots__ = ("weekday", "opens", "closes")
    WEEKDAY_FIELD_NUMBER: _ClassVar[int]
    OPENS_FIELD_NUMBER: _ClassVar[int]
    CLOSES_FIELD_NUMBER: _ClassVar[int]
    weekday: int
    opens: str
    closes: str
    def __init__(self, weekday: _Optional[int] = ..., opens: _Optional[str] = ..., closes: _Optional[str] = ...) -> None: ...

class OutletCard(_message.Message):
    __slots__ = ("name", "address", "location", "channel", "format", "outlet_class", "contacts", "working_hours", "custom_attributes")
    class CustomAttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    OUTLET_CLASS_FIELD_NUMBER: _ClassVar[int]
    CONTACTS_FIELD_NUMBER: _ClassVar[int]
    WORKING_HOURS_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    name: str
    address: str
    location: _latlng_pb2.LatLng
    channel: str
    format: str
    outlet_class: str
    contacts: _containers.RepeatedCompositeFieldContainer[Contact]
    working_hours: _containers.RepeatedCompositeFieldContainer[WorkingHours]
    custom_attributes: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[str] = ..., address: _Optional[str] = ..., location: _Optional[_Union[_latlng_pb2.LatLng, _Mapping]] = ..., channel: _Optional[str] = ..., format: _Optional[str] = ..., outlet_class: _Optional[str] = ..., contacts: _Optional[_Iterable[_Union[Contact, _Mapping]]] = ..., working_hours: _Optional[_Iterable[_Union[WorkingHours, _Mapping]]] = ..., custom_attributes: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Outlet(_message.Message):
    __slots__ = ("id", "client_id", "card", "status", "territory_id", "version", "create_time", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TERRITORY_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    client_id: str
    card: OutletCard
    status: OutletStatus
    territory_id: str
    version: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., client_id: _Optional[str] = ..., card: _Optional[_Union[OutletCard, _Mapping]] = ..., status: _Optional[_Union[OutletStatus, str]] = ..., territory_id: _Optional[str] = ..., version: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FieldChange(_message.Message):
    __slots__ = ("field", "old_value", "new_value")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    OLD_VALUE_FIELD_NUMBER: _ClassVar[int]
    NEW_VALUE_FIELD_NUMBER: _ClassVar[int]
    field: str
    old_value: str
    new_value: str
    def __init__(self, field: _Optional[str] = ..., old_value: _Optional[str] = ..., new_value: _Optional[str] = ...) -> None: ...

class OutletCardChange(_message.Message):
    __slots__ = ("outlet_id", "version", "changed_by", "change_time", "changes", "proposal_id")
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANGED_BY_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    outlet_id: str
    version: int
    changed_by: str
    change_time: _timestamp_pb2.Timestamp
    changes: _containers.RepeatedCompositeFieldContainer[FieldChange]
    proposal_id: str
    def __init__(self, outlet_id: _Optional[str] = ..., version: _Optional[int] = ..., changed_by: _Optional[str] = ..., change_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., changes: _Optional[_Iterable[_Union[FieldChange, _Mapping]]] = ..., proposal_id: _Optional[str] = ...) -> None: ...

class Employee(_message.Message):
    __slots__ = ("id", "full_name", "roles", "territory_id", "supervisor_id", "distributor_id", "active", "version", "external_id", "phone")
    ID_FIELD_NUMBER: _ClassVar[int]
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    TERRITORY_ID_FIELD_NUMBER: _ClassVar[int]
    SUPERVISOR_ID_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    id: str
    full_name: str
    roles: _containers.RepeatedScalarFieldContainer[Role]
    territory_id: str
    supervisor_id: str
    distributor_id: str
    active: bool
    version: int
    external_id: str
    phone: str
    def __init__(self, id: _Optional[str] = ..., full_name: _Optional[str] = ..., roles: _Optional[_Iterable[_Union[Role, str]]] = ..., territory_id: _Optional[str] = ..., supervisor_id: _Optional[str] = ..., distributor_id: _Optional[str] = ..., active: _Optional[bool] = ..., version: _Optional[int] = ..., external_id: _Optional[str] = ..., phone: _Optional[str] = ...) -> None: ...

class Territory(_message.Message):
    __slots__ = ("id", "name", "parent_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    parent_id: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., parent_id: _Optional[str] = ...) -> None: ...

class RouteAssignment(_message.Message):
    __slots__ = ("route_id", "outlet_id", "frequency", "weekdays", "start_date", "sequence", "route_version", "route_kind")
    ROUTE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    WEEKDAYS_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ROUTE_VERSION_FIELD_NUMBER: _ClassVar[int]
    ROUTE_KIND_FIELD_NUMBER: _ClassVar[int]
    route_id: str
    outlet_id: str
    frequency: VisitFrequency
    weekdays: _containers.RepeatedScalarFieldContainer[int]
    start_date: _date_pb2.Date
    sequence: int
    route_version: int
    route_kind: RouteKind
    def __init__(self, route_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., frequency: _Optional[_Union[VisitFrequency, str]] = ..., weekdays: _Optional[_Iterable[int]] = ..., start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., sequence: _Optional[int] = ..., route_version: _Optional[int] = ..., route_kind: _Optional[_Union[RouteKind, str]] = ...) -> None: ...

class Route(_message.Message):
    __slots__ = ("id", "name", "territory_id", "agent_id", "version", "external_id", "kind")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TERRITORY_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    territory_id: str
    agent_id: str
    version: int
    external_id: str
    kind: RouteKind
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., territory_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., version: _Optional[int] = ..., external_id: _Optional[str] = ..., kind: _Optional[_Union[RouteKind, str]] = ...) -> None: ...

class RouteAgentPeriod(_message.Message):
    __slots__ = ("route_id", "route_external_id", "employee_id", "employee_external_id", "valid_from", "valid_to")
    ROUTE_ID_FIELD_NUMBER: _ClassVar[int]
    ROUTE_EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEE_ID_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEE_EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    route_id: str
    route_external_id: str
    employee_id: str
    employee_external_id: str
    valid_from: _date_pb2.Date
    valid_to: _date_pb2.Date
    def __init__(self, route_id: _Optional[str] = ..., route_external_id: _Optional[str] = ..., employee_id: _Optional[str] = ..., employee_external_id: _Optional[str] = ..., valid_from: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., valid_to: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class Visit(_message.Message):
    __slots__ = ("id", "agent_id", "outlet_id", "date", "status", "check_in_time", "check_in_location", "check_in_distance_m", "check_in_far", "check_out_time", "check_out_location", "check_out_distance_m", "check_out_far", "outcome", "missed_reason", "notes")
    ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_TIME_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_LOCATION_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_DISTANCE_M_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_FAR_FIELD_NUMBER: _ClassVar[int]
    CHECK_OUT_TIME_FIELD_NUMBER: _ClassVar[int]
    CHECK_OUT_LOCATION_FIELD_NUMBER: _ClassVar[int]
    CHECK_OUT_DISTANCE_M_FIELD_NUMBER: _ClassVar[int]
    CHECK_OUT_FAR_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    MISSED_REASON_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    id: str
    agent_id: str
    outlet_id: str
    date: _date_pb2.Date
    status: VisitStatus
    check_in_time: _timestamp_pb2.Timestamp
    check_in_location: _latlng_pb2.LatLng
    check_in_distance_m: int
    check_in_far: bool
    check_out_time: _timestamp_pb2.Timestamp
    check_out_location: _latlng_pb2.LatLng
    check_out_distance_m: int
    check_out_far: bool
    outcome: VisitOutcome
    missed_reason: str
    notes: str
    def __init__(self, id: _Optional[str] = ..., agent_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., status: _Optional[_Union[VisitStatus, str]] = ..., check_in_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., check_in_location: _Optional[_Union[_latlng_pb2.LatLng, _Mapping]] = ..., check_in_distance_m: _Optional[int] = ..., check_in_far: _Optional[bool] = ..., check_out_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., check_out_location: _Optional[_Union[_latlng_pb2.LatLng, _Mapping]] = ..., check_out_distance_m: _Optional[int] = ..., check_out_far: _Optional[bool] = ..., outcome: _Optional[_Union[VisitOutcome, str]] = ..., missed_reason: _Optional[str] = ..., notes: _Optional[str] = ...) -> None: ...

class Question(_message.Message):
    __slots__ = ("id", "text", "type", "options", "required")
    ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    id: str
    text: str
    type: QuestionType
    options: _containers.RepeatedScalarFieldContainer[str]
    required: bool
    def __init__(self, id: _Optional[str] = ..., text: _Optional[str] = ..., type: _Optional[_Union[QuestionType, str]] = ..., options: _Optional[_Iterable[str]] = ..., required: _Optional[bool] = ...) -> None: ...

class Questionnaire(_message.Message):
    __slots__ = ("id", "name", "questions", "must_stock_skus", "version", "distributor_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    MUST_STOCK_SKUS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    questions: _containers.RepeatedCompositeFieldContainer[Question]
    must_stock_skus: _containers.RepeatedScalarFieldContainer[str]
    version: int
    distributor_id: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., questions: _Optional[_Iterable[_Union[Question, _Mapping]]] = ..., must_stock_skus: _Optional[_Iterable[str]] = ..., version: _Optional[int] = ..., distributor_id: _Optional[str] = ...) -> None: ...

class Answer(_message.Message):
    __slots__ = ("question_id", "number", "money", "yes_no", "choice", "photo_ref")
    QUESTION_ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    MONEY_FIELD_NUMBER: _ClassVar[int]
    YES_NO_FIELD_NUMBER: _ClassVar[int]
    CHOICE_FIELD_NUMBER: _ClassVar[int]
    PHOTO_REF_FIELD_NUMBER: _ClassVar[int]
    question_id: str
    number: str
    money: _money_pb2.Money
    yes_no: bool
    choice: str
    photo_ref: str
    def __init__(self, question_id: _Optional[str] = ..., number: _Optional[str] = ..., money: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., yes_no: _Optional[bool] = ..., choice: _Optional[str] = ..., photo_ref: _Optional[str] = ...) -> None: ...

class MustStockCheck(_message.Message):
    __slots__ = ("sku", "present", "facings", "shelf_quantity")
    SKU_FIELD_NUMBER: _ClassVar[int]
    PRESENT_FIELD_NUMBER: _ClassVar[int]
    FACINGS_FIELD_NUMBER: _ClassVar[int]
    SHELF_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    sku: str
    present: bool
    facings: int
    shelf_quantity: str
    def __init__(self, sku: _Optional[str] = ..., present: _Optional[bool] = ..., facings: _Optional[int] = ..., shelf_quantity: _Optional[str] = ...) -> None: ...

class CompetitorPrice(_message.Message):
    __slots__ = ("product", "competitor", "price")
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    COMPETITOR_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    product: str
    competitor: str
    price: _money_pb2.Money
    def __init__(self, product: _Optional[str] = ..., competitor: _Optional[str] = ..., price: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class Audit(_message.Message):
    __slots__ = ("id", "visit_id", "questionnaire_id", "agent_id", "outlet_id", "answers", "must_stock", "competitor_prices", "submit_time", "performed_at", "distributor_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    QUESTIONNAIRE_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    MUST_STOCK_FIELD_NUMBER: _ClassVar[int]
    COMPETITOR_PRICES_FIELD_NUMBER: _ClassVar[int]
    SUBMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    PERFORMED_AT_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    visit_id: str
    questionnaire_id: str
    agent_id: str
    outlet_id: str
    answers: _containers.RepeatedCompositeFieldContainer[Answer]
    must_stock: _containers.RepeatedCompositeFieldContainer[MustStockCheck]
    competitor_prices: _containers.RepeatedCompositeFieldContainer[CompetitorPrice]
    submit_time: _timestamp_pb2.Timestamp
    performed_at: _timestamp_pb2.Timestamp
    distributor_id: str
    def __init__(self, id: _Optional[str] = ..., visit_id: _Optional[str] = ..., questionnaire_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., answers: _Optional[_Iterable[_Union[Answer, _Mapping]]] = ..., must_stock: _Optional[_Iterable[_Union[MustStockCheck, _Mapping]]] = ..., competitor_prices: _Optional[_Iterable[_Union[CompetitorPrice, _Mapping]]] = ..., submit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., performed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., distributor_id: _Optional[str] = ...) -> None: ...

class Proposal(_message.Message):
    __slots__ = ("id", "kind", "status", "proposed_by", "outlet_id", "client_id", "card", "fields", "decided_by", "decision_reason", "create_time", "decide_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_BY_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    DECISION_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DECIDE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: ProposalKind
    status: ProposalStatus
    proposed_by: str
    outlet_id: str
    client_id: str
    card: OutletCard
    fields: _containers.RepeatedScalarFieldContainer[str]
    decided_by: str
    decision_reason: str
    create_time: _timestamp_pb2.Timestamp
    decide_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[_Union[ProposalKind, str]] = ..., status: _Optional[_Union[ProposalStatus, str]] = ..., proposed_by: _Optional[str] = ..., outlet_id: _Optional[str] = ..., client_id: _Optional[str] = ..., card: _Optional[_Union[OutletCard, _Mapping]] = ..., fields: _Optional[_Iterable[str]] = ..., decided_by: _Optional[str] = ..., decision_reason: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decide_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Call(_message.Message):
    __slots__ = ("id", "teleseller_id", "outlet_id", "date", "started_at", "ended_at", "outcome", "call_back_at", "reason", "notes", "record_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    TELESELLER_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    CALL_BACK_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    RECORD_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    teleseller_id: str
    outlet_id: str
    date: _date_pb2.Date
    started_at: _timestamp_pb2.Timestamp
    ended_at: _timestamp_pb2.Timestamp
    outcome: CallOutcome
    call_back_at: _timestamp_pb2.Timestamp
    reason: str
    notes: str
    record_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., teleseller_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., outcome: _Optional[_Union[CallOutcome, str]] = ..., call_back_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ..., notes: _Optional[str] = ..., record_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
