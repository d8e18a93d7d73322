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
from typing import NoReturn

from fieldline_kit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from fieldline_orders.domain.catalog import (
    ClientPrice,
    Discount,
    DiscountScope,
    PriceList,
    PriceType,
    Product,
    ProductUnit,
    group_ancestry,
)
from fieldline_orders.domain.values import (
    HUNDRED,
    QTY_PLACES,
    ZERO,
    check_scale,
    fits_scale,
    fmt,
    frozen_instance,
    is_canonical_id,
    known_quantity,
    parse_decimal,
    percent,
    positive_quantity,
    require_id,
    role_name,
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

    @classmethod
    def of(
        cls, list_amount: Decimal, discounted: Decimal, net: Decimal, vat: Decimal, gross: Decimal
    ) -> LineAmounts:
        """`LineAmounts(…)`, made per order line (`frozen_instance`)."""
        return frozen_instance(
            cls, list_amount=list_amount, discounted=discounted, net=net, vat=vat, gross=gross
        )


def line_amounts(
    base_quantity: Decimal,
    unit_price: Decimal,
    rule_percent: Decimal,
    manual_percent: Decimal,
    vat_rate: Decimal,
    vat_included: bool,
) -> LineAmounts:
    list_amount = base_quantity * unit_price
    if manual_percent == 0:
        # × (1 − 0) leaves the value as it is (exactly: only zeros are rounded off), and
        # rounding depends on the value only; most lines have no manual discount.
        if rule_percent == 0:
            discounted = round_money(list_amount)
        else:
            discounted = round_money(list_amount * (1 - rule_percent / HUNDRED))
    else:
        discounted = round_money(
            list_amount * (1 - rule_percent / HUNDRED) * (1 - manual_percent / HUNDRED)
        )
    return amounts_of(list_amount, discounted, vat_rate, vat_included)


def amounts_of(
    list_amount: Decimal, discounted: Decimal, vat_rate: Decimal, vat_included: bool
) -> LineAmounts:
    """A line's amounts from its discounted amount (rounded): VAT, net and gross as the rule
    says (the module's docstring); also a line's after its promotions."""
    if vat_included:
        gross = discounted
        vat = round_money(gross * vat_rate / (HUNDRED + vat_rate))
        net = gross - vat
    else:
        net = discounted
        vat = round_money(net * vat_rate / HUNDRED)
        gross = net + vat
    return LineAmounts.of(list_amount, discounted, net, vat, gross)


# ------------------------------------------------------------------------ price choice
@dataclass(frozen=True)
class ResolvedPrice:
    unit_price: Decimal
    source: str


# `resolve_price` and `best_discount` are the rules in their plain form; `PriceBook` applies
# them from what it derives once per book (tests/unit/test_price_book_short_paths.py).
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


NO_DISCOUNT = AppliedDiscount(ZERO)


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
                name = role_name("role", role)
                pct = parse_decimal(name, value)
            except InvalidArgument as exc:
                raise ValueError(exc.message) from None
            if not ZERO <= pct <= HUNDRED:
                raise ValueError(f"{name}: {value.strip()!r} is not within [0, 100]")
            limits[name] = pct
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

    @classmethod
    def of(
        cls, product_id: str, unit: str, quantity: str, manual_discount_percent: str
    ) -> LineInput:
        """`LineInput(…)`, made for every line of every request (`frozen_instance`)."""
        return frozen_instance(
            cls,
            product_id=product_id,
            unit=unit,
            quantity=quantity,
            manual_discount_percent=manual_discount_percent,
        )


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

    @classmethod
    def of(
        cls,
        product: Product,
        unit: str,
        quantity: Decimal,
        base_quantity: Decimal,
        unit_price: Decimal,
        price_source: str,
        rule_discount_percent: Decimal,
        manual_discount_percent: Decimal,
        amounts: LineAmounts,
    ) -> PricedLine:
        """`PricedLine(…)`, made per order line (`frozen_instance`)."""
        return frozen_instance(
            cls,
            product=product,
            unit=unit,
            quantity=quantity,
            base_quantity=base_quantity,
            unit_price=unit_price,
            price_source=price_source,
            rule_discount_percent=rule_discount_percent,
            manual_discount_percent=manual_discount_percent,
            amounts=amounts,
        )


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
    # Derived from the above once per book (its inputs do not change): every line of every
    # order priced with it would otherwise filter, sort and scan them again.
    _own_prices: dict[str, list[ClientPrice]] = field(init=False, repr=False, compare=False)
    _lists_by_precedence: tuple[tuple[PriceList, str], ...] = field(
        init=False, repr=False, compare=False
    )
    _discounts_on: tuple[Discount, ...] = field(init=False, repr=False, compare=False)
    _group_discounts: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        derive = object.__setattr__  # the dataclass is frozen
        derive(self, "_own_prices", self._index_own_prices())
        derive(self, "_lists_by_precedence", self._order_lists())
        derive(self, "_discounts_on", self._choose_discounts())
        # Only a group discount looks at the product's group ancestry.
        derive(
            self,
            "_group_discounts",
            any(d.scope is DiscountScope.GROUP for d in self._discounts_on),
        )

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
        """The product's price (`resolve_price`); FAILED_PRECONDITION, naming `field`, when the
        client has no price type, a client price of the product is in another currency than
        the price type's, or nothing prices it."""
        found = self._price(product)
        if found is None:
            self._refuse_price(field, product)
        return found

    def _index_own_prices(self) -> dict[str, list[ClientPrice]]:
        """The client's prices valid on the date, per product, in the book's order (a line
        would otherwise scan all of them, twice: currency, choice)."""
        own: dict[str, list[ClientPrice]] = {}
        for cp in self.client_prices:
            if cp.valid_on(self.on):
                own.setdefault(cp.product_id, []).append(cp)
        return own

    def _order_lists(self) -> tuple[tuple[PriceList, str], ...]:
        """The price lists valid on the date, each with its price source, the one
        `resolve_price` prefers first: latest valid_from, then larger id, then (equal keys)
        the book's order, as `max` keeps the first of equals and a reversed sort is stable."""
        valid = [pl for pl in self.price_lists if pl.valid_on(self.on)]
        valid.sort(key=lambda pl: (pl.valid_from, pl.id), reverse=True)
        return tuple((pl, price_list_source(pl.id)) for pl in valid)

    def _price(self, product: Product) -> ResolvedPrice | None:
        """`resolve_price` from the book's indexes; None where `_refuse_price` has an error."""
        if self.price_type is None:
            return None
        own = self._own_prices.get(product.id)
        if own:
            currency = self.price_type.currency_code
            if any(cp.currency_code != currency for cp in own):
                return None
            best = max(own, key=lambda p: p.valid_from)
            return ResolvedPrice(best.price, CLIENT_PRICE)
        pid = product.id
        for pl, source in self._lists_by_precedence:
            if pid in pl.entries:
                return ResolvedPrice(pl.entries[pid], source)
        return None

    def _refuse_price(self, field: str, product: Product) -> NoReturn:
        """Raise the error of a product `_price` has no price for."""
        currency = self.currency
        for cp in self._own_prices.get(product.id, ()):
            if cp.currency_code != currency:
                raise FailedPrecondition(
                    f"{field}: the client price of product {product.sku} is in "
                    f"{cp.currency_code}, the client's price type in {currency}"
                )
        assert self.price_type is not None
        day = self.on.isoformat()
        if not self._lists_by_precedence:
            why = f"no price list of price type {self.price_type.name!r} is valid on {day}"
        else:
            why = (
                f"the price lists of price type {self.price_type.name!r} valid on {day} "
                "do not price it"
            )
        raise FailedPrecondition(
            f"{field}: no price for product {product.sku} ({product.id}): {why}"
        )

    def _choose_discounts(self) -> tuple[Discount, ...]:
        """The discounts that may cover this client's lines: valid on the date, for this client
        or every client, in the order `best_discount` judges them (by id)."""
        return tuple(
            sorted(
                (
                    d
                    for d in self.discounts
                    if d.valid_on(self.on) and (not d.client_id or d.client_id == self.client_id)
                ),
                key=lambda d: d.id,
            )
        )

    def discount(self, product: Product, base_quantity: Decimal) -> AppliedDiscount:
        """`best_discount` of the book's discounts (see `_discounts_on`)."""
        candidates = self._discounts_on
        if not candidates:
            return NO_DISCOUNT
        groups = (
            group_ancestry(product.group_id, self.group_parents) if self._group_discounts else ()
        )
        best: Discount | None = None
        best_percent = ZERO
        for d in candidates:
            if d.applies_to(self.client_id, product.id, groups):
                pct = d.percent_for(base_quantity)
                if pct > best_percent:
                    best, best_percent = d, pct
        return NO_DISCOUNT if best is None else AppliedDiscount(best_percent, best.id)

    @property
    def vat_included(self) -> bool:
        return self.price_type.vat_included if self.price_type else True

    def free_price(self, product_id: str, base_quantity: Decimal) -> tuple[Decimal, Decimal] | None:
        """What an ordinary line of `base_quantity` of the product would cost, without a
        manual discount: its unit price and gross (the value of free goods and gifts,
        promotion_pricing.FreePricer); None when the book does not price it (a product it
        does not hold, inactive, or without a price)."""
        product = self.products.get(product_id)
        if product is None or not product.active:
            return None
        price = self._price(product)
        if price is None:
            return None
        rule = self.discount(product, base_quantity)
        amounts = line_amounts(
            base_quantity, price.unit_price, rule.percent, ZERO, product.vat_rate, self.vat_included
        )
        return price.unit_price, amounts.gross

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
        vat_included = self.price_type.vat_included if self.price_type else True
        priced: list[PricedLine] = []
        for i, line in enumerate(lines):
            # A line's field paths are only named in its errors: a usual line is checked
            # without building them, any other takes the plain checks (which name them).
            checked = self._usual_line(line) or self._checked_line(
                f"{path}[{i}]", line, roles=roles, limits=limits
            )
            product, unit, qty, base_qty, manual = checked
            price = self._price(product)
            if price is None:
                self._refuse_price(f"{path}[{i}].product_id", product)
            rule = self.discount(product, base_qty)
            amounts = line_amounts(
                base_qty, price.unit_price, rule.percent, manual, product.vat_rate, vat_included
            )
            priced.append(
                PricedLine.of(
                    product,
                    unit.code,
                    qty,
                    base_qty,
                    price.unit_price,
                    price.source,
                    rule.percent,
                    manual,
                    amounts,
                )
            )
        return priced

    def _checked_line(
        self, lp: str, line: LineInput, *, roles: Sequence[str], limits: ManualDiscountLimits
    ) -> _CheckedLine:
        """The line's product, unit, quantity, base quantity and manual discount percent, or
        the error of the first of them that is wrong (`lp`: the line's path)."""
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
        return product, unit, qty, base_qty, manual

    def _usual_line(self, line: LineInput) -> _CheckedLine | None:
        """`_checked_line` of a usual line without its field paths: an active product of the
        book named by its canonical id, one of its units, a quantity text that passed lately,
        no manual discount (0 needs no role). None: anything else (`_checked_line` judges)."""
        pid = line.product_id
        product = self.products.get(pid) if is_canonical_id(pid) else None
        if product is None or not product.active or line.manual_discount_percent:
            return None
        unit = product.find_unit(line.unit)
        qty = known_quantity(line.quantity)
        if unit is None or qty is None:
            return None
        base_qty = qty * unit.ratio
        if not fits_scale(base_qty, QTY_PLACES):
            return None
        return product, unit, qty, base_qty, ZERO


# product, unit, quantity, base quantity, manual discount percent
_CheckedLine = tuple[Product, ProductUnit, Decimal, Decimal, Decimal]
