"""The records of Fieldline's own exchange format (docs/exchange/own-format.md), one kind per
section of a file: what the reader yields and the writer takes.

Every id here is the **partner's external id** (its ERP's key for the thing), never a
Fieldline id: mapping them to the services' ids is the import's business, not the format's.
Money is `Decimal` (at most two fraction digits), days are `date`. Stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum


class PaymentKind(Enum):
    BANK = "BANK"
    # Collected by an agent or a van seller, with a receipt.
    CASH = "CASH"


class PolicyMode(Enum):
    """The settlements' DebtPolicyMode: BLOCK refuses (an override role may pass it with a
    reason), WARN allows with a warning, IGNORE allows and only reports."""

    BLOCK = "BLOCK"
    WARN = "WARN"
    IGNORE = "IGNORE"


class Stage(Enum):
    ORDER_SUBMIT = "ORDER_SUBMIT"
    VAN_SALE = "VAN_SALE"


class Role(Enum):
    """The clients' Role enum, without its ROLE_ prefix (the names settlements and the kit
    use for roles)."""

    AGENT = "AGENT"
    VAN_SELLER = "VAN_SELLER"
    MERCHANDISER = "MERCHANDISER"
    DISTRIBUTOR_MANAGER = "DISTRIBUTOR_MANAGER"
    SUPERVISOR = "SUPERVISOR"
    TECHNICIAN = "TECHNICIAN"
    # Takes orders by phone: works routes of kind PHONE (call lists). Since 1.1.
    TELESELLER = "TELESELLER"
    # Granted in Fieldline only: an employee's roles in a file never include it.
    ADMIN = "ADMIN"


class TareDirection(Enum):
    """Which way a tare document's line moved the containers."""

    ISSUED = "ISSUED"  # to the client
    RETURNED = "RETURNED"  # back from it


@dataclass(frozen=True)
class ExchangeHeader:
    """A file's root: the format version it declares, when and by whom it was made."""

    version: str
    created: datetime
    partner: str


@dataclass(frozen=True)
class Invoice:
    """A document the client has to pay; `open_amount` is what is still owed (its debt)."""

    external_id: str
    number: str
    client_id: str
    issue_date: date
    due_date: date
    amount: Decimal
    open_amount: Decimal
    currency: str
    outlet_id: str | None = None
    # The order it comes from: the id Fieldline exported the order under.
    order_id: str | None = None


@dataclass(frozen=True)
class Allocation:
    """Part of a payment settling an invoice (of the same file or an earlier one)."""

    invoice_id: str
    amount: Decimal


@dataclass(frozen=True)
class Payment:
    """Money received from a client; what its allocations leave over is an advance."""

    external_id: str
    kind: PaymentKind
    client_id: str
    date: date
    amount: Decimal
    currency: str
    outlet_id: str | None = None
    receipt_number: str | None = None
    # The employee who collected cash.
    collected_by: str | None = None
    allocations: tuple[Allocation, ...] = ()


@dataclass(frozen=True)
class TareBalance:
    """Returnable containers of one kind held by a client (or one of its outlets) and the
    deposit held against them (the value of the whole balance)."""

    client_id: str
    container: str
    quantity: int
    deposit_amount: Decimal
    currency: str
    outlet_id: str | None = None


@dataclass(frozen=True)
class CreditLimit:
    client_id: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class DebtPolicy:
    """The company default (`client_id` None) or a client's own policy."""

    mode: PolicyMode
    check_credit_limit: bool
    stages: tuple[Stage, ...]
    client_id: str | None = None
    # None: not judged on overdue debt (the settlements' -1).
    max_overdue_days: int | None = None
    # Roles that may pass a BLOCK with a reason.
    override_roles: tuple[Role, ...] = ()


@dataclass(frozen=True)
class Employee:
    external_id: str
    name: str
    roles: tuple[Role, ...]
    active: bool
    # E.164: "+79161234567".
    phone: str | None = None
    supervisor_id: str | None = None


@dataclass(frozen=True)
class RouteAssignment:
    """Who works a route from `valid_from` until `valid_to` (inclusive; None: open-ended).
    Not the clients' RouteAssignment, which puts an outlet on a route."""

    route_id: str
    employee_id: str
    valid_from: date
    valid_to: date | None = None


@dataclass(frozen=True)
class TareLine:
    container: str
    direction: TareDirection
    quantity: int  # above 0


@dataclass(frozen=True)
class TareDocument:
    """An ERP document that moved a client's returnable containers (a delivery's kegs, the
    empties collected): each line one container type one way. Since 1.1."""

    external_id: str
    date: date
    client_id: str
    lines: tuple[TareLine, ...]
    outlet_id: str | None = None
    # The order it delivered: the id Fieldline exported the order under.
    order_id: str | None = None


OwnRecord = (
    Invoice
    | Payment
    | TareBalance
    | CreditLimit
    | DebtPolicy
    | Employee
    | RouteAssignment
    | TareDocument
)
