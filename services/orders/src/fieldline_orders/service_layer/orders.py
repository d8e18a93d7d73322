"""Pre-sale order use cases besides the submission (service_layer/submit.py): fulfilment
status from the ERP or the distributor, the fulfilment report, and the checks a van sale
shares with a submission (the outlet, the override reason)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, tzinfo

from fieldline_kit.errors import FailedPrecondition, InvalidArgument, NotFound
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain.access import Actor, denied
from fieldline_orders.domain.fulfilment import FulfilmentRow, report
from fieldline_orders.domain.orders import Order, OrderStatus
from fieldline_orders.domain.values import MAX_REASON, limit_text, require_id
from fieldline_orders.service_layer.promoting import release_budgets

# An order that ends so gives back what it took of promotion budgets.
RELEASING = frozenset({OrderStatus.CANCELLED, OrderStatus.REJECTED})

# Days after its delivery date an order counts as late, at most (the report's threshold).
MAX_LATE_AFTER_DAYS = 366


async def check_outlet(uow: OrdersUnitOfWork, client_id: str, outlet_id: str) -> None:
    """The outlet must be known (clients feed) and belong to the client."""
    owner = await uow.feed_reads.outlet_client(outlet_id)
    known = owner in (None, client_id) or bool(await uow.feed_reads.known_clients([client_id]))
    check_owner(owner, client_id, outlet_id, client_known=known)


def check_owner(
    owner: str | None,
    client_id: str,
    outlet_id: str,
    field: str = "outlet_id",
    *,
    client_known: bool = True,
) -> None:
    """`owner`: the outlet's client as the clients feed told it (None: an unknown outlet);
    `client_known`: whether the feed told of the client at all (asked only when it is not
    the owner: a client the feed never named is not found, rather than the wrong one)."""
    if owner is None:
        raise NotFound("outlet", outlet_id, field)
    if owner != client_id:
        if not client_known:
            raise NotFound("client", client_id, "client_id")
        raise InvalidArgument(field, "belongs to another client")


def override_reason(value: str) -> str:
    return limit_text("credit_override.reason", value, MAX_REASON)


# --------------------------------------------------------------------------- status
async def update_status(
    uow: OrdersUnitOfWork,
    now: datetime,
    actor: Actor,
    *,
    order_id: str,
    status: OrderStatus | None,
    delivered: Sequence[tuple[str, str]],
    reason: str,
    expected_revision: int = 0,
) -> Order:
    """A fulfilment status reported by the caller (recorded as who reported it), of the
    revision it saw (`expected_revision`; 0: any): the ERP never confirms lines it has not
    seen. A distributor manager reports its distributor's orders only: another's, or the
    company's, is PERMISSION_DENIED (an unknown one too: it learns nothing of the others)."""
    if status is None:
        raise InvalidArgument("status", "is required")
    if expected_revision < 0:
        raise InvalidArgument("expected_revision", f"must not be negative, got {expected_revision}")
    oid = require_id("order_id", order_id)
    order = await uow.orders.find(oid)
    if order is None and actor.company_wide:
        raise NotFound("order", oid, "order_id")
    if order is None or not actor.reports_fulfilment_of(order.distributor_id):
        raise denied("order_id", f"order {oid}")
    if expected_revision and expected_revision != order.revision:
        raise FailedPrecondition(
            f"expected_revision: order {order.id} is at revision {order.revision}, not "
            f"{expected_revision}"
        )
    if order.change_status(
        status, delivered=delivered, reason=reason, reported_by=actor.id, now=now
    ):
        await uow.orders.save(order)
        if order.status in RELEASING:
            await release_budgets(uow, order.id, now)
    return order


# ---------------------------------------------------------------------------- report
async def fulfilment_report(
    uow: OrdersUnitOfWork,
    actor: Actor,
    *,
    from_date: date | None,
    to_date: date | None,
    distributor_id: str,
    agent_id: str,
    late_after_days: int,
    today: date,
    tz: tzinfo,
) -> list[FulfilmentRow]:
    if not 0 <= late_after_days <= MAX_LATE_AFTER_DAYS:
        raise InvalidArgument(
            "late_after_days", f"must be within [0, {MAX_LATE_AFTER_DAYS}], got {late_after_days}"
        )
    if from_date and to_date and to_date < from_date:
        raise InvalidArgument("to_date", "must not be before from_date")
    # Within the caller's scope: a distributor manager's distributor, a supervisor's team.
    scoped = actor.orders_filter(agent_id, distributor_id)
    if scoped is None:
        return []
    agents, distributor = scoped
    facts = await uow.queries.fulfilment_facts(
        from_date=from_date,
        to_date=to_date,
        distributor_id=distributor,
        agent_ids=agents,
        tz=tz,
    )
    return report(facts, today, late_after_days)
