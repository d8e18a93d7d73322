"""Test data through the public gRPC API and real orders events on the ORDERS stream."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from google.protobuf import any_pb2, timestamp_pb2
from google.protobuf.message import Message
from google.type import date_pb2, money_pb2
from nats.js import JetStreamContext
from sqlalchemy import func, select

from fieldline.common.v1 import event_envelope_pb2
from fieldline.orders.events.v1 import events_pb2 as oev
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.orders.v1 import van_service_pb2 as vpb
from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.grpc.convert import money
from fieldline_kit.testing.auth import process_tokens
from fieldline_kit.testing.helpers import new_id
from fieldline_settlements.adapters import orm

from .conftest import Harness

ACTOR_ID = "6a0e3f9c-1d2b-4c5e-8f7a-9b0c1d2e3f40"


def pb_date(d: date) -> date_pb2.Date:
    return date_pb2.Date(year=d.year, month=d.month, day=d.day)


def rub(amount: str) -> money_pb2.Money:
    return money(Decimal(amount), "RUB")


def dec(m: money_pb2.Money) -> Decimal:
    return (Decimal(m.units) + Decimal(m.nanos) / Decimal(10**9)).quantize(Decimal("0.01"))


# Columns the outbox relay fills in after the commit, on its own time: not a write of a call.
RELAY_COLUMNS = {"published_at", "attempts", "last_error"}


# Tables only the consumers write, on their own time: the test session's NATS carries the events
# of other modules' clients and orders services, which this service's consumers may be applying
# while a test runs. A call never writes them.
CONSUMER_TABLES = {"inbox", "dead_letter", "feed_employees", "feed_outlets", "feed_route_outlets"}
# Tables only the standings sweep writes, on its own clock (at start-up: the day's sweep).
BACKGROUND_TABLES = {"standing_sweeps"}


async def snapshot(h: Harness) -> dict[str, list[str]]:
    """Every row of every table a call may write (the outbox included): "nothing written" is
    this unchanged."""
    out = {}
    async with h.app.read_sessions() as session:
        for table in orm.metadata.sorted_tables:
            if table.name in CONSUMER_TABLES | BACKGROUND_TABLES:
                continue
            columns = [c for c in table.c if c.name not in RELAY_COLUMNS]
            rows = (await session.execute(select(*columns))).all()
            out[table.name] = sorted(repr(tuple(r)) for r in rows)
    return out


async def count(h: Harness, table: Any, *where: Any) -> int:
    async with h.app.sessions() as s:
        stmt = select(func.count()).select_from(table)
        for cond in where:
            stmt = stmt.where(cond)
        return int((await s.execute(stmt)).scalar_one())


# ------------------------------------------------------------------------------ gRPC data
async def record_invoice(
    h: Harness,
    client_id: str,
    amount: str,
    *,
    issued: date,
    due: date | None = None,
    outlet_id: str = "",
    order_id: str = "",
    number: str = "",
    invoice_id: str = "",
    source: int = pb.INVOICE_SOURCE_ERP,
) -> pb.Invoice:
    response = await h.settlements.RecordInvoice(
        ss.RecordInvoiceRequest(
            request_id=new_id(),
            invoice=pb.Invoice(
                id=invoice_id or new_id(),
                number=number,
                client_id=client_id,
                outlet_id=outlet_id,
                order_id=order_id,
                source=source,
                issue_date=pb_date(issued),
                due_date=pb_date(due) if due else None,
                amount=rub(amount),
            ),
        )
    )
    return response.invoice


def payment_request(
    client_id: str,
    amount: str,
    *,
    on: date,
    outlet_id: str = "",
    named: tuple[tuple[str, str], ...] = (),
    payment_id: str = "",
) -> ss.RecordPaymentRequest:
    """A bank payment; `named`: the invoices it pays, (invoice id, amount: "" as much as open)."""
    return ss.RecordPaymentRequest(
        request_id=new_id(),
        payment=pb.Payment(
            id=payment_id or new_id(),
            kind=pb.PAYMENT_KIND_BANK,
            client_id=client_id,
            outlet_id=outlet_id,
            date=pb_date(on),
            amount=rub(amount),
            allocations=[
                pb.Allocation(invoice_id=i, amount=rub(a) if a else None) for i, a in named
            ],
        ),
    )


async def record_payment(h: Harness, client_id: str, amount: str, **kw: Any) -> pb.Payment:
    """The payment `payment_request(client_id, amount, **kw)` recorded."""
    reply = await h.settlements.RecordPayment(payment_request(client_id, amount, **kw))
    return reply.payment


async def set_limit(h: Harness, client_id: str, limit: str | None, terms: int = 0) -> pb.Balance:
    response = await h.settlements.SetCreditLimit(
        ss.SetCreditLimitRequest(
            request_id=new_id(),
            client_id=client_id,
            limit=rub(limit) if limit is not None else None,
            clear=limit is None,
            payment_terms_days=terms,
        )
    )
    return response.balance


async def balance(
    h: Harness, client_id: str, outlet_id: str = "", as_of: date | None = None
) -> pb.Balance:
    response = await h.settlements.GetBalance(
        ss.GetBalanceRequest(
            client_id=client_id, outlet_id=outlet_id, as_of=pb_date(as_of) if as_of else None
        )
    )
    return response.balance


def actor_token(roles: tuple[str, ...] = ("AGENT",), subject: str = ACTOR_ID) -> str:
    """A user's token, as the orders service puts it in a check (`actor_token`)."""
    return process_tokens().mint(subject, roles=roles)


def check_request(
    client_id: str,
    amount: str,
    *,
    order_id: str = "",
    stage: int = pb.STAGE_ORDER_SUBMIT,
    roles: tuple[str, ...] = ("AGENT",),
    reason: str = "",
    as_of: date | None = None,
    request_id: str = "",
) -> ss.CheckCreditRequest:
    """A check for the user ACTOR_ID holding `roles` (its `actor_token`)."""
    return ss.CheckCreditRequest(
        request_id=request_id,
        order_id=order_id or new_id(),
        client_id=client_id,
        amount=rub(amount),
        stage=stage,
        actor_token=actor_token(roles),
        override_reason=reason,
        as_of=pb_date(as_of) if as_of else None,
    )


async def check(
    h: Harness, client_id: str, amount: str, *, request_id: str = "", **kw: Any
) -> ss.CheckCreditResponse:
    """CheckCredit of `check_request(…)`, with a request_id of its own unless given."""
    return await h.settlements.CheckCredit(
        check_request(client_id, amount, request_id=request_id or new_id(), **kw)
    )


# -------------------------------------------------------------------------- orders events
def envelope(
    payload: Message, aggregate_id: str, *, event_id: str = "", version: int = 1
) -> event_envelope_pb2.EventEnvelope:
    packed = any_pb2.Any()
    packed.Pack(payload)
    occurred = timestamp_pb2.Timestamp()
    occurred.FromDatetime(datetime.now(UTC))
    return event_envelope_pb2.EventEnvelope(
        event_id=event_id or new_id(),
        occurred_at=occurred,
        aggregate_type="order",
        aggregate_id=aggregate_id,
        aggregate_version=version,
        correlation_id=new_id(),
        payload=packed,
    )


async def publish(
    js: JetStreamContext, env: event_envelope_pb2.EventEnvelope, *, msg_id: str = ""
) -> None:
    any_name = env.payload.TypeName().rsplit(".", 1)[-1]
    await js.publish(
        f"orders.events.v1.{any_name}",
        env.SerializeToString(),
        headers={"Nats-Msg-Id": msg_id or env.event_id},
    )


def van_sale(
    client_id: str,
    outlet_id: str,
    gross: str,
    *,
    cash: str = "0",
    on: date,
    containers: tuple[tuple[str, str], ...] = (),
    order_id: str = "",
    receipt: str = "R-0001",
    currency: str = "RUB",
) -> oev.VanSaleCompleted:
    order = opb.Order(
        id=order_id or new_id(),
        kind=opb.ORDER_KIND_VAN_SALE,
        status=opb.ORDER_STATUS_DELIVERED,
        client_id=client_id,
        outlet_id=outlet_id,
        agent_id=new_id(),
        warehouse_id=new_id(),
        order_date=pb_date(on),
        currency_code=currency,
        gross_total=money(Decimal(gross), currency),
        version=1,
    )
    return oev.VanSaleCompleted(
        order=order,
        van_id=order.warehouse_id,
        cash_collected=money(Decimal(cash), currency),
        receipt_number=receipt,
        containers=[vpb.ContainerLine(container_type=t, quantity=q) for t, q in containers],
    )


def goods_return(
    client_id: str,
    outlet_id: str,
    gross: str,
    *,
    on: date,
    order_id: str = "",
    containers: tuple[tuple[str, str], ...] = (),
) -> oev.ReturnAccepted:
    return oev.ReturnAccepted(
        goods_return=vpb.GoodsReturn(
            id=new_id(),
            client_id=client_id,
            outlet_id=outlet_id,
            order_id=order_id,
            date=pb_date(on),
            containers=[vpb.ContainerLine(container_type=t, quantity=q) for t, q in containers],
            gross_total=rub(gross),
        ),
        currency_code="RUB",
    )


def status_changed(order_id: str, client_id: str, status: int) -> oev.OrderStatusChanged:
    return oev.OrderStatusChanged(
        order=opb.Order(id=order_id, client_id=client_id, status=status, version=3),
        previous_status=opb.ORDER_STATUS_SUBMITTED,
    )


async def blocked_client(h: Harness) -> str:
    """A client whose every order is over its limit, under a BLOCK policy a SUPERVISOR may
    override."""
    client = new_id()
    await set_limit(h, client, "1.00")
    await h.settlements.SetDebtPolicy(
        ss.SetDebtPolicyRequest(
            request_id=new_id(),
            policy=pb.DebtPolicy(
                client_id=client,
                mode=pb.DEBT_POLICY_MODE_BLOCK,
                check_credit_limit=True,
                max_overdue_days=-1,
                stages=[pb.STAGE_ORDER_SUBMIT],
                override_roles=["SUPERVISOR"],
            ),
        )
    )
    return client
