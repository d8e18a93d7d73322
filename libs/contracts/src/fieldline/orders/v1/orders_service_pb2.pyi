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

class RecommendationReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECOMMENDATION_REASON_UNSPECIFIED: _ClassVar[RecommendationReason]
    RECOMMENDATION_REASON_SALES_HISTORY: _ClassVar[RecommendationReason]
    RECOMMENDATION_REASON_MUST_STOCK: _ClassVar[RecommendationReason]
RECOMMENDATION_REASON_UNSPECIFIED: RecommendationReason
RECOMMENDATION_REASON_SALES_HISTORY: RecommendationReason
RECOMMENDATION_REASON_MUST_STOCK: RecommendationReason

class OrderLineInput(_message.Message):
    __slots__ = ("product_id", "unit", "quantity", "manual_discount_percent")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    MANUAL_DISCOUNT_PERCENT_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    unit: str
    quantity: str
    manual_discount_percent: str
    def __init__(self, product_id: _Optional[str] = ..., unit: _Optional[str] = ..., quantity: _Optional[str] = ..., manual_discount_percent: _Optional[str] = ...) -> None: ...

class CreditOverride(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class SubmitOrderRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "client_id", "outlet_id", "distributor_id", "warehouse_id", "order_date", "delivery_date", "lines", "comment", "credit_override", "visit_id", "channel", "call_id", "credited_agent_id", "expected_promotions")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_DATE_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_DATE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    CREDIT_OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    CREDITED_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_PROMOTIONS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    client_id: str
    outlet_id: str
    distributor_id: str
    warehouse_id: str
    order_date: _date_pb2.Date
    delivery_date: _date_pb2.Date
    lines: _containers.RepeatedCompositeFieldContainer[OrderLineInput]
    comment: str
    credit_override: CreditOverride
    visit_id: str
    channel: _resources_pb2.OrderChannel
    call_id: str
    credited_agent_id: str
    expected_promotions: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ExpectedPromotion]
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., distributor_id: _Optional[str] = ..., warehouse_id: _Optional[str] = ..., order_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., delivery_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[OrderLineInput, _Mapping]]] = ..., comment: _Optional[str] = ..., credit_override: _Optional[_Union[CreditOverride, _Mapping]] = ..., visit_id: _Optional[str] = ..., channel: _Optional[_Union[_resources_pb2.OrderChannel, str]] = ..., call_id: _Optional[str] = ..., credited_agent_id: _Optional[str] = ..., expected_promotions: _Optional[_Iterable[_Union[_resources_pb2.ExpectedPromotion, _Mapping]]] = ...) -> None: ...

class SubmitOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _resources_pb2.Order
    def __init__(self, order: _Optional[_Union[_resources_pb2.Order, _Mapping]] = ...) -> None: ...

class GetOrderRequest(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    def __init__(self, order_id: _Optional[str] = ...) -> None: ...

class GetOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _resources_pb2.Order
    def __init__(self, order: _Optional[_Union[_resources_pb2.Order, _Mapping]] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "agent_id", "client_id", "outlet_id", "distributor_id", "status", "from_date", "to_date", "visit_id", "channel", "taken_by")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TAKEN_BY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    agent_id: str
    client_id: str
    outlet_id: str
    distributor_id: str
    status: _resources_pb2.OrderStatus
    from_date: _date_pb2.Date
    to_date: _date_pb2.Date
    visit_id: str
    channel: _resources_pb2.OrderChannel
    taken_by: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., agent_id: _Optional[str] = ..., client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., distributor_id: _Optional[str] = ..., status: _Optional[_Union[_resources_pb2.OrderStatus, str]] = ..., from_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., to_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., visit_id: _Optional[str] = ..., channel: _Optional[_Union[_resources_pb2.OrderChannel, str]] = ..., taken_by: _Optional[str] = ...) -> None: ...

class ListOrdersResponse(_message.Message):
    __slots__ = ("orders", "next_page_token")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Order]
    next_page_token: str
    def __init__(self, orders: _Optional[_Iterable[_Union[_resources_pb2.Order, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeliveredLine(_message.Message):
    __slots__ = ("product_id", "base_quantity")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    base_quantity: str
    def __init__(self, product_id: _Optional[str] = ..., base_quantity: _Optional[str] = ...) -> None: ...

class UpdateOrderStatusRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "status", "delivered", "reason", "expected_revision")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    status: _resources_pb2.OrderStatus
    delivered: _containers.RepeatedCompositeFieldContainer[DeliveredLine]
    reason: str
    expected_revision: int
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., status: _Optional[_Union[_resources_pb2.OrderStatus, str]] = ..., delivered: _Optional[_Iterable[_Union[DeliveredLine, _Mapping]]] = ..., reason: _Optional[str] = ..., expected_revision: _Optional[int] = ...) -> None: ...

class UpdateOrderStatusResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _resources_pb2.Order
    def __init__(self, order: _Optional[_Union[_resources_pb2.Order, _Mapping]] = ...) -> None: ...

class AmendOrderRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "amendment_id", "expected_revision", "lines", "delivery_date", "warehouse_id", "comment", "credit_override", "expected_promotions")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    AMENDMENT_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_DATE_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    CREDIT_OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_PROMOTIONS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    amendment_id: str
    expected_revision: int
    lines: _containers.RepeatedCompositeFieldContainer[OrderLineInput]
    delivery_date: _date_pb2.Date
    warehouse_id: str
    comment: str
    credit_override: CreditOverride
    expected_promotions: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ExpectedPromotion]
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., amendment_id: _Optional[str] = ..., expected_revision: _Optional[int] = ..., lines: _Optional[_Iterable[_Union[OrderLineInput, _Mapping]]] = ..., delivery_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., warehouse_id: _Optional[str] = ..., comment: _Optional[str] = ..., credit_override: _Optional[_Union[CreditOverride, _Mapping]] = ..., expected_promotions: _Optional[_Iterable[_Union[_resources_pb2.ExpectedPromotion, _Mapping]]] = ...) -> None: ...

class AmendOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _resources_pb2.Order
    def __init__(self, order: _Optional[_Union[_resources_pb2.Order, _Mapping]] = ...) -> None: ...

class CancelOrderRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "expected_revision", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    expected_revision: int
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., expected_revision: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _resources_pb2.Order
    def __init__(self, order: _Optional[_Union[_resources_pb2.Order, _Mapping]] = ...) -> None: ...

class ListOrderRevisionsRequest(_message.Message):
    __slots__ = ("order_id", "page_size", "page_token")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    page_size: int
    page_token: str
    def __init__(self, order_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOrderRevisionsResponse(_message.Message):
    __slots__ = ("revisions", "next_page_token")
    REVISIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    revisions: _containers.RepeatedCompositeFieldContainer[_resources_pb2.OrderRevision]
    next_page_token: str
    def __init__(self, revisions: _Optional[_Iterable[_Union[_resources_pb2.OrderRevision, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetFulfilmentReportRequest(_message.Message):
    __slots__ = ("from_date", "to_date", "distributor_id", "agent_id", "late_after_days")
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    LATE_AFTER_DAYS_FIELD_NUMBER: _ClassVar[int]
    from_date: _date_pb2.Date
    to_date: _date_pb2.Date
    distributor_id: str
    agent_id: str
    late_after_days: int
    def __init__(self, from_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., to_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., distributor_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., late_after_days: _Optional[int] = ...) -> None: ...

class FulfilmentRow(_message.Message):
    __slots__ = ("dimension", "key", "orders", "ordered_quantity", "delivered_quantity", "fill_rate_percent", "late_orders", "unfulfilled_orders", "late_order_ids")
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    ORDERED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    FILL_RATE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    LATE_ORDERS_FIELD_NUMBER: _ClassVar[int]
    UNFULFILLED_ORDERS_FIELD_NUMBER: _ClassVar[int]
    LATE_ORDER_IDS_FIELD_NUMBER: _ClassVar[int]
    dimension: str
    key: str
    orders: int
    ordered_quantity: str
    delivered_quantity: str
    fill_rate_percent: str
    late_orders: int
    unfulfilled_orders: int
    late_order_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, dimension: _Optional[str] = ..., key: _Optional[str] = ..., orders: _Optional[int] = ..., ordered_quantity: _Optional[str] = ..., delivered_quantity: _Optional[str] = ..., fill_rate_percent: _Optional[str] = ..., late_orders: _Optional[int] = ..., unfulfilled_orders: _Optional[int] = ..., late_order_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class GetFulfilmentReportResponse(_message.Message):
    __slots__ = ("rows",)
    ROWS_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[FulfilmentRow]
    def __init__(self, rows: _Optional[_Iterable[_Union[FulfilmentRow, _Mapping]]] = ...) -> None: ...

class GetRecommendedOrderRequest(_message.Message):
    __slots__ = ("outlet_id", "date")
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    outlet_id: str
    date: _date_pb2.Date
    def __init__(self, outlet_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class RecommendationExplanation(_message.Message):
    __slots__ = ("sold_quantity", "window_days", "average_daily_sales", "days_until_next_visit", "safety_stock", "shelf_quantity", "pack_size", "formula", "shelf_count_date", "shelf_ignored_reason", "next_contact_kind")
    SOLD_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    WINDOW_DAYS_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_DAILY_SALES_FIELD_NUMBER: _ClassVar[int]
    DAYS_UNTIL_NEXT_VISIT_FIELD_NUMBER: _ClassVar[int]
    SAFETY_STOCK_FIELD_NUMBER: _ClassVar[int]
    SHELF_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PACK_SIZE_FIELD_NUMBER: _ClassVar[int]
    FORMULA_FIELD_NUMBER: _ClassVar[int]
    SHELF_COUNT_DATE_FIELD_NUMBER: _ClassVar[int]
    SHELF_IGNORED_REASON_FIELD_NUMBER: _ClassVar[int]
    NEXT_CONTACT_KIND_FIELD_NUMBER: _ClassVar[int]
    sold_quantity: str
    window_days: int
    average_daily_sales: str
    days_until_next_visit: int
    safety_stock: str
    shelf_quantity: str
    pack_size: str
    formula: str
    shelf_count_date: _date_pb2.Date
    shelf_ignored_reason: str
    next_contact_kind: _resources_pb2.ContactKind
    def __init__(self, sold_quantity: _Optional[str] = ..., window_days: _Optional[int] = ..., average_daily_sales: _Optional[str] = ..., days_until_next_visit: _Optional[int] = ..., safety_stock: _Optional[str] = ..., shelf_quantity: _Optional[str] = ..., pack_size: _Optional[str] = ..., formula: _Optional[str] = ..., shelf_count_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., shelf_ignored_reason: _Optional[str] = ..., next_contact_kind: _Optional[_Union[_resources_pb2.ContactKind, str]] = ...) -> None: ...

class RecommendedLine(_message.Message):
    __slots__ = ("product_id", "quantity", "unit", "base_quantity", "reason", "explanation")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    BASE_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    quantity: str
    unit: str
    base_quantity: str
    reason: RecommendationReason
    explanation: RecommendationExplanation
    def __init__(self, product_id: _Optional[str] = ..., quantity: _Optional[str] = ..., unit: _Optional[str] = ..., base_quantity: _Optional[str] = ..., reason: _Optional[_Union[RecommendationReason, str]] = ..., explanation: _Optional[_Union[RecommendationExplanation, _Mapping]] = ...) -> None: ...

class ShelfAudit(_message.Message):
    __slots__ = ("audit_id", "date", "used", "reason")
    AUDIT_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    audit_id: str
    date: _date_pb2.Date
    used: bool
    reason: str
    def __init__(self, audit_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., used: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...

class RecommendedOrder(_message.Message):
    __slots__ = ("outlet_id", "date", "lines", "shelf_audit")
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    SHELF_AUDIT_FIELD_NUMBER: _ClassVar[int]
    outlet_id: str
    date: _date_pb2.Date
    lines: _containers.RepeatedCompositeFieldContainer[RecommendedLine]
    shelf_audit: ShelfAudit
    def __init__(self, outlet_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[RecommendedLine, _Mapping]]] = ..., shelf_audit: _Optional[_Union[ShelfAudit, _Mapping]] = ...) -> None: ...

class GetRecommendedOrderResponse(_message.Message):
    __slots__ = ("recommendation",)
    RECOMMENDATION_FIELD_NUMBER: _ClassVar[int]
    recommendation: RecommendedOrder
    def __init__(self, recommendation: _Optional[_Union[RecommendedOrder, _Mapping]] = ...) -> None: ...

class ListRecommendedOrdersRequest(_message.Message):
    __slots__ = ("agent_id", "date")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    date: _date_pb2.Date
    def __init__(self, agent_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class ListRecommendedOrdersResponse(_message.Message):
    __slots__ = ("recommendations",)
    RECOMMENDATIONS_FIELD_NUMBER: _ClassVar[int]
    recommendations: _containers.RepeatedCompositeFieldContainer[RecommendedOrder]
    def __init__(self, recommendations: _Optional[_Iterable[_Union[RecommendedOrder, _Mapping]]] = ...) -> None: ...

class GetContactSalesRequest(_message.Message):
    __slots__ = ("contact_id",)
    CONTACT_ID_FIELD_NUMBER: _ClassVar[int]
    contact_id: str
    def __init__(self, contact_id: _Optional[str] = ...) -> None: ...

class GetContactSalesResponse(_message.Message):
    __slots__ = ("contact_sales",)
    CONTACT_SALES_FIELD_NUMBER: _ClassVar[int]
    contact_sales: _resources_pb2.ContactSales
    def __init__(self, contact_sales: _Optional[_Union[_resources_pb2.ContactSales, _Mapping]] = ...) -> None: ...

class ListContactSalesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "employee_id", "from_date", "to_date")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEE_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    employee_id: str
    from_date: _date_pb2.Date
    to_date: _date_pb2.Date
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., employee_id: _Optional[str] = ..., from_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., to_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class ListContactSalesResponse(_message.Message):
    __slots__ = ("contact_sales", "next_page_token")
    CONTACT_SALES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    contact_sales: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ContactSales]
    next_page_token: str
    def __init__(self, contact_sales: _Optional[_Iterable[_Union[_resources_pb2.ContactSales, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PreviewOrderRequest(_message.Message):
    __slots__ = ("client_id", "outlet_id", "distributor_id", "order_date", "lines", "channel", "kind")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_DATE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    outlet_id: str
    distributor_id: str
    order_date: _date_pb2.Date
    lines: _containers.RepeatedCompositeFieldContainer[OrderLineInput]
    channel: _resources_pb2.OrderChannel
    kind: _resources_pb2.OrderKind
    def __init__(self, client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., distributor_id: _Optional[str] = ..., order_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[OrderLineInput, _Mapping]]] = ..., channel: _Optional[_Union[_resources_pb2.OrderChannel, str]] = ..., kind: _Optional[_Union[_resources_pb2.OrderKind, str]] = ...) -> None: ...

class PreviewOrderResponse(_message.Message):
    __slots__ = ("lines", "promotions", "currency_code", "net_total", "vat_total", "gross_total")
    LINES_FIELD_NUMBER: _ClassVar[int]
    PROMOTIONS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    NET_TOTAL_FIELD_NUMBER: _ClassVar[int]
    VAT_TOTAL_FIELD_NUMBER: _ClassVar[int]
    GROSS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedCompositeFieldContainer[_resources_pb2.OrderLine]
    promotions: _containers.RepeatedCompositeFieldContainer[_resources_pb2.AppliedPromotion]
    currency_code: str
    net_total: _money_pb2.Money
    vat_total: _money_pb2.Money
    gross_total: _money_pb2.Money
    def __init__(self, lines: _Optional[_Iterable[_Union[_resources_pb2.OrderLine, _Mapping]]] = ..., promotions: _Optional[_Iterable[_Union[_resources_pb2.AppliedPromotion, _Mapping]]] = ..., currency_code: _Optional[str] = ..., net_total: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., vat_total: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., gross_total: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...
