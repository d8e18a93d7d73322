"""Sync items of the sections that come from settlements: balances, invoices, tareBalances,
creditStandings, collections, cashOnHand (docs/sync-protocol.md, *Sections*). Money is
`projections.money` (exact, never a float); tare quantities are settlements' decimal strings.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as sss
from fieldline_gateway.adapters.projections import (
    BALANCES,
    CASH_ON_HAND,
    COLLECTIONS,
    CREDIT_STANDINGS,
    INVOICES,
    TARE_BALANCES,
    Item,
    Removal,
    camel,
    date_text,
    enum_name,
    enum_names,
    item,
    join_key,
    money,
    put,
    require,
    scope_account,
    scope_agent,
)
from fieldline_kit.grpc.convert import from_money

# ------------------------------------------------------------------------------ balances


def balance_key(client_id: str, outlet_id: str = "") -> str:
    """`clientId` for the whole client, `clientId/outletId` for one outlet."""
    client = require(client_id, "client_id")
    return join_key(client, outlet_id) if outlet_id else client


def balance_item(balance: spb.Balance, *, as_of: date) -> Item:
    """`balances`: a client's (or one outlet's) debts (`DebtChanged`, `GetBalance`,
    `ListBalances`), versioned by the client account's version. `as_of` is the business day
    the figures are judged on (the request's, or the day the event is applied): `Balance`
    does not carry it. Partly versioned (`projections.PARTLY_VERSIONED`)."""
    b = balance
    data: dict[str, Any] = {"clientId": b.client_id}
    put(data, "outletId", b.outlet_id)
    data.update(
        {
            "balance": money(b.balance, "balance.balance"),
            "overdue": money(b.overdue, "balance.overdue"),
            "maxOverdueDays": b.max_overdue_days,
            "openInvoices": b.open_invoices,
        }
    )
    if b.has_credit_limit:
        data["creditLimit"] = money(b.credit_limit, "balance.credit_limit")
    data["reserved"] = money(b.reserved, "balance.reserved")
    data["asOf"] = as_of.isoformat()
    key = balance_key(b.client_id, b.outlet_id)
    return item(BALANCES, key, scope_account(b.client_id), b.version, data)


# ------------------------------------------------------------------------------ invoices


def is_open_invoice(invoice: spb.Invoice) -> bool:
    """Open: something left to pay (or, for a credit note, credit left to use)."""
    amount, _ = from_money("invoice.open_amount", invoice.open_amount)
    return amount != 0


def invoice_item(invoice: spb.Invoice) -> Item:
    """`invoices`: an open invoice (`InvoiceIssued`, `InvoiceChanged`, `ListInvoices`)."""
    i = invoice
    data: dict[str, Any] = {"id": i.id, "number": i.number, "clientId": i.client_id}
    put(data, "outletId", i.outlet_id)
    put(data, "orderId", i.order_id)
    data.update(
        {
            "source": enum_name(spb.InvoiceSource, i.source),
            "issueDate": date_text(i.issue_date, "invoice.issue_date"),
            "dueDate": date_text(i.due_date, "invoice.due_date"),
            "amount": money(i.amount, "invoice.amount"),
            "openAmount": money(i.open_amount, "invoice.open_amount"),
        }
    )
    key = require(i.id, "invoice.id")
    return item(INVOICES, key, scope_account(i.client_id), i.version, data)


def invoice_removal(invoice: spb.Invoice) -> Removal:
    """The tombstone of an invoice no longer open."""
    key = require(invoice.id, "invoice.id")
    return Removal(INVOICES, key, scope_account(invoice.client_id), invoice.version)


def invoice_change(invoice: spb.Invoice) -> Item | Removal:
    """An invoice as the section holds it: the item while open, else its tombstone."""
    return invoice_item(invoice) if is_open_invoice(invoice) else invoice_removal(invoice)


# ---------------------------------------------------------------------------------- tare


def tare_balance_key(client_id: str, container_type: str) -> str:
    return join_key(require(client_id, "client_id"), require(container_type, "container_type"))


def tare_balance_item(balance: spb.TareBalance) -> Item:
    """`tareBalances`, keyed `clientId/containerType` (`TareBalanceChanged`,
    `GetTareBalance`, `ListTareBalances`). Its `version` steps with movements only: a new
    deposit changes the deposit figures under the same version (partly versioned)."""
    t = balance
    data: dict[str, Any] = {
        "clientId": t.client_id,
        "containerType": t.container_type,
        "issued": t.issued,
        "returned": t.returned,
        "balance": t.balance,
    }
    if t.HasField("deposit_per_unit"):
        data["depositPerUnit"] = money(t.deposit_per_unit, "tare.deposit_per_unit")
    if t.HasField("deposit_value"):
        data["depositValue"] = money(t.deposit_value, "tare.deposit_value")
    key = tare_balance_key(t.client_id, t.container_type)
    return item(TARE_BALANCES, key, scope_account(t.client_id), t.version, data)


# ---------------------------------------------------------------------- credit standings


def _policy(policy: spb.DebtPolicy, is_default: bool) -> dict[str, Any]:
    return {
        "mode": enum_name(spb.DebtPolicyMode, policy.mode),
        "checkCreditLimit": policy.check_credit_limit,
        "maxOverdueDays": policy.max_overdue_days,
        "stages": enum_names(spb.Stage, policy.stages),
        # Role names as `me.roles` spells them (SUPERVISOR → "supervisor").
        "overrideRoles": [camel(r) for r in policy.override_roles],
        "isDefault": is_default,
    }


def _figures(
    balance: Any, overdue: Any, max_overdue_days: int, limit: Any, reserved: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "balance": money(balance, "figures.balance"),
        "overdue": money(overdue, "figures.overdue"),
        "maxOverdueDays": max_overdue_days,
    }
    if limit is not None:
        data["creditLimit"] = money(limit, "figures.credit_limit")
    data["reserved"] = money(reserved, "figures.reserved")
    return data


def _headroom(stages: Any) -> Any:
    """The smallest headroom of the stages that have one (they are judged on the same figures:
    a stage has none when no amount changes its decision)."""
    best: tuple[Decimal, Any] | None = None
    for s in stages:
        if s.has_headroom:
            amount, _ = from_money("stage.headroom", s.headroom)
            if best is None or amount < best[0]:
                best = (amount, s.headroom)
    return None if best is None else best[1]


def credit_standing_item(standing: sss.CreditStanding) -> Item:
    """`creditStandings`: the debt policy's decision now, per stage, as settlements judges it
    (`CreditStandingChanged`, `GetCreditStanding`, `ListCreditStandings`); `decisions` is
    null when settlements gives no stage. Keyed by the client. The standing's `version` steps
    with the decisions only (figures and headroom move without it): partly versioned."""
    s = standing
    f = s.figures
    data: dict[str, Any] = {
        "clientId": s.client_id,
        "asOf": date_text(s.as_of, "standing.as_of"),
        "decisions": [
            {
                "stage": enum_name(spb.Stage, x.stage),
                "outcome": enum_name(sss.CreditOutcome, x.outcome),
                "reasons": [
                    {"code": enum_name(sss.CreditReasonCode, r.code), "message": r.message}
                    for r in x.reasons
                ],
            }
            for x in s.stages
        ]
        or None,
    }
    headroom = _headroom(s.stages)
    if headroom is not None:
        data["headroom"] = money(headroom, "standing.headroom")
    data["policy"] = _policy(s.policy, s.is_default_policy)
    limit = f.credit_limit if f.has_credit_limit else None
    data["figures"] = _figures(f.balance, f.overdue, f.max_overdue_days, limit, f.reserved)
    key = require(s.client_id, "standing.client_id")
    return item(CREDIT_STANDINGS, key, scope_account(s.client_id), s.version, data)


def credit_standing_without_decisions(
    balance: spb.Balance, policy: spb.DebtPolicy, *, is_default: bool, as_of: date
) -> Item:
    """`creditStandings` where settlements gives no decision: the policy in force
    (`GetDebtPolicy`) and the client's figures (its `Balance`), `decisions` null — the app
    then lets the upload's answer decide. Unversioned."""
    b = balance
    limit = b.credit_limit if b.has_credit_limit else None
    data = {
        "clientId": b.client_id,
        "asOf": as_of.isoformat(),
        "decisions": None,
        "policy": _policy(policy, is_default),
        "figures": _figures(b.balance, b.overdue, b.max_overdue_days, limit, b.reserved),
    }
    key = require(b.client_id, "balance.client_id")
    return item(CREDIT_STANDINGS, key, scope_account(b.client_id), 0, data)


# --------------------------------------------------------------------------- collections


def _cash_payment(p: spb.Payment) -> dict[str, Any]:
    """What `collections` and `cashOnHand` show of a cash payment: id, client, outlet, date,
    amount, receipt."""
    data: dict[str, Any] = {"id": p.id, "clientId": p.client_id}
    put(data, "outletId", p.outlet_id)
    data.update(
        {
            "date": date_text(p.date, "payment.date"),
            "amount": money(p.amount, "payment.amount"),
            "receiptNumber": p.receipt_number,
        }
    )
    return data


def collection_item(payment: spb.Payment) -> Item | None:
    """`collections`: cash an agent collected (`PaymentRecorded`), under the collector's
    scope; None for a payment nobody collected (a bank payment). Unversioned."""
    p = payment
    if not p.collected_by or p.kind == spb.PAYMENT_KIND_BANK:
        return None
    data = _cash_payment(p)
    data.update(
        {
            "allocations": [
                {"invoiceId": a.invoice_id, "amount": money(a.amount, "allocation.amount")}
                for a in p.allocations
            ],
            "unallocated": money(p.unallocated, "payment.unallocated"),
        }
    )
    key = require(p.id, "payment.id")
    return item(COLLECTIONS, key, scope_agent(p.collected_by), 0, data)


# --------------------------------------------------------------------------- cash on hand


def cash_on_hand_item(cash: spb.CashOnHand) -> Item:
    """`cashOnHand`: the cash an employee holds, its cash payments no handover covers yet
    (`GetCashOnHand`), keyed by the employee, versioned by settlements' cash-on-hand version
    (which steps with each payment collected and each handover)."""
    c = cash
    data: dict[str, Any] = {
        "employeeId": c.employee_id,
        "total": money(c.total, "cash_on_hand.total"),
    }
    put(data, "oldestDate", date_text(c.oldest_date, "cash_on_hand.oldest_date"))
    payments = []
    for p in c.payments:
        entry = _cash_payment(p)
        put(entry, "visitId", p.visit_id)
        payments.append(entry)
    data["payments"] = payments
    data["version"] = c.version
    key = require(c.employee_id, "cash_on_hand.employee_id")
    return item(CASH_ON_HAND, key, scope_agent(c.employee_id), c.version, data)
