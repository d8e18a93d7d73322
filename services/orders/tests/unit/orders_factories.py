"""Builders for the pure domain tests of catalog, pricing, orders and vans. No I/O."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from fieldline_kit.testing.helpers import new_id
from fieldline_orders.domain.access import Actor
from fieldline_orders.domain.catalog import (
    ClientPrice,
    Discount,
    DiscountScope,
    PriceList,
    PriceType,
    Product,
)
from fieldline_orders.domain.orders import (
    CreditDecision,
    CreditOutcome,
    DateWindow,
    Order,
    OrderHeader,
)
from fieldline_orders.domain.pricing import LineInput, ManualDiscountLimits, PriceBook
from fieldline_orders.domain.van import Van

NOW = datetime(2024, 5, 15, 9, 30, tzinfo=UTC)
DAY = date(2024, 5, 15)
CLIENT = "11111111-1111-4111-8111-111111111111"
OTHER_CLIENT = "22222222-2222-4222-8222-222222222222"
LIMITS = ManualDiscountLimits.parse("AGENT=5,VAN_SELLER=5,SUPERVISOR=15")
DATES = DateWindow(90)
# Callers, as their tokens name them: ADMIN sees the company's, the others their own.
ADMIN = Actor.of("test-admin", {"ADMIN"})
ALLOW = CreditDecision(CreditOutcome.ALLOW, decided_at=NOW)
BLOCK = CreditDecision(CreditOutcome.BLOCK, ("overdue 40 days",), decided_at=NOW)


def product(
    *,
    vat: str = "20",
    units: Sequence[tuple[str, str, str]] = (("pcs", "шт", "1"), ("box", "Коробка", "12")),
    group_id: str = "",
    container: str = "",
    per_unit: str = "",
    active: bool = True,
    sku: str = "",
    pack_unit: str = "",
) -> Product:
    ext = sku or f"SKU-{uuid.uuid4().hex[:8]}"
    return Product.create(
        "products[0]",
        id="",
        external_id=ext,
        sku=ext,
        name="Пиво «Жигулёвское» 0,5",
        group_id=group_id,
        barcodes=["4600000000001"],
        vat_rate=vat,
        base_unit="pcs",
        units=units,
        pack_unit=pack_unit,
        container_type=container,
        containers_per_unit=per_unit,
        active=active,
    )


def price_type(vat_included: bool = True, currency: str = "RUB") -> PriceType:
    return PriceType.create(
        "price_types[0]",
        id="",
        external_id=f"PT-{uuid.uuid4().hex[:6]}",
        name="Опт",
        currency=currency,
        vat_included=vat_included,
    )


def price_list(
    pt: PriceType,
    prices: dict[str, str],
    valid_from: date = date(2024, 1, 1),
    valid_to: date | None = None,
    ext: str = "",
) -> PriceList:
    return PriceList.create(
        "price_lists[0]",
        id="",
        external_id=ext or f"PL-{uuid.uuid4().hex[:6]}",
        price_type_id=pt.id,
        valid_from=valid_from,
        valid_to=valid_to,
        entries=[(pid, Decimal(p), "") for pid, p in prices.items()],
    )


def client_price(
    product_id: str,
    price: str,
    valid_from: date = date(2024, 1, 1),
    valid_to: date | None = None,
    client_id: str = CLIENT,
    currency: str = "RUB",
) -> ClientPrice:
    return ClientPrice.create(
        "prices[0]",
        client_id=client_id,
        product_id=product_id,
        price=Decimal(price),
        currency=currency,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def discount(
    scope: DiscountScope,
    percent: str = "",
    *,
    client_id: str = "",
    group_id: str = "",
    product_id: str = "",
    breaks: Sequence[tuple[str, str]] = (),
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> Discount:
    return Discount.create(
        "discounts[0]",
        id="",
        external_id=f"D-{uuid.uuid4().hex[:6]}",
        scope=scope,
        client_id=client_id,
        group_id=group_id,
        product_id=product_id,
        percent_=percent,
        volume_breaks=breaks,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def book(
    products: Sequence[Product],
    *,
    pt: PriceType | None = None,
    lists: Sequence[PriceList] = (),
    client_prices: Sequence[ClientPrice] = (),
    discounts: Sequence[Discount] = (),
    parents: dict[str, str] | None = None,
    on: date = DAY,
    client_id: str = CLIENT,
) -> PriceBook:
    return PriceBook(
        client_id=client_id,
        on=on,
        price_type=pt,
        products={p.id: p for p in products},
        client_prices=client_prices,
        price_lists=lists,
        discounts=discounts,
        group_parents=parents or {},
    )


def line(p: Product, quantity: str, unit: str = "", manual: str = "") -> LineInput:
    return LineInput(p.id, unit, quantity, manual)


def header(order_id: str = "", **kw: object) -> OrderHeader:
    values: dict[str, object] = {
        "order_id": order_id or new_id(),
        "client_id": CLIENT,
        "outlet_id": new_id(),
        "agent_id": new_id(),
        "order_date": DAY,
    }
    values.update(kw)
    return OrderHeader.create(**values)  # type: ignore[arg-type]


def van(van_id: str = "", distributor_id: str = "", seller_id: str = "") -> Van:
    """A van of a (new) van seller, selling for `distributor_id` ("": the company's)."""
    return Van.create(
        id=van_id or new_id(),
        name="ГАЗель",
        van_seller_id=seller_id or new_id(),
        currency="RUB",
        now=NOW,
        distributor_id=distributor_id,
    )


def priced_order(
    decision: CreditDecision = ALLOW,
    *,
    quantity: str = "10",
    container: str = "",
    agent_id: str = "",
) -> Order:
    p = product(container=container, per_unit="1" if container else "")
    pt = price_type()
    b = book([p], pt=pt, lists=[price_list(pt, {p.id: "50.00"})])
    lines = b.price_lines([line(p, quantity)], roles=("AGENT",), limits=LIMITS)
    return Order.submit(header(agent_id=agent_id or new_id()), lines, "RUB", decision, NOW)


def employee(*roles: str, employee_id: str = "") -> Actor:
    """An employee with these roles (default: an agent), by a new id unless given."""
    return Actor.of(employee_id or new_id(), roles or ("AGENT",))
