import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from google.type import money_pb2 as _money_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DiscountScope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISCOUNT_SCOPE_UNSPECIFIED: _ClassVar[DiscountScope]
    DISCOUNT_SCOPE_CLIENT: _ClassVar[DiscountScope]
    DISCOUNT_SCOPE_GROUP: _ClassVar[DiscountScope]
    DISCOUNT_SCOPE_PRODUCT: _ClassVar[DiscountScope]

class PromotionCombinability(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROMOTION_COMBINABILITY_UNSPECIFIED: _ClassVar[PromotionCombinability]
    PROMOTION_COMBINABILITY_EXCLUSIVE: _ClassVar[PromotionCombinability]
    PROMOTION_COMBINABILITY_STACKABLE: _ClassVar[PromotionCombinability]

class PromotionBudgetKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROMOTION_BUDGET_KIND_UNSPECIFIED: _ClassVar[PromotionBudgetKind]
    PROMOTION_BUDGET_KIND_MONEY: _ClassVar[PromotionBudgetKind]
    PROMOTION_BUDGET_KIND_UNITS: _ClassVar[PromotionBudgetKind]

class OrderKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_KIND_UNSPECIFIED: _ClassVar[OrderKind]
    ORDER_KIND_PRE_SALE: _ClassVar[OrderKind]
    ORDER_KIND_VAN_SALE: _ClassVar[OrderKind]

class OrderStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATUS_UNSPECIFIED: _ClassVar[OrderStatus]
    ORDER_STATUS_CREDIT_HOLD: _ClassVar[OrderStatus]
    ORDER_STATUS_SUBMITTED: _ClassVar[OrderStatus]
    ORDER_STATUS_CONFIRMED: _ClassVar[OrderStatus]
    ORDER_STATUS_SHIPPED: _ClassVar[OrderStatus]
    ORDER_STATUS_DELIVERED: _ClassVar[OrderStatus]
    ORDER_STATUS_PARTIALLY_DELIVERED: _ClassVar[OrderStatus]
    ORDER_STATUS_REJECTED: _ClassVar[OrderStatus]
    ORDER_STATUS_CANCELLED: _ClassVar[OrderStatus]

class AppliedPromotionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    APPLIED_PROMOTION_STATUS_UNSPECIFIED: _ClassVar[AppliedPromotionStatus]
    APPLIED_PROMOTION_STATUS_APPLIED: _ClassVar[AppliedPromotionStatus]
    APPLIED_PROMOTION_STATUS_NOT_ELIGIBLE: _ClassVar[AppliedPromotionStatus]
    APPLIED_PROMOTION_STATUS_ENDED: _ClassVar[AppliedPromotionStatus]
    APPLIED_PROMOTION_STATUS_STOPPED: _ClassVar[AppliedPromotionStatus]
    APPLIED_PROMOTION_STATUS_BUDGET_EXHAUSTED: _ClassVar[AppliedPromotionStatus]
    APPLIED_PROMOTION_STATUS_NOT_CHOSEN: _ClassVar[AppliedPromotionStatus]

class PromotionMatch(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROMOTION_MATCH_UNSPECIFIED: _ClassVar[PromotionMatch]
    PROMOTION_MATCH_MATCH: _ClassVar[PromotionMatch]
    PROMOTION_MATCH_DIFFERENT: _ClassVar[PromotionMatch]
    PROMOTION_MATCH_MISSING: _ClassVar[PromotionMatch]
    PROMOTION_MATCH_UNEXPECTED: _ClassVar[PromotionMatch]

class CreditOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CREDIT_OUTCOME_UNSPECIFIED: _ClassVar[CreditOutcome]
    CREDIT_OUTCOME_ALLOW: _ClassVar[CreditOutcome]
    CREDIT_OUTCOME_WARN: _ClassVar[CreditOutcome]
    CREDIT_OUTCOME_BLOCK: _ClassVar[CreditOutcome]
    CREDIT_OUTCOME_OVERRIDDEN: _ClassVar[CreditOutcome]

class OrderChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_CHANNEL_UNSPECIFIED: _ClassVar[OrderChannel]
    ORDER_CHANNEL_FIELD: _ClassVar[OrderChannel]
    ORDER_CHANNEL_PHONE: _ClassVar[OrderChannel]

class ContactKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTACT_KIND_UNSPECIFIED: _ClassVar[ContactKind]
    CONTACT_KIND_VISIT: _ClassVar[ContactKind]
    CONTACT_KIND_CALL: _ClassVar[ContactKind]
DISCOUNT_SCOPE_UNSPECIFIED: DiscountScope
DISCOUNT_SCOPE_CLIENT: DiscountScope
DISCOUNT_SCOPE_GROUP: DiscountScope
DISCOUNT_SCOPE_PRODUCT: DiscountScope
PROMOTION_COMBINABILITY_UNSPECIFIED: PromotionCombinability
PROMOTION_COMBINABILITY_EXCLUSIVE: PromotionCombinability
PROMOTION_COMBINABILITY_STACKABLE: PromotionCombinability
PROMOTION_BUDGET_KIND_UNSPECIFIED: PromotionBudgetKind
PROMOTION_BUDGET_KIND_MONEY: PromotionBudgetKind
PROMOTION_BUDGET_KIND_UNITS: PromotionBudgetKind
ORDER_KIND_UNSPECIFIED: OrderKind
ORDER_KIND_PRE_SALE: OrderKind
ORDER_KIND_VAN_SALE: OrderKind
ORDER_STATUS_UNSPECIFIED: OrderStatus
ORDER_STATUS_CREDIT_HOLD: OrderStatus
ORDER_STATUS_SUBMITTED: OrderStatus
ORDER_STATUS_CONFIRMED: OrderStatus
ORDER_STATUS_SHIPPED: OrderStatus
ORDER_STATUS_DELIVERED: OrderStatus
ORDER_STATUS_PARTIALLY_DELIVERED: OrderStatus
ORDER_STATUS_REJECTED: OrderStatus
ORDER_STATUS_CANCELLED: OrderStatus
APPLIED_PROMOTION_STATUS_UNSPECIFIED: AppliedPromotionStatus
APPLIED_PROMOTION_STATUS_APPLIED: AppliedPromotionStatus
APPLIED_PROMOTION_STATUS_NOT_ELIGIBLE: AppliedPromotionStatus
APPLIED_PROMOTION_STATUS_ENDED: AppliedPromotionStatus
APPLIED_PROMOTION_STATUS_STOPPED: AppliedPromotionStatus
APPLIED_PROMOTION_STATUS_BUDGET_EXHAUSTED: AppliedPromotionStatus
APPLIED_PROMOTION_STATUS_NOT_CHOSEN: AppliedPromotionStatus
PROMOTION_MATCH_UNSPECIFIED: PromotionMatch
PROMOTION_MATCH_MATCH: PromotionMatch
PROMOTION_MATCH_DIFFERENT: PromotionMatch
PROMOTION_MATCH_MISSING: PromotionMatch
PROMOTION_MATCH_UNEXPECTED: PromotionMatch
CREDIT_OUTCOME_UNSPECIFIED: CreditOutcome
CREDIT_OUTCOME_ALLOW: CreditOutcome
CREDIT_OUTCOME_WARN: CreditOutcome
CREDIT_OUTCOME_BLOCK: CreditOutcome
CREDIT_OUTCOME_OVERRIDDEN: CreditOutcome
ORDER_CHANNEL_UNSPECIFIED: OrderChannel
ORDER_CHANNEL_FIELD: OrderChannel
ORDER_CHANNEL_PHONE: OrderChannel
CONTACT_KIND_UNSPECIFIED: ContactKind
CONTACT_KIND_VISIT: ContactKind
CONTACT_KIND_CALL: ContactKind

class ProductGroup(_message.Message):
    __slots__ = ("id", "external_id", "name", "parent_id", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    external_id: str
    name: str
    parent_id: str
    version: int
    def __init__(self, id: _Optional[str] = ..., external_id: _Optional[str] = ..., name: _Optional[str] = ..., parent_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class ProductUnit(_message.Message):
    __slots__ = ("code", "name", "ratio")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RATIO_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    ratio: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., ratio: _Optional[str] = ...) -> None: ...

class Product(_message.Message):
    __slots__ = ("id", "external_id", "sku", "name", "group_id", "barcodes", "vat_rate", "base_unit", "units", "pack_unit", "container_type", "containers_per_unit", "active", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    BARCODES_FIELD_NUMBER: _ClassVar[int]
    VAT_RATE_FIELD_NUMBER: _ClassVar[int]
    BASE_UNIT_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    PACK_UNIT_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTAINERS_PER_UNIT_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    external_id: str
    sku: str
    name: str
    group_id: str
    barcodes: _containers.RepeatedScalarFieldContainer[str]
    vat_rate: str
    base_unit: str
    units: _containers.RepeatedCompositeFieldContainer[ProductUnit]
    pack_unit: str
    container_type: str
    containers_per_unit: str
    active: bool
    version: int
    def __init__(self, id: _Optional[str] = ..., external_id: _Optional[str] = ..., sku: _Optional[str] = ..., name: _Optional[str] = ..., group_id: _Optional[str] = ..., barcodes: _Optional[_Iterable[str]] = ..., vat_rate: _Optional[str] = ..., base_unit: _Optional[str] = ..., units: _Optional[_Iterable[_Union[ProductUnit, _Mapping]]] = ..., pack_unit: _Optional[str] = ..., container_type: _Optional[str] = ..., containers_per_unit: _Optional[str] = ..., active: _Optional[bool] = ..., version: _Optional[int] = ...) -> None: ...

class PriceType(_message.Message):
    __slots__ = ("id", "external_id", "name", "currency_code", "vat_included", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    VAT_INCLUDED_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    external_id: str
    name: str
    currency_code: str
    vat_included: bool
    version: int
    def __init__(self, id: _Optional[str] = ..., external_id: _Optional[str] = ..., name: _Optional[str] = ..., currency_code: _Optional[str] = ..., vat_included: _Optional[bool] = ..., version: _Optional[int] = ...) -> None: ...

class PriceListEntry(_message.Message):
    __slots__ = ("product_id", "price")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    price: _money_pb2.Money
    def __init__(self, product_id: _Optional[str] = ..., price: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class PriceList(_message.Message):
    __slots__ = ("id", "external_id", "price_type_id", "valid_from", "valid_to", "entries", "version", "entry_count", "removed_product_ids")
    ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_TYPE_ID_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ENTRY_COUNT_FIELD_NUMBER: _ClassVar[int]
    REMOVED_PRODUCT_IDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    external_id: str
    price_type_id: str
    valid_from: _date_pb2.Date
    valid_to: _date_pb2.Date
    entries: _containers.RepeatedCompositeFieldContainer[PriceListEntry]
    version: int
    entry_count: int
    removed_product_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., external_id: _Optional[str] = ..., price_type_id: _Optional[str] = ..., valid_from: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., valid_to: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., entries: _Optional[_Iterable[_Union[PriceListEntry, _Mapping]]] = ..., version: _Optional[int] = ..., entry_count: _Optional[int] = ..., removed_product_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ClientPrice(_message.Message):
    __slots__ = ("client_id", "product_id", "price", "valid_from", "valid_to", "version")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    product_id: str
    price: _money_pb2.Money
    valid_from: _date_pb2.Date
    valid_to: _date_pb2.Date
    version: int
    def __init__(self, client_id: _Optional[str] = ..., product_id: _Optional[str] = ..., price: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., valid_from: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., valid_to: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class ClientPriceType(_message.Message):
    __slots__ = ("client_id", "price_type_id", "version")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_TYPE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    price_type_id: str
    version: int
    def __init__(self, client_id: _Optional[str] = ..., price_type_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class VolumeBreak(_message.Message):
    __slots__ = ("min_quantity", "percent")
    MIN_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    min_quantity: str
    percent: str
    def __init__(self, min_quantity: _Optional[str] = ..., percent: _Optional[str] = ...) -> None: ...

class Discount(_message.Message):
    __slots__ = ("id", "external_id", "scope", "client_id", "group_id", "product_id", "percent", "volume_breaks", "valid_from", "valid_to", "version", "distributor_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    VOLUME_BREAKS_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    external_id: str
    scope: DiscountScope
    client_id: str
    group_id: str
    product_id: str
    percent: str
    volume_breaks: _containers.RepeatedCompositeFieldContainer[VolumeBreak]
    valid_from: _date_pb2.Date
    valid_to: _date_pb2.Date
    version: int
    distributor_id: str
    def __init__(self, id: _Optional[str] = ..., external_id: _Optional[str] = ..., scope: _Optional[_Union[DiscountScope, str]] = ..., client_id: _Optional[str] = ..., group_id: _Optional[str] = ..., product_id: _Optional[str] = ..., percent: _Optional[str] = ..., volume_breaks: _Optional[_Iterable[_Union[VolumeBreak, _Mapping]]] = ..., valid_from: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., valid_to: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., version: _Optional[int] = ..., distributor_id: _Optional[str] = ...) -> None: ...

class Warehouse(_message.Message):
    __slots__ = ("id", "external_id", "name", "distributor_id", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    external_id: str
    name: str
    distributor_id: str
    version: int
    def __init__(self, id: _Optional[str] = ..., external_id: _Optional[str] = ..., name: _Optional[str] = ..., distributor_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class DistributorPriceType(_message.Message):
    __slots__ = ("distributor_id", "client_id", "price_type_id", "version")
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_TYPE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    distributor_id: str
    client_id: str
    price_type_id: str
    version: int
    def __init__(self, distributor_id: _Optional[str] = ..., client_id: _Optional[str] = ..., price_type_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class PromotionTargeting(_message.Message):
    __slots__ = ("client_ids", "outlet_ids", "outlet_channels", "territory_ids", "order_kinds", "order_channels", "distributor_ids")
    CLIENT_IDS_FIELD_NUMBER: _ClassVar[int]
    OUTLET_IDS_FIELD_NUMBER: _ClassVar[int]
    OUTLET_CHANNELS_FIELD_NUMBER: _ClassVar[int]
    TERRITORY_IDS_FIELD_NUMBER: _ClassVar[int]
    ORDER_KINDS_FIELD_NUMBER: _ClassVar[int]
    ORDER_CHANNELS_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_IDS_FIELD_NUMBER: _ClassVar[int]
    client_ids: _containers.RepeatedScalarFieldContainer[str]
    outlet_ids: _containers.RepeatedScalarFieldContainer[str]
    outlet_channels: _containers.RepeatedScalarFieldContainer[str]
    territory_ids: _containers.RepeatedScalarFieldContainer[str]
    order_kinds: _containers.RepeatedScalarFieldContainer[OrderKind]
    order_channels: _containers.RepeatedScalarFieldContainer[OrderChannel]
    distributor_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, client_ids: _Optional[_Iterable[str]] = ..., outlet_ids: _Optional[_Iterable[str]] = ..., outlet_channels: _Optional[_Iterable[str]] = ..., territory_ids: _Optional[_Iterable[str]] = ..., order_kinds: _Optional[_Iterable[_Union[OrderKind, str]]] = ..., order_channels: _Optional[_Iterable[_Union[OrderChannel, str]]] = ..., distributor_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class PercentOff(_message.Message):
    __slots__ = ("percent",)
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    percent: str
    def __init__(self, percent: _Optional[str] = ...) -> None: ...

class AmountOff(_message.Message):
    __slots__ = ("amount",)
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    amount: str
    def __init__(self, amount: _Optional[str] = ...) -> None: ...

class FreeGoods(_message.Message):
    __slots__ = ("buy_quantity", "free_product_id", "free_quantity", "repeat")
    BUY_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    FREE_PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    FREE_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REPEAT_FIELD_NUMBER: _ClassVar[int]
    buy_quantity: str
    free_product_id: str
    free_quantity: str
    repeat: bool
    def __init__(self, buy_quantity: _Optional[str] = ..., free_product_id: _Optional[str] = ..., free_quantity: _Optional[str] = ..., repeat: _Optional[bool] = ...) -> None: ...

class Gift(_message.Message):
    __slots__ = ("min_gross", "min_base_quantity", "gift_product_id", "gift_quantity")
    MIN_GROSS_FIELD_NUMBER: _ClassVar[int]
    MIN_BASE_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    GIFT_PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    GIFT_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    min_gross: str
    min_base_quantity: str
    gift_product_id: str
    gift_quantity: str
    def __init__(self, min_gross: _Optional[str] = ..., min_base_quantity: _Optional[str] = ..., gift_product_id: _Optional[str] = ..., gift_quantity: _Optional[str] = ...) -> None: ...

class BundleComponent(_message.Message):
    __slots__ = ("product_id", "base_quantity")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    base_quantity: str
    def __init__(self, product_id: _Optional[str] = ..., base_quantity: _Optional[str] = ...) -> None: ...

class BundlePrice(_message.Message):
    __slots__ = ("components", "price")
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    components: _containers.RepeatedCompositeFieldContainer[BundleComponent]
    price: str
    def __init__(self, components: _Optional[_Iterable[_Union[BundleComponent, _Mapping]]] = ..., price: _Optional[str] = ...) -> None: ...

class PromotionBudget(_message.Message):
    __slots__ = ("kind", "total", "consumed")
    KIND_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    CONSUMED_FIELD_NUMBER: _ClassVar[int]
    kind: PromotionBudgetKind
    total: str
    consumed: str
    def __init__(self, kind: _Optional[_Union[PromotionBudgetKind, str]] = ..., total: _Optional[str] = ..., consumed: _Optional[str] = ...) -> None: ...

class Promotion(_message.Message):
    __slots__ = ("id", "external_id", "name", "description", "valid_from", "valid_to", "currency_code", "stopped", "stop_time", "targeting", "product_ids", "group_ids", "percent_off", "amount_off", "free_goods", "gift", "bundle_price", "combinability", "priority", "budget", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    STOPPED_FIELD_NUMBER: _ClassVar[int]
    STOP_TIME_FIELD_NUMBER: _ClassVar[int]
    TARGETING_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_IDS_FIELD_NUMBER: _ClassVar[int]
    GROUP_IDS_FIELD_NUMBER: _ClassVar[int]
    PERCENT_OFF_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_OFF_FIELD_NUMBER: _ClassVar[int]
    FREE_GOODS_FIELD_NUMBER: _ClassVar[int]
    GIFT_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_PRICE_FIELD_NUMBER: _ClassVar[int]
    COMBINABILITY_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    external_id: str
    name: str
    description: str
    valid_from: _date_pb2.Date
    valid_to: _date_pb2.Date
    currency_code: str
    stopped: bool
    stop_time: _timestamp_pb2.Timestamp
    targeting: PromotionTargeting
    product_ids: _containers.RepeatedScalarFieldContainer[str]
    group_ids: _containers.RepeatedScalarFieldContainer[str]
    percent_off: PercentOff
    amount_off: AmountOff
    free_goods: FreeGoods
    gift: Gift
    bundle_price: BundlePrice
    combinability: PromotionCombinability
    priority: int
    budget: PromotionBudget
    version: int
    def __init__(self, id: _Optional[str] = ..., external_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., valid_from: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., valid_to: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., currency_code: _Optional[str] = ..., stopped: _Optional[bool] = ..., stop_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., targeting: _Optional[_Union[PromotionTargeting, _Mapping]] = ..., product_ids: _Optional[_Iterable[str]] = ..., group_ids: _Optional[_Iterable[str]] = ..., percent_off: _Optional[_Union[PercentOff, _Mapping]] = ..., amount_off: _Optional[_Union[AmountOff, _Mapping]] = ..., free_goods: _Optional[_Union[FreeGoods, _Mapping]] = ..., gift: _Optional[_Union[Gift, _Mapping]] = ..., bundle_price: _Optional[_Union[BundlePrice, _Mapping]] = ..., combinability: _Optional[_Union[PromotionCombinability, str]] = ..., priority: _Optional[int] = ..., budget: _Optional[_Union[PromotionBudget, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class StockLevel(_message.Message):
    __slots__ = ("warehouse_id", "product_id", "quantity")
    WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    warehouse_id: str
    product_id: str
    quantity: str
    def __init__(self, warehouse_id: _Optional[str] = ..., product_id: _Optional[str] = ..., quantity: _Optional[str] = ...) -> None: ...

class OrderLine(_message.Message):
    __slots__ = ("product_id", "unit", "quantity", "base_quantity", "unit_price", "price_source", "rule_discount_percent", "manual_discount_percent", "net_amount", "vat_rate", "vat_amount", "gross_amount", "delivered_base_quantity", "container_type", "container_quantity", "promotion_discount", "promotions", "free_of_charge", "promotion_id")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    BASE_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    PRICE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    RULE_DISCOUNT_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MANUAL_DISCOUNT_PERCENT_FIELD_NUMBER: _ClassVar[int]
    NET_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    VAT_RATE_FIELD_NUMBER: _ClassVar[int]
    VAT_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    GROSS_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_BASE_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    PROMOTIONS_FIELD_NUMBER: _ClassVar[int]
    FREE_OF_CHARGE_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    unit: str
    quantity: str
    base_quantity: str
    unit_price: _money_pb2.Money
    price_source: str
    rule_discount_percent: str
    manual_discount_percent: str
    net_amount: _money_pb2.Money
    vat_rate: str
    vat_amount: _money_pb2.Money
    gross_amount: _money_pb2.Money
    delivered_base_quantity: str
    container_type: str
    container_quantity: str
    promotion_discount: _money_pb2.Money
    promotions: _containers.RepeatedCompositeFieldContainer[LinePromotion]
    free_of_charge: bool
    promotion_id: str
    def __init__(self, product_id: _Optional[str] = ..., unit: _Optional[str] = ..., quantity: _Optional[str] = ..., base_quantity: _Optional[str] = ..., unit_price: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., price_source: _Optional[str] = ..., rule_discount_percent: _Optional[str] = ..., manual_discount_percent: _Optional[str] = ..., net_amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., vat_rate: _Optional[str] = ..., vat_amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., gross_amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., delivered_base_quantity: _Optional[str] = ..., container_type: _Optional[str] = ..., container_quantity: _Optional[str] = ..., promotion_discount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., promotions: _Optional[_Iterable[_Union[LinePromotion, _Mapping]]] = ..., free_of_charge: _Optional[bool] = ..., promotion_id: _Optional[str] = ...) -> None: ...

class LinePromotion(_message.Message):
    __slots__ = ("promotion_id", "benefit", "formula")
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    BENEFIT_FIELD_NUMBER: _ClassVar[int]
    FORMULA_FIELD_NUMBER: _ClassVar[int]
    promotion_id: str
    benefit: _money_pb2.Money
    formula: str
    def __init__(self, promotion_id: _Optional[str] = ..., benefit: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., formula: _Optional[str] = ...) -> None: ...

class AppliedPromotion(_message.Message):
    __slots__ = ("promotion_id", "name", "status", "benefit", "budget_consumed", "explanation", "match", "expected_benefit")
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    BENEFIT_FIELD_NUMBER: _ClassVar[int]
    BUDGET_CONSUMED_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    MATCH_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_BENEFIT_FIELD_NUMBER: _ClassVar[int]
    promotion_id: str
    name: str
    status: AppliedPromotionStatus
    benefit: _money_pb2.Money
    budget_consumed: str
    explanation: str
    match: PromotionMatch
    expected_benefit: _money_pb2.Money
    def __init__(self, promotion_id: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[_Union[AppliedPromotionStatus, str]] = ..., benefit: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., budget_consumed: _Optional[str] = ..., explanation: _Optional[str] = ..., match: _Optional[_Union[PromotionMatch, str]] = ..., expected_benefit: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class ExpectedPromotion(_message.Message):
    __slots__ = ("promotion_id", "benefit", "free_lines")
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    BENEFIT_FIELD_NUMBER: _ClassVar[int]
    FREE_LINES_FIELD_NUMBER: _ClassVar[int]
    promotion_id: str
    benefit: _money_pb2.Money
    free_lines: _containers.RepeatedCompositeFieldContainer[ExpectedFreeLine]
    def __init__(self, promotion_id: _Optional[str] = ..., benefit: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., free_lines: _Optional[_Iterable[_Union[ExpectedFreeLine, _Mapping]]] = ...) -> None: ...

class ExpectedFreeLine(_message.Message):
    __slots__ = ("product_id", "base_quantity")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    base_quantity: str
    def __init__(self, product_id: _Optional[str] = ..., base_quantity: _Optional[str] = ...) -> None: ...

class CreditDecision(_message.Message):
    __slots__ = ("outcome", "reasons", "fallback", "override_by", "override_reason", "decide_time")
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_FIELD_NUMBER: _ClassVar[int]
    OVERRIDE_BY_FIELD_NUMBER: _ClassVar[int]
    OVERRIDE_REASON_FIELD_NUMBER: _ClassVar[int]
    DECIDE_TIME_FIELD_NUMBER: _ClassVar[int]
    outcome: CreditOutcome
    reasons: _containers.RepeatedScalarFieldContainer[str]
    fallback: bool
    override_by: str
    override_reason: str
    decide_time: _timestamp_pb2.Timestamp
    def __init__(self, outcome: _Optional[_Union[CreditOutcome, str]] = ..., reasons: _Optional[_Iterable[str]] = ..., fallback: _Optional[bool] = ..., override_by: _Optional[str] = ..., override_reason: _Optional[str] = ..., decide_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("id", "kind", "status", "client_id", "outlet_id", "agent_id", "distributor_id", "warehouse_id", "order_date", "delivery_date", "lines", "currency_code", "net_total", "vat_total", "gross_total", "credit", "comment", "status_reason", "version", "create_time", "update_time", "visit_id", "channel", "taken_by", "call_id", "revision", "promotions", "expected_promotions")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_DATE_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_DATE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    NET_TOTAL_FIELD_NUMBER: _ClassVar[int]
    VAT_TOTAL_FIELD_NUMBER: _ClassVar[int]
    GROSS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TAKEN_BY_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    PROMOTIONS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_PROMOTIONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: OrderKind
    status: OrderStatus
    client_id: str
    outlet_id: str
    agent_id: str
    distributor_id: str
    warehouse_id: str
    order_date: _date_pb2.Date
    delivery_date: _date_pb2.Date
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    currency_code: str
    net_total: _money_pb2.Money
    vat_total: _money_pb2.Money
    gross_total: _money_pb2.Money
    credit: CreditDecision
    comment: str
    status_reason: str
    version: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    visit_id: str
    channel: OrderChannel
    taken_by: str
    call_id: str
    revision: int
    promotions: _containers.RepeatedCompositeFieldContainer[AppliedPromotion]
    expected_promotions: _containers.RepeatedCompositeFieldContainer[ExpectedPromotion]
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[_Union[OrderKind, str]] = ..., status: _Optional[_Union[OrderStatus, str]] = ..., client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., distributor_id: _Optional[str] = ..., warehouse_id: _Optional[str] = ..., order_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., delivery_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., currency_code: _Optional[str] = ..., net_total: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., vat_total: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., gross_total: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., credit: _Optional[_Union[CreditDecision, _Mapping]] = ..., comment: _Optional[str] = ..., status_reason: _Optional[str] = ..., version: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., visit_id: _Optional[str] = ..., channel: _Optional[_Union[OrderChannel, str]] = ..., taken_by: _Optional[str] = ..., call_id: _Optional[str] = ..., revision: _Optional[int] = ..., promotions: _Optional[_Iterable[_Union[AppliedPromotion, _Mapping]]] = ..., expected_promotions: _Optional[_Iterable[_Union[ExpectedPromotion, _Mapping]]] = ...) -> None: ...

class OrderRevision(_message.Message):
    __slots__ = ("revision", "lines", "delivery_date", "warehouse_id", "comment", "currency_code", "net_total", "vat_total", "gross_total", "credit", "amended_by", "amend_time", "amendment_id", "promotions")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_DATE_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    NET_TOTAL_FIELD_NUMBER: _ClassVar[int]
    VAT_TOTAL_FIELD_NUMBER: _ClassVar[int]
    GROSS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    AMENDED_BY_FIELD_NUMBER: _ClassVar[int]
    AMEND_TIME_FIELD_NUMBER: _ClassVar[int]
    AMENDMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROMOTIONS_FIELD_NUMBER: _ClassVar[int]
    revision: int
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    delivery_date: _date_pb2.Date
    warehouse_id: str
    comment: str
    currency_code: str
    net_total: _money_pb2.Money
    vat_total: _money_pb2.Money
    gross_total: _money_pb2.Money
    credit: CreditDecision
    amended_by: str
    amend_time: _timestamp_pb2.Timestamp
    amendment_id: str
    promotions: _containers.RepeatedCompositeFieldContainer[AppliedPromotion]
    def __init__(self, revision: _Optional[int] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., delivery_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., warehouse_id: _Optional[str] = ..., comment: _Optional[str] = ..., currency_code: _Optional[str] = ..., net_total: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., vat_total: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., gross_total: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., credit: _Optional[_Union[CreditDecision, _Mapping]] = ..., amended_by: _Optional[str] = ..., amend_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., amendment_id: _Optional[str] = ..., promotions: _Optional[_Iterable[_Union[AppliedPromotion, _Mapping]]] = ...) -> None: ...

class ContactSales(_message.Message):
    __slots__ = ("contact_id", "kind", "employee_id", "outlet_id", "date", "orders", "van_sales", "returns", "lines", "gross_total", "mismatched", "productive", "productive_minimum", "order_ids", "return_ids", "version", "update_time")
    CONTACT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    VAN_SALES_FIELD_NUMBER: _ClassVar[int]
    RETURNS_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    GROSS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    MISMATCHED_FIELD_NUMBER: _ClassVar[int]
    PRODUCTIVE_FIELD_NUMBER: _ClassVar[int]
    PRODUCTIVE_MINIMUM_FIELD_NUMBER: _ClassVar[int]
    ORDER_IDS_FIELD_NUMBER: _ClassVar[int]
    RETURN_IDS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    contact_id: str
    kind: ContactKind
    employee_id: str
    outlet_id: str
    date: _date_pb2.Date
    orders: int
    van_sales: int
    returns: int
    lines: int
    gross_total: _money_pb2.Money
    mismatched: bool
    productive: bool
    productive_minimum: _money_pb2.Money
    order_ids: _containers.RepeatedScalarFieldContainer[str]
    return_ids: _containers.RepeatedScalarFieldContainer[str]
    version: int
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, contact_id: _Optional[str] = ..., kind: _Optional[_Union[ContactKind, str]] = ..., employee_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., orders: _Optional[int] = ..., van_sales: _Optional[int] = ..., returns: _Optional[int] = ..., lines: _Optional[int] = ..., gross_total: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., mismatched: _Optional[bool] = ..., productive: _Optional[bool] = ..., productive_minimum: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., order_ids: _Optional[_Iterable[str]] = ..., return_ids: _Optional[_Iterable[str]] = ..., version: _Optional[int] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
