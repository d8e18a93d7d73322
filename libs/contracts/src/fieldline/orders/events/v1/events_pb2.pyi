from fieldline.orders.v1 import resources_pb2 as _resources_pb2
from fieldline.orders.v1 import van_service_pb2 as _van_service_pb2
from google.type import money_pb2 as _money_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderSubmitted(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _resources_pb2.Order
    def __init__(self, order: _Optional[_Union[_resources_pb2.Order, _Mapping]] = ...) -> None: ...

class OrderHeld(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _resources_pb2.Order
    def __init__(self, order: _Optional[_Union[_resources_pb2.Order, _Mapping]] = ...) -> None: ...

class OrderConfirmed(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _resources_pb2.Order
    def __init__(self, order: _Optional[_Union[_resources_pb2.Order, _Mapping]] = ...) -> None: ...

class OrderAmended(_message.Message):
    __slots__ = ("order", "previous_revision")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_REVISION_FIELD_NUMBER: _ClassVar[int]
    order: _resources_pb2.Order
    previous_revision: int
    def __init__(self, order: _Optional[_Union[_resources_pb2.Order, _Mapping]] = ..., previous_revision: _Optional[int] = ...) -> None: ...

class OrderStatusChanged(_message.Message):
    __slots__ = ("order", "previous_status", "delivered_containers")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    order: _resources_pb2.Order
    previous_status: _resources_pb2.OrderStatus
    delivered_containers: _containers.RepeatedCompositeFieldContainer[_van_service_pb2.ContainerLine]
    def __init__(self, order: _Optional[_Union[_resources_pb2.Order, _Mapping]] = ..., previous_status: _Optional[_Union[_resources_pb2.OrderStatus, str]] = ..., delivered_containers: _Optional[_Iterable[_Union[_van_service_pb2.ContainerLine, _Mapping]]] = ...) -> None: ...

class VanSaleCompleted(_message.Message):
    __slots__ = ("order", "van_id", "cash_collected", "receipt_number", "containers")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    VAN_ID_FIELD_NUMBER: _ClassVar[int]
    CASH_COLLECTED_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    order: _resources_pb2.Order
    van_id: str
    cash_collected: _money_pb2.Money
    receipt_number: str
    containers: _containers.RepeatedCompositeFieldContainer[_van_service_pb2.ContainerLine]
    def __init__(self, order: _Optional[_Union[_resources_pb2.Order, _Mapping]] = ..., van_id: _Optional[str] = ..., cash_collected: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., receipt_number: _Optional[str] = ..., containers: _Optional[_Iterable[_Union[_van_service_pb2.ContainerLine, _Mapping]]] = ...) -> None: ...

class ReturnAccepted(_message.Message):
    __slots__ = ("goods_return", "currency_code")
    GOODS_RETURN_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    goods_return: _van_service_pb2.GoodsReturn
    currency_code: str
    def __init__(self, goods_return: _Optional[_Union[_van_service_pb2.GoodsReturn, _Mapping]] = ..., currency_code: _Optional[str] = ...) -> None: ...

class ContactSalesChanged(_message.Message):
    __slots__ = ("contact_sales",)
    CONTACT_SALES_FIELD_NUMBER: _ClassVar[int]
    contact_sales: _resources_pb2.ContactSales
    def __init__(self, contact_sales: _Optional[_Union[_resources_pb2.ContactSales, _Mapping]] = ...) -> None: ...

class VanLoaded(_message.Message):
    __slots__ = ("van_id", "load_id", "lines")
    VAN_ID_FIELD_NUMBER: _ClassVar[int]
    LOAD_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    van_id: str
    load_id: str
    lines: _containers.RepeatedCompositeFieldContainer[_van_service_pb2.VanStockLine]
    def __init__(self, van_id: _Optional[str] = ..., load_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[_van_service_pb2.VanStockLine, _Mapping]]] = ...) -> None: ...

class VanUnloaded(_message.Message):
    __slots__ = ("unloading",)
    UNLOADING_FIELD_NUMBER: _ClassVar[int]
    unloading: _van_service_pb2.Unloading
    def __init__(self, unloading: _Optional[_Union[_van_service_pb2.Unloading, _Mapping]] = ...) -> None: ...

class ProductGroupsChanged(_message.Message):
    __slots__ = ("groups",)
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ProductGroup]
    def __init__(self, groups: _Optional[_Iterable[_Union[_resources_pb2.ProductGroup, _Mapping]]] = ...) -> None: ...

class ProductsChanged(_message.Message):
    __slots__ = ("products",)
    PRODUCTS_FIELD_NUMBER: _ClassVar[int]
    products: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Product]
    def __init__(self, products: _Optional[_Iterable[_Union[_resources_pb2.Product, _Mapping]]] = ...) -> None: ...

class PriceTypesChanged(_message.Message):
    __slots__ = ("price_types",)
    PRICE_TYPES_FIELD_NUMBER: _ClassVar[int]
    price_types: _containers.RepeatedCompositeFieldContainer[_resources_pb2.PriceType]
    def __init__(self, price_types: _Optional[_Iterable[_Union[_resources_pb2.PriceType, _Mapping]]] = ...) -> None: ...

class PriceListChanged(_message.Message):
    __slots__ = ("price_list", "entries_included", "changed_entries", "removed_product_ids")
    PRICE_LIST_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_INCLUDED_FIELD_NUMBER: _ClassVar[int]
    CHANGED_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    REMOVED_PRODUCT_IDS_FIELD_NUMBER: _ClassVar[int]
    price_list: _resources_pb2.PriceList
    entries_included: bool
    changed_entries: _containers.RepeatedCompositeFieldContainer[_resources_pb2.PriceListEntry]
    removed_product_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, price_list: _Optional[_Union[_resources_pb2.PriceList, _Mapping]] = ..., entries_included: _Optional[bool] = ..., changed_entries: _Optional[_Iterable[_Union[_resources_pb2.PriceListEntry, _Mapping]]] = ..., removed_product_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ClientPriceTypeSet(_message.Message):
    __slots__ = ("client_price_type", "previous_price_type_id")
    CLIENT_PRICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_PRICE_TYPE_ID_FIELD_NUMBER: _ClassVar[int]
    client_price_type: _resources_pb2.ClientPriceType
    previous_price_type_id: str
    def __init__(self, client_price_type: _Optional[_Union[_resources_pb2.ClientPriceType, _Mapping]] = ..., previous_price_type_id: _Optional[str] = ...) -> None: ...

class ClientPricesChanged(_message.Message):
    __slots__ = ("prices",)
    PRICES_FIELD_NUMBER: _ClassVar[int]
    prices: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ClientPrice]
    def __init__(self, prices: _Optional[_Iterable[_Union[_resources_pb2.ClientPrice, _Mapping]]] = ...) -> None: ...

class DiscountsChanged(_message.Message):
    __slots__ = ("discounts",)
    DISCOUNTS_FIELD_NUMBER: _ClassVar[int]
    discounts: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Discount]
    def __init__(self, discounts: _Optional[_Iterable[_Union[_resources_pb2.Discount, _Mapping]]] = ...) -> None: ...

class PromotionChanged(_message.Message):
    __slots__ = ("promotion",)
    PROMOTION_FIELD_NUMBER: _ClassVar[int]
    promotion: _resources_pb2.Promotion
    def __init__(self, promotion: _Optional[_Union[_resources_pb2.Promotion, _Mapping]] = ...) -> None: ...

class WarehousesChanged(_message.Message):
    __slots__ = ("warehouses",)
    WAREHOUSES_FIELD_NUMBER: _ClassVar[int]
    warehouses: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Warehouse]
    def __init__(self, warehouses: _Optional[_Iterable[_Union[_resources_pb2.Warehouse, _Mapping]]] = ...) -> None: ...

class DistributorPriceTypeSet(_message.Message):
    __slots__ = ("distributor_price_type", "previous_price_type_id")
    DISTRIBUTOR_PRICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_PRICE_TYPE_ID_FIELD_NUMBER: _ClassVar[int]
    distributor_price_type: _resources_pb2.DistributorPriceType
    previous_price_type_id: str
    def __init__(self, distributor_price_type: _Optional[_Union[_resources_pb2.DistributorPriceType, _Mapping]] = ..., previous_price_type_id: _Optional[str] = ...) -> None: ...
