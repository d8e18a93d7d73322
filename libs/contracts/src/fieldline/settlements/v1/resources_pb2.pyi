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

class InvoiceSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INVOICE_SOURCE_UNSPECIFIED: _ClassVar[InvoiceSource]
    INVOICE_SOURCE_VAN_SALE: _ClassVar[InvoiceSource]
    INVOICE_SOURCE_ERP: _ClassVar[InvoiceSource]
    INVOICE_SOURCE_RETURN: _ClassVar[InvoiceSource]

class PaymentKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAYMENT_KIND_UNSPECIFIED: _ClassVar[PaymentKind]
    PAYMENT_KIND_CASH: _ClassVar[PaymentKind]
    PAYMENT_KIND_BANK: _ClassVar[PaymentKind]

class PaymentSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAYMENT_SOURCE_UNSPECIFIED: _ClassVar[PaymentSource]
    PAYMENT_SOURCE_FIELD: _ClassVar[PaymentSource]
    PAYMENT_SOURCE_VAN_SALE: _ClassVar[PaymentSource]
    PAYMENT_SOURCE_ERP: _ClassVar[PaymentSource]

class DebtPolicyMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEBT_POLICY_MODE_UNSPECIFIED: _ClassVar[DebtPolicyMode]
    DEBT_POLICY_MODE_BLOCK: _ClassVar[DebtPolicyMode]
    DEBT_POLICY_MODE_WARN: _ClassVar[DebtPolicyMode]
    DEBT_POLICY_MODE_IGNORE: _ClassVar[DebtPolicyMode]

class Stage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STAGE_UNSPECIFIED: _ClassVar[Stage]
    STAGE_ORDER_SUBMIT: _ClassVar[Stage]
    STAGE_VAN_SALE: _ClassVar[Stage]

class TareDocumentKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TARE_DOCUMENT_KIND_UNSPECIFIED: _ClassVar[TareDocumentKind]
    TARE_DOCUMENT_KIND_VAN_SALE: _ClassVar[TareDocumentKind]
    TARE_DOCUMENT_KIND_RETURN: _ClassVar[TareDocumentKind]
    TARE_DOCUMENT_KIND_DELIVERY: _ClassVar[TareDocumentKind]
    TARE_DOCUMENT_KIND_COUNT: _ClassVar[TareDocumentKind]
    TARE_DOCUMENT_KIND_ERP_DOCUMENT: _ClassVar[TareDocumentKind]

class TareDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TARE_DIRECTION_UNSPECIFIED: _ClassVar[TareDirection]
    TARE_DIRECTION_ISSUED: _ClassVar[TareDirection]
    TARE_DIRECTION_RETURNED: _ClassVar[TareDirection]
    TARE_DIRECTION_COUNTED: _ClassVar[TareDirection]
INVOICE_SOURCE_UNSPECIFIED: InvoiceSource
INVOICE_SOURCE_VAN_SALE: InvoiceSource
INVOICE_SOURCE_ERP: InvoiceSource
INVOICE_SOURCE_RETURN: InvoiceSource
PAYMENT_KIND_UNSPECIFIED: PaymentKind
PAYMENT_KIND_CASH: PaymentKind
PAYMENT_KIND_BANK: PaymentKind
PAYMENT_SOURCE_UNSPECIFIED: PaymentSource
PAYMENT_SOURCE_FIELD: PaymentSource
PAYMENT_SOURCE_VAN_SALE: PaymentSource
PAYMENT_SOURCE_ERP: PaymentSource
DEBT_POLICY_MODE_UNSPECIFIED: DebtPolicyMode
DEBT_POLICY_MODE_BLOCK: DebtPolicyMode
DEBT_POLICY_MODE_WARN: DebtPolicyMode
DEBT_POLICY_MODE_IGNORE: DebtPolicyMode
STAGE_UNSPECIFIED: Stage
STAGE_ORDER_SUBMIT: Stage
STAGE_VAN_SALE: Stage
TARE_DOCUMENT_KIND_UNSPECIFIED: TareDocumentKind
TARE_DOCUMENT_KIND_VAN_SALE: TareDocumentKind
TARE_DOCUMENT_KIND_RETURN: TareDocumentKind
TARE_DOCUMENT_KIND_DELIVERY: TareDocumentKind
TARE_DOCUMENT_KIND_COUNT: TareDocumentKind
TARE_DOCUMENT_KIND_ERP_DOCUMENT: TareDocumentKind
TARE_DIRECTION_UNSPECIFIED: TareDirection
TARE_DIRECTION_ISSUED: TareDirection
TARE_DIRECTION_RETURNED: TareDirection
TARE_DIRECTION_COUNTED: TareDirection

class Invoice(_message.Message):
    __slots__ = ("id", "number", "client_id", "outlet_id", "order_id", "source", "issue_date", "due_date", "amount", "open_amount", "create_time", "version", "distributor_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ISSUE_DATE_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    OPEN_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    number: str
    client_id: str
    outlet_id: str
    order_id: str
    source: InvoiceSource
    issue_date: _date_pb2.Date
    due_date: _date_pb2.Date
    amount: _money_pb2.Money
    open_amount: _money_pb2.Money
    create_time: _timestamp_pb2.Timestamp
    version: int
    distributor_id: str
    def __init__(self, id: _Optional[str] = ..., number: _Optional[str] = ..., client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., order_id: _Optional[str] = ..., source: _Optional[_Union[InvoiceSource, str]] = ..., issue_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., due_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., open_amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., version: _Optional[int] = ..., distributor_id: _Optional[str] = ...) -> None: ...

class Allocation(_message.Message):
    __slots__ = ("invoice_id", "amount")
    INVOICE_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    invoice_id: str
    amount: _money_pb2.Money
    def __init__(self, invoice_id: _Optional[str] = ..., amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class Payment(_message.Message):
    __slots__ = ("id", "kind", "client_id", "outlet_id", "date", "amount", "receipt_number", "collected_by", "allocations", "unallocated", "visit_id", "source", "recorded_by", "handover_id", "create_time", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    COLLECTED_BY_FIELD_NUMBER: _ClassVar[int]
    ALLOCATIONS_FIELD_NUMBER: _ClassVar[int]
    UNALLOCATED_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    HANDOVER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: PaymentKind
    client_id: str
    outlet_id: str
    date: _date_pb2.Date
    amount: _money_pb2.Money
    receipt_number: str
    collected_by: str
    allocations: _containers.RepeatedCompositeFieldContainer[Allocation]
    unallocated: _money_pb2.Money
    visit_id: str
    source: PaymentSource
    recorded_by: str
    handover_id: str
    create_time: _timestamp_pb2.Timestamp
    version: int
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[_Union[PaymentKind, str]] = ..., client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., receipt_number: _Optional[str] = ..., collected_by: _Optional[str] = ..., allocations: _Optional[_Iterable[_Union[Allocation, _Mapping]]] = ..., unallocated: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., visit_id: _Optional[str] = ..., source: _Optional[_Union[PaymentSource, str]] = ..., recorded_by: _Optional[str] = ..., handover_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class CashHandover(_message.Message):
    __slots__ = ("id", "employee_id", "date", "counted", "payment_ids", "expected", "difference", "received_by", "create_time", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEE_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    COUNTED_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCE_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    employee_id: str
    date: _date_pb2.Date
    counted: _money_pb2.Money
    payment_ids: _containers.RepeatedScalarFieldContainer[str]
    expected: _money_pb2.Money
    difference: _money_pb2.Money
    received_by: str
    create_time: _timestamp_pb2.Timestamp
    version: int
    def __init__(self, id: _Optional[str] = ..., employee_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., counted: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., payment_ids: _Optional[_Iterable[str]] = ..., expected: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., difference: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., received_by: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class CashOnHand(_message.Message):
    __slots__ = ("employee_id", "total", "payments", "oldest_date", "version")
    EMPLOYEE_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PAYMENTS_FIELD_NUMBER: _ClassVar[int]
    OLDEST_DATE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    employee_id: str
    total: _money_pb2.Money
    payments: _containers.RepeatedCompositeFieldContainer[Payment]
    oldest_date: _date_pb2.Date
    version: int
    def __init__(self, employee_id: _Optional[str] = ..., total: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., payments: _Optional[_Iterable[_Union[Payment, _Mapping]]] = ..., oldest_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class Balance(_message.Message):
    __slots__ = ("client_id", "outlet_id", "balance", "overdue", "max_overdue_days", "open_invoices", "credit_limit", "has_credit_limit", "reserved", "version")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    MAX_OVERDUE_DAYS_FIELD_NUMBER: _ClassVar[int]
    OPEN_INVOICES_FIELD_NUMBER: _ClassVar[int]
    CREDIT_LIMIT_FIELD_NUMBER: _ClassVar[int]
    HAS_CREDIT_LIMIT_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    outlet_id: str
    balance: _money_pb2.Money
    overdue: _money_pb2.Money
    max_overdue_days: int
    open_invoices: int
    credit_limit: _money_pb2.Money
    has_credit_limit: bool
    reserved: _money_pb2.Money
    version: int
    def __init__(self, client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., balance: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., overdue: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., max_overdue_days: _Optional[int] = ..., open_invoices: _Optional[int] = ..., credit_limit: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., has_credit_limit: _Optional[bool] = ..., reserved: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class DebtPolicy(_message.Message):
    __slots__ = ("client_id", "mode", "check_credit_limit", "max_overdue_days", "stages", "override_roles")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    CHECK_CREDIT_LIMIT_FIELD_NUMBER: _ClassVar[int]
    MAX_OVERDUE_DAYS_FIELD_NUMBER: _ClassVar[int]
    STAGES_FIELD_NUMBER: _ClassVar[int]
    OVERRIDE_ROLES_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    mode: DebtPolicyMode
    check_credit_limit: bool
    max_overdue_days: int
    stages: _containers.RepeatedScalarFieldContainer[Stage]
    override_roles: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, client_id: _Optional[str] = ..., mode: _Optional[_Union[DebtPolicyMode, str]] = ..., check_credit_limit: _Optional[bool] = ..., max_overdue_days: _Optional[int] = ..., stages: _Optional[_Iterable[_Union[Stage, str]]] = ..., override_roles: _Optional[_Iterable[str]] = ...) -> None: ...

class TareBalance(_message.Message):
    __slots__ = ("client_id", "container_type", "issued", "returned", "balance", "deposit_per_unit", "deposit_value", "version", "outlet_id")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_TYPE_FIELD_NUMBER: _ClassVar[int]
    ISSUED_FIELD_NUMBER: _ClassVar[int]
    RETURNED_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    DEPOSIT_PER_UNIT_FIELD_NUMBER: _ClassVar[int]
    DEPOSIT_VALUE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    container_type: str
    issued: str
    returned: str
    balance: str
    deposit_per_unit: _money_pb2.Money
    deposit_value: _money_pb2.Money
    version: int
    outlet_id: str
    def __init__(self, client_id: _Optional[str] = ..., container_type: _Optional[str] = ..., issued: _Optional[str] = ..., returned: _Optional[str] = ..., balance: _Optional[str] = ..., deposit_per_unit: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., deposit_value: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., version: _Optional[int] = ..., outlet_id: _Optional[str] = ...) -> None: ...

class TareMovement(_message.Message):
    __slots__ = ("id", "client_id", "outlet_id", "container_type", "document_id", "document_kind", "direction", "quantity", "date", "balance_after", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_TYPE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_KIND_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    BALANCE_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: int
    client_id: str
    outlet_id: str
    container_type: str
    document_id: str
    document_kind: TareDocumentKind
    direction: TareDirection
    quantity: str
    date: _date_pb2.Date
    balance_after: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., container_type: _Optional[str] = ..., document_id: _Optional[str] = ..., document_kind: _Optional[_Union[TareDocumentKind, str]] = ..., direction: _Optional[_Union[TareDirection, str]] = ..., quantity: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., balance_after: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
