"""Pre-sale order use cases.

Submissions are prepared and written in batches (`prepare_submits`, `finish_submits`: the
orders service coalesces concurrent SubmitOrder calls, see entrypoints/submit_batch.py) with a
fixed number of statements per batch — the reads usually one (adapters/submit_reads.py); a
batch of one is the single case. Retries of an order
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
from fieldline_orders.adapters.catalog_store import load_price_book
from fieldline_orders.adapters.repository import OrderRepository
from fieldline_orders.adapters.submit_reads import SubmitKeys, SubmitReader, price_books
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
from fieldline_orders.domain.values import ZERO, is_canonical_id, limit_text, require_id


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


@dataclass(frozen=True)
class StoredResponse:
    """A call answered by the response stored under its idempotency key (the caller compares
    the fingerprint with its request's)."""

    fingerprint: str
    response: bytes


async def prepare_submits(
    reader: SubmitReader,
    cmds: Sequence[SubmitCommand],
    *,
    keys: Sequence[str],
    today: date,
    limits: ManualDiscountLimits,
) -> list[SubmitPlan | StoredResponse | DomainError]:
    """`prepare_submit` for a batch; `keys[i]` is the idempotency key of `cmds[i]` ("": none).

    The reads are one statement when the catalog cache can serve the batch
    (adapters/submit_reads.py). Each command gets, in this order of precedence: the response
    stored under its key; the error its order id or override reason causes; for an order that
    exists already (a retry under another key, a held order), `prepare_submit` in a read
    transaction — answered as it is, before the rest of the request is judged again (a retry
    after midnight must not fail on its dates); its own error (header, outlet, pricing); its
    plan. One bad order does not fail the others. The order ids must be distinct.
    """
    if not cmds:
        return []
    out: list[SubmitPlan | StoredResponse | DomainError | None] = [None] * len(cmds)
    named: dict[int, tuple[str, str]] = {}
    refused: dict[int, DomainError] = {}
    for i, cmd in enumerate(cmds):
        try:
            named[i] = (require_id("order_id", cmd.order_id), override_reason(cmd.override_reason))
        except DomainError as exc:
            refused[i] = exc
    # Headers up front; their errors count only once the order is known to be new.
    fresh: dict[int, tuple[OrderHeader, list[str]]] = {}
    invalid: dict[int, DomainError] = {}
    for i, (order_id, _) in named.items():
        try:
            fresh[i] = (_header(cmds[i], order_id, today), _product_ids(cmds[i].lines))
        except DomainError as exc:
            invalid[i] = exc
    headers = [h for h, _ in fresh.values()]
    reads, catalog = await reader.read(
        SubmitKeys(
            request_keys=[k for k in keys if k],
            order_ids=[order_id for order_id, _ in named.values()],
            outlet_ids={h.outlet_id for h in headers},
            client_ids={h.client_id for h in headers},
            product_ids={pid for _, ids in fresh.values() for pid in ids},
            dates={h.order_date for h in headers},
        )
    )
    existing: list[int] = []
    priceable: list[int] = []
    for i in range(len(cmds)):
        stored = reads.stored.get(keys[i]) if keys[i] else None
        if stored is not None:
            out[i] = StoredResponse(*stored)
        elif i in refused:
            out[i] = refused[i]
        elif named[i][0] in reads.taken:
            existing.append(i)
        elif i in invalid:
            out[i] = invalid[i]
        else:
            header = fresh[i][0]
            try:
                _check_owner(reads.owners.get(header.outlet_id), header.client_id, header.outlet_id)
                priceable.append(i)
            except DomainError as exc:
                out[i] = exc
    books = price_books(
        reads, catalog, [(fresh[i][0].client_id, fresh[i][0].order_date) for i in priceable]
    )
    for i in priceable:
        header = fresh[i][0]
        try:
            book = books[(header.client_id, header.order_date)]
            out[i] = _new_order_plan(cmds[i], header, book, named[i][1], today, limits)
        except DomainError as exc:
            out[i] = exc
    if existing:
        async with reader.snapshot() as session:
            for i in existing:
                out[i] = await _prepared(
                    prepare_submit(session, cmds[i], today=today, limits=limits)
                )
    return [o if o is not None else Conflict("order was not prepared; retry") for o in out]


async def _prepared(step: Awaitable[SubmitPlan]) -> SubmitPlan | DomainError:
    try:
        return await step
    except DomainError as exc:
        return exc


def _product_ids(lines: Sequence[LineInput]) -> list[str]:
    out = []
    for i, ln in enumerate(lines):
        pid = ln.product_id
        if pid:
            # The field path is built only for an id `require_id` may refuse or rewrite.
            out.append(pid if is_canonical_id(pid) else require_id(f"lines[{i}].product_id", pid))
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
