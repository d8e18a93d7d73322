"""Price resolution, discounts and the exact rounding rule (docs/contexts/orders.md).

```
base_qty   = quantity × unit.ratio
list       = base_qty × unit_price                       (unit_price per base unit)
discounted = round(list × (1 − rule%/100) × (1 − manual%/100), 2)
VAT included:  gross = discounted; vat = round(gross × r / (100 + r), 2); net = gross − vat
VAT on top:    net = discounted;   vat = round(net × r / 100, 2);         gross = net + vat
totals = Σ lines (no re-rounding of the document)
```

Rounding is ROUND_HALF_UP to 0.01 and happens only at the two places above.

Price of a product for a client on a date:
1. the client's own price valid on the date (the one with the latest valid_from), else
2. among the client's price type's price lists valid on the date that price the product, the
   one with the latest valid_from (ties: the larger list id, so the choice is deterministic).
   The choice is per product: a later list that does not price a product leaves the earlier
   list's price in force, like 1C's price registers.

Discount: of every discount valid on the date that covers the product (client scope, the
product's group or any of its ancestors, the product itself; for this client or every
client), the largest percent wins, a discount's percent being its flat percent or the highest
volume break the line's base quantity reaches, whichever is larger.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from fieldline_kit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from fieldline_orders.domain.catalog import (
    ClientPrice,
    Discount,
    PriceList,
    PriceType,
    Product,
    group_ancestry,
)
from fieldline_orders.domain.values import (
    HUNDRED,
    QTY_PLACES,
    ZERO,
    check_scale,
    fmt,
    percent,
    positive_quantity,
    require_id,
    round_money,
)

CLIENT_PRICE = "client_price"


def price_list_source(list_id: str) -> str:
    return f"price_list:{list_id}"


# ----------------------------------------------------------------------------- rounding
@dataclass(frozen=True)
class LineAmounts:
    list_amount: Decimal
    discounted: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal


def line_amounts(
    base_quantity: Decimal,
    unit_price: Decimal,
    rule_percent: Decimal,
    manual_percent: Decimal,
    vat_rate: Decimal,
    vat_included: bool,
) -> LineAmounts:
    list_amount = base_quantity * unit_price
    if rule_percent == 0 and manual_percent == 0:
        # × (1 − 0) × (1 − 0) leaves the value as it is, and rounding depends on the value only.
        discounted = round_money(list_amount)
    else:
        discounted = round_money(
            list_amount * (1 - rule_percent / HUNDRED) * (1 - manual_percent / HUNDRED)
        )
    if vat_included:
        gross = discounted
        vat = round_money(gross * vat_rate / (HUNDRED + vat_rate))
        net = gross - vat
    else:
        net = discounted
        vat = round_money(net * vat_rate / HUNDRED)
        gross = net + vat
    return LineAmounts(list_amount, discounted, net, vat, gross)


# ------------------------------------------------------------------------ price choice
@dataclass(frozen=True)
class ResolvedPrice:
    unit_price: Decimal
    source: str


def resolve_price(
    product_id: str,
    on: date,
    client_prices: Iterable[ClientPrice],
    price_lists: Iterable[PriceList],
) -> ResolvedPrice | None:
    own = [p for p in client_prices if p.product_id == product_id and p.valid_on(on)]
    if own:
        best = max(own, key=lambda p: p.valid_from)
        return ResolvedPrice(best.price, CLIENT_PRICE)
    listed = [pl for pl in price_lists if pl.valid_on(on) and product_id in pl.entries]
    if listed:
        chosen = max(listed, key=lambda pl: (pl.valid_from, pl.id))
        return ResolvedPrice(chosen.entries[product_id], price_list_source(chosen.id))
    return None


@dataclass(frozen=True)
class AppliedDiscount:
    percent: Decimal
    discount_id: str = ""


def best_discount(
    discounts: Iterable[Discount],
    client_id: str,
    product_id: str,
    groups: Sequence[str],
    base_quantity: Decimal,
    on: date,
) -> AppliedDiscount:
    best = AppliedDiscount(ZERO)
    candidates = sorted(
        (d for d in discounts if d.valid_on(on) and d.applies_to(client_id, product_id, groups)),
        key=lambda d: d.id,
    )
    for d in candidates:
        pct = d.percent_for(base_quantity)
        if pct > best.percent:
            best = AppliedDiscount(pct, d.id)
    return best


# ------------------------------------------------------------------------ manual bound
@dataclass(frozen=True)
class ManualDiscountLimits:
    """Largest manual discount percent per role (ORDERS_MAX_MANUAL_DISCOUNT); others: 0."""

    limits: Mapping[str, Decimal] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> ManualDiscountLimits:
        limits: dict[str, Decimal] = {}
        for part in (text or "").split(","):
            if not part.strip():
                continue
            role, sep, value = part.partition("=")
            if not sep or not role.strip():
                raise ValueError(f"expected ROLE=percent, got {part.strip()!r}")
            try:
                pct = Decimal(value.strip())
            except ArithmeticError:
                raise ValueError(f"{role.strip()}: {value.strip()!r} is not a percent") from None
            if not (pct.is_finite() and ZERO <= pct <= HUNDRED):
                raise ValueError(f"{role.strip()}: {value.strip()!r} is not within [0, 100]")
            limits[role.strip().upper()] = pct
        return cls(limits)

    def bound(self, roles: Iterable[str]) -> Decimal:
        return max((self.limits.get(r.strip().upper(), ZERO) for r in roles), default=ZERO)

    def check(self, field: str, manual_percent: Decimal, roles: Sequence[str]) -> Decimal:
        if manual_percent == 0:
            return manual_percent
        allowed = self.bound(roles)
        if manual_percent > allowed:
            who = ", ".join(r.upper() for r in roles) or "no role"
            raise PermissionDenied(
                f"{field}: a manual discount of {fmt(manual_percent)}% exceeds the "
                f"{fmt(allowed)}% allowed to {who}"
            )
        return manual_percent


# ------------------------------------------------------------------------- price book
@dataclass(frozen=True)
class LineInput:
    product_id: str
    unit: str
    quantity: str
    manual_discount_percent: str = ""


@dataclass(frozen=True)
class PricedLine:
    product: Product
    unit: str
    quantity: Decimal
    base_quantity: Decimal
    unit_price: Decimal
    price_source: str
    rule_discount_percent: Decimal
    manual_discount_percent: Decimal
    amounts: LineAmounts


@dataclass(frozen=True)
class PriceBook:
    """Everything needed to price one client's lines on one date (loaded by the adapters).

    `products` holds the products the lines name (unknown ids are absent); `price_lists` the
    lists of the client's price type valid on the date, restricted to those products;
    `group_parents` the ancestry of their groups.
    """

    client_id: str
    on: date
    price_type: PriceType | None
    products: Mapping[str, Product]
    client_prices: Sequence[ClientPrice] = ()
    price_lists: Sequence[PriceList] = ()
    discounts: Sequence[Discount] = ()
    group_parents: Mapping[str, str] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        if self.price_type is None:
            raise FailedPrecondition(
                f"client_id: client {self.client_id} has no price type (SetClientPriceType)"
            )
        return self.price_type.currency_code

    def product(self, field: str, product_id: str) -> Product:
        pid = require_id(field, product_id)
        found = self.products.get(pid)
        if found is None:
            raise NotFound("product", pid, field)
        return found

    def unit_price(self, field: str, product: Product) -> ResolvedPrice:
        currency = self.currency
        for cp in self.client_prices:
            if (
                cp.product_id == product.id
                and cp.valid_on(self.on)
                and cp.currency_code != currency
            ):
                raise FailedPrecondition(
                    f"{field}: the client price of product {product.sku} is in "
                    f"{cp.currency_code}, the client's price type in {currency}"
                )
        resolved = resolve_price(product.id, self.on, self.client_prices, self.price_lists)
        if resolved is not None:
            return resolved
        assert self.price_type is not None
        day = self.on.isoformat()
        if not any(pl.valid_on(self.on) for pl in self.price_lists):
            why = f"no price list of price type {self.price_type.name!r} is valid on {day}"
        else:
            why = (
                f"the price lists of price type {self.price_type.name!r} valid on {day} "
                "do not price it"
            )
        raise FailedPrecondition(
            f"{field}: no price for product {product.sku} ({product.id}): {why}"
        )

    def discount(self, product: Product, base_quantity: Decimal) -> AppliedDiscount:
        groups = group_ancestry(product.group_id, self.group_parents)
        return best_discount(
            self.discounts, self.client_id, product.id, groups, base_quantity, self.on
        )

    def price_lines(
        self,
        lines: Sequence[LineInput],
        *,
        roles: Sequence[str],
        limits: ManualDiscountLimits,
        path: str = "lines",
    ) -> list[PricedLine]:
        if not lines:
            raise InvalidArgument(path, "at least one line is required")
        priced: list[PricedLine] = []
        for i, line in enumerate(lines):
            lp = f"{path}[{i}]"
            product = self.product(f"{lp}.product_id", line.product_id)
            if not product.active:
                raise FailedPrecondition(
                    f"{lp}.product_id: product {product.sku} ({product.id}) is not active"
                )
            unit = product.unit(f"{lp}.unit", line.unit)
            qty = positive_quantity(f"{lp}.quantity", line.quantity)
            base_qty = qty * unit.ratio
            check_scale(f"{lp}.quantity", base_qty, QTY_PLACES, " in base units")
            manual = limits.check(
                f"{lp}.manual_discount_percent",
                percent(f"{lp}.manual_discount_percent", line.manual_discount_percent),
                roles,
            )
            price = self.unit_price(f"{lp}.product_id", product)
            rule = self.discount(product, base_qty)
            amounts = line_amounts(
                base_qty,
                price.unit_price,
                rule.percent,
                manual,
                product.vat_rate,
                self.price_type.vat_included if self.price_type else True,
            )
            priced.append(
                PricedLine(
                    product=product,
                    unit=unit.code,
                    quantity=qty,
                    base_quantity=base_qty,
                    unit_price=price.unit_price,
                    price_source=price.source,
                    rule_discount_percent=rule.percent,
                    manual_discount_percent=manual,
                    amounts=amounts,
                )
            )
        return priced
