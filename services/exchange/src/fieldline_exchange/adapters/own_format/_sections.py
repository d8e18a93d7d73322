"""The sections of the format, each record's element read and written side by side (so that
what is written reads back equal): `read` takes an item element the schema has accepted;
`write` checks the record's values and writes its fields through the incremental writer."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from fieldline_exchange.adapters.own_format._values import (
    MAX_DAYS,
    MAX_NAME,
    PAYMENT_KINDS,
    POLICY_MODES,
    ROLES,
    STAGES,
    TARE_DIRECTIONS,
    collapse,
    format_amount,
    format_bool,
    format_count,
    format_currency,
    format_date,
    format_phone,
    format_token,
    format_word,
    parse_amount,
    parse_bool,
    parse_date,
    parse_int,
    q,
)
from fieldline_exchange.domain.own_records import (
    Allocation,
    CreditLimit,
    DebtPolicy,
    Employee,
    Invoice,
    OwnRecord,
    Payment,
    Role,
    RouteAssignment,
    TareBalance,
    TareDocument,
    TareLine,
)

EMPLOYEE_ROLES = {word: role for word, role in ROLES.items() if role is not Role.ADMIN}
MAX_TARE_LINES = 1000  # lines of a tare document (the schema's, settlements' MAX_LINES)


# ---------------------------------------------------------------- reading


class Fields:
    """An item element's children by name (comments and processing instructions left out;
    a value's text is all its text, as the schema saw it)."""

    __slots__ = ("_by",)

    def __init__(self, element: etree._Element) -> None:
        by: dict[str, list[etree._Element]] = {}
        for child in element:
            tag = child.tag
            if isinstance(tag, str):
                found = by.get(tag)
                if found is None:
                    by[tag] = [child]
                else:
                    found.append(child)
        self._by = by

    def elements(self, name: str) -> list[etree._Element]:
        return self._by.get(q(name), [])

    def text(self, name: str) -> str:
        return _text(self._by[q(name)][0])

    def token(self, name: str) -> str:
        return collapse(self.text(name))

    def optional(self, name: str) -> str | None:
        found = self._by.get(q(name))
        return None if found is None else collapse(_text(found[0]))

    def tokens(self, name: str) -> list[str]:
        return [collapse(_text(e)) for e in self.elements(name)]

    def has(self, name: str) -> bool:
        return q(name) in self._by


def _text(element: etree._Element) -> str:
    if len(element):  # a comment or a processing instruction inside: the text around it
        return "".join(element.itertext())
    return element.text or ""


# ---------------------------------------------------------------- writing


class Out:
    """Writes an item's fields, indented, through lxml's incremental writer."""

    def __init__(self, xf: Any, depth: int) -> None:
        self._xf = xf
        self._depth = depth
        self._indent = "\n" + "  " * depth

    def leaf(self, name: str, text: str) -> None:
        self._xf.write(self._indent)
        with self._xf.element(q(name)):
            self._xf.write(text)

    def optional(self, name: str, text: str | None) -> None:
        if text is not None:
            self.leaf(name, text)

    @contextmanager
    def nested(self, name: str) -> Iterator[Out]:
        self._xf.write(self._indent)
        with self._xf.element(q(name)):
            yield Out(self._xf, self._depth + 1)
            self._xf.write(self._indent)


def _optional_token(field: str, value: str | None) -> str | None:
    return None if value is None else format_token(field, value)


def _unique(field: str, items: tuple[Hashable, ...]) -> None:
    if len(set(items)) != len(items):
        raise ValueError(f"{field}: each at most once, got {items!r}")


# ---------------------------------------------------------------- invoices


def read_invoice(element: etree._Element) -> Invoice:
    f = Fields(element)
    return Invoice(
        external_id=f.token("Id"),
        number=f.token("Number"),
        client_id=f.token("Client"),
        outlet_id=f.optional("Outlet"),
        order_id=f.optional("Order"),
        issue_date=parse_date(f.text("IssueDate")),
        due_date=parse_date(f.text("DueDate")),
        amount=parse_amount(f.text("Amount")),
        open_amount=parse_amount(f.text("OpenAmount")),
        currency=f.text("Currency"),
    )


def write_invoice(out: Out, r: Invoice, at: str) -> None:
    out.leaf("Id", format_token(f"{at}.external_id", r.external_id))
    out.leaf("Number", format_token(f"{at}.number", r.number))
    out.leaf("Client", format_token(f"{at}.client_id", r.client_id))
    out.optional("Outlet", _optional_token(f"{at}.outlet_id", r.outlet_id))
    out.optional("Order", _optional_token(f"{at}.order_id", r.order_id))
    out.leaf("IssueDate", format_date(f"{at}.issue_date", r.issue_date))
    out.leaf("DueDate", format_date(f"{at}.due_date", r.due_date))
    out.leaf("Amount", format_amount(f"{at}.amount", r.amount))
    out.leaf("OpenAmount", format_amount(f"{at}.open_amount", r.open_amount))
    out.leaf("Currency", format_currency(f"{at}.currency", r.currency))


# ---------------------------------------------------------------- payments


def read_payment(element: etree._Element) -> Payment:
    f = Fields(element)
    allocations = []
    for allocation in f.elements("Allocation"):
        a = Fields(allocation)
        allocations.append(
            Allocation(invoice_id=a.token("Invoice"), amount=parse_amount(a.text("Amount")))
        )
    return Payment(
        external_id=f.token("Id"),
        kind=PAYMENT_KINDS[f.token("Kind")],
        client_id=f.token("Client"),
        outlet_id=f.optional("Outlet"),
        date=parse_date(f.text("Date")),
        amount=parse_amount(f.text("Amount")),
        currency=f.text("Currency"),
        receipt_number=f.optional("ReceiptNumber"),
        collected_by=f.optional("CollectedBy"),
        allocations=tuple(allocations),
    )


def write_payment(out: Out, r: Payment, at: str) -> None:
    out.leaf("Id", format_token(f"{at}.external_id", r.external_id))
    out.leaf("Kind", format_word(f"{at}.kind", r.kind, PAYMENT_KINDS))
    out.leaf("Client", format_token(f"{at}.client_id", r.client_id))
    out.optional("Outlet", _optional_token(f"{at}.outlet_id", r.outlet_id))
    out.leaf("Date", format_date(f"{at}.date", r.date))
    out.leaf("Amount", format_amount(f"{at}.amount", r.amount, positive=True))
    out.leaf("Currency", format_currency(f"{at}.currency", r.currency))
    out.optional("ReceiptNumber", _optional_token(f"{at}.receipt_number", r.receipt_number))
    out.optional("CollectedBy", _optional_token(f"{at}.collected_by", r.collected_by))
    _unique(f"{at}.allocations (invoices)", tuple(a.invoice_id for a in r.allocations))
    for i, allocation in enumerate(r.allocations):
        with out.nested("Allocation") as inner:
            where = f"{at}.allocations[{i}]"
            inner.leaf("Invoice", format_token(f"{where}.invoice_id", allocation.invoice_id))
            inner.leaf("Amount", format_amount(f"{where}.amount", allocation.amount, positive=True))


# ---------------------------------------------------------------- tare balances


def read_tare_balance(element: etree._Element) -> TareBalance:
    f = Fields(element)
    return TareBalance(
        client_id=f.token("Client"),
        outlet_id=f.optional("Outlet"),
        container=f.token("Container"),
        quantity=parse_int(f.text("Quantity")),
        deposit_amount=parse_amount(f.text("DepositAmount")),
        currency=f.text("Currency"),
    )


def write_tare_balance(out: Out, r: TareBalance, at: str) -> None:
    out.leaf("Client", format_token(f"{at}.client_id", r.client_id))
    out.optional("Outlet", _optional_token(f"{at}.outlet_id", r.outlet_id))
    out.leaf("Container", format_token(f"{at}.container", r.container))
    out.leaf("Quantity", format_count(f"{at}.quantity", r.quantity))
    out.leaf("DepositAmount", format_amount(f"{at}.deposit_amount", r.deposit_amount))
    out.leaf("Currency", format_currency(f"{at}.currency", r.currency))


# ---------------------------------------------------------------- credit limits


def read_credit_limit(element: etree._Element) -> CreditLimit:
    f = Fields(element)
    return CreditLimit(
        client_id=f.token("Client"),
        amount=parse_amount(f.text("Amount")),
        currency=f.text("Currency"),
    )


def write_credit_limit(out: Out, r: CreditLimit, at: str) -> None:
    out.leaf("Client", format_token(f"{at}.client_id", r.client_id))
    out.leaf("Amount", format_amount(f"{at}.amount", r.amount))
    out.leaf("Currency", format_currency(f"{at}.currency", r.currency))


# ---------------------------------------------------------------- debt policies


def read_debt_policy(element: etree._Element) -> DebtPolicy:
    f = Fields(element)
    days = f.optional("MaxOverdueDays")
    return DebtPolicy(
        client_id=f.optional("Client"),  # absent: <Company/>, the company default
        mode=POLICY_MODES[f.token("Mode")],
        check_credit_limit=parse_bool(f.text("CheckCreditLimit")),
        max_overdue_days=None if days is None else parse_int(days),
        stages=tuple(STAGES[word] for word in f.tokens("Stage")),
        override_roles=tuple(ROLES[word] for word in f.tokens("OverrideRole")),
    )


def write_debt_policy(out: Out, r: DebtPolicy, at: str) -> None:
    if r.client_id is None:
        out.leaf("Company", "")
    else:
        out.leaf("Client", format_token(f"{at}.client_id", r.client_id))
    out.leaf("Mode", format_word(f"{at}.mode", r.mode, POLICY_MODES))
    out.leaf("CheckCreditLimit", format_bool(f"{at}.check_credit_limit", r.check_credit_limit))
    if r.max_overdue_days is not None:
        days = format_count(f"{at}.max_overdue_days", r.max_overdue_days, MAX_DAYS)
        out.leaf("MaxOverdueDays", days)
    if not r.stages:
        raise ValueError(f"{at}.stages: name at least one stage (mode IGNORE judges nothing)")
    _unique(f"{at}.stages", r.stages)
    for i, stage in enumerate(r.stages):
        out.leaf("Stage", format_word(f"{at}.stages[{i}]", stage, STAGES))
    _unique(f"{at}.override_roles", r.override_roles)
    for i, role in enumerate(r.override_roles):
        out.leaf("OverrideRole", format_word(f"{at}.override_roles[{i}]", role, ROLES))


# ---------------------------------------------------------------- employees


def read_employee(element: etree._Element) -> Employee:
    f = Fields(element)
    return Employee(
        external_id=f.token("Id"),
        name=f.token("Name"),
        roles=tuple(ROLES[word] for word in f.tokens("Role")),
        phone=f.optional("Phone"),
        supervisor_id=f.optional("Supervisor"),
        active=parse_bool(f.text("Active")),
    )


def write_employee(out: Out, r: Employee, at: str) -> None:
    out.leaf("Id", format_token(f"{at}.external_id", r.external_id))
    out.leaf("Name", format_token(f"{at}.name", r.name, MAX_NAME))
    if not r.roles:
        raise ValueError(f"{at}.roles: an employee has at least one role")
    _unique(f"{at}.roles", r.roles)
    for i, role in enumerate(r.roles):
        out.leaf("Role", format_word(f"{at}.roles[{i}]", role, EMPLOYEE_ROLES))
    out.optional("Phone", None if r.phone is None else format_phone(f"{at}.phone", r.phone))
    out.optional("Supervisor", _optional_token(f"{at}.supervisor_id", r.supervisor_id))
    out.leaf("Active", format_bool(f"{at}.active", r.active))


# ---------------------------------------------------------------- route assignments


def read_route_assignment(element: etree._Element) -> RouteAssignment:
    f = Fields(element)
    valid_to = f.optional("ValidTo")
    return RouteAssignment(
        route_id=f.token("Route"),
        employee_id=f.token("Employee"),
        valid_from=parse_date(f.text("ValidFrom")),
        valid_to=None if valid_to is None else parse_date(valid_to),
    )


def write_route_assignment(out: Out, r: RouteAssignment, at: str) -> None:
    out.leaf("Route", format_token(f"{at}.route_id", r.route_id))
    out.leaf("Employee", format_token(f"{at}.employee_id", r.employee_id))
    out.leaf("ValidFrom", format_date(f"{at}.valid_from", r.valid_from))
    if r.valid_to is not None:
        out.leaf("ValidTo", format_date(f"{at}.valid_to", r.valid_to))


# ---------------------------------------------------------------- tare documents


def read_tare_document(element: etree._Element) -> TareDocument:
    f = Fields(element)
    lines = []
    for line in f.elements("Line"):
        g = Fields(line)
        lines.append(
            TareLine(
                container=g.token("Container"),
                direction=TARE_DIRECTIONS[g.token("Direction")],
                quantity=parse_int(g.text("Quantity")),
            )
        )
    return TareDocument(
        external_id=f.token("Id"),
        date=parse_date(f.text("Date")),
        client_id=f.token("Client"),
        outlet_id=f.optional("Outlet"),
        order_id=f.optional("Order"),
        lines=tuple(lines),
    )


def write_tare_document(out: Out, r: TareDocument, at: str) -> None:
    out.leaf("Id", format_token(f"{at}.external_id", r.external_id))
    out.leaf("Date", format_date(f"{at}.date", r.date))
    out.leaf("Client", format_token(f"{at}.client_id", r.client_id))
    out.optional("Outlet", _optional_token(f"{at}.outlet_id", r.outlet_id))
    out.optional("Order", _optional_token(f"{at}.order_id", r.order_id))
    if not 1 <= len(r.lines) <= MAX_TARE_LINES:
        raise ValueError(f"{at}.lines: 1 to {MAX_TARE_LINES} lines, got {len(r.lines)}")
    _unique(
        f"{at}.lines (container and direction)", tuple((x.container, x.direction) for x in r.lines)
    )
    for i, line in enumerate(r.lines):
        with out.nested("Line") as inner:
            where = f"{at}.lines[{i}]"
            inner.leaf("Container", format_token(f"{where}.container", line.container))
            inner.leaf(
                "Direction", format_word(f"{where}.direction", line.direction, TARE_DIRECTIONS)
            )
            quantity = format_count(f"{where}.quantity", line.quantity)
            if quantity == "0":
                raise ValueError(f"{where}.quantity: must be above 0")
            inner.leaf("Quantity", quantity)


# ---------------------------------------------------------------- versions


def minor_needed(record: OwnRecord) -> str:
    """The first minor of the format that can carry `record`: 1.1 for a tare document and for
    the teleseller role (an employee's, a policy's override role), else 1.0."""
    if isinstance(record, TareDocument):
        return "1.1"
    if isinstance(record, Employee) and Role.TELESELLER in record.roles:
        return "1.1"
    if isinstance(record, DebtPolicy) and Role.TELESELLER in record.override_roles:
        return "1.1"
    return "1.0"


# ---------------------------------------------------------------- the table


@dataclass(frozen=True)
class Section:
    tag: str  # the section's element
    item: str  # its items' element
    kind: type[OwnRecord]
    read: Callable[[etree._Element], OwnRecord]
    write: Callable[[Out, Any, str], None]
    # What the schema keeps unique among the file's items of the kind.
    key: Callable[[Any], Hashable]


SECTIONS: tuple[Section, ...] = (
    Section("Invoices", "Invoice", Invoice, read_invoice, write_invoice, lambda r: r.external_id),
    Section("Payments", "Payment", Payment, read_payment, write_payment, lambda r: r.external_id),
    Section(
        "TareBalances",
        "TareBalance",
        TareBalance,
        read_tare_balance,
        write_tare_balance,
        lambda r: (r.client_id, r.outlet_id, r.container),
    ),
    Section(
        "CreditLimits",
        "CreditLimit",
        CreditLimit,
        read_credit_limit,
        write_credit_limit,
        lambda r: r.client_id,
    ),
    Section(
        "DebtPolicies",
        "DebtPolicy",
        DebtPolicy,
        read_debt_policy,
        write_debt_policy,
        lambda r: r.client_id,  # None: the company's, once
    ),
    Section(
        "Employees", "Employee", Employee, read_employee, write_employee, lambda r: r.external_id
    ),
    Section(
        "RouteAssignments",
        "RouteAssignment",
        RouteAssignment,
        read_route_assignment,
        write_route_assignment,
        lambda r: (r.route_id, r.valid_from),
    ),
    Section(
        "TareDocuments",
        "TareDocument",
        TareDocument,
        read_tare_document,
        write_tare_document,
        lambda r: r.external_id,
    ),
)
BY_KIND: dict[type, Section] = {s.kind: s for s in SECTIONS}
# Items by their element and their section's (an item's name alone is not enough: an
# allocation's <Invoice> and an assignment's <Employee> are fields; a tare document's <Line>
# is part of its item).
BY_ITEM: dict[tuple[str, str], Section] = {(q(s.tag), q(s.item)): s for s in SECTIONS}
