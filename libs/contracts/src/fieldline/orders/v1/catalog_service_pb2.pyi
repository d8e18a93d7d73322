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

class UpsertOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UPSERT_OUTCOME_UNSPECIFIED: _ClassVar[UpsertOutcome]
    UPSERT_OUTCOME_CREATED: _ClassVar[UpsertOutcome]
    UPSERT_OUTCOME_UPDATED: _ClassVar[UpsertOutcome]
    UPSERT_OUTCOME_UNCHANGED: _ClassVar[UpsertOutcome]
    UPSERT_OUTCOME_REJECTED: _ClassVar[UpsertOutcome]
UPSERT_OUTCOME_UNSPECIFIED: UpsertOutcome
UPSERT_OUTCOME_CREATED: UpsertOutcome
UPSERT_OUTCOME_UPDATED: UpsertOutcome
UPSERT_OUTCOME_UNCHANGED: UpsertOutcome
UPSERT_OUTCOME_REJECTED: UpsertOutcome

class UpsertResult(_message.Message):
    __slots__ = ("external_id", "id", "outcome", "error")
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    external_id: str
    id: str
    outcome: UpsertOutcome
    error: str
    def __init__(self, external_id: _Optional[str] = ..., id: _Optional[str] = ..., outcome: _Optional[_Union[UpsertOutcome, str]] = ..., error: _Optional[str] = ...) -> None: ...

class UpsertProductGroupsRequest(_message.Message):
    __slots__ = ("request_id", "groups")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    groups: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ProductGroup]
    def __init__(self, request_id: _Optional[str] = ..., groups: _Optional[_Iterable[_Union[_resources_pb2.ProductGroup, _Mapping]]] = ...) -> None: ...

class UpsertProductGroupsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[UpsertResult]
    def __init__(self, results: _Optional[_Iterable[_Union[UpsertResult, _Mapping]]] = ...) -> None: ...

class UpsertProductsRequest(_message.Message):
    __slots__ = ("request_id", "products")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCTS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    products: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Product]
    def __init__(self, request_id: _Optional[str] = ..., products: _Optional[_Iterable[_Union[_resources_pb2.Product, _Mapping]]] = ...) -> None: ...

class UpsertProductsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[UpsertResult]
    def __init__(self, results: _Optional[_Iterable[_Union[UpsertResult, _Mapping]]] = ...) -> None: ...

class GetProductRequest(_message.Message):
    __slots__ = ("product_id",)
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    def __init__(self, product_id: _Optional[str] = ...) -> None: ...

class GetProductResponse(_message.Message):
    __slots__ = ("product",)
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    product: _resources_pb2.Product
    def __init__(self, product: _Optional[_Union[_resources_pb2.Product, _Mapping]] = ...) -> None: ...

class ListProductsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "group_id", "query")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    group_id: str
    query: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., group_id: _Optional[str] = ..., query: _Optional[str] = ...) -> None: ...

class ListProductsResponse(_message.Message):
    __slots__ = ("products", "next_page_token")
    PRODUCTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    products: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Product]
    next_page_token: str
    def __init__(self, products: _Optional[_Iterable[_Union[_resources_pb2.Product, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpsertPriceTypesRequest(_message.Message):
    __slots__ = ("request_id", "price_types")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_TYPES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    price_types: _containers.RepeatedCompositeFieldContainer[_resources_pb2.PriceType]
    def __init__(self, request_id: _Optional[str] = ..., price_types: _Optional[_Iterable[_Union[_resources_pb2.PriceType, _Mapping]]] = ...) -> None: ...

class UpsertPriceTypesResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[UpsertResult]
    def __init__(self, results: _Optional[_Iterable[_Union[UpsertResult, _Mapping]]] = ...) -> None: ...

class UpsertPriceListsRequest(_message.Message):
    __slots__ = ("request_id", "price_lists", "merge")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_LISTS_FIELD_NUMBER: _ClassVar[int]
    MERGE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    price_lists: _containers.RepeatedCompositeFieldContainer[_resources_pb2.PriceList]
    merge: bool
    def __init__(self, request_id: _Optional[str] = ..., price_lists: _Optional[_Iterable[_Union[_resources_pb2.PriceList, _Mapping]]] = ..., merge: _Optional[bool] = ...) -> None: ...

class UpsertPriceListsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[UpsertResult]
    def __init__(self, results: _Optional[_Iterable[_Union[UpsertResult, _Mapping]]] = ...) -> None: ...

class SetClientPriceTypeRequest(_message.Message):
    __slots__ = ("request_id", "client_id", "price_type_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_TYPE_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    client_id: str
    price_type_id: str
    def __init__(self, request_id: _Optional[str] = ..., client_id: _Optional[str] = ..., price_type_id: _Optional[str] = ...) -> None: ...

class SetClientPriceTypeResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UpsertClientPricesRequest(_message.Message):
    __slots__ = ("request_id", "prices")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PRICES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    prices: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ClientPrice]
    def __init__(self, request_id: _Optional[str] = ..., prices: _Optional[_Iterable[_Union[_resources_pb2.ClientPrice, _Mapping]]] = ...) -> None: ...

class UpsertClientPricesResponse(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class UpsertDiscountsRequest(_message.Message):
    __slots__ = ("request_id", "discounts")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DISCOUNTS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    discounts: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Discount]
    def __init__(self, request_id: _Optional[str] = ..., discounts: _Optional[_Iterable[_Union[_resources_pb2.Discount, _Mapping]]] = ...) -> None: ...

class UpsertDiscountsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[UpsertResult]
    def __init__(self, results: _Optional[_Iterable[_Union[UpsertResult, _Mapping]]] = ...) -> None: ...

class UpsertStockRequest(_message.Message):
    __slots__ = ("request_id", "levels")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    levels: _containers.RepeatedCompositeFieldContainer[_resources_pb2.StockLevel]
    def __init__(self, request_id: _Optional[str] = ..., levels: _Optional[_Iterable[_Union[_resources_pb2.StockLevel, _Mapping]]] = ...) -> None: ...

class UpsertStockResponse(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class ResolvePricesRequest(_message.Message):
    __slots__ = ("client_id", "date", "product_ids", "distributor_id")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_IDS_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    date: _date_pb2.Date
    product_ids: _containers.RepeatedScalarFieldContainer[str]
    distributor_id: str
    def __init__(self, client_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., product_ids: _Optional[_Iterable[str]] = ..., distributor_id: _Optional[str] = ...) -> None: ...

class ResolvedPrice(_message.Message):
    __slots__ = ("product_id", "unit_price", "price_source", "discount_percent", "volume_breaks", "stock_quantity")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    PRICE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_PERCENT_FIELD_NUMBER: _ClassVar[int]
    VOLUME_BREAKS_FIELD_NUMBER: _ClassVar[int]
    STOCK_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    unit_price: _money_pb2.Money
    price_source: str
    discount_percent: str
    volume_breaks: _containers.RepeatedCompositeFieldContainer[_resources_pb2.VolumeBreak]
    stock_quantity: str
    def __init__(self, product_id: _Optional[str] = ..., unit_price: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., price_source: _Optional[str] = ..., discount_percent: _Optional[str] = ..., volume_breaks: _Optional[_Iterable[_Union[_resources_pb2.VolumeBreak, _Mapping]]] = ..., stock_quantity: _Optional[str] = ...) -> None: ...

class ResolvePricesResponse(_message.Message):
    __slots__ = ("prices", "currency_code")
    PRICES_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    prices: _containers.RepeatedCompositeFieldContainer[ResolvedPrice]
    currency_code: str
    def __init__(self, prices: _Optional[_Iterable[_Union[ResolvedPrice, _Mapping]]] = ..., currency_code: _Optional[str] = ...) -> None: ...

class ListProductGroupsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListProductGroupsResponse(_message.Message):
    __slots__ = ("groups", "next_page_token")
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ProductGroup]
    next_page_token: str
    def __init__(self, groups: _Optional[_Iterable[_Union[_resources_pb2.ProductGroup, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListPriceTypesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPriceTypesResponse(_message.Message):
    __slots__ = ("price_types", "next_page_token")
    PRICE_TYPES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    price_types: _containers.RepeatedCompositeFieldContainer[_resources_pb2.PriceType]
    next_page_token: str
    def __init__(self, price_types: _Optional[_Iterable[_Union[_resources_pb2.PriceType, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListPriceListsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "price_type_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PRICE_TYPE_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    price_type_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., price_type_id: _Optional[str] = ...) -> None: ...

class ListPriceListsResponse(_message.Message):
    __slots__ = ("price_lists", "next_page_token")
    PRICE_LISTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    price_lists: _containers.RepeatedCompositeFieldContainer[_resources_pb2.PriceList]
    next_page_token: str
    def __init__(self, price_lists: _Optional[_Iterable[_Union[_resources_pb2.PriceList, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListPriceListEntriesRequest(_message.Message):
    __slots__ = ("price_list_id", "page_size", "page_token")
    PRICE_LIST_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    price_list_id: str
    page_size: int
    page_token: str
    def __init__(self, price_list_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPriceListEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token", "price_list_version")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PRICE_LIST_VERSION_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[_resources_pb2.PriceListEntry]
    next_page_token: str
    price_list_version: int
    def __init__(self, entries: _Optional[_Iterable[_Union[_resources_pb2.PriceListEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., price_list_version: _Optional[int] = ...) -> None: ...

class ListClientPriceTypesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListClientPriceTypesResponse(_message.Message):
    __slots__ = ("client_price_types", "next_page_token")
    CLIENT_PRICE_TYPES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    client_price_types: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ClientPriceType]
    next_page_token: str
    def __init__(self, client_price_types: _Optional[_Iterable[_Union[_resources_pb2.ClientPriceType, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListClientPricesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "client_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    client_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., client_id: _Optional[str] = ...) -> None: ...

class ListClientPricesResponse(_message.Message):
    __slots__ = ("prices", "next_page_token")
    PRICES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    prices: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ClientPrice]
    next_page_token: str
    def __init__(self, prices: _Optional[_Iterable[_Union[_resources_pb2.ClientPrice, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListDiscountsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDiscountsResponse(_message.Message):
    __slots__ = ("discounts", "next_page_token")
    DISCOUNTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    discounts: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Discount]
    next_page_token: str
    def __init__(self, discounts: _Optional[_Iterable[_Union[_resources_pb2.Discount, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpsertWarehousesRequest(_message.Message):
    __slots__ = ("request_id", "warehouses")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    warehouses: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Warehouse]
    def __init__(self, request_id: _Optional[str] = ..., warehouses: _Optional[_Iterable[_Union[_resources_pb2.Warehouse, _Mapping]]] = ...) -> None: ...

class UpsertWarehousesResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[UpsertResult]
    def __init__(self, results: _Optional[_Iterable[_Union[UpsertResult, _Mapping]]] = ...) -> None: ...

class ListWarehousesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "distributor_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    distributor_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., distributor_id: _Optional[str] = ...) -> None: ...

class ListWarehousesResponse(_message.Message):
    __slots__ = ("warehouses", "next_page_token")
    WAREHOUSES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    warehouses: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Warehouse]
    next_page_token: str
    def __init__(self, warehouses: _Optional[_Iterable[_Union[_resources_pb2.Warehouse, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SetDistributorPriceTypeRequest(_message.Message):
    __slots__ = ("request_id", "distributor_id", "client_id", "price_type_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_TYPE_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    distributor_id: str
    client_id: str
    price_type_id: str
    def __init__(self, request_id: _Optional[str] = ..., distributor_id: _Optional[str] = ..., client_id: _Optional[str] = ..., price_type_id: _Optional[str] = ...) -> None: ...

class SetDistributorPriceTypeResponse(_message.Message):
    __slots__ = ("distributor_price_type",)
    DISTRIBUTOR_PRICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    distributor_price_type: _resources_pb2.DistributorPriceType
    def __init__(self, distributor_price_type: _Optional[_Union[_resources_pb2.DistributorPriceType, _Mapping]] = ...) -> None: ...

class ListDistributorPriceTypesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "distributor_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    distributor_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., distributor_id: _Optional[str] = ...) -> None: ...

class ListDistributorPriceTypesResponse(_message.Message):
    __slots__ = ("distributor_price_types", "next_page_token")
    DISTRIBUTOR_PRICE_TYPES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    distributor_price_types: _containers.RepeatedCompositeFieldContainer[_resources_pb2.DistributorPriceType]
    next_page_token: str
    def __init__(self, distributor_price_types: _Optional[_Iterable[_Union[_resources_pb2.DistributorPriceType, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
