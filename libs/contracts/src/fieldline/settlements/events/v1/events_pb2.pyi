from fieldline.settlements.v1 import resources_pb2 as _resources_pb2
from fieldline.settlements.v1 import settlements_service_pb2 as _settlements_service_pb2
from google.type import money_pb2 as _money_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InvoiceIssued(_message.Message):
    __slots__ = ("invoice",)
    INVOICE_FIELD_NUMBER: _ClassVar[int]
    invoice: _resources_pb2.Invoice
    def __init__(self, invoice: _Optional[_Union[_resources_pb2.Invoice, _Mapping]] = ...) -> None: ...

class PaymentRecorded(_message.Message):
    __slots__ = ("payment",)
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    payment: _resources_pb2.Payment
    def __init__(self, payment: _Optional[_Union[_resources_pb2.Payment, _Mapping]] = ...) -> None: ...

class DebtChanged(_message.Message):
    __slots__ = ("balance",)
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    balance: _resources_pb2.Balance
    def __init__(self, balance: _Optional[_Union[_resources_pb2.Balance, _Mapping]] = ...) -> None: ...

class TareBalanceChanged(_message.Message):
    __slots__ = ("balance", "document_id", "movement")
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    MOVEMENT_FIELD_NUMBER: _ClassVar[int]
    balance: _resources_pb2.TareBalance
    document_id: str
    movement: _resources_pb2.TareMovement
    def __init__(self, balance: _Optional[_Union[_resources_pb2.TareBalance, _Mapping]] = ..., document_id: _Optional[str] = ..., movement: _Optional[_Union[_resources_pb2.TareMovement, _Mapping]] = ...) -> None: ...

class InvoiceChanged(_message.Message):
    __slots__ = ("invoice",)
    INVOICE_FIELD_NUMBER: _ClassVar[int]
    invoice: _resources_pb2.Invoice
    def __init__(self, invoice: _Optional[_Union[_resources_pb2.Invoice, _Mapping]] = ...) -> None: ...

class DebtPolicyChanged(_message.Message):
    __slots__ = ("client_id", "policy", "is_default", "cleared")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    CLEARED_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    policy: _resources_pb2.DebtPolicy
    is_default: bool
    cleared: bool
    def __init__(self, client_id: _Optional[str] = ..., policy: _Optional[_Union[_resources_pb2.DebtPolicy, _Mapping]] = ..., is_default: _Optional[bool] = ..., cleared: _Optional[bool] = ...) -> None: ...

class CreditStandingChanged(_message.Message):
    __slots__ = ("standing",)
    STANDING_FIELD_NUMBER: _ClassVar[int]
    standing: _settlements_service_pb2.CreditStanding
    def __init__(self, standing: _Optional[_Union[_settlements_service_pb2.CreditStanding, _Mapping]] = ...) -> None: ...

class CashHandedOver(_message.Message):
    __slots__ = ("handover",)
    HANDOVER_FIELD_NUMBER: _ClassVar[int]
    handover: _resources_pb2.CashHandover
    def __init__(self, handover: _Optional[_Union[_resources_pb2.CashHandover, _Mapping]] = ...) -> None: ...

class CashOnHandChanged(_message.Message):
    __slots__ = ("employee_id", "total", "version")
    EMPLOYEE_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    employee_id: str
    total: _money_pb2.Money
    version: int
    def __init__(self, employee_id: _Optional[str] = ..., total: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...
