"""Trade promotions: what a promotion is and who may get it (docs/contexts/sales-gaps.md 3.7).
Pure.

A promotion has a period, targeting, a product set, one mechanic, a combinability and a budget.
It arrives from the ERP or a trade-promotion system as a bulk upsert keyed by its external id,
so `Promotion.create` validates one record and names the offending field with the record's
path (`promotions[2].percent_off.percent: …`).

**Eligibility** of an order (`Promotion.judge`):

    targeting   every non-empty list holds the order's value (AND across lists, OR within
                one): client, outlet, outlet channel, territory (a territory covers its
                descendants), order kind, order channel, distributor ("" the company's)
    currency    the order's
    period      valid_from ≤ order date ≤ valid_to                       else NOT_ELIGIBLE
    arrival     the server's day ≤ valid_to + grace days (an offline     else ENDED
                device's last-day order uploaded next morning still
                gets it)
    stop        arrived before `stopped_at`                              else STOPPED

The period is judged on the order date, the arrival on the server's day. The budget is judged
where it is kept (the ledger, with the order), not here.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from fieldline_kit.errors import InvalidArgument
from fieldline_orders.domain.catalog import Versioned, entity_id, external_key
from fieldline_orders.domain.orders import OrderChannel, OrderKind
from fieldline_orders.domain.values import (
    MAX_LIST,
    MAX_NAME,
    MAX_RECORDS,
    MAX_TEXT,
    ZERO,
    check_period,
    currency_code,
    limit_items,
    limit_text,
    money_amount,
    optional_id,
    parse_decimal,
    positive_quantity,
    require_id,
    require_text,
)

HUNDRED = Decimal(100)
# Outlet channels are the card's free text (clients' MAX_CODE-long vocabulary).
MAX_CHANNEL = 100


class Combinability(enum.Enum):
    EXCLUSIVE = "EXCLUSIVE"  # never beside another promotion on the same lines
    STACKABLE = "STACKABLE"  # beside any other stackable one


class BudgetKind(enum.Enum):
    NONE = "NONE"  # unlimited
    MONEY = "MONEY"  # the benefit given, in the promotion's currency
    UNITS = "UNITS"  # free base units (free goods and gifts)


class Verdict(enum.Enum):
    """Why an order does not get a promotion (None from `judge`: it may)."""

    NOT_ELIGIBLE = "NOT_ELIGIBLE"  # targeting, currency or period
    ENDED = "ENDED"  # arrived after valid_to + the grace days
    STOPPED = "STOPPED"  # arrived after it was stopped


# ------------------------------------------------------------------------------ mechanics
@dataclass(frozen=True)
class PercentOff:
    percent: Decimal  # 0 < percent ≤ 100


@dataclass(frozen=True)
class AmountOff:
    amount: Decimal  # per base unit, > 0


@dataclass(frozen=True)
class FreeGoods:
    buy_quantity: Decimal  # N base units of the set bought …
    free_product_id: str
    free_quantity: Decimal  # … give M of this product
    repeat: bool  # for every N, or once


@dataclass(frozen=True)
class Gift:
    min_gross: Decimal | None  # exactly one threshold
    min_base_quantity: Decimal | None
    gift_product_id: str
    gift_quantity: Decimal


@dataclass(frozen=True)
class Bundle:
    components: tuple[tuple[str, Decimal], ...]  # (product id, base quantity), by product id
    price: Decimal


Mechanic = PercentOff | AmountOff | FreeGoods | Gift | Bundle
# The mechanics that may apply to every product (an empty product set).
OPEN_SET = (PercentOff, Gift)
# The mechanics a budget of free units may count.
GIVES_UNITS = (FreeGoods, Gift)


@dataclass(frozen=True)
class Budget:
    kind: BudgetKind = BudgetKind.NONE
    total: Decimal = ZERO  # money or base units; none: unlimited

    @property
    def limited(self) -> bool:
        return self.kind is not BudgetKind.NONE


# ------------------------------------------------------------------------------ targeting
@dataclass(frozen=True)
class OutletFacts:
    """What targeting reads of an outlet (orders' clients feed)."""

    outlet_id: str
    client_id: str
    channel: str
    territory_id: str


@dataclass(frozen=True)
class OrderFacts:
    """What eligibility reads of an order."""

    outlet: OutletFacts
    kind: OrderKind
    channel: OrderChannel
    distributor_id: str
    order_date: date
    currency_code: str


def territory_chain(territory_id: str, parents: Mapping[str, str]) -> frozenset[str]:
    """The territory and its ancestors (a cycle, which clients prevents, ends the walk)."""
    chain: list[str] = []
    seen: set[str] = set()
    current = territory_id
    while current and current not in seen:
        seen.add(current)
        chain.append(current)
        current = parents.get(current, "")
    return frozenset(chain)


@dataclass(frozen=True)
class Targeting:
    client_ids: frozenset[str] = frozenset()
    outlet_ids: frozenset[str] = frozenset()
    outlet_channels: frozenset[str] = frozenset()
    territory_ids: frozenset[str] = frozenset()
    order_kinds: frozenset[OrderKind] = frozenset()
    order_channels: frozenset[OrderChannel] = frozenset()
    distributor_ids: frozenset[str] = frozenset()  # "" among them: the company's orders

    def matches_outlet(self, outlet: OutletFacts, parents: Mapping[str, str]) -> bool:
        """The outlet-side lists (client, outlet, channel, territory) hold the outlet."""
        return (
            _holds(self.client_ids, outlet.client_id)
            and _holds(self.outlet_ids, outlet.outlet_id)
            and _holds(self.outlet_channels, outlet.channel)
            and (
                not self.territory_ids
                or not self.territory_ids.isdisjoint(territory_chain(outlet.territory_id, parents))
            )
        )

    def matches(self, order: OrderFacts, parents: Mapping[str, str]) -> bool:
        """Every non-empty list holds the order's value."""
        return (
            self.matches_outlet(order.outlet, parents)
            and _holds(self.order_kinds, order.kind)
            and _holds(self.order_channels, order.channel)
            and _holds(self.distributor_ids, order.distributor_id)
        )


def _holds(allowed: frozenset[object], value: object) -> bool:
    return not allowed or value in allowed


# ------------------------------------------------------------------------------ promotion
@dataclass(frozen=True)
class Promotion(Versioned):
    id: str
    external_id: str
    name: str
    description: str
    valid_from: date
    valid_to: date
    currency_code: str
    stopped_at: datetime | None
    targeting: Targeting
    product_ids: frozenset[str]
    group_ids: frozenset[str]
    mechanic: Mechanic
    combinability: Combinability
    priority: int
    budget: Budget
    version: int = 1

    @property
    def stopped(self) -> bool:
        return self.stopped_at is not None

    def active_on(self, day: date) -> bool:
        """Not stopped, and its period holds `day`."""
        return not self.stopped and self.valid_from <= day <= self.valid_to

    def offered_at(self, outlet: OutletFacts, day: date, parents: Mapping[str, str]) -> bool:
        """An order of the outlet on `day` may get it, as far as the outlet tells (the order's
        own kind, channel, distributor and the budget are judged with the order)."""
        return self.active_on(day) and self.targeting.matches_outlet(outlet, parents)

    def judge(
        self,
        order: OrderFacts,
        *,
        arrived_at: datetime,
        today: date,
        grace_days: int,
        parents: Mapping[str, str],
    ) -> Verdict | None:
        """None when the order may get it (its budget aside), else why not."""
        if (
            order.currency_code != self.currency_code
            or not self.valid_from <= order.order_date <= self.valid_to
            or not self.targeting.matches(order, parents)
        ):
            return Verdict.NOT_ELIGIBLE
        if today > self.valid_to + timedelta(days=grace_days):
            return Verdict.ENDED
        if self.stopped_at is not None and arrived_at >= self.stopped_at:
            return Verdict.STOPPED
        return None

    def with_stop(self, stopped: bool, now: datetime, current: Promotion | None) -> Promotion:
        """The stop as asked: kept from `current` when it was stopped already, `now` when it is
        stopped by this upsert, none when it is not (an upsert may restart it)."""
        if not stopped:
            return self if self.stopped_at is None else replace(self, stopped_at=None)
        at = current.stopped_at if current is not None and current.stopped_at else now
        return replace(self, stopped_at=at)

    # -- creation --------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: str,
        *,
        id: str,
        external_id: str,
        name: str,
        description: str,
        valid_from: date | None,
        valid_to: date | None,
        currency: str,
        targeting: TargetingInput,
        product_ids: Sequence[str],
        group_ids: Sequence[str],
        mechanic: MechanicInput | None,
        combinability: Combinability | None,
        priority: int,
        budget: BudgetInput,
    ) -> Promotion:
        """One promotion as sent, validated (`stopped_at` is set by `with_stop`)."""
        ext = external_key(f"{path}.external_id", external_id)
        if valid_from is None:
            raise InvalidArgument(f"{path}.valid_from", "is required")
        if valid_to is None:
            raise InvalidArgument(f"{path}.valid_to", "is required")
        check_period(f"{path}.valid_to", valid_from, valid_to)
        if combinability is None:
            raise InvalidArgument(f"{path}.combinability", "is required: EXCLUSIVE or STACKABLE")
        made = _mechanic(f"{path}", mechanic)
        products = _ids(f"{path}.product_ids", product_ids)
        groups = _ids(f"{path}.group_ids", group_ids)
        if isinstance(made, Bundle):
            if products or groups:
                raise InvalidArgument(
                    f"{path}.product_ids", "a bundle's products are its components: leave empty"
                )
            products = frozenset(pid for pid, _ in made.components)
        elif not (products or groups) and not isinstance(made, OPEN_SET):
            raise InvalidArgument(
                f"{path}.product_ids",
                "a product or group is required (only percent off and gift apply to every product)",
            )
        return cls(
            id=entity_id(f"{path}.id", id, "promotion", ext),
            external_id=ext,
            name=require_text(f"{path}.name", name, MAX_NAME),
            description=limit_text(f"{path}.description", description, MAX_TEXT),
            valid_from=valid_from,
            valid_to=valid_to,
            currency_code=currency_code(f"{path}.currency_code", currency),
            stopped_at=None,
            targeting=_targeting(f"{path}.targeting", targeting),
            product_ids=products,
            group_ids=groups,
            mechanic=made,
            combinability=combinability,
            priority=priority,
            budget=_budget(f"{path}.budget", budget, made),
        )

    def references(self) -> list[tuple[str, str, str]]:
        """(field, kind, id) of every product and group it names: its set, what it gives."""
        refs = [("product_ids", "product", pid) for pid in sorted(self.product_ids)]
        refs += [("group_ids", "product group", gid) for gid in sorted(self.group_ids)]
        if isinstance(self.mechanic, FreeGoods):
            refs.append(("free_goods.free_product_id", "product", self.mechanic.free_product_id))
        elif isinstance(self.mechanic, Gift):
            refs.append(("gift.gift_product_id", "product", self.mechanic.gift_product_id))
        return refs


# ------------------------------------------------------------------------------ inputs
@dataclass(frozen=True)
class TargetingInput:
    """Targeting as sent: texts, and the enums already mapped (None: an unspecified value)."""

    client_ids: Sequence[str] = ()
    outlet_ids: Sequence[str] = ()
    outlet_channels: Sequence[str] = ()
    territory_ids: Sequence[str] = ()
    order_kinds: Sequence[OrderKind | None] = ()
    order_channels: Sequence[OrderChannel | None] = ()
    distributor_ids: Sequence[str] = ()


@dataclass(frozen=True)
class MechanicInput:
    """The one mechanic sent (`kind`: percent_off, amount_off, free_goods, gift,
    bundle_price) and its figures as texts."""

    kind: str
    percent: str = ""
    amount: str = ""
    buy_quantity: str = ""
    product_id: str = ""
    quantity: str = ""
    repeat: bool = False
    min_gross: str = ""
    min_base_quantity: str = ""
    components: Sequence[tuple[str, str]] = ()
    price: str = ""


@dataclass(frozen=True)
class BudgetInput:
    kind: BudgetKind | None = None  # None (unspecified): no budget
    total: str = ""


def _ids(field: str, ids: Sequence[str]) -> frozenset[str]:
    items = limit_items(field, ids, MAX_RECORDS)
    return frozenset(require_id(f"{field}[{i}]", v) for i, v in enumerate(items))


def _targeting(path: str, t: TargetingInput) -> Targeting:
    channels = limit_items(f"{path}.outlet_channels", t.outlet_channels, MAX_RECORDS)
    kinds = limit_items(f"{path}.order_kinds", t.order_kinds, MAX_LIST)
    order_channels = limit_items(f"{path}.order_channels", t.order_channels, MAX_LIST)
    distributors = limit_items(f"{path}.distributor_ids", t.distributor_ids, MAX_RECORDS)
    for i, k in enumerate(kinds):
        if k is None:
            raise InvalidArgument(f"{path}.order_kinds[{i}]", "must be PRE_SALE or VAN_SALE")
    for i, c in enumerate(order_channels):
        if c is None:
            raise InvalidArgument(f"{path}.order_channels[{i}]", "must be FIELD or PHONE")
    return Targeting(
        client_ids=_ids(f"{path}.client_ids", t.client_ids),
        outlet_ids=_ids(f"{path}.outlet_ids", t.outlet_ids),
        outlet_channels=frozenset(
            require_text(f"{path}.outlet_channels[{i}]", c, MAX_CHANNEL)
            for i, c in enumerate(channels)
        ),
        territory_ids=_ids(f"{path}.territory_ids", t.territory_ids),
        order_kinds=frozenset(k for k in kinds if k is not None),
        order_channels=frozenset(c for c in order_channels if c is not None),
        distributor_ids=frozenset(
            optional_id(f"{path}.distributor_ids[{i}]", d) for i, d in enumerate(distributors)
        ),
    )


def _positive(field: str, value: str) -> Decimal:
    figure = parse_decimal(field, value)  # "" is refused: "is required"
    if figure <= 0:
        raise InvalidArgument(field, f"must be more than 0, got {value}")
    return figure


def _money(field: str, value: str) -> Decimal:
    return money_amount(field, _positive(field, value))


def _mechanic(path: str, m: MechanicInput | None) -> Mechanic:
    if m is None:
        raise InvalidArgument(
            f"{path}.mechanic",
            "is required: percent_off, amount_off, free_goods, gift or bundle_price",
        )
    at = f"{path}.{m.kind}"
    if m.kind == "percent_off":
        percent = _positive(f"{at}.percent", m.percent)
        if percent > HUNDRED:
            raise InvalidArgument(f"{at}.percent", f"must be at most 100, got {m.percent}")
        return PercentOff(percent)
    if m.kind == "amount_off":
        return AmountOff(_money(f"{at}.amount", m.amount))
    if m.kind == "free_goods":
        return FreeGoods(
            positive_quantity(f"{at}.buy_quantity", m.buy_quantity),
            require_id(f"{at}.free_product_id", m.product_id),
            positive_quantity(f"{at}.free_quantity", m.quantity),
            m.repeat,
        )
    if m.kind == "gift":
        if bool(m.min_gross) == bool(m.min_base_quantity):
            raise InvalidArgument(
                f"{at}.min_gross", "exactly one of min_gross and min_base_quantity is required"
            )
        return Gift(
            _money(f"{at}.min_gross", m.min_gross) if m.min_gross else None,
            positive_quantity(f"{at}.min_base_quantity", m.min_base_quantity)
            if m.min_base_quantity
            else None,
            require_id(f"{at}.gift_product_id", m.product_id),
            positive_quantity(f"{at}.gift_quantity", m.quantity),
        )
    if m.kind == "bundle_price":
        items = limit_items(f"{at}.components", m.components, MAX_LIST)
        if len(items) < 2:
            raise InvalidArgument(f"{at}.components", "a bundle has 2 components or more")
        components: dict[str, Decimal] = {}
        for i, (pid, qty) in enumerate(items):
            product = require_id(f"{at}.components[{i}].product_id", pid)
            if product in components:
                raise InvalidArgument(
                    f"{at}.components[{i}].product_id", f"{product} is listed twice"
                )
            components[product] = positive_quantity(f"{at}.components[{i}].base_quantity", qty)
        return Bundle(tuple(sorted(components.items())), _money(f"{at}.price", m.price))
    raise InvalidArgument(f"{path}.mechanic", f"unknown mechanic {m.kind!r}")


def _budget(path: str, b: BudgetInput, mechanic: Mechanic) -> Budget:
    if b.kind is None or b.kind is BudgetKind.NONE:
        if b.total:
            raise InvalidArgument(f"{path}.kind", "a total needs a kind: MONEY or UNITS")
        return Budget()
    if b.kind is BudgetKind.UNITS:
        if not isinstance(mechanic, GIVES_UNITS):
            raise InvalidArgument(
                f"{path}.kind", "a budget of units is for free goods and gifts only"
            )
        return Budget(b.kind, positive_quantity(f"{path}.total", b.total))
    return Budget(b.kind, _money(f"{path}.total", b.total))


def offered(
    promotions: Iterable[Promotion],
    outlet: OutletFacts,
    day: date,
    parents: Mapping[str, str],
) -> list[Promotion]:
    """Those an order of the outlet on `day` may get (by id)."""
    return sorted((p for p in promotions if p.offered_at(outlet, day, parents)), key=lambda p: p.id)
