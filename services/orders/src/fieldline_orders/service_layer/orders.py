"""Pre-sale order use cases besides the submission (service_layer/submit.py): fulfilment
status from the ERP or the distributor, the fulfilment report, and the checks a van sale
shares with a submission (the outlet, the override reason)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, tzinfo

from fieldline_kit.errors import InvalidArgument, NotFound
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain.fulfilment import FulfilmentRow, report
from fieldline_orders.domain.orders import Order, OrderStatus
from fieldline_orders.domain.values import limit_text, require_id


async def check_outlet(uow: OrdersUnitOfWork, client_id: str, outlet_id: str) -> None:
    """The outlet must be known (clients feed) and belong to the client."""
    check_owner(await uow.feed_reads.outlet_client(outlet_id), client_id, outlet_id)


def check_owner(
    owner: str | None, client_id: str, outlet_id: str, field: str = "outlet_id"
) -> None:
    """`owner`: the outlet's client as the clients feed told it (None: an unknown outlet)."""
    if owner is None:
        raise NotFound("outlet", outlet_id, field)
    if owner != client_id:
        raise InvalidArgument(field, "belongs to another client")


def override_reason(value: str) -> str:
    return limit_text("credit_override.reason", value, 1000)


# --------------------------------------------------------------------------- status
async def update_status(
    uow: OrdersUnitOfWork,
    now: datetime,
    *,
    order_id: str,
    status: OrderStatus | None,
    delivered: Sequence[tuple[str, str]],
    reason: str,
    reported_by: str,
) -> Order:
    if status is None:
        raise InvalidArgument("status", "is required")
    order = await uow.orders.get(require_id("order_id", order_id))
    if order.change_status(
        status, delivered=delivered, reason=reason, reported_by=reported_by, now=now
    ):
        await uow.orders.save(order)
    return order


# ---------------------------------------------------------------------------- report
async def fulfilment_report(
    uow: OrdersUnitOfWork,
    *,
    from_date: date | None,
    to_date: date | None,
    distributor_id: str,
    agent_id: str,
    late_after_days: int,
    today: date,
    tz: tzinfo,
) -> list[FulfilmentRow]:
    if late_after_days < 0:
        raise InvalidArgument("late_after_days", "must not be negative")
    if from_date and to_date and to_date < from_date:
        raise InvalidArgument("to_date", "must not be before from_date")
    facts = await uow.queries.fulfilment_facts(
        from_date=from_date,
        to_date=to_date,
        distributor_id=distributor_id,
        agent_id=agent_id,
        tz=tz,
    )
    return report(facts, today, late_after_days)
