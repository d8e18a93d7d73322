"""PreviewOrder: an order priced as SubmitOrder would price it now, its promotions included,
without an id, a credit check or a write: what a device shows before it submits, and what the
server would give it (docs/contexts/sales-gaps.md 3.7)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain.access import Actor
from fieldline_orders.domain.channels import is_teleseller, order_channel
from fieldline_orders.domain.order_promotions import (
    AppliedPromotion,
    free_products,
)
from fieldline_orders.domain.orders import DateWindow, OrderChannel, OrderKind, OrderLine
from fieldline_orders.domain.pricing import LineInput, ManualDiscountLimits
from fieldline_orders.domain.values import ZERO, require_id
from fieldline_orders.service_layer.distributors import require_distributor
from fieldline_orders.service_layer.orders import check_outlet
from fieldline_orders.service_layer.promoting import (
    OrderShape,
    PromotionTerms,
    promote_one,
    promotions_in_force,
)
from fieldline_orders.service_layer.scope import check_outlet_scope


@dataclass(frozen=True)
class PreviewCommand:
    client_id: str
    outlet_id: str
    distributor_id: str
    order_date: date | None
    lines: Sequence[LineInput]
    channel: OrderChannel | None  # None: the caller's own
    kind: OrderKind | None  # None: PRE_SALE
    actor: Actor


@dataclass(frozen=True)
class Preview:
    lines: tuple[OrderLine, ...]
    promotions: tuple[AppliedPromotion, ...]
    currency: str
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal


async def preview_order(
    uow: OrdersUnitOfWork,
    cmd: PreviewCommand,
    *,
    limits: ManualDiscountLimits,
    dates: DateWindow,
    terms: PromotionTerms,
) -> Preview:
    """The lines priced for an outlet of the caller's scope (else NOT_FOUND), with the
    promotions in force, on the order date (default: today)."""
    outlet_id = require_id("outlet_id", cmd.outlet_id)
    client_id = require_id("client_id", cmd.client_id)
    await check_outlet_scope(uow, cmd.actor, outlet_id, write=False)
    await check_outlet(uow, client_id, outlet_id)
    distributor_id = await require_distributor(uow, cmd.distributor_id)
    dates.check("order_date", cmd.order_date, terms.today)
    on = cmd.order_date or terms.today
    roles = cmd.actor.roles
    channel = cmd.channel or order_channel(None, roles, teleseller=is_teleseller(roles))
    ids = [
        require_id(f"lines[{i}].product_id", ln.product_id)
        for i, ln in enumerate(cmd.lines)
        if ln.product_id
    ]
    in_force = await promotions_in_force(uow, terms)
    book = await uow.catalog.price_book(
        client_id, on, [*ids, *sorted(free_products(in_force))], distributor_id
    )
    priced = book.price_lines(cmd.lines, roles=cmd.actor.role_names, limits=limits)
    shape = OrderShape(
        outlet_id, client_id, cmd.kind or OrderKind.PRE_SALE, channel, distributor_id, on
    )
    promoted = await promote_one(uow, terms, in_force, book, priced, shape)
    if promoted is None:
        lines = tuple(OrderLine.from_priced(i + 1, p) for i, p in enumerate(priced))
        promotions: tuple[AppliedPromotion, ...] = ()
    else:
        lines, promotions = promoted.lines, promoted.promotions
    return Preview(
        lines,
        promotions,
        book.currency,
        sum((ln.net_amount for ln in lines), ZERO),
        sum((ln.vat_amount for ln in lines), ZERO),
        sum((ln.gross_amount for ln in lines), ZERO),
    )
