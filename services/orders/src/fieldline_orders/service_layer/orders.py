"""Pre-sale order use cases.

Submissions are prepared and written in batches (`prepare_submits`, `finish_submits`: the
orders service coalesces concurrent SubmitOrder calls, see entrypoints/submit_batch.py) with a
fixed number of statements per batch; a batch of one is the single case. Retries of an order
that exists take the one-at-a-time path (`prepare_submit`, `finish_submit`).

SubmitOrder runs in three steps so that no database write transaction is held across the
network call to settlements (a SQLite write transaction would block every other writer):

1. `prepare_submit` — a read transaction: validates the request, checks the outlet, resolves
   prices and builds the order's lines and the CheckCredit request. Bad input fails here, before
   settlements is asked anything.
2. the caller calls settlements' CheckCredit (no transaction open);
3. `finish_submit` — inside the idempotent unit of work: writes the order with the decision.
   If the order appeared meanwhile (a concurrent retry of the same submit), that order is
   returned; a CREDIT_HOLD order is re-checked only if it did not change since step 1.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_kit.errors import AlreadyExists, Conflict, DomainError, InvalidArgument, NotFound
from fieldline_kit.uow import UnitOfWork
from fieldline_orders.adapters import feed_queries, queries
from fieldline_orders.adapters.catalog_cache import CatalogCache
from fieldline_orders.adapters.catalog_store import load_price_book, load_price_books
from fieldline_orders.adapters.repository import OrderRepository
from fieldline_orders.domain.fulfilment import FulfilmentRow, report
from fieldline_orders.domain.orders import (
    CreditDecision,
    CreditRequest,
    Order,
    OrderHeader,
    OrderKind,
    OrderStatus,
    Stage,
)
from fieldline_orders.domain.pricing import LineInput, ManualDiscountLimits, PriceBook, PricedLine
from fieldline_orders.domain.values import ZERO, limit_text, require_id


async def check_outlet(session: AsyncSession, client_id: str, outlet_id: str) -> None:
    """The outlet must be known (clients feed) and belong to the client."""
    _check_owner(await feed_queries.outlet_client(session, outlet_id), client_id, outlet_id)


def _check_owner(owner: str | None, client_id: str, outlet_id: str) -> None:
    if owner is None:
        raise NotFound("outlet", outlet_id, "outlet_id")
    if owner != client_id:
        raise InvalidArgument("outlet_id", "belongs to another client")


@dataclass(frozen=True)
class SubmitCommand:
    order_id: str
    client_id: str
    outlet_id: str
    distributor_id: str
    warehouse_id: str
    order_date: date | None
    delivery_date: date | None
    lines: Sequence[LineInput]
    comment: str
    actor_id: str
    actor_roles: tuple[str, ...]
    override_reason: str


@dataclass(frozen=True)
class SubmitPlan:
    order_id: str
    # The order as it was found (returned as is unless it is held and gets re-checked).
    existing: Order | None = None
    header: OrderHeader | None = None
    priced: Sequence[PricedLine] = ()
    currency: str = ""
    credit: CreditRequest | None = None


def override_reason(value: str) -> str:
    return limit_text("credit_override.reason", value, 1000)


async def prepare_submit(
    session: AsyncSession,
    cmd: SubmitCommand,
    *,
    today: date,
    limits: ManualDiscountLimits,
) -> SubmitPlan:
    order_id = require_id("order_id", cmd.order_id)
    reason = override_reason(cmd.override_reason)
    existing = await queries.get_order(session, order_id)
    if existing is not None:
        if existing.kind is not OrderKind.PRE_SALE:
            raise AlreadyExists(f"order_id: {order_id} is already used by a van sale")
        if existing.status is not OrderStatus.CREDIT_HOLD:
            return SubmitPlan(order_id, existing)
        actor = require_id("actor.employee_id", cmd.actor_id)
        return SubmitPlan(
            order_id,
            existing,
            credit=CreditRequest(
                order_id=order_id,
                client_id=existing.client_id,
                amount=existing.gross_total,
                currency_code=existing.currency_code,
                stage=Stage.ORDER_SUBMIT,
                actor_id=actor,
                actor_roles=cmd.actor_roles,
                override_reason=reason,
                as_of=today,
            ),
        )
    header = _header(cmd, order_id, today)
    await check_outlet(session, header.client_id, header.outlet_id)
    book = await load_price_book(
        session, header.client_id, header.order_date, _product_ids(cmd.lines)
    )
    return _new_order_plan(cmd, header, book, reason, today, limits)


def _header(cmd: SubmitCommand, order_id: str, today: date) -> OrderHeader:
    return OrderHeader.create(
        order_id=order_id,
        client_id=cmd.client_id,
        outlet_id=cmd.outlet_id,
        agent_id=cmd.actor_id,
        distributor_id=cmd.distributor_id,
        warehouse_id=cmd.warehouse_id,
        order_date=cmd.order_date or today,
        delivery_date=cmd.delivery_date,
        comment=cmd.comment,
    )


def _new_order_plan(
    cmd: SubmitCommand,
    header: OrderHeader,
    book: PriceBook,
    reason: str,
    today: date,
    limits: ManualDiscountLimits,
) -> SubmitPlan:
    """Price a new order's lines and make the credit request for its total."""
    priced = book.price_lines(cmd.lines, roles=cmd.actor_roles, limits=limits)
    currency = book.currency
    gross = sum((p.amounts.gross for p in priced), ZERO)
    return SubmitPlan(
        header.order_id,
        None,
        header,
        priced,
        currency,
        CreditRequest(
            order_id=header.order_id,
            client_id=header.client_id,
            amount=gross,
            currency_code=currency,
            stage=Stage.ORDER_SUBMIT,
            actor_id=header.agent_id,
            actor_roles=cmd.actor_roles,
            override_reason=reason,
            as_of=today,
        ),
    )


async def prepare_submits(
    session: AsyncSession,
    cmds: Sequence[SubmitCommand],
    *,
    today: date,
    limits: ManualDiscountLimits,
    cache: CatalogCache | None = None,
) -> list[SubmitPlan | DomainError]:
    """`prepare_submit` for a batch, in one read transaction with a fixed number of statements.

    Each command gets its plan or the error it alone caused (one bad order does not fail the
    others). The order ids must be distinct. Orders that exist already (retries) are prepared
    one by one (`prepare_submit`): rare, and they need the stored order.
    """
    out: list[SubmitPlan | DomainError | None] = [None] * len(cmds)
    named: list[tuple[int, SubmitCommand, str, str]] = []
    for i, cmd in enumerate(cmds):
        try:
            named.append(
                (i, cmd, require_id("order_id", cmd.order_id), override_reason(cmd.override_reason))
            )
        except DomainError as exc:
            out[i] = exc
    # As in `prepare_submit`: an order that exists is answered as it is, before the rest of
    # the request is judged again (a retry after midnight must not fail on its dates).
    taken = await queries.existing_order_ids(session, [n[2] for n in named])
    fresh: list[tuple[int, SubmitCommand, OrderHeader, str, list[str]]] = []
    for i, cmd, order_id, reason in named:
        if order_id in taken:
            out[i] = await _prepared(prepare_submit(session, cmd, today=today, limits=limits))
            continue
        try:
            header = _header(cmd, order_id, today)
            fresh.append((i, cmd, header, reason, _product_ids(cmd.lines)))
        except DomainError as exc:
            out[i] = exc
    owners = await feed_queries.outlet_clients(session, {f[2].outlet_id for f in fresh})
    priceable = []
    for f in fresh:
        try:
            _check_owner(owners.get(f[2].outlet_id), f[2].client_id, f[2].outlet_id)
            priceable.append(f)
        except DomainError as exc:
            out[f[0]] = exc
    books = await load_price_books(
        session,
        [(h.client_id, h.order_date) for _, _, h, _, _ in priceable],
        [pid for *_, ids in priceable for pid in ids],
        cache,
    )
    for i, cmd, header, reason, _ in priceable:
        try:
            book = books[(header.client_id, header.order_date)]
            out[i] = _new_order_plan(cmd, header, book, reason, today, limits)
        except DomainError as exc:
            out[i] = exc
    return [o if o is not None else Conflict("order was not prepared; retry") for o in out]


async def _prepared(step: Awaitable[SubmitPlan]) -> SubmitPlan | DomainError:
    try:
        return await step
    except DomainError as exc:
        return exc


def _product_ids(lines: Sequence[LineInput]) -> list[str]:
    out = []
    for i, ln in enumerate(lines):
        if ln.product_id:
            out.append(require_id(f"lines[{i}].product_id", ln.product_id))
    return out


async def finish_submit(
    uow: UnitOfWork, plan: SubmitPlan, decision: CreditDecision | None, now: datetime
) -> Order:
    orders = OrderRepository(uow)
    if plan.existing is None and plan.header is not None and decision is not None:
        # A new order (the usual case): written unless it appeared since step 1 (a concurrent
        # submit of the same order), which is then returned as it is.
        order = Order.submit(plan.header, plan.priced, plan.currency, decision, now)
        if await orders.add_if_absent(order):
            return order
    current = await orders.find(plan.order_id)
    if current is not None:
        if (
            decision is not None
            and plan.existing is not None
            and current.status is OrderStatus.CREDIT_HOLD
            and current.version == plan.existing.version
        ):
            current.recheck(decision, now, plan.credit.actor_id if plan.credit else "")
            await orders.save(current)
        return current
    # It was there at step 1 and is gone now: orders are never deleted.
    raise Conflict(f"order {plan.order_id} changed while it was submitted; retry")


async def finish_submits(
    uow: UnitOfWork,
    plans: Sequence[tuple[SubmitPlan, CreditDecision, str]],
    now: datetime,
) -> list[Order | None]:
    """`finish_submit` for a batch of new orders (plan, decision, correlation id), in one
    statement per table. Each gets its written order, or None when an order with its id
    appeared since it was prepared (a concurrent submit): finish that one with
    `finish_submit` after this transaction.
    """
    new: list[Order] = []
    correlations: dict[str, str] = {}
    for plan, decision, correlation in plans:
        if plan.existing is not None or plan.header is None:
            raise ValueError(f"finish_submits takes new orders only, not {plan.order_id}")
        new.append(Order.submit(plan.header, plan.priced, plan.currency, decision, now))
        correlations[plan.order_id] = correlation
    inserted = await OrderRepository(uow).add_all_if_absent(new)
    for order in inserted:
        uow.track(order, correlation=correlations[order.id])
    written = {o.id: o for o in inserted}
    return [written.get(plan.order_id) for plan, _, _ in plans]


# --------------------------------------------------------------------------- status
async def update_status(
    uow: UnitOfWork,
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
    orders = OrderRepository(uow)
    order = await orders.get(require_id("order_id", order_id))
    if order.change_status(
        status, delivered=delivered, reason=reason, reported_by=reported_by, now=now
    ):
        await orders.save(order)
    return order


# ---------------------------------------------------------------------------- report
async def fulfilment_report(
    session: AsyncSession,
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
    facts = await queries.fulfilment_facts(
        session,
        from_date=from_date,
        to_date=to_date,
        distributor_id=distributor_id,
        agent_id=agent_id,
        tz=tz,
    )
    return report(facts, today, late_after_days)
