"""Returns of goods and of empty returnable containers, into a van or to the warehouse.

Goods are priced from the named sale when there is one: the credit is the sale's gross amount
for the product in proportion to the quantity returned,
`round(Σ sale gross × returned base units / Σ sale base units, 2)`, so returning everything
credits exactly what was invoiced; at most what was sold, less earlier returns against the
same sale, can be returned. Without a sale the goods are priced at the client's current price
(price resolution and rule discounts of the return date, no manual discount).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from fieldline_kit.errors import FailedPrecondition, InvalidArgument
from fieldline_orders.domain import events
from fieldline_orders.domain.orders import Order
from fieldline_orders.domain.pricing import PriceBook, line_amounts
from fieldline_orders.domain.values import (
    MAX_CONTAINER_TYPE,
    MAX_REASON,
    ZERO,
    fmt,
    limit_text,
    positive_quantity,
    require_text,
    round_money,
)


@dataclass(frozen=True)
class ReturnedLine:
    line_no: int
    product_id: str
    unit: str
    quantity: Decimal
    base_quantity: Decimal
    # Price of one base unit (from the sale's line, or the current price).
    unit_price: Decimal
    # What the client is credited.
    gross_amount: Decimal
    reason: str


@dataclass(frozen=True)
class ReturnLineInput:
    product_id: str
    unit: str
    quantity: str
    reason: str = ""


@dataclass(frozen=True)
class ContainerInput:
    container_type: str
    quantity: str


def parse_containers(items: Sequence[ContainerInput]) -> tuple[tuple[str, Decimal], ...]:
    out: dict[str, Decimal] = {}
    for i, c in enumerate(items):
        kind = require_text(f"containers[{i}].container_type", c.container_type, MAX_CONTAINER_TYPE)
        qty = positive_quantity(f"containers[{i}].quantity", c.quantity)
        out[kind] = out.get(kind, ZERO) + qty
    return tuple(sorted(out.items()))


@dataclass
class GoodsReturn:
    id: str
    van_id: str
    client_id: str
    outlet_id: str
    order_id: str
    on: date
    lines: tuple[ReturnedLine, ...]
    containers: tuple[tuple[str, Decimal], ...]
    currency_code: str
    actor_id: str
    created_at: datetime
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)
    version: int = 1
    # The visit it was taken in (domain/contacts.py), or "".
    visit_id: str = ""

    @property
    def gross_total(self) -> Decimal:
        return sum((ln.gross_amount for ln in self.lines), ZERO)

    @classmethod
    def accept(
        cls,
        *,
        return_id: str,
        van_id: str,
        client_id: str,
        outlet_id: str,
        on: date,
        lines: Sequence[ReturnLineInput],
        containers: Sequence[ContainerInput],
        book: PriceBook,
        sale: Order | None,
        already_returned: Mapping[str, Decimal],
        actor_id: str,
        now: datetime,
        visit_id: str = "",
    ) -> GoodsReturn:
        """`already_returned`: base units per product returned earlier against `sale`."""
        parsed_containers = parse_containers(containers)
        if not lines and not parsed_containers:
            raise InvalidArgument("lines", "a return needs goods or containers")
        if sale is not None and sale.client_id != client_id:
            raise InvalidArgument("order_id", f"order {sale.id} belongs to another client")
        returned: list[ReturnedLine] = []
        counted: dict[str, Decimal] = {}
        for i, line in enumerate(lines):
            lp = f"lines[{i}]"
            product = book.product(f"{lp}.product_id", line.product_id)
            unit = product.unit(f"{lp}.unit", line.unit)
            qty = positive_quantity(f"{lp}.quantity", line.quantity)
            base = qty * unit.ratio
            reason = limit_text(f"{lp}.reason", line.reason, MAX_REASON)
            if sale is not None:
                unit_price, gross = _from_sale(
                    lp,
                    sale,
                    product.id,
                    product.sku,
                    base,
                    already_returned.get(product.id, ZERO) + counted.get(product.id, ZERO),
                )
            else:
                price = book.unit_price(f"{lp}.product_id", product)
                discount = book.discount(product, base)
                amounts = line_amounts(
                    base,
                    price.unit_price,
                    discount.percent,
                    ZERO,
                    product.vat_rate,
                    book.price_type.vat_included if book.price_type else True,
                )
                unit_price, gross = price.unit_price, amounts.gross
            counted[product.id] = counted.get(product.id, ZERO) + base
            returned.append(
                ReturnedLine(i + 1, product.id, unit.code, qty, base, unit_price, gross, reason)
            )
        if sale is not None:
            currency = sale.currency_code
        elif returned:
            currency = book.currency
        else:  # containers only: the client's currency if known
            currency = book.price_type.currency_code if book.price_type else ""
        goods_return = cls(
            id=return_id,
            van_id=van_id,
            client_id=client_id,
            outlet_id=outlet_id,
            order_id=sale.id if sale is not None else "",
            on=on,
            lines=tuple(returned),
            containers=parsed_containers,
            currency_code=currency,
            actor_id=actor_id,
            created_at=now,
            visit_id=visit_id,
        )
        goods_return.events.append(events.ReturnAccepted(goods_return.snapshot()))
        return goods_return

    def snapshot(self) -> GoodsReturn:
        return GoodsReturn(
            self.id,
            self.van_id,
            self.client_id,
            self.outlet_id,
            self.order_id,
            self.on,
            self.lines,
            self.containers,
            self.currency_code,
            self.actor_id,
            self.created_at,
            visit_id=self.visit_id,
        )


def _from_sale(
    field: str, sale: Order, product_id: str, label: str, base: Decimal, earlier: Decimal
) -> tuple[Decimal, Decimal]:
    sold = [ln for ln in sale.lines if ln.product_id == product_id]
    if not sold:
        raise InvalidArgument(f"{field}.product_id", f"product {label} is not in order {sale.id}")
    sold_base = sum((ln.base_quantity for ln in sold), ZERO)
    sold_gross = sum((ln.gross_amount for ln in sold), ZERO)
    delivered = sum((ln.delivered_base_quantity for ln in sold), ZERO)
    left = delivered - earlier
    if base > left:
        raise FailedPrecondition(
            f"{field}.quantity: {fmt(base)} base units of product {label} cannot be returned "
            f"against order {sale.id}: {fmt(delivered)} delivered, {fmt(left)} left to return"
        )
    return sold[0].unit_price, round_money(sold_gross * base / sold_base)
