from fieldline.orders.v1 import orders_service_pb2 as _orders_service_pb2
from fieldline.orders.v1 import resources_pb2 as _resources_pb2
from google.type import date_pb2 as _date_pb2
from google.type import money_pb2 as _money_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MovementKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MOVEMENT_KIND_UNSPECIFIED: _ClassVar[MovementKind]
    MOVEMENT_KIND_LOAD: _ClassVar[MovementKind]
    MOVEMENT_KIND_SALE: _ClassVar[MovementKind]
    MOVEMENT_KIND_RETURN: _ClassVar[MovementKind]
    MOVEMENT_KIND_UNLOAD: _ClassVar[MovementKind]
MOVEMENT_KIND_UNSPECIFIED: MovementKind
MOVEMENT_KIND_LOAD: MovementKind
MOVEMENT_KIND_SALE: MovementKind
MOVEMENT_KIND_RETURN: MovementKind
MOVEMENT_KIND_UNLOAD: MovementKind

class Van(_message.Message):
    __slots__ = ("id", "name", "van_seller_id", "currency_code", "distributor_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VAN_SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    van_seller_id: str
    currency_code: str
    distributor_id: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., van_seller_id: _Optional[str] = ..., currency_code: _Optional[str] = ..., distributor_id: _Optional[str] = ...) -> None: ...

class CreateVanRequest(_message.Message):
    __slots__ = ("request_id", "van")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VAN_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    van: Van
    def __init__(self, request_id: _Optional[str] = ..., van: _Optional[_Union[Van, _Mapping]] = ...) -> None: ...

class CreateVanResponse(_message.Message):
    __slots__ = ("van",)
    VAN_FIELD_NUMBER: _ClassVar[int]
    van: Van
    def __init__(self, van: _Optional[_Union[Van, _Mapping]] = ...) -> None: ...

class ListVansRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "van_seller_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    VAN_SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    van_seller_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., van_seller_id: _Optional[str] = ...) -> None: ...

class ListVansResponse(_message.Message):
    __slots__ = ("vans", "next_page_token")
    VANS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    vans: _containers.RepeatedCompositeFieldContainer[Van]
    next_page_token: str
    def __init__(self, vans: _Optional[_Iterable[_Union[Van, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class VanStockLine(_message.Message):
    __slots__ = ("product_id", "quantity")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    quantity: str
    def __init__(self, product_id: _Optional[str] = ..., quantity: _Optional[str] = ...) -> None: ...

class GetVanStockRequest(_message.Message):
    __slots__ = ("van_id",)
    VAN_ID_FIELD_NUMBER: _ClassVar[int]
    van_id: str
    def __init__(self, van_id: _Optional[str] = ...) -> None: ...

class GetVanStockResponse(_message.Message):
    __slots__ = ("van_id", "lines")
    VAN_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    van_id: str
    lines: _containers.RepeatedCompositeFieldContainer[VanStockLine]
    def __init__(self, van_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[VanStockLine, _Mapping]]] = ...) -> None: ...

class VanMovement(_message.Message):
    __slots__ = ("van_id", "document_id", "kind", "product_id", "quantity", "date")
    VAN_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    van_id: str
    document_id: str
    kind: MovementKind
    product_id: str
    quantity: str
    date: _date_pb2.Date
    def __init__(self, van_id: _Optional[str] = ..., document_id: _Optional[str] = ..., kind: _Optional[_Union[MovementKind, str]] = ..., product_id: _Optional[str] = ..., quantity: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class ListVanMovementsRequest(_message.Message):
    __slots__ = ("van_id", "date", "page_size", "page_token")
    VAN_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    van_id: str
    date: _date_pb2.Date
    page_size: int
    page_token: str
    def __init__(self, van_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListVanMovementsResponse(_message.Message):
    __slots__ = ("movements", "next_page_token")
    MOVEMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    movements: _containers.RepeatedCompositeFieldContainer[VanMovement]
    next_page_token: str
    def __init__(self, movements: _Optional[_Iterable[_Union[VanMovement, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class QuantityLine(_message.Message):
    __slots__ = ("product_id", "unit", "quantity")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    unit: str
    quantity: str
    def __init__(self, product_id: _Optional[str] = ..., unit: _Optional[str] = ..., quantity: _Optional[str] = ...) -> None: ...

class LoadVanRequest(_message.Message):
    __slots__ = ("request_id", "load_id", "van_id", "date", "lines")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    LOAD_ID_FIELD_NUMBER: _ClassVar[int]
    VAN_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    load_id: str
    van_id: str
    date: _date_pb2.Date
    lines: _containers.RepeatedCompositeFieldContainer[QuantityLine]
    def __init__(self, request_id: _Optional[str] = ..., load_id: _Optional[str] = ..., van_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[QuantityLine, _Mapping]]] = ...) -> None: ...

class LoadVanResponse(_message.Message):
    __slots__ = ("stock",)
    STOCK_FIELD_NUMBER: _ClassVar[int]
    stock: GetVanStockResponse
    def __init__(self, stock: _Optional[_Union[GetVanStockResponse, _Mapping]] = ...) -> None: ...

class CompleteVanSaleRequest(_message.Message):
    __slots__ = ("request_id", "sale_id", "van_id", "client_id", "outlet_id", "date", "lines", "cash_collected", "receipt_number", "credit_override", "visit_id", "expected_promotions")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SALE_ID_FIELD_NUMBER: _ClassVar[int]
    VAN_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    CASH_COLLECTED_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CREDIT_OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_PROMOTIONS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    sale_id: str
    van_id: str
    client_id: str
    outlet_id: str
    date: _date_pb2.Date
    lines: _containers.RepeatedCompositeFieldContainer[_orders_service_pb2.OrderLineInput]
    cash_collected: _money_pb2.Money
    receipt_number: str
    credit_override: _orders_service_pb2.CreditOverride
    visit_id: str
    expected_promotions: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ExpectedPromotion]
    def __init__(self, request_id: _Optional[str] = ..., sale_id: _Optional[str] = ..., van_id: _Optional[str] = ..., client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[_orders_service_pb2.OrderLineInput, _Mapping]]] = ..., cash_collected: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., receipt_number: _Optional[str] = ..., credit_override: _Optional[_Union[_orders_service_pb2.CreditOverride, _Mapping]] = ..., visit_id: _Optional[str] = ..., expected_promotions: _Optional[_Iterable[_Union[_resources_pb2.ExpectedPromotion, _Mapping]]] = ...) -> None: ...

class CompleteVanSaleResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _resources_pb2.Order
    def __init__(self, order: _Optional[_Union[_resources_pb2.Order, _Mapping]] = ...) -> None: ...

class ContainerLine(_message.Message):
    __slots__ = ("container_type", "quantity")
    CONTAINER_TYPE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    container_type: str
    quantity: str
    def __init__(self, container_type: _Optional[str] = ..., quantity: _Optional[str] = ...) -> None: ...

class ReturnLine(_message.Message):
    __slots__ = ("product_id", "unit", "quantity", "reason")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    unit: str
    quantity: str
    reason: str
    def __init__(self, product_id: _Optional[str] = ..., unit: _Optional[str] = ..., quantity: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class AcceptReturnRequest(_message.Message):
    __slots__ = ("request_id", "return_id", "van_id", "client_id", "outlet_id", "order_id", "date", "lines", "containers", "visit_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RETURN_ID_FIELD_NUMBER: _ClassVar[int]
    VAN_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    return_id: str
    van_id: str
    client_id: str
    outlet_id: str
    order_id: str
    date: _date_pb2.Date
    lines: _containers.RepeatedCompositeFieldContainer[ReturnLine]
    containers: _containers.RepeatedCompositeFieldContainer[ContainerLine]
    visit_id: str
    def __init__(self, request_id: _Optional[str] = ..., return_id: _Optional[str] = ..., van_id: _Optional[str] = ..., client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., order_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[ReturnLine, _Mapping]]] = ..., containers: _Optional[_Iterable[_Union[ContainerLine, _Mapping]]] = ..., visit_id: _Optional[str] = ...) -> None: ...

class ReturnedLine(_message.Message):
    __slots__ = ("product_id", "base_quantity", "unit_price", "gross_amount", "reason")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    GROSS_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    base_quantity: str
    unit_price: _money_pb2.Money
    gross_amount: _money_pb2.Money
    reason: str
    def __init__(self, product_id: _Optional[str] = ..., base_quantity: _Optional[str] = ..., unit_price: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., gross_amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class GoodsReturn(_message.Message):
    __slots__ = ("id", "van_id", "client_id", "outlet_id", "order_id", "date", "lines", "containers", "gross_total", "visit_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    VAN_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    GROSS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    van_id: str
    client_id: str
    outlet_id: str
    order_id: str
    date: _date_pb2.Date
    lines: _containers.RepeatedCompositeFieldContainer[ReturnedLine]
    containers: _containers.RepeatedCompositeFieldContainer[ContainerLine]
    gross_total: _money_pb2.Money
    visit_id: str
    def __init__(self, id: _Optional[str] = ..., van_id: _Optional[str] = ..., client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., order_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[ReturnedLine, _Mapping]]] = ..., containers: _Optional[_Iterable[_Union[ContainerLine, _Mapping]]] = ..., gross_total: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., visit_id: _Optional[str] = ...) -> None: ...

class AcceptReturnResponse(_message.Message):
    __slots__ = ("goods_return",)
    GOODS_RETURN_FIELD_NUMBER: _ClassVar[int]
    goods_return: GoodsReturn
    def __init__(self, goods_return: _Optional[_Union[GoodsReturn, _Mapping]] = ...) -> None: ...

class UnloadVanRequest(_message.Message):
    __slots__ = ("request_id", "unload_id", "van_id", "date", "counted", "cash_handed_over")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    UNLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    VAN_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    COUNTED_FIELD_NUMBER: _ClassVar[int]
    CASH_HANDED_OVER_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    unload_id: str
    van_id: str
    date: _date_pb2.Date
    counted: _containers.RepeatedCompositeFieldContainer[VanStockLine]
    cash_handed_over: _money_pb2.Money
    def __init__(self, request_id: _Optional[str] = ..., unload_id: _Optional[str] = ..., van_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., counted: _Optional[_Iterable[_Union[VanStockLine, _Mapping]]] = ..., cash_handed_over: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class StockDiscrepancy(_message.Message):
    __slots__ = ("product_id", "expected", "counted", "difference")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    COUNTED_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCE_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    expected: str
    counted: str
    difference: str
    def __init__(self, product_id: _Optional[str] = ..., expected: _Optional[str] = ..., counted: _Optional[str] = ..., difference: _Optional[str] = ...) -> None: ...

class Unloading(_message.Message):
    __slots__ = ("id", "van_id", "date", "discrepancies", "cash_expected", "cash_handed_over", "cash_difference")
    ID_FIELD_NUMBER: _ClassVar[int]
    VAN_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    DISCREPANCIES_FIELD_NUMBER: _ClassVar[int]
    CASH_EXPECTED_FIELD_NUMBER: _ClassVar[int]
    CASH_HANDED_OVER_FIELD_NUMBER: _ClassVar[int]
    CASH_DIFFERENCE_FIELD_NUMBER: _ClassVar[int]
    id: str
    van_id: str
    date: _date_pb2.Date
    discrepancies: _containers.RepeatedCompositeFieldContainer[StockDiscrepancy]
    cash_expected: _money_pb2.Money
    cash_handed_over: _money_pb2.Money
    cash_difference: _money_pb2.Money
    def __init__(self, id: _Optional[str] = ..., van_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., discrepancies: _Optional[_Iterable[_Union[StockDiscrepancy, _Mapping]]] = ..., cash_expected: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., cash_handed_over: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., cash_difference: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class UnloadVanResponse(_message.Message):
    __slots__ = ("unloading",)
    UNLOADING_FIELD_NUMBER: _ClassVar[int]
    unloading: Unloading
    def __init__(self, unloading: _Optional[_Union[Unloading, _Mapping]] = ...) -> None: ...
