"""Translation between the published protos (fieldline.settlements.v1) and the domain model."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from google.protobuf.message import Message
from google.type import date_pb2, money_pb2

from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.errors import InvalidArgument
from fieldline_kit.grpc.convert import (
    NANOS,
    from_enum,
    from_money,
    from_pb_date,
    money,
    pb_date,
    ts,
)
from fieldline_settlements.domain.account import BalanceSnapshot
from fieldline_settlements.domain.cash import CashHandover, CashOnHand
from fieldline_settlements.domain.credit import CreditStanding
from fieldline_settlements.domain.ledger import (
    AgingRow,
    Invoice,
    InvoiceSource,
    Payment,
    PaymentKind,
    PaymentSource,
    Statement,
)
from fieldline_settlements.domain.policy import (
    CreditFigures,
    DebtPolicy,
    Decision,
    Outcome,
    PolicyMode,
    ReasonCode,
    Stage,
)
from fieldline_settlements.domain.tare import Direction, DocumentKind, TareBalance, TareMovement
from fieldline_settlements.domain.values import ZERO, amount, fmt_quantity

E = TypeVar("E")

INVOICE_SOURCES = {
    InvoiceSource.VAN_SALE: pb.INVOICE_SOURCE_VAN_SALE,
    InvoiceSource.ERP: pb.INVOICE_SOURCE_ERP,
    InvoiceSource.RETURN: pb.INVOICE_SOURCE_RETURN,
}
PAYMENT_KINDS = {PaymentKind.CASH: pb.PAYMENT_KIND_CASH, PaymentKind.BANK: pb.PAYMENT_KIND_BANK}
PAYMENT_SOURCES = {
    PaymentSource.FIELD: pb.PAYMENT_SOURCE_FIELD,
    PaymentSource.VAN_SALE: pb.PAYMENT_SOURCE_VAN_SALE,
    PaymentSource.ERP: pb.PAYMENT_SOURCE_ERP,
}
MODES = {
    PolicyMode.BLOCK: pb.DEBT_POLICY_MODE_BLOCK,
    PolicyMode.WARN: pb.DEBT_POLICY_MODE_WARN,
    PolicyMode.IGNORE: pb.DEBT_POLICY_MODE_IGNORE,
}
DOCUMENT_KINDS = {
    DocumentKind.VAN_SALE: pb.TARE_DOCUMENT_KIND_VAN_SALE,
    DocumentKind.RETURN: pb.TARE_DOCUMENT_KIND_RETURN,
    DocumentKind.DELIVERY: pb.TARE_DOCUMENT_KIND_DELIVERY,
    DocumentKind.COUNT: pb.TARE_DOCUMENT_KIND_COUNT,
    DocumentKind.ERP_DOCUMENT: pb.TARE_DOCUMENT_KIND_ERP_DOCUMENT,
}
DIRECTIONS = {
    Direction.ISSUED: pb.TARE_DIRECTION_ISSUED,
    Direction.RETURNED: pb.TARE_DIRECTION_RETURNED,
    Direction.COUNTED: pb.TARE_DIRECTION_COUNTED,
}
STAGES = {Stage.ORDER_SUBMIT: pb.STAGE_ORDER_SUBMIT, Stage.VAN_SALE: pb.STAGE_VAN_SALE}
OUTCOMES = {
    Outcome.ALLOW: ss.CREDIT_OUTCOME_ALLOW,
    Outcome.WARN: ss.CREDIT_OUTCOME_WARN,
    Outcome.BLOCK: ss.CREDIT_OUTCOME_BLOCK,
    Outcome.OVERRIDDEN: ss.CREDIT_OUTCOME_OVERRIDDEN,
}
REASON_CODES = {
    ReasonCode.OVER_LIMIT: ss.CREDIT_REASON_CODE_OVER_LIMIT,
    ReasonCode.OVERDUE: ss.CREDIT_REASON_CODE_OVERDUE,
    ReasonCode.OVERRIDE: ss.CREDIT_REASON_CODE_UNSPECIFIED,
}


def parse_money(
    field: str,
    value: money_pb2.Money,
    currency: str,
    *,
    positive: bool = False,
    allow_negative: bool = False,
) -> Decimal:
    """google.type.Money in the ledger currency → exact Decimal (two decimal places at most)."""
    number, code = from_money(field, value)
    if code != currency:
        raise InvalidArgument(f"{field}.currency_code", f"must be {currency}, got {code!r}")
    return amount(field, number, positive=positive, allow_negative=allow_negative)


def money_field(
    parent: Message,
    name: str,
    field: str,
    currency: str,
    *,
    positive: bool = False,
    allow_negative: bool = False,
) -> Decimal:
    """A required Money field of `parent`."""
    found = optional_money_field(
        parent, name, field, currency, positive=positive, allow_negative=allow_negative
    )
    if found is None:
        raise InvalidArgument(field, "is required")
    return found


def optional_money_field(
    parent: Message,
    name: str,
    field: str,
    currency: str,
    *,
    positive: bool = False,
    allow_negative: bool = False,
) -> Decimal | None:
    """A Money field of `parent`, None when unset."""
    if not parent.HasField(name):
        return None
    value: money_pb2.Money = getattr(parent, name)
    return parse_money(field, value, currency, positive=positive, allow_negative=allow_negative)


def required_date(field: str, value: date_pb2.Date) -> date:
    found = from_pb_date(field, value)
    if found is None:  # from_pb_date raises first; keeps the type exact
        raise InvalidArgument(field, "is required")
    return found


def m(value: Decimal, currency: str) -> money_pb2.Money:
    return money(value, currency)


def invoice_pb(i: Invoice, currency: str) -> pb.Invoice:
    return pb.Invoice(
        id=i.id,
        number=i.number,
        client_id=i.client_id,
        outlet_id=i.outlet_id,
        order_id=i.order_id,
        source=INVOICE_SOURCES[i.source],
        issue_date=pb_date(i.issue_date),
        due_date=pb_date(i.due_date),
        amount=m(i.amount, currency),
        open_amount=m(i.open_amount, currency),
        create_time=ts(i.created_at),
        version=i.version,
        distributor_id=i.distributor_id,
    )


def payment_pb(p: Payment, currency: str) -> pb.Payment:
    return pb.Payment(
        id=p.id,
        kind=PAYMENT_KINDS[p.kind],
        client_id=p.client_id,
        outlet_id=p.outlet_id,
        date=pb_date(p.date),
        amount=m(p.amount, currency),
        receipt_number=p.receipt_number,
        collected_by=p.collected_by,
        allocations=[
            pb.Allocation(invoice_id=a.invoice_id, amount=m(a.amount, currency))
            for a in p.allocations
        ],
        unallocated=m(p.unallocated, currency),
        visit_id=p.visit_id,
        source=PAYMENT_SOURCES[p.source],
        recorded_by=p.recorded_by,
        handover_id=p.handover_id,
        create_time=ts(p.created_at),
        version=p.version,
    )


def handover_pb(h: CashHandover, currency: str) -> pb.CashHandover:
    return pb.CashHandover(
        id=h.id,
        employee_id=h.employee_id,
        date=pb_date(h.date),
        counted=m(h.counted, currency),
        payment_ids=list(h.payment_ids),
        expected=m(h.expected, currency),
        difference=m(h.difference, currency),
        received_by=h.received_by,
        create_time=ts(h.created_at),
        version=h.version,
    )


def cash_on_hand_pb(c: CashOnHand, payments: list[Payment], currency: str) -> pb.CashOnHand:
    return pb.CashOnHand(
        employee_id=c.employee_id,
        total=m(c.total, currency),
        payments=[payment_pb(p, currency) for p in payments],
        oldest_date=pb_date(payments[0].date) if payments else None,
        version=c.version,
    )


def balance_pb(b: BalanceSnapshot, currency: str) -> pb.Balance:
    return pb.Balance(
        client_id=b.client_id,
        outlet_id=b.outlet_id,
        balance=m(b.balance, currency),
        overdue=m(b.overdue, currency),
        max_overdue_days=b.max_overdue_days,
        open_invoices=b.open_invoices,
        credit_limit=m(b.credit_limit if b.credit_limit is not None else ZERO, currency),
        has_credit_limit=b.credit_limit is not None,
        reserved=m(b.reserved, currency),
        version=b.version,
    )


def policy_pb(p: DebtPolicy) -> pb.DebtPolicy:
    return pb.DebtPolicy(
        client_id=p.client_id,
        mode=MODES[p.mode],
        check_credit_limit=p.check_credit_limit,
        max_overdue_days=p.max_overdue_days,
        stages=[STAGES[s] for s in p.stages],
        override_roles=list(p.override_roles),
    )


def policy_from_pb(p: pb.DebtPolicy) -> dict[str, Any]:
    """Arguments of DebtPolicy.create from the proto (validated there)."""
    return {
        "client_id": p.client_id,
        "mode": from_enum(MODES, p.mode, "policy.mode"),
        "check_credit_limit": p.check_credit_limit,
        "max_overdue_days": p.max_overdue_days,
        "stages": [from_enum(STAGES, s, f"policy.stages[{i}]") for i, s in enumerate(p.stages)],
        "override_roles": list(p.override_roles),
    }


def set_money(out: money_pb2.Money, value: Decimal, currency: str) -> None:
    """`money(value, currency)` written into a (new, empty) message in place."""
    out.currency_code = currency
    if value:
        units = int(value)  # truncates toward zero, like google.type.Money wants
        out.units = units
        out.nanos = int((value - units) * NANOS)


def fill_decision(
    out: ss.CheckCreditResponse,
    d: Decision,
    currency: str,
    policies: dict[int, pb.DebtPolicy] | None = None,
) -> None:
    """`decision_pb` written into a (new, empty) message in place, e.g. a batch response's
    result (no intermediate message to copy). `policies`: the policies already mapped in
    this response, by `id()` of the domain policy (the checks of a batch share a few)."""
    out.outcome = OUTCOMES[d.outcome]
    for r in d.reasons:
        out.reasons.add(code=REASON_CODES[r.code], message=r.message)
    fill_figures(out.figures, d.figures, currency)
    if policies is None:
        out.policy.CopyFrom(policy_pb(d.policy))
        return
    mapped = policies.get(id(d.policy))
    if mapped is None:
        mapped = policies[id(d.policy)] = policy_pb(d.policy)
    out.policy.CopyFrom(mapped)


def fill_figures(out: ss.CreditFigures, f: CreditFigures, currency: str) -> None:
    """`f` written into a (new, empty) CreditFigures in place."""
    set_money(out.balance, f.balance, currency)
    set_money(out.reserved, f.reserved, currency)
    set_money(out.order_amount, f.order_amount, currency)
    set_money(out.exposure, f.exposure, currency)
    set_money(out.credit_limit, f.credit_limit if f.credit_limit is not None else ZERO, currency)
    out.has_credit_limit = f.credit_limit is not None
    set_money(out.overdue, f.overdue, currency)
    out.max_overdue_days = f.max_overdue_days
    out.overdue_threshold_days = f.overdue_threshold_days


def standing_pb(s: CreditStanding, currency: str) -> ss.CreditStanding:
    out = ss.CreditStanding(
        client_id=s.client_id,
        as_of=pb_date(s.as_of),
        policy=policy_pb(s.policy),
        is_default_policy=s.is_default_policy,
        version=s.version,
    )
    fill_figures(out.figures, s.figures, currency)
    for stage in s.stages:
        item = out.stages.add(stage=STAGES[stage.stage], outcome=OUTCOMES[stage.decision.outcome])
        for r in stage.decision.reasons:
            item.reasons.add(code=REASON_CODES[r.code], message=r.message)
        if stage.headroom is not None:
            set_money(item.headroom, stage.headroom, currency)
            item.has_headroom = True
    return out


def decision_pb(d: Decision, currency: str) -> ss.CheckCreditResponse:
    out = ss.CheckCreditResponse()
    fill_decision(out, d, currency)
    return out


def movement_pb(mv: TareMovement) -> pb.TareMovement:
    return pb.TareMovement(
        id=mv.id,
        client_id=mv.client_id,
        outlet_id=mv.outlet_id,
        container_type=mv.container_type,
        document_id=mv.document_id,
        document_kind=DOCUMENT_KINDS[mv.kind] if mv.kind else pb.TARE_DOCUMENT_KIND_UNSPECIFIED,
        direction=DIRECTIONS[mv.direction],
        quantity=fmt_quantity(mv.quantity),
        date=pb_date(mv.date),
        balance_after=fmt_quantity(mv.balance_after),
        create_time=ts(mv.created_at),
    )


def tare_pb(
    t: TareBalance, deposit_per_unit: Decimal, currency: str, outlet_id: str = ""
) -> pb.TareBalance:
    return pb.TareBalance(
        outlet_id=outlet_id,
        client_id=t.client_id,
        container_type=t.container_type,
        issued=fmt_quantity(t.issued),
        returned=fmt_quantity(t.returned),
        balance=fmt_quantity(t.balance),
        deposit_per_unit=m(deposit_per_unit, currency),
        deposit_value=m(t.deposit_value(deposit_per_unit), currency),
        version=t.version,
    )


def aging_pb(row: AgingRow, currency: str) -> ss.AgingRow:
    b = row.buckets
    return ss.AgingRow(
        client_id=row.client_id,
        current=m(b[0], currency),
        overdue_1_30=m(b[1], currency),
        overdue_31_60=m(b[2], currency),
        overdue_61_90=m(b[3], currency),
        overdue_over_90=m(b[4], currency),
        total=m(row.total, currency),
    )


def statement_pb(s: Statement, currency: str) -> ss.GetStatementResponse:
    return ss.GetStatementResponse(
        opening_balance=m(s.opening_balance, currency),
        lines=[
            ss.StatementLine(
                date=pb_date(line.entry.date),
                kind=line.entry.kind,
                document_id=line.entry.document_id,
                number=line.entry.number,
                amount=m(line.entry.amount, currency),
                running_balance=m(line.running_balance, currency),
            )
            for line in s.lines
        ],
        closing_balance=m(s.closing_balance, currency),
    )
