"""Vans: a van is a warehouse tied to a van seller (and, if it sells for one, a distributor);
its stock moves only through documents.

Every document writes signed movements (base units, + into the van, − out of it) to the
ledger in the same transaction as the stock rows, so for every van and product
`stock = Σ movements` holds at all times:

* loading: + each loaded quantity (LOAD);
* sale: − each sold quantity (SALE), refused whole when the van does not hold enough;
* return into the van: + each returned quantity (RETURN);
* unloading: the counted stock leaves the van. Where the count differs from the ledger, an
  UNLOAD movement of `counted − expected` (marked as a discrepancy) first books the shortage
  or surplus, then an UNLOAD movement of `− counted` takes the goods out: the van is empty
  afterwards and the ledger shows both the write-off and what physically left.

Cash: expected = Σ cash collected by the van's sales on that day not covered by an earlier
unloading of the same day; difference = handed over − expected.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from fieldline_kit.errors import FailedPrecondition, InvalidArgument
from fieldline_orders.domain import events
from fieldline_orders.domain.values import (
    ZERO,
    currency_code,
    fmt,
    optional_id,
    require_id,
    require_text,
)


class MovementKind(enum.Enum):
    LOAD = "load"
    SALE = "sale"
    RETURN = "return"
    UNLOAD = "unload"


@dataclass(frozen=True)
class Movement:
    van_id: str
    document_id: str
    kind: MovementKind
    product_id: str
    # Signed base units: + into the van, − out of it.
    quantity: Decimal
    on: date
    discrepancy: bool = False


def balances(movements: Iterable[Movement]) -> dict[tuple[str, str], Decimal]:
    """(van id, product id) → stock, as the ledger says."""
    out: dict[tuple[str, str], Decimal] = {}
    for m in movements:
        key = (m.van_id, m.product_id)
        out[key] = out.get(key, ZERO) + m.quantity
    return out


def sum_by_product(lines: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """Quantities per product in first-seen order (several lines may name one product)."""
    out: dict[str, Decimal] = {}
    for product_id, qty in lines:
        out[product_id] = out.get(product_id, ZERO) + qty
    return out


def not_enough_stock(
    field: str, van_id: str, product_label: str, available: Decimal, requested: Decimal
) -> FailedPrecondition:
    return FailedPrecondition(
        f"{field}: not enough stock of product {product_label} in van {van_id}: "
        f"available {fmt(available)}, requested {fmt(requested)}"
    )


def check_sale_stock(
    van_id: str,
    wanted: Mapping[str, Decimal],
    stock: Mapping[str, Decimal],
    fields: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
) -> None:
    """Refuse a sale the van cannot serve (the writer re-checks with a conditional UPDATE)."""
    for product_id, qty in wanted.items():
        available = stock.get(product_id, ZERO)
        if available < qty:
            label = (labels or {}).get(product_id, product_id)
            raise not_enough_stock(fields[product_id], van_id, label, available, qty)


@dataclass
class Van:
    id: str
    name: str
    van_seller_id: str
    currency_code: str
    version: int
    created_at: datetime
    # The distributor the van sells for (a client of type DISTRIBUTOR: its sales are the
    # distributor's, its manager reads it); "" the company's.
    distributor_id: str = ""
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def create(
        cls,
        *,
        id: str,
        name: str,
        van_seller_id: str,
        currency: str,
        now: datetime,
        distributor_id: str = "",
    ) -> Van:
        """A new van; its distributor, if named, is checked against the clients feed by the
        use case (service_layer/distributors.py)."""
        return cls(
            id=require_id("van.id", id),
            name=require_text("van.name", name),
            van_seller_id=require_id("van.van_seller_id", van_seller_id),
            currency_code=currency_code("van.currency_code", currency or "RUB"),
            version=1,
            created_at=now,
            distributor_id=optional_id("van.distributor_id", distributor_id),
        )


@dataclass
class VanLoad:
    id: str
    van_id: str
    on: date
    # (product id, base units) summed per product, in first-seen order.
    lines: tuple[tuple[str, Decimal], ...]
    created_at: datetime
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)
    version: int = 1

    @classmethod
    def create(
        cls,
        *,
        load_id: str,
        van_id: str,
        on: date,
        lines: Sequence[tuple[str, Decimal]],
        now: datetime,
    ) -> VanLoad:
        if not lines:
            raise InvalidArgument("lines", "at least one line is required")
        load = cls(
            id=require_id("load_id", load_id),
            van_id=van_id,
            on=on,
            lines=tuple(sum_by_product(lines).items()),
            created_at=now,
        )
        load.events.append(events.VanLoaded(load.snapshot()))
        return load

    def snapshot(self) -> VanLoad:
        return VanLoad(self.id, self.van_id, self.on, self.lines, self.created_at)

    def movements(self) -> list[Movement]:
        return [
            Movement(self.van_id, self.id, MovementKind.LOAD, pid, q, self.on)
            for pid, q in self.lines
        ]


@dataclass(frozen=True)
class StockDiscrepancy:
    product_id: str
    expected: Decimal
    counted: Decimal

    @property
    def difference(self) -> Decimal:
        return self.counted - self.expected


@dataclass
class Unloading:
    id: str
    van_id: str
    on: date
    currency_code: str
    # Every product the van held or that was counted; `discrepancies` keeps those that differ.
    lines: tuple[StockDiscrepancy, ...]
    cash_expected: Decimal
    cash_handed_over: Decimal
    created_at: datetime
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)
    version: int = 1

    @property
    def discrepancies(self) -> tuple[StockDiscrepancy, ...]:
        return tuple(d for d in self.lines if d.difference != 0)

    @property
    def cash_difference(self) -> Decimal:
        return self.cash_handed_over - self.cash_expected

    @classmethod
    def reconcile(
        cls,
        *,
        unload_id: str,
        van: Van,
        on: date,
        expected: Mapping[str, Decimal],
        counted: Sequence[tuple[str, Decimal]],
        cash_expected: Decimal,
        cash_handed_over: Decimal,
        cash_currency: str,
        now: datetime,
    ) -> Unloading:
        if cash_handed_over < 0:
            raise InvalidArgument("cash_handed_over", "must not be negative")
        if cash_currency and cash_currency != van.currency_code:
            raise InvalidArgument(
                "cash_handed_over.currency_code",
                f"must be the van's currency {van.currency_code}, got {cash_currency}",
            )
        counts: dict[str, Decimal] = {}
        for i, (product_id, qty) in enumerate(counted):
            if product_id in counts:
                raise InvalidArgument(
                    f"counted[{i}].product_id", f"product {product_id} is listed twice"
                )
            counts[product_id] = qty
        # counted products in the order given, then those only the ledger knows (by id)
        products = list(dict.fromkeys([*counts, *sorted(expected)]))
        lines = tuple(
            StockDiscrepancy(p, expected.get(p, ZERO), counts.get(p, ZERO))
            for p in products
            if expected.get(p, ZERO) != 0 or counts.get(p, ZERO) != 0
        )
        unloading = cls(
            id=require_id("unload_id", unload_id),
            van_id=van.id,
            on=on,
            currency_code=van.currency_code,
            lines=lines,
            cash_expected=cash_expected,
            cash_handed_over=cash_handed_over,
            created_at=now,
        )
        unloading.events.append(events.VanUnloaded(unloading.snapshot()))
        return unloading

    def snapshot(self) -> Unloading:
        return Unloading(
            self.id,
            self.van_id,
            self.on,
            self.currency_code,
            self.lines,
            self.cash_expected,
            self.cash_handed_over,
            self.created_at,
        )

    def movements(self) -> list[Movement]:
        out: list[Movement] = []
        for line in self.lines:
            if line.difference != 0:
                out.append(
                    Movement(
                        self.van_id,
                        self.id,
                        MovementKind.UNLOAD,
                        line.product_id,
                        line.difference,
                        self.on,
                        discrepancy=True,
                    )
                )
            if line.counted != 0:
                out.append(
                    Movement(
                        self.van_id,
                        self.id,
                        MovementKind.UNLOAD,
                        line.product_id,
                        -line.counted,
                        self.on,
                    )
                )
        return out


def expected_cash(sales_cash: Iterable[Decimal], earlier_unloadings: Iterable[Decimal]) -> Decimal:
    """Cash the van seller owes at an unloading: the day's sales' cash not yet accounted for."""
    return sum(sales_cash, ZERO) - sum(earlier_unloadings, ZERO)
