"""AmendOrder, CancelOrder, ListOrderRevisions: a pre-sale order changed before confirmation.

An amendment runs in the three steps of a submission, so no transaction is held across the
call to settlements:

1. **read** (`prepare_amendment`, a read-only unit of work): the order, the caller's scope,
   the amendment id (already made: the order is answered as it is), the status and revision,
   the new lines priced at the order's date, the credit request for the new total;
2. **credit**: settlements' CheckCredit for the order id (it puts the order's reservation at
   the new total, or drops it on BLOCK);
3. **write** (`finish_amendment`, the idempotent unit of work): the order as read amended,
   `WHERE version = <read>`. A change in between (a confirmation, a cancellation, another
   amendment) is ABORTED `order_id`, and `put_back` sets the reservation to the order as it
   now stands, best effort (settlements' reservations expire anyway).

Who may: the order's agent, its supervisor (the agent in the team), ADMIN, SERVICE for the
employee its token names (`act`); the amendment and the cancellation are recorded as theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime

from fieldline_kit.errors import (
    AlreadyExists,
    Conflict,
    InvalidArgument,
    NotFound,
)
from fieldline_kit.logging import get_logger
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain.access import Actor, denied
from fieldline_orders.domain.budgets import held, releases
from fieldline_orders.domain.catalog import check_warehouse_owner
from fieldline_orders.domain.order_promotions import (
    ExpectedInput,
    PromotedOrder,
    free_products,
)
from fieldline_orders.domain.orders import (
    Amendment,
    CreditChecker,
    CreditDecision,
    CreditRequest,
    DateWindow,
    Order,
    OrderStatus,
    Revision,
    Stage,
    amendment_digest,
)
from fieldline_orders.domain.pricing import LineInput, ManualDiscountLimits, PricedLine
from fieldline_orders.domain.values import ZERO, limit_text, optional_id, require_id
from fieldline_orders.service_layer.orders import override_reason
from fieldline_orders.service_layer.promoting import (
    OrderShape,
    PromotionTerms,
    promote_one,
    promotions_in_force,
    release_budgets,
    take_budgets,
)
from fieldline_orders.service_layer.scope import readable_order

log = get_logger("fieldline.orders.amend")

# Statuses whose reservation is none: put back by releasing it (held orders reserve nothing:
# BLOCK released it, and the fallback never reached settlements).
RESERVES_NOTHING = frozenset({OrderStatus.CREDIT_HOLD, OrderStatus.CANCELLED, OrderStatus.REJECTED})


def author(actor: Actor) -> str:
    """Who amends or cancels: an employee itself; a service only for the employee its token
    names (`act`)."""
    return actor.acting_employee("amends and cancels orders")


def _may_change(actor: Actor, order: Order) -> bool:
    """The order's agent's side: its agent or its taker (a phone order's teleseller), their
    supervisor, or company-wide."""
    return actor.company_wide or not actor.agents.isdisjoint((order.agent_id, order.taken_by))


async def changeable_order(uow: OrdersUnitOfWork, actor: Actor, order_id: str) -> Order:
    """The order, if the caller may amend or cancel it: another's is PERMISSION_DENIED (an
    unknown one too, for a caller who sees only its own: it learns nothing of the others)."""
    oid = require_id("order_id", order_id)
    order = await uow.orders.find(oid)
    if order is not None and _may_change(actor, order):
        return order
    if order is None and actor.company_wide:
        raise NotFound("order", oid, "order_id")
    raise denied("order_id", f"order {oid}")


def _revision(value: int) -> int:
    if value <= 0:
        raise InvalidArgument("expected_revision", f"is required (1 or more), got {value}")
    return value


# ------------------------------------------------------------------------------ amend
@dataclass(frozen=True)
class AmendCommand:
    order_id: str
    amendment_id: str
    expected_revision: int
    lines: Sequence[LineInput]
    delivery_date: date | None
    warehouse_id: str
    comment: str
    override_reason: str
    # The verified caller, and its bearer token (forwarded to settlements, never logged).
    actor: Actor
    actor_token: str = field(default="", repr=False)
    expected: Sequence[ExpectedInput] = ()  # the promotions the device expected


@dataclass(frozen=True)
class AmendPlan:
    """Step 1's outcome: the order as read, and either `done` (the amendment was made
    already: answered as it is) or the new revision and its credit request."""

    order: Order
    done: bool = False
    amendment_id: str = ""
    digest: str = ""
    amended_by: str = ""
    expected_revision: int = 0
    priced: Sequence[PricedLine] = ()
    delivery_date: date | None = None
    warehouse_id: str = ""
    comment: str = ""
    credit: CreditRequest | None = None
    promoted: PromotedOrder | None = None  # the new lines as its promotions priced them


async def prepare_amendment(
    uow: OrdersUnitOfWork,
    cmd: AmendCommand,
    *,
    today: date,
    limits: ManualDiscountLimits,
    dates: DateWindow,
    promotions: PromotionTerms | None = None,
) -> AmendPlan:
    """Step 1, on a read-only unit of work (nothing is written). Bad input first, then the
    scope, then whether this amendment was made, then the status and revision, then the
    warehouse (a registered one of another owner than the order's is refused, as at submit;
    the order's own is not judged again), then prices."""
    amendment_id = require_id("amendment_id", cmd.amendment_id)
    expected = _revision(cmd.expected_revision)
    reason = override_reason(cmd.override_reason)
    warehouse_id = optional_id("warehouse_id", cmd.warehouse_id)
    comment = limit_text("comment", cmd.comment)
    dates.check("delivery_date", cmd.delivery_date, today)
    ids = [
        require_id(f"lines[{i}].product_id", ln.product_id)
        for i, ln in enumerate(cmd.lines)
        if ln.product_id
    ]
    by = author(cmd.actor)
    order = await changeable_order(uow, cmd.actor, cmd.order_id)
    digest = amendment_digest(
        expected_revision=expected,
        lines=[
            (ln.product_id, ln.unit, ln.quantity, ln.manual_discount_percent) for ln in cmd.lines
        ],
        delivery_date=cmd.delivery_date,
        warehouse_id=warehouse_id,
        comment=comment,
        override_reason=reason,
    )
    made = await uow.orders.amendment(order.id, amendment_id)
    if made is not None:
        _same_amendment(order, made, digest)
        return AmendPlan(order, done=True)
    order.check_amendable(expected)
    if cmd.delivery_date is not None and cmd.delivery_date < order.order_date:
        raise InvalidArgument(
            "delivery_date", f"must not be before the order date {order.order_date.isoformat()}"
        )
    if warehouse_id and warehouse_id != order.warehouse_id:
        owners = await uow.warehouses.owners([warehouse_id])
        check_warehouse_owner("warehouse_id", warehouse_id, owners, order.distributor_id)
    in_force = await promotions_in_force(uow, promotions, cmd.expected) if promotions else []
    book = await uow.catalog.price_book(
        order.client_id,
        order.order_date,
        [*ids, *sorted(free_products(in_force))],
        order.distributor_id,
    )
    priced = book.price_lines(cmd.lines, roles=cmd.actor.role_names, limits=limits)
    if not priced:
        raise InvalidArgument("lines", "at least one line is required")
    promoted = None
    if promotions is not None:
        # Judged again as the order arrives now (a promotion that ended or ran out since the
        # first revision is not given again); what this revision holds of a budget is given
        # back if the amendment is written.
        own = held(await uow.budgets.of_order(order.id)) if in_force else {}
        shape = OrderShape(
            order.outlet_id,
            order.client_id,
            order.kind,
            order.channel,
            order.distributor_id,
            order.order_date,
        )
        promoted = await promote_one(
            uow,
            promotions,
            in_force,
            book,
            priced,
            shape,
            cmd.expected,
            {pid: amount for (pid, rev), amount in own.items() if rev == order.revision},
        )
    gross = promoted.gross if promoted else sum((p.amounts.gross for p in priced), ZERO)
    return AmendPlan(
        order,
        amendment_id=amendment_id,
        digest=digest,
        amended_by=by,
        expected_revision=expected,
        priced=priced,
        delivery_date=cmd.delivery_date,
        warehouse_id=warehouse_id,
        comment=comment,
        promoted=promoted,
        credit=CreditRequest(
            order_id=order.id,
            client_id=order.client_id,
            amount=gross,
            currency_code=book.currency,
            stage=Stage.ORDER_SUBMIT,
            actor_id=cmd.actor.id,
            override_reason=reason,
            as_of=today,
            actor_token=cmd.actor_token if cmd.actor.employee else "",
        ),
    )


def _same_amendment(order: Order, made: Amendment, digest: str) -> None:
    if made.digest != digest:
        raise AlreadyExists(
            f"amendment_id: amendment {made.amendment_id} of order {order.id} was made "
            f"(revision {made.revision}) with other content"
        )


class AlreadyAmended(Exception):
    """Raised (so the unit of work rolls back) when a copy of the amendment was written
    first: the order is answered as it is."""

    def __init__(self, order: Order) -> None:
        super().__init__(order.id)
        self.order = order


async def finish_amendment(
    uow: OrdersUnitOfWork, plan: AmendPlan, decision: CreditDecision, now: datetime
) -> Order:
    """Step 3, in the write transaction: the order amended if it did not change since step 1
    (ABORTED `order_id` otherwise; the save's `WHERE version` settles a race after the read)."""
    read = plan.order
    current = await uow.orders.find(read.id)
    if current is None:  # orders are never deleted
        raise Conflict(f"order_id: order {read.id} changed while it was amended; retry")
    made = await uow.orders.amendment(read.id, plan.amendment_id)
    if made is not None:  # a copy of this amendment won
        _same_amendment(current, made, plan.digest)
        raise AlreadyAmended(current)
    lost = Conflict(
        f"order_id: order {read.id} changed while it was amended; read it and amend again"
    )
    if current.version != read.version:
        raise lost
    current.amend(
        amendment_id=plan.amendment_id,
        digest=plan.digest,
        expected_revision=plan.expected_revision,
        priced=plan.priced,
        delivery_date=plan.delivery_date,
        warehouse_id=plan.warehouse_id,
        comment=plan.comment,
        decision=decision,
        amended_by=plan.amended_by,
        now=now,
        promoted=plan.promoted,
    )
    # The replaced revision's budgets given back and the new one's taken, in one step.
    replaced = releases(
        read.id, await uow.budgets.of_order(read.id), now, revision=plan.expected_revision
    )
    await take_budgets(
        uow, current.id, current.revision, current.promotions, now, released=replaced
    )
    try:
        await uow.orders.save(current)
    except Conflict:
        raise lost from None
    return current


async def put_back(
    credit: CreditChecker,
    read_uow: Callable[[], AbstractAsyncContextManager[OrdersUnitOfWork]],
    order_id: str,
    today: date,
) -> None:
    """After an amendment was checked but not written: the order's reservation set to the
    order as it now stands, as this service (no user), best effort. A held, cancelled or
    rejected order's is released; any other's is checked again at its gross (the decision
    only sets the reservation). Failing that, the next check or the reservation's expiry
    corrects it."""
    try:
        async with read_uow() as uow:
            order = await uow.orders.find(order_id)
        if order is None:
            await credit.release(order_id)
        elif order.status in RESERVES_NOTHING:
            await credit.release(order.id)
        else:
            await credit.check(CreditRequest.as_it_stands(order, today))
    except Exception:  # best effort: the reservation expires anyway
        log.warning("reservation not put back", order_id=order_id, exc_info=True)


# ----------------------------------------------------------------------------- cancel
async def cancel_order(
    uow: OrdersUnitOfWork,
    actor: Actor,
    now: datetime,
    *,
    order_id: str,
    expected_revision: int,
    reason: str,
) -> Order:
    """Cancelled by its agent's side (`OrderStatusChanged` CANCELLED: settlements releases the
    reservation; the contact's figures are recomputed by the unit of work); a cancelled
    order again is answered as it is."""
    expected = _revision(expected_revision)
    if not limit_text("reason", reason):
        raise InvalidArgument("reason", "is required to cancel an order")
    by = author(actor)
    order = await changeable_order(uow, actor, order_id)
    if order.cancel(expected_revision=expected, reason=reason, cancelled_by=by, now=now):
        await uow.orders.save(order)
        await release_budgets(uow, order.id, now)
    return order


# -------------------------------------------------------------------------- revisions
@dataclass(frozen=True)
class RevisionView:
    """A revision with who made it and when (revision 1: the order's agent, its creation)."""

    revision: Revision
    amended_by: str
    at: datetime
    amendment_id: str = ""


async def list_revisions(
    uow: OrdersUnitOfWork, actor: Actor, order_id: str, *, size: int, after: int
) -> tuple[list[RevisionView], int | None]:
    """Up to `size` of the order's revisions after revision `after`, oldest first, the current
    one last; and the revision the next page starts after (None: this was the last page)."""
    order = await readable_order(uow, actor, order_id)
    items = await uow.orders.revisions(order.id, after=after, limit=size)
    if len(items) < size and order.revision > after:
        items.append(order.current_revision())
    made = await uow.orders.amendments(order.id, [r.revision for r in items if r.revision > 1])
    views = []
    for r in items:
        a = made.get(r.revision)
        if a is None:
            views.append(RevisionView(r, order.agent_id, order.created_at))
        else:
            views.append(RevisionView(r, a.amended_by, a.at, a.amendment_id))
    last = items[-1].revision if items else order.revision
    return views, (last if last < order.revision else None)
