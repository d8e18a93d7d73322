from fieldline.settlements.v1 import resources_pb2 as _resources_pb2
from google.type import date_pb2 as _date_pb2
from google.type import money_pb2 as _money_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreditOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CREDIT_OUTCOME_UNSPECIFIED: _ClassVar[CreditOutcome]
    CREDIT_OUTCOME_ALLOW: _ClassVar[CreditOutcome]
    CREDIT_OUTCOME_WARN: _ClassVar[CreditOutcome]
    CREDIT_OUTCOME_BLOCK: _ClassVar[CreditOutcome]
    CREDIT_OUTCOME_OVERRIDDEN: _ClassVar[CreditOutcome]

class CreditReasonCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CREDIT_REASON_CODE_UNSPECIFIED: _ClassVar[CreditReasonCode]
    CREDIT_REASON_CODE_OVER_LIMIT: _ClassVar[CreditReasonCode]
    CREDIT_REASON_CODE_OVERDUE: _ClassVar[CreditReasonCode]
CREDIT_OUTCOME_UNSPECIFIED: CreditOutcome
CREDIT_OUTCOME_ALLOW: CreditOutcome
CREDIT_OUTCOME_WARN: CreditOutcome
CREDIT_OUTCOME_BLOCK: CreditOutcome
CREDIT_OUTCOME_OVERRIDDEN: CreditOutcome
CREDIT_REASON_CODE_UNSPECIFIED: CreditReasonCode
CREDIT_REASON_CODE_OVER_LIMIT: CreditReasonCode
CREDIT_REASON_CODE_OVERDUE: CreditReasonCode

class RecordInvoiceRequest(_message.Message):
    __slots__ = ("request_id", "invoice")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    INVOICE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    invoice: _resources_pb2.Invoice
    def __init__(self, request_id: _Optional[str] = ..., invoice: _Optional[_Union[_resources_pb2.Invoice, _Mapping]] = ...) -> None: ...

class RecordInvoiceResponse(_message.Message):
    __slots__ = ("invoice",)
    INVOICE_FIELD_NUMBER: _ClassVar[int]
    invoice: _resources_pb2.Invoice
    def __init__(self, invoice: _Optional[_Union[_resources_pb2.Invoice, _Mapping]] = ...) -> None: ...

class RecordPaymentRequest(_message.Message):
    __slots__ = ("request_id", "payment")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    payment: _resources_pb2.Payment
    def __init__(self, request_id: _Optional[str] = ..., payment: _Optional[_Union[_resources_pb2.Payment, _Mapping]] = ...) -> None: ...

class RecordPaymentResponse(_message.Message):
    __slots__ = ("payment",)
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    payment: _resources_pb2.Payment
    def __init__(self, payment: _Optional[_Union[_resources_pb2.Payment, _Mapping]] = ...) -> None: ...

class ListInvoicesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "client_id", "outlet_id", "open_only")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    OPEN_ONLY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    client_id: str
    outlet_id: str
    open_only: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., open_only: _Optional[bool] = ...) -> None: ...

class ListInvoicesResponse(_message.Message):
    __slots__ = ("invoices", "next_page_token")
    INVOICES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    invoices: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Invoice]
    next_page_token: str
    def __init__(self, invoices: _Optional[_Iterable[_Union[_resources_pb2.Invoice, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListPaymentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "client_id", "outlet_id", "collected_by", "kind", "source", "visit_id", "from_date", "to_date")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    COLLECTED_BY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    client_id: str
    outlet_id: str
    collected_by: str
    kind: _resources_pb2.PaymentKind
    source: _resources_pb2.PaymentSource
    visit_id: str
    from_date: _date_pb2.Date
    to_date: _date_pb2.Date
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., collected_by: _Optional[str] = ..., kind: _Optional[_Union[_resources_pb2.PaymentKind, str]] = ..., source: _Optional[_Union[_resources_pb2.PaymentSource, str]] = ..., visit_id: _Optional[str] = ..., from_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., to_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class ListPaymentsResponse(_message.Message):
    __slots__ = ("payments", "next_page_token")
    PAYMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    payments: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Payment]
    next_page_token: str
    def __init__(self, payments: _Optional[_Iterable[_Union[_resources_pb2.Payment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetBalanceRequest(_message.Message):
    __slots__ = ("client_id", "outlet_id", "as_of")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    outlet_id: str
    as_of: _date_pb2.Date
    def __init__(self, client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class GetBalanceResponse(_message.Message):
    __slots__ = ("balance",)
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    balance: _resources_pb2.Balance
    def __init__(self, balance: _Optional[_Union[_resources_pb2.Balance, _Mapping]] = ...) -> None: ...

class StatementLine(_message.Message):
    __slots__ = ("date", "kind", "document_id", "number", "amount", "running_balance")
    DATE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    RUNNING_BALANCE_FIELD_NUMBER: _ClassVar[int]
    date: _date_pb2.Date
    kind: str
    document_id: str
    number: str
    amount: _money_pb2.Money
    running_balance: _money_pb2.Money
    def __init__(self, date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., kind: _Optional[str] = ..., document_id: _Optional[str] = ..., number: _Optional[str] = ..., amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., running_balance: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class GetStatementRequest(_message.Message):
    __slots__ = ("client_id", "from_date", "to_date")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    from_date: _date_pb2.Date
    to_date: _date_pb2.Date
    def __init__(self, client_id: _Optional[str] = ..., from_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., to_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class GetStatementResponse(_message.Message):
    __slots__ = ("opening_balance", "lines", "closing_balance")
    OPENING_BALANCE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    CLOSING_BALANCE_FIELD_NUMBER: _ClassVar[int]
    opening_balance: _money_pb2.Money
    lines: _containers.RepeatedCompositeFieldContainer[StatementLine]
    closing_balance: _money_pb2.Money
    def __init__(self, opening_balance: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[StatementLine, _Mapping]]] = ..., closing_balance: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class AgingRow(_message.Message):
    __slots__ = ("client_id", "current", "overdue_1_30", "overdue_31_60", "overdue_61_90", "overdue_over_90", "total")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_1_30_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_31_60_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_61_90_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_OVER_90_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    current: _money_pb2.Money
    overdue_1_30: _money_pb2.Money
    overdue_31_60: _money_pb2.Money
    overdue_61_90: _money_pb2.Money
    overdue_over_90: _money_pb2.Money
    total: _money_pb2.Money
    def __init__(self, client_id: _Optional[str] = ..., current: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., overdue_1_30: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., overdue_31_60: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., overdue_61_90: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., overdue_over_90: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., total: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class GetAgingReportRequest(_message.Message):
    __slots__ = ("as_of", "client_id", "page_size", "page_token")
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    as_of: _date_pb2.Date
    client_id: str
    page_size: int
    page_token: str
    def __init__(self, as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., client_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetAgingReportResponse(_message.Message):
    __slots__ = ("rows", "totals", "next_page_token")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[AgingRow]
    totals: AgingRow
    next_page_token: str
    def __init__(self, rows: _Optional[_Iterable[_Union[AgingRow, _Mapping]]] = ..., totals: _Optional[_Union[AgingRow, _Mapping]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetTareBalanceRequest(_message.Message):
    __slots__ = ("client_id", "outlet_id")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    outlet_id: str
    def __init__(self, client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ...) -> None: ...

class GetTareBalanceResponse(_message.Message):
    __slots__ = ("balances",)
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    balances: _containers.RepeatedCompositeFieldContainer[_resources_pb2.TareBalance]
    def __init__(self, balances: _Optional[_Iterable[_Union[_resources_pb2.TareBalance, _Mapping]]] = ...) -> None: ...

class SetContainerDepositRequest(_message.Message):
    __slots__ = ("request_id", "container_type", "deposit")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_TYPE_FIELD_NUMBER: _ClassVar[int]
    DEPOSIT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    container_type: str
    deposit: _money_pb2.Money
    def __init__(self, request_id: _Optional[str] = ..., container_type: _Optional[str] = ..., deposit: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class SetContainerDepositResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TareCount(_message.Message):
    __slots__ = ("client_id", "outlet_id", "container_type", "quantity")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_TYPE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    outlet_id: str
    container_type: str
    quantity: str
    def __init__(self, client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., container_type: _Optional[str] = ..., quantity: _Optional[str] = ...) -> None: ...

class RecordTareCountsRequest(_message.Message):
    __slots__ = ("request_id", "document_id", "count_date", "counts")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    COUNT_DATE_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    document_id: str
    count_date: _date_pb2.Date
    counts: _containers.RepeatedCompositeFieldContainer[TareCount]
    def __init__(self, request_id: _Optional[str] = ..., document_id: _Optional[str] = ..., count_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., counts: _Optional[_Iterable[_Union[TareCount, _Mapping]]] = ...) -> None: ...

class RecordTareCountsResponse(_message.Message):
    __slots__ = ("balances",)
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    balances: _containers.RepeatedCompositeFieldContainer[_resources_pb2.TareBalance]
    def __init__(self, balances: _Optional[_Iterable[_Union[_resources_pb2.TareBalance, _Mapping]]] = ...) -> None: ...

class ListTareMovementsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "client_id", "outlet_id", "container_type", "document_kind", "from_date", "to_date")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_TYPE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_KIND_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    client_id: str
    outlet_id: str
    container_type: str
    document_kind: _resources_pb2.TareDocumentKind
    from_date: _date_pb2.Date
    to_date: _date_pb2.Date
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., container_type: _Optional[str] = ..., document_kind: _Optional[_Union[_resources_pb2.TareDocumentKind, str]] = ..., from_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., to_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class ListTareMovementsResponse(_message.Message):
    __slots__ = ("movements", "next_page_token")
    MOVEMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    movements: _containers.RepeatedCompositeFieldContainer[_resources_pb2.TareMovement]
    next_page_token: str
    def __init__(self, movements: _Optional[_Iterable[_Union[_resources_pb2.TareMovement, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TareDocumentLine(_message.Message):
    __slots__ = ("container_type", "direction", "quantity")
    CONTAINER_TYPE_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    container_type: str
    direction: _resources_pb2.TareDirection
    quantity: str
    def __init__(self, container_type: _Optional[str] = ..., direction: _Optional[_Union[_resources_pb2.TareDirection, str]] = ..., quantity: _Optional[str] = ...) -> None: ...

class TareDocument(_message.Message):
    __slots__ = ("document_id", "date", "client_id", "outlet_id", "lines")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    date: _date_pb2.Date
    client_id: str
    outlet_id: str
    lines: _containers.RepeatedCompositeFieldContainer[TareDocumentLine]
    def __init__(self, document_id: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., client_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[TareDocumentLine, _Mapping]]] = ...) -> None: ...

class RecordTareDocumentsRequest(_message.Message):
    __slots__ = ("request_id", "documents")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    documents: _containers.RepeatedCompositeFieldContainer[TareDocument]
    def __init__(self, request_id: _Optional[str] = ..., documents: _Optional[_Iterable[_Union[TareDocument, _Mapping]]] = ...) -> None: ...

class RecordTareDocumentsResponse(_message.Message):
    __slots__ = ("movements",)
    MOVEMENTS_FIELD_NUMBER: _ClassVar[int]
    movements: _containers.RepeatedCompositeFieldContainer[_resources_pb2.TareMovement]
    def __init__(self, movements: _Optional[_Iterable[_Union[_resources_pb2.TareMovement, _Mapping]]] = ...) -> None: ...

class SetCreditLimitRequest(_message.Message):
    __slots__ = ("request_id", "client_id", "limit", "clear", "payment_terms_days")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_TERMS_DAYS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    client_id: str
    limit: _money_pb2.Money
    clear: bool
    payment_terms_days: int
    def __init__(self, request_id: _Optional[str] = ..., client_id: _Optional[str] = ..., limit: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., clear: _Optional[bool] = ..., payment_terms_days: _Optional[int] = ...) -> None: ...

class SetCreditLimitResponse(_message.Message):
    __slots__ = ("balance",)
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    balance: _resources_pb2.Balance
    def __init__(self, balance: _Optional[_Union[_resources_pb2.Balance, _Mapping]] = ...) -> None: ...

class SetDebtPolicyRequest(_message.Message):
    __slots__ = ("request_id", "policy", "clear")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    policy: _resources_pb2.DebtPolicy
    clear: bool
    def __init__(self, request_id: _Optional[str] = ..., policy: _Optional[_Union[_resources_pb2.DebtPolicy, _Mapping]] = ..., clear: _Optional[bool] = ...) -> None: ...

class SetDebtPolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: _resources_pb2.DebtPolicy
    def __init__(self, policy: _Optional[_Union[_resources_pb2.DebtPolicy, _Mapping]] = ...) -> None: ...

class GetDebtPolicyRequest(_message.Message):
    __slots__ = ("client_id",)
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    def __init__(self, client_id: _Optional[str] = ...) -> None: ...

class GetDebtPolicyResponse(_message.Message):
    __slots__ = ("policy", "is_default")
    POLICY_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    policy: _resources_pb2.DebtPolicy
    is_default: bool
    def __init__(self, policy: _Optional[_Union[_resources_pb2.DebtPolicy, _Mapping]] = ..., is_default: _Optional[bool] = ...) -> None: ...

class CheckCreditRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "client_id", "amount", "stage", "override_reason", "as_of", "actor_token")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    OVERRIDE_REASON_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    ACTOR_TOKEN_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    client_id: str
    amount: _money_pb2.Money
    stage: _resources_pb2.Stage
    override_reason: str
    as_of: _date_pb2.Date
    actor_token: str
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., client_id: _Optional[str] = ..., amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., stage: _Optional[_Union[_resources_pb2.Stage, str]] = ..., override_reason: _Optional[str] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., actor_token: _Optional[str] = ...) -> None: ...

class CreditReason(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: CreditReasonCode
    message: str
    def __init__(self, code: _Optional[_Union[CreditReasonCode, str]] = ..., message: _Optional[str] = ...) -> None: ...

class CreditFigures(_message.Message):
    __slots__ = ("balance", "reserved", "order_amount", "exposure", "credit_limit", "has_credit_limit", "overdue", "max_overdue_days", "overdue_threshold_days")
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FIELD_NUMBER: _ClassVar[int]
    ORDER_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    EXPOSURE_FIELD_NUMBER: _ClassVar[int]
    CREDIT_LIMIT_FIELD_NUMBER: _ClassVar[int]
    HAS_CREDIT_LIMIT_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    MAX_OVERDUE_DAYS_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_THRESHOLD_DAYS_FIELD_NUMBER: _ClassVar[int]
    balance: _money_pb2.Money
    reserved: _money_pb2.Money
    order_amount: _money_pb2.Money
    exposure: _money_pb2.Money
    credit_limit: _money_pb2.Money
    has_credit_limit: bool
    overdue: _money_pb2.Money
    max_overdue_days: int
    overdue_threshold_days: int
    def __init__(self, balance: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., reserved: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., order_amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., exposure: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., credit_limit: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., has_credit_limit: _Optional[bool] = ..., overdue: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., max_overdue_days: _Optional[int] = ..., overdue_threshold_days: _Optional[int] = ...) -> None: ...

class CheckCreditResponse(_message.Message):
    __slots__ = ("outcome", "reasons", "figures", "policy")
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    outcome: CreditOutcome
    reasons: _containers.RepeatedCompositeFieldContainer[CreditReason]
    figures: CreditFigures
    policy: _resources_pb2.DebtPolicy
    def __init__(self, outcome: _Optional[_Union[CreditOutcome, str]] = ..., reasons: _Optional[_Iterable[_Union[CreditReason, _Mapping]]] = ..., figures: _Optional[_Union[CreditFigures, _Mapping]] = ..., policy: _Optional[_Union[_resources_pb2.DebtPolicy, _Mapping]] = ...) -> None: ...

class CheckCreditBatchRequest(_message.Message):
    __slots__ = ("checks",)
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    checks: _containers.RepeatedCompositeFieldContainer[CheckCreditRequest]
    def __init__(self, checks: _Optional[_Iterable[_Union[CheckCreditRequest, _Mapping]]] = ...) -> None: ...

class CheckCreditError(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class CheckCreditResult(_message.Message):
    __slots__ = ("decision", "error")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    decision: CheckCreditResponse
    error: CheckCreditError
    def __init__(self, decision: _Optional[_Union[CheckCreditResponse, _Mapping]] = ..., error: _Optional[_Union[CheckCreditError, _Mapping]] = ...) -> None: ...

class ReleaseCreditRequest(_message.Message):
    __slots__ = ("request_id", "order_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ...) -> None: ...

class ReleaseCreditResponse(_message.Message):
    __slots__ = ("released",)
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    released: bool
    def __init__(self, released: _Optional[bool] = ...) -> None: ...

class CheckCreditBatchResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[CheckCreditResult]
    def __init__(self, results: _Optional[_Iterable[_Union[CheckCreditResult, _Mapping]]] = ...) -> None: ...

class ListBalancesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "client_ids", "as_of")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IDS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    client_ids: _containers.RepeatedScalarFieldContainer[str]
    as_of: _date_pb2.Date
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., client_ids: _Optional[_Iterable[str]] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class ListBalancesResponse(_message.Message):
    __slots__ = ("balances", "next_page_token")
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    balances: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Balance]
    next_page_token: str
    def __init__(self, balances: _Optional[_Iterable[_Union[_resources_pb2.Balance, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListTareBalancesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "client_ids")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IDS_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    client_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., client_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ListTareBalancesResponse(_message.Message):
    __slots__ = ("balances", "next_page_token")
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    balances: _containers.RepeatedCompositeFieldContainer[_resources_pb2.TareBalance]
    next_page_token: str
    def __init__(self, balances: _Optional[_Iterable[_Union[_resources_pb2.TareBalance, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class StageStanding(_message.Message):
    __slots__ = ("stage", "outcome", "reasons", "headroom", "has_headroom")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    HEADROOM_FIELD_NUMBER: _ClassVar[int]
    HAS_HEADROOM_FIELD_NUMBER: _ClassVar[int]
    stage: _resources_pb2.Stage
    outcome: CreditOutcome
    reasons: _containers.RepeatedCompositeFieldContainer[CreditReason]
    headroom: _money_pb2.Money
    has_headroom: bool
    def __init__(self, stage: _Optional[_Union[_resources_pb2.Stage, str]] = ..., outcome: _Optional[_Union[CreditOutcome, str]] = ..., reasons: _Optional[_Iterable[_Union[CreditReason, _Mapping]]] = ..., headroom: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., has_headroom: _Optional[bool] = ...) -> None: ...

class CreditStanding(_message.Message):
    __slots__ = ("client_id", "as_of", "figures", "policy", "is_default_policy", "stages", "version")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_POLICY_FIELD_NUMBER: _ClassVar[int]
    STAGES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    as_of: _date_pb2.Date
    figures: CreditFigures
    policy: _resources_pb2.DebtPolicy
    is_default_policy: bool
    stages: _containers.RepeatedCompositeFieldContainer[StageStanding]
    version: int
    def __init__(self, client_id: _Optional[str] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., figures: _Optional[_Union[CreditFigures, _Mapping]] = ..., policy: _Optional[_Union[_resources_pb2.DebtPolicy, _Mapping]] = ..., is_default_policy: _Optional[bool] = ..., stages: _Optional[_Iterable[_Union[StageStanding, _Mapping]]] = ..., version: _Optional[int] = ...) -> None: ...

class GetCreditStandingRequest(_message.Message):
    __slots__ = ("client_id",)
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    def __init__(self, client_id: _Optional[str] = ...) -> None: ...

class GetCreditStandingResponse(_message.Message):
    __slots__ = ("standing",)
    STANDING_FIELD_NUMBER: _ClassVar[int]
    standing: CreditStanding
    def __init__(self, standing: _Optional[_Union[CreditStanding, _Mapping]] = ...) -> None: ...

class ListCreditStandingsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "client_ids")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IDS_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    client_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., client_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ListCreditStandingsResponse(_message.Message):
    __slots__ = ("standings", "next_page_token")
    STANDINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    standings: _containers.RepeatedCompositeFieldContainer[CreditStanding]
    next_page_token: str
    def __init__(self, standings: _Optional[_Iterable[_Union[CreditStanding, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RecordCashHandoverRequest(_message.Message):
    __slots__ = ("request_id", "handover")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HANDOVER_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    handover: _resources_pb2.CashHandover
    def __init__(self, request_id: _Optional[str] = ..., handover: _Optional[_Union[_resources_pb2.CashHandover, _Mapping]] = ...) -> None: ...

class RecordCashHandoverResponse(_message.Message):
    __slots__ = ("handover",)
    HANDOVER_FIELD_NUMBER: _ClassVar[int]
    handover: _resources_pb2.CashHandover
    def __init__(self, handover: _Optional[_Union[_resources_pb2.CashHandover, _Mapping]] = ...) -> None: ...

class GetCashOnHandRequest(_message.Message):
    __slots__ = ("employee_id",)
    EMPLOYEE_ID_FIELD_NUMBER: _ClassVar[int]
    employee_id: str
    def __init__(self, employee_id: _Optional[str] = ...) -> None: ...

class GetCashOnHandResponse(_message.Message):
    __slots__ = ("cash_on_hand",)
    CASH_ON_HAND_FIELD_NUMBER: _ClassVar[int]
    cash_on_hand: _resources_pb2.CashOnHand
    def __init__(self, cash_on_hand: _Optional[_Union[_resources_pb2.CashOnHand, _Mapping]] = ...) -> None: ...

class ListCashHandoversRequest(_message.Message):
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

class ListCashHandoversResponse(_message.Message):
    __slots__ = ("handovers", "next_page_token")
    HANDOVERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    handovers: _containers.RepeatedCompositeFieldContainer[_resources_pb2.CashHandover]
    next_page_token: str
    def __init__(self, handovers: _Optional[_Iterable[_Union[_resources_pb2.CashHandover, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
