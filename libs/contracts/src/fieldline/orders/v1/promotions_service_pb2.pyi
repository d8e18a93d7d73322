import datetime

from fieldline.orders.v1 import catalog_service_pb2 as _catalog_service_pb2
from fieldline.orders.v1 import resources_pb2 as _resources_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BudgetEntryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BUDGET_ENTRY_KIND_UNSPECIFIED: _ClassVar[BudgetEntryKind]
    BUDGET_ENTRY_KIND_CONSUMED: _ClassVar[BudgetEntryKind]
    BUDGET_ENTRY_KIND_RELEASED: _ClassVar[BudgetEntryKind]
BUDGET_ENTRY_KIND_UNSPECIFIED: BudgetEntryKind
BUDGET_ENTRY_KIND_CONSUMED: BudgetEntryKind
BUDGET_ENTRY_KIND_RELEASED: BudgetEntryKind

class UpsertPromotionsRequest(_message.Message):
    __slots__ = ("request_id", "promotions")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROMOTIONS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    promotions: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Promotion]
    def __init__(self, request_id: _Optional[str] = ..., promotions: _Optional[_Iterable[_Union[_resources_pb2.Promotion, _Mapping]]] = ...) -> None: ...

class UpsertPromotionsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_catalog_service_pb2.UpsertResult]
    def __init__(self, results: _Optional[_Iterable[_Union[_catalog_service_pb2.UpsertResult, _Mapping]]] = ...) -> None: ...

class GetPromotionRequest(_message.Message):
    __slots__ = ("promotion_id",)
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    promotion_id: str
    def __init__(self, promotion_id: _Optional[str] = ...) -> None: ...

class GetPromotionResponse(_message.Message):
    __slots__ = ("promotion",)
    PROMOTION_FIELD_NUMBER: _ClassVar[int]
    promotion: _resources_pb2.Promotion
    def __init__(self, promotion: _Optional[_Union[_resources_pb2.Promotion, _Mapping]] = ...) -> None: ...

class ListPromotionsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "active_on")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ON_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    active_on: _date_pb2.Date
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., active_on: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class ListPromotionsResponse(_message.Message):
    __slots__ = ("promotions", "next_page_token")
    PROMOTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    promotions: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Promotion]
    next_page_token: str
    def __init__(self, promotions: _Optional[_Iterable[_Union[_resources_pb2.Promotion, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListOutletPromotionsRequest(_message.Message):
    __slots__ = ("outlet_id", "date")
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    outlet_id: str
    date: _date_pb2.Date
    def __init__(self, outlet_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class ListOutletPromotionsResponse(_message.Message):
    __slots__ = ("promotions",)
    PROMOTIONS_FIELD_NUMBER: _ClassVar[int]
    promotions: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Promotion]
    def __init__(self, promotions: _Optional[_Iterable[_Union[_resources_pb2.Promotion, _Mapping]]] = ...) -> None: ...

class ListPromotionBudgetEntriesRequest(_message.Message):
    __slots__ = ("promotion_id", "page_size", "page_token")
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    promotion_id: str
    page_size: int
    page_token: str
    def __init__(self, promotion_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class PromotionBudgetEntry(_message.Message):
    __slots__ = ("order_id", "revision", "kind", "delta", "create_time")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    revision: int
    kind: BudgetEntryKind
    delta: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, order_id: _Optional[str] = ..., revision: _Optional[int] = ..., kind: _Optional[_Union[BudgetEntryKind, str]] = ..., delta: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListPromotionBudgetEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[PromotionBudgetEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[PromotionBudgetEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
