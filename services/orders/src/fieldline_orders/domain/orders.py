"""The Order aggregate: priced lines, totals, the credit decision and the status machine.

```
CREDIT_HOLD → SUBMITTED | CANCELLED
SUBMITTED   → CONFIRMED | SHIPPED | REJECTED | CANCELLED
CONFIRMED   → SHIPPED | REJECTED | CANCELLED
SHIPPED     → DELIVERED | PARTIALLY_DELIVERED (with delivered quantities) | REJECTED
DELIVERED, PARTIALLY_DELIVERED, REJECTED, CANCELLED: final
```

An illegal move is FAILED_PRECONDITION naming both states; the same status again is a no-op.
A van sale is created DELIVERED (final at once).

A pre-sale order in CREDIT_HOLD or SUBMITTED may be amended (`amend`: a new revision, its lines
priced again and its credit checked again, so SUBMITTED → CREDIT_HOLD too) or cancelled by its
agent's side (`cancel`); after that only the fulfilment statuses move it.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import TYPE_CHECKING, Protocol

from fieldline_kit.errors import Conflict, DomainError, FailedPrecondition, InvalidArgument
from fieldline_orders.domain import events
from fieldline_orders.domain.catalog import Product, parse_vat_rate
from fieldline_orders.domain.pricing import PricedLine
from fieldline_orders.domain.values import (
    MAX_CODE,
    MAX_CONTAINER_TYPE,
    MAX_REASON,
    MAX_UNIT,
    QTY_PLACES,
    ZERO,
    currency_code,
    fmt,
    frozen_instance,
    known_quantity,
    limit_text,
    money_amount,
    optional_id,
    percent,
    positive_quantity,
    quantity,
    require_id,
    require_text,
)

if TYPE_CHECKING:
    from fieldline_orders.domain.order_promotions import (
        AppliedPromotion,
        ExpectedPromotion,
        PromotedOrder,
    )
    from fieldline_orders.domain.promotion_pricing import FreeLine, LinePromotion, PromotedLine
    from fieldline_orders.domain.van import Van


class OrderKind(enum.Enum):
    PRE_SALE = "pre_sale"
    VAN_SALE = "van_sale"


class OrderChannel(enum.Enum):
    """How an order was taken: at the outlet (an agent's visit, a van), or by a teleseller on
    the phone (its `taken_by` the teleseller, its `agent_id` the credited agent)."""

    FIELD = "FIELD"
    PHONE = "PHONE"


class OrderStatus(enum.Enum):
    CREDIT_HOLD = "credit_hold"
    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    PARTIALLY_DELIVERED = "partially_delivered"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.CREDIT_HOLD: frozenset({S.SUBMITTED, S.CANCELLED}),
    S.SUBMITTED: frozenset({S.CONFIRMED, S.SHIPPED, S.REJECTED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.SHIPPED, S.REJECTED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.PARTIALLY_DELIVERED, S.REJECTED}),
    S.DELIVERED: frozenset(),
    S.PARTIALLY_DELIVERED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}
FINAL = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
# Where a pre-sale order may still be amended or cancelled by its agent's side.
AMENDABLE = frozenset({S.CREDIT_HOLD, S.SUBMITTED})
DELIVERED_STATUSES = frozenset({S.DELIVERED, S.PARTIALLY_DELIVERED})


def can_move(source: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[source]


# ----------------------------------------------------------------------------- credit
class CreditOutcome(enum.Enum):
    ALLOW = "allow"
    WARN = "warn"
    BLOCK = "block"
    OVERRIDDEN = "overridden"


class Stage(enum.Enum):
    ORDER_SUBMIT = "order_submit"
    VAN_SALE = "van_sale"


SETTLEMENTS_UNAVAILABLE = "settlements unavailable"
# Who judges a held order again on its own once settlements answers (`recheck_after_outage`):
# the status history's reporter and reason.
RECHECK_ACTOR = "credit-recheck"
RECHECK_REASON = "credit re-checked after settlements was unavailable"


@dataclass(frozen=True)
class CreditRequest:
    order_id: str
    client_id: str
    amount: Decimal
    currency_code: str
    stage: Stage
    # Who asks, as the verified caller (recorded as who overrode a BLOCK); "" for no one.
    actor_id: str
    override_reason: str
    as_of: date
    # The bearer token of the user the check is for, as the user's call came with it: opaque
    # here, settlements verifies it and takes the user and its roles (who may override) from
    # it. "" when no user asks (the credit re-check, a service's own order).
    actor_token: str = field(default="", repr=False)

    @classmethod
    def as_it_stands(cls, order: Order, today: date) -> CreditRequest:
        """The check of an order as it stands: a submission of its stored total, with no user
        (the credit re-check; an amendment's reservation put back)."""
        return cls(
            order_id=order.id,
            client_id=order.client_id,
            amount=order.gross_total,
            currency_code=order.currency_code,
            stage=Stage.ORDER_SUBMIT,
            actor_id="",
            override_reason="",
            as_of=today,
        )


@dataclass(frozen=True)
class CreditDecision:
    outcome: CreditOutcome
    reasons: tuple[str, ...] = ()
    # True when settlements could not be reached and the configured fallback decided.
    fallback: bool = False
    override_by: str = ""
    override_reason: str = ""
    decided_at: datetime | None = None

    @property
    def passes(self) -> bool:
        return self.outcome is not CreditOutcome.BLOCK

    @classmethod
    def fallback_for(cls, mode: str, now: datetime) -> CreditDecision:
        """What `ORDERS_CREDIT_CHECK_FALLBACK` decides when settlements is unreachable."""
        outcome = CreditOutcome.WARN if mode == "allow" else CreditOutcome.BLOCK
        return cls(outcome, (SETTLEMENTS_UNAVAILABLE,), fallback=True, decided_at=now)


def fallback_mode(value: str) -> str:
    mode = (value or "block").strip().lower()
    if mode not in ("block", "allow"):
        raise ValueError(f"credit check fallback must be `block` or `allow`, got {value!r}")
    return mode


class CreditChecker(Protocol):
    """The debt-policy check (settlements' CheckCredit behind an adapter)."""

    async def check(self, request: CreditRequest) -> CreditDecision: ...

    async def check_many(
        self, requests: Sequence[CreditRequest]
    ) -> list[CreditDecision | DomainError]:
        """Checks judged in order in one go (a later one sees the earlier ones' reservations);
        a refused check gets its error in its place."""
        ...

    async def release(self, order_id: str, actor_token: str = "") -> bool:
        """Drop the reservation of a checked order that will not be placed (best effort), as
        the user of `actor_token` (the checked one), else as this service."""
        ...


# ------------------------------------------------------------------------------ lines
@dataclass(frozen=True)
class OrderLine:
    line_no: int
    product_id: str
    unit: str
    quantity: Decimal
    base_quantity: Decimal
    unit_price: Decimal
    price_source: str
    rule_discount_percent: Decimal
    manual_discount_percent: Decimal
    net_amount: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    gross_amount: Decimal
    delivered_base_quantity: Decimal
    container_type: str
    container_quantity: Decimal
    # What promotions took off it (its `promotions`' benefits add up to it): net, VAT and
    # gross are after it (domain/promotion_pricing.py).
    promotion_discount: Decimal = ZERO
    promotions: tuple[LinePromotion, ...] = ()
    # A line a promotion gives (free goods, a gift): net, VAT, gross 0; `promotion_id` its.
    free_of_charge: bool = False
    promotion_id: str = ""

    @classmethod
    def from_priced(
        cls, line_no: int, p: PricedLine, promoted: PromotedLine | None = None
    ) -> OrderLine:
        product = p.product
        if promoted is not None and promoted.promotions:
            return replace(
                cls.from_priced(line_no, p),
                net_amount=promoted.amounts.net,
                vat_amount=promoted.amounts.vat,
                gross_amount=promoted.amounts.gross,
                promotion_discount=promoted.promotion_discount,
                promotions=promoted.promotions,
            )
        amounts = p.amounts
        return frozen_instance(
            cls,
            line_no=line_no,
            product_id=product.id,
            unit=p.unit,
            quantity=p.quantity,
            base_quantity=p.base_quantity,
            unit_price=p.unit_price,
            price_source=p.price_source,
            rule_discount_percent=p.rule_discount_percent,
            manual_discount_percent=p.manual_discount_percent,
            net_amount=amounts.net,
            vat_rate=product.vat_rate,
            vat_amount=amounts.vat,
            gross_amount=amounts.gross,
            delivered_base_quantity=ZERO,
            container_type=product.container_type,
            container_quantity=product.containers_for(p.base_quantity),
            promotion_discount=ZERO,
            promotions=(),
            free_of_charge=False,
            promotion_id="",
        )

    @classmethod
    def free(
        cls, line_no: int, free: FreeLine, product: Product, formula: LinePromotion
    ) -> OrderLine:
        """A line a promotion gives: in the product's base unit, at the unit price it would be
        sold at, free of charge (its value is the promotion's benefit, in `formula`)."""
        return cls(
            line_no=line_no,
            product_id=product.id,
            unit=product.base_unit,
            quantity=free.base_quantity,
            base_quantity=free.base_quantity,
            unit_price=free.unit_price,
            price_source="promotion:" + free.promotion_id,
            rule_discount_percent=ZERO,
            manual_discount_percent=ZERO,
            net_amount=ZERO,
            vat_rate=product.vat_rate,
            vat_amount=ZERO,
            gross_amount=ZERO,
            delivered_base_quantity=ZERO,
            container_type=product.container_type,
            container_quantity=product.containers_for(free.base_quantity),
            promotions=(formula,),
            free_of_charge=True,
            promotion_id=free.promotion_id,
        )

    @classmethod
    def imported(
        cls,
        path: str,
        line_no: int,
        *,
        product_id: str,
        unit: str,
        quantity: str,
        base_quantity: str,
        unit_price: Decimal,
        price_source: str,
        rule_discount_percent: str,
        manual_discount_percent: str,
        net_amount: Decimal,
        vat_rate: str,
        vat_amount: Decimal,
        gross_amount: Decimal,
        delivered_base_quantity: str,
        container_type: str,
        container_quantity: str,
    ) -> OrderLine:
        """A line as another system priced it (see `Order.imported`): its figures are checked,
        not priced again (its price type and discounts were that system's); gross = net + VAT,
        delivered at most the base quantity. An empty figure is 0."""
        net = money_amount(f"{path}.net_amount", net_amount)
        vat = money_amount(f"{path}.vat_amount", vat_amount)
        gross = money_amount(f"{path}.gross_amount", gross_amount)
        if gross != net + vat:
            raise InvalidArgument(
                f"{path}.gross_amount", f"{fmt(gross)} is not net {fmt(net)} + VAT {fmt(vat)}"
            )
        base = positive_quantity(f"{path}.base_quantity", base_quantity)
        delivered = _figure(f"{path}.delivered_base_quantity", delivered_base_quantity)
        if delivered > base:
            raise InvalidArgument(
                f"{path}.delivered_base_quantity",
                f"{fmt(delivered)} is more than the {fmt(base)} ordered",
            )
        return frozen_instance(
            cls,
            line_no=line_no,
            product_id=require_id(f"{path}.product_id", product_id),
            unit=require_text(f"{path}.unit", unit, MAX_UNIT),
            quantity=positive_quantity(f"{path}.quantity", quantity),
            base_quantity=base,
            unit_price=money_amount(f"{path}.unit_price", unit_price),
            price_source=limit_text(f"{path}.price_source", price_source, MAX_CODE),
            rule_discount_percent=percent(f"{path}.rule_discount_percent", rule_discount_percent),
            manual_discount_percent=percent(
                f"{path}.manual_discount_percent", manual_discount_percent
            ),
            net_amount=net,
            vat_rate=parse_vat_rate(f"{path}.vat_rate", vat_rate),
            vat_amount=vat,
            gross_amount=gross,
            delivered_base_quantity=delivered,
            container_type=limit_text(f"{path}.container_type", container_type, MAX_CONTAINER_TYPE),
            container_quantity=_figure(f"{path}.container_quantity", container_quantity),
        )


def containers_of(lines: Iterable[OrderLine]) -> tuple[tuple[str, Decimal], ...]:
    """Containers issued with the lines, summed per container type (sorted by type)."""
    totals: dict[str, Decimal] = {}
    for line in lines:
        if line.container_type and line.container_quantity:
            totals[line.container_type] = (
                totals.get(line.container_type, ZERO) + line.container_quantity
            )
    return tuple(sorted(totals.items()))


# Digits enough for a line's containers × delivered base units exactly (18 + 18 digits).
_CONTAINER_PRECISION = 60
_QTY_STEP = Decimal(1).scaleb(-QTY_PLACES)


def delivered_containers(lines: Iterable[OrderLine]) -> tuple[tuple[str, Decimal], ...]:
    """Containers delivered with the lines, summed per container type (sorted by type):
    containers per base unit × delivered base units, the per-unit figure being the line's
    own (`container_quantity / base_quantity`: its product's `containers_per_unit` when it was
    priced). A line delivered in full gives its `container_quantity`, as `containers_of`
    does; a partial one the exact product. Each type's sum is given to a quantity's 3 places,
    rounded half up (only a fractional per-unit figure × fractional units has more)."""
    totals: dict[str, Decimal] = {}
    with localcontext(prec=_CONTAINER_PRECISION):
        for line in lines:
            delivered = line.delivered_base_quantity
            if not (line.container_type and line.container_quantity and delivered):
                continue
            if delivered == line.base_quantity:
                q = line.container_quantity
            else:
                q = line.container_quantity * delivered / line.base_quantity
            totals[line.container_type] = totals.get(line.container_type, ZERO) + q
    return tuple((kind, q.quantize(_QTY_STEP, ROUND_HALF_UP)) for kind, q in sorted(totals.items()))


def _figure(field: str, value: str) -> Decimal:
    """A quantity that may be left empty (0)."""
    if not (value or "").strip():
        return ZERO
    known = known_quantity(value)  # a text that passed as a positive quantity lately
    return known if known is not None else quantity(field, value)


def _check_delivered(status: OrderStatus, lines: Sequence[OrderLine]) -> None:
    """The delivered quantities an imported order's status implies (see `Order.imported`)."""
    if status is OrderStatus.PARTIALLY_DELIVERED:
        return
    full = status is OrderStatus.DELIVERED
    for i, ln in enumerate(lines):
        if ln.delivered_base_quantity != (ln.base_quantity if full else ZERO):
            raise InvalidArgument(
                f"lines[{i}].delivered_base_quantity",
                f"a {status.name} order has "
                + ("every line delivered in full" if full else "nothing delivered yet"),
            )


# ------------------------------------------------------------------------------ header
@dataclass(frozen=True)
class OrderHeader:
    """The validated, non-line part of a submitted order or van sale."""

    order_id: str
    client_id: str
    outlet_id: str
    agent_id: str
    distributor_id: str
    warehouse_id: str
    order_date: date
    delivery_date: date | None
    comment: str
    visit_id: str = ""  # the visit it was taken in (checked against the feed: contacts.py)
    channel: OrderChannel = OrderChannel.FIELD
    taken_by: str = ""  # who took it ("": its agent; a PHONE order's teleseller)
    call_id: str = ""  # the teleseller's call a PHONE order was taken in, if named

    @classmethod
    def create(
        cls,
        *,
        order_id: str,
        client_id: str,
        outlet_id: str,
        agent_id: str,
        distributor_id: str = "",
        warehouse_id: str = "",
        order_date: date,
        delivery_date: date | None = None,
        comment: str = "",
        visit_id: str = "",
        channel: OrderChannel = OrderChannel.FIELD,
        taken_by: str = "",
        call_id: str = "",
        id_field: str = "order_id",
        agent_field: str = "token.sub",
    ) -> OrderHeader:
        if delivery_date is not None and delivery_date < order_date:
            raise InvalidArgument(
                "delivery_date",
                f"must not be before the order date {order_date.isoformat()}",
            )
        return cls(
            order_id=require_id(id_field, order_id),
            client_id=require_id("client_id", client_id),
            outlet_id=require_id("outlet_id", outlet_id),
            agent_id=require_id(agent_field, agent_id),
            distributor_id=optional_id("distributor_id", distributor_id),
            warehouse_id=optional_id("warehouse_id", warehouse_id),
            order_date=order_date,
            delivery_date=delivery_date,
            comment=limit_text("comment", comment),
            visit_id=optional_id("visit_id", visit_id),
            channel=channel,
            taken_by=taken_by,
            call_id=optional_id("call_id", call_id),
        )


@dataclass(frozen=True)
class DateWindow:
    """How far from today, either way, an order's date and delivery date may be
    (ORDERS_ORDER_DATE_WINDOW_DAYS): a mistyped year must not reserve credit until 9999."""

    days: int

    def check(self, field: str, day: date | None, today: date) -> None:
        if day is None or abs(day.toordinal() - today.toordinal()) <= self.days:
            return
        first, last = today - timedelta(days=self.days), today + timedelta(days=self.days)
        raise InvalidArgument(
            field,
            f"must be within {self.days} days of today: {first.isoformat()} … "
            f"{last.isoformat()}, got {day.isoformat()}",
        )


@dataclass(frozen=True)
class StatusChange:
    status: OrderStatus
    reason: str
    reported_by: str
    at: datetime


# Who reported the status of an imported order (`Order.imported`).
IMPORTED_BY = "import"


# ---------------------------------------------------------------------------- revisions
@dataclass(frozen=True)
class Amendment:
    """An amendment as recorded: the device's id (unique per order), the revision it made, the
    digest of what it asked (`amendment_digest`), who and when."""

    amendment_id: str
    revision: int
    digest: str
    amended_by: str
    at: datetime


@dataclass(frozen=True)
class Revision:
    """A revision of an order as it was: its lines, dates, totals and credit decision."""

    revision: int
    lines: tuple[OrderLine, ...]
    delivery_date: date | None
    warehouse_id: str
    comment: str
    currency_code: str
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    credit: CreditDecision
    promotions: tuple[AppliedPromotion, ...] = ()


def amendment_digest(
    *,
    expected_revision: int,
    lines: Iterable[tuple[str, str, str, str]],
    delivery_date: date | None,
    warehouse_id: str,
    comment: str,
    override_reason: str,
) -> str:
    """What an amendment asked, as a digest: the same amendment id with another digest is
    another amendment (ALREADY_EXISTS). Lines as (product id, unit, quantity, manual %)."""
    content = [
        expected_revision,
        [list(ln) for ln in lines],
        delivery_date.isoformat() if delivery_date else "",
        warehouse_id,
        comment,
        override_reason,
    ]
    encoded = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


# ------------------------------------------------------------------------------- order
@dataclass
class Order:
    id: str
    kind: OrderKind
    status: OrderStatus
    client_id: str
    outlet_id: str
    agent_id: str
    distributor_id: str
    warehouse_id: str
    order_date: date
    delivery_date: date | None
    lines: list[OrderLine]
    currency_code: str
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    credit: CreditDecision
    comment: str
    status_reason: str
    cash_collected: Decimal
    receipt_number: str
    version: int
    created_at: datetime
    updated_at: datetime
    # The visit it was taken in (domain/contacts.py), or "".
    visit_id: str = ""
    # 1, one more with each amendment.
    revision: int = 1
    channel: OrderChannel = OrderChannel.FIELD
    # Who took it, its author (who may amend and cancel it besides its agent's side): the agent
    # itself, or a PHONE order's teleseller, whose `agent_id` is the credited agent.
    taken_by: str = ""
    call_id: str = ""  # a PHONE order's call (clients' RecordCall), if named
    # The promotions it got, and those the device expected and it did not get (why); what the
    # device expected, as sent (domain/order_promotions.py).
    promotions: tuple[AppliedPromotion, ...] = ()
    expected_promotions: tuple[ExpectedPromotion, ...] = ()
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)
    # Status changes not yet written to the history table (the repository drains it).
    new_history: list[StatusChange] = field(default_factory=list, repr=False, compare=False)
    # An amendment not yet written: the revision it replaced and the amendment (the repository
    # writes both and the new lines, and clears it).
    new_revision: tuple[Revision, Amendment] | None = field(default=None, repr=False, compare=False)

    # -- creation ------------------------------------------------------------------------
    @classmethod
    def _of(
        cls,
        kind: OrderKind,
        status: OrderStatus,
        header: OrderHeader,
        lines: list[OrderLine],
        currency: str,
        credit: CreditDecision,
        created_at: datetime,
        updated_at: datetime,
    ) -> Order:
        """A new order (version 1) of these lines, its totals their sums."""
        return cls(
            id=header.order_id,
            kind=kind,
            status=status,
            client_id=header.client_id,
            outlet_id=header.outlet_id,
            agent_id=header.agent_id,
            distributor_id=header.distributor_id,
            warehouse_id=header.warehouse_id,
            order_date=header.order_date,
            delivery_date=header.delivery_date,
            lines=lines,
            currency_code=currency,
            net_total=sum((ln.net_amount for ln in lines), ZERO),
            vat_total=sum((ln.vat_amount for ln in lines), ZERO),
            gross_total=sum((ln.gross_amount for ln in lines), ZERO),
            credit=credit,
            comment=header.comment,
            status_reason="",
            cash_collected=ZERO,
            receipt_number="",
            version=1,
            created_at=created_at,
            updated_at=updated_at,
            visit_id=header.visit_id,
            channel=header.channel,
            taken_by=header.taken_by or header.agent_id,
            call_id=header.call_id,
        )

    @classmethod
    def _new(
        cls,
        kind: OrderKind,
        status: OrderStatus,
        header: OrderHeader,
        priced: Sequence[PricedLine],
        currency: str,
        credit: CreditDecision,
        now: datetime,
        reported_by: str,
        promoted: PromotedOrder | None = None,
    ) -> Order:
        if not priced:
            raise InvalidArgument("lines", "at least one line is required")
        if promoted is None:
            lines = [OrderLine.from_priced(i + 1, p) for i, p in enumerate(priced)]
        else:
            lines = list(promoted.lines)
        order = cls._of(kind, status, header, lines, currency, credit, now, now)
        if promoted is not None:
            order.promotions = promoted.promotions
            order.expected_promotions = promoted.expected
        order.new_history.append(StatusChange(status, "", reported_by, now))
        return order

    @classmethod
    def submit(
        cls,
        header: OrderHeader,
        priced: Sequence[PricedLine],
        currency: str,
        decision: CreditDecision,
        now: datetime,
        promoted: PromotedOrder | None = None,
    ) -> Order:
        """A pre-sale order: SUBMITTED when the debt policy lets it through, else CREDIT_HOLD;
        its lines as `promoted` priced them, if given (free lines among them)."""
        status = S.SUBMITTED if decision.passes else S.CREDIT_HOLD
        taker = header.taken_by or header.agent_id
        order = cls._new(
            OrderKind.PRE_SALE, status, header, priced, currency, decision, now, taker, promoted
        )
        order._announce_submit()
        return order

    @classmethod
    def van_sale(
        cls,
        header: OrderHeader,
        van: Van,
        priced: Sequence[PricedLine],
        currency: str,
        decision: CreditDecision,
        cash_collected: Decimal,
        receipt_number: str,
        now: datetime,
        promoted: PromotedOrder | None = None,
    ) -> Order:
        """A sale from a van: invoiced on the spot, DELIVERED at once; from a distributor's van,
        the distributor's (its `distributor_id` the van's)."""
        if not decision.passes:
            raise FailedPrecondition(
                "credit: the debt policy blocks this sale: " + "; ".join(decision.reasons)
            )
        if cash_collected < 0:
            raise InvalidArgument("cash_collected", "must not be negative")
        van_id = van.id
        header = replace(header, warehouse_id=van_id, distributor_id=van.distributor_id)
        order = cls._new(
            OrderKind.VAN_SALE,
            S.DELIVERED,
            header,
            priced,
            currency,
            decision,
            now,
            header.agent_id,
            promoted,
        )
        if cash_collected > order.gross_total:
            raise InvalidArgument(
                "cash_collected",
                f"{fmt(cash_collected)} is more than the sale's total {fmt(order.gross_total)}",
            )
        order.lines = [replace(ln, delivered_base_quantity=ln.base_quantity) for ln in order.lines]
        order.cash_collected = cash_collected
        order.receipt_number = limit_text("receipt_number", receipt_number, MAX_CODE)
        snapshot = order.snapshot()
        order.events.append(
            events.VanSaleCompleted(
                snapshot, van_id, cash_collected, order.receipt_number, containers_of(order.lines)
            )
        )
        return order

    @classmethod
    def imported(
        cls,
        *,
        order_id: str,
        status: OrderStatus | None,
        client_id: str,
        outlet_id: str,
        agent_id: str,
        distributor_id: str,
        warehouse_id: str,
        order_date: date,
        delivery_date: date | None,
        lines: Sequence[OrderLine],
        currency: str,
        credit: CreditDecision,
        comment: str,
        status_reason: str,
        created_at: datetime,
        updated_at: datetime,
        totals: tuple[Decimal, Decimal, Decimal] | None = None,
        channel: OrderChannel = OrderChannel.FIELD,
        taken_by: str = "",
        call_id: str = "",
    ) -> Order:
        """A pre-sale order brought over from another system as it stands there (its history):
        the lines as priced there (`OrderLine.imported`), its status now: DELIVERED with every
        line delivered in full, PARTIALLY_DELIVERED with what its lines say, any other status
        with nothing delivered yet. The totals are the lines' sums (`totals`, if given: net,
        VAT, gross, must be them). Nothing is announced; the status history records the
        imported status once."""
        if status is None:
            raise InvalidArgument("status", "is required")
        if not lines:
            raise InvalidArgument("lines", "at least one line is required")
        header = OrderHeader.create(
            order_id=order_id,
            client_id=client_id,
            outlet_id=outlet_id,
            agent_id=agent_id,
            distributor_id=distributor_id,
            warehouse_id=warehouse_id,
            order_date=order_date,
            delivery_date=delivery_date,
            comment=comment,
            channel=channel,
            taken_by=optional_id("taken_by", taken_by),  # "": its agent
            call_id=call_id,
            id_field="id",
            agent_field="agent_id",
        )
        _check_delivered(status, lines)
        currency = currency_code("currency_code", currency)
        order = cls._of(
            OrderKind.PRE_SALE,
            status,
            header,
            list(lines),
            currency,
            credit,
            created_at,
            updated_at,
        )
        sums = (order.net_total, order.vat_total, order.gross_total)
        if totals is not None and totals != sums:
            raise InvalidArgument(
                "totals",
                "net, VAT and gross must be the sums of the lines: "
                + ", ".join(fmt(t) for t in sums),
            )
        order.status_reason = limit_text("status_reason", status_reason)
        order.new_history.append(StatusChange(status, order.status_reason, IMPORTED_BY, updated_at))
        return order

    # -- credit ---------------------------------------------------------------------------
    def _announce_submit(self) -> None:
        snapshot = self.snapshot()
        if self.status is S.SUBMITTED:
            self.events.append(events.OrderSubmitted(snapshot))
        else:
            self.events.append(events.OrderHeld(snapshot))

    def recheck(self, decision: CreditDecision, now: datetime, actor_id: str) -> bool:
        """A CREDIT_HOLD order submitted again: the new decision releases it or keeps it held.

        Any other status: nothing changes (a retried submit returns the order as it is).
        """
        if self.status is not S.CREDIT_HOLD:
            return False
        self.credit = decision
        if decision.passes:
            self.status = S.SUBMITTED
            self.new_history.append(StatusChange(S.SUBMITTED, "credit re-checked", actor_id, now))
        self._touch(now)
        self._announce_submit()
        return True

    @property
    def held_for_unavailability(self) -> bool:
        """On CREDIT_HOLD because settlements could not be asked (the fallback held it), not
        because the debt policy blocked it."""
        return self.status is S.CREDIT_HOLD and self.credit.fallback

    def recheck_after_outage(self, decision: CreditDecision, now: datetime) -> bool:
        """The system's re-check of an order the fallback held, once settlements answers.

        Settlements' own decision replaces the fallback's: one that passes releases the order
        (SUBMITTED, `OrderSubmitted`), a BLOCK keeps it held by the policy with its reasons
        (`OrderHeld`). Either way the status history records the re-check (RECHECK_REASON, by
        RECHECK_ACTOR). Nothing changes (False) for an order not held for unavailability (held
        by the policy, released, cancelled) or for a decision that is a fallback again.
        """
        if not self.held_for_unavailability or decision.fallback:
            return False
        self.credit = decision
        if decision.passes:
            self.status = S.SUBMITTED
        self.new_history.append(StatusChange(self.status, RECHECK_REASON, RECHECK_ACTOR, now))
        self._touch(now)
        self._announce_submit()
        return True

    # -- amendment and cancellation --------------------------------------------------------
    def check_amendable(self, expected_revision: int, doing: str = "amended") -> None:
        """A pre-sale order in CREDIT_HOLD or SUBMITTED at `expected_revision`: else
        FAILED_PRECONDITION `order_id` (a van sale, or too late), ABORTED `expected_revision`
        (the caller saw another revision)."""
        if self.kind is not OrderKind.PRE_SALE:
            raise FailedPrecondition(f"order_id: {self.id} is a van sale; it cannot be {doing}")
        if self.status not in AMENDABLE:
            raise FailedPrecondition(
                f"order_id: order {self.id} is {self.status.name}; it can no longer be {doing}"
            )
        if expected_revision != self.revision:
            verb = "amend" if doing == "amended" else "cancel"
            raise Conflict(
                f"expected_revision: order {self.id} is at revision {self.revision}, not "
                f"{expected_revision}; read it and {verb} again"
            )

    def current_revision(self) -> Revision:
        return Revision(
            self.revision,
            tuple(self.lines),
            self.delivery_date,
            self.warehouse_id,
            self.comment,
            self.currency_code,
            self.net_total,
            self.vat_total,
            self.gross_total,
            self.credit,
            self.promotions,
        )

    def amend(
        self,
        *,
        amendment_id: str,
        digest: str,
        expected_revision: int,
        priced: Sequence[PricedLine],
        delivery_date: date | None,
        warehouse_id: str,
        comment: str,
        decision: CreditDecision,
        amended_by: str,
        now: datetime,
        promoted: PromotedOrder | None = None,
    ) -> None:
        """The next revision: these lines (priced at the order date), dates and comment, the
        new credit decision; SUBMITTED when it passes, else CREDIT_HOLD (also from
        SUBMITTED). `OrderAmended` carries it with the revision it replaced."""
        self.check_amendable(expected_revision)
        if not priced:
            raise InvalidArgument("lines", "at least one line is required")
        if delivery_date is not None and delivery_date < self.order_date:
            raise InvalidArgument(
                "delivery_date",
                f"must not be before the order date {self.order_date.isoformat()}",
            )
        previous = self.current_revision()
        if promoted is None:
            self.lines = [OrderLine.from_priced(i + 1, p) for i, p in enumerate(priced)]
            self.promotions, self.expected_promotions = (), ()
        else:
            self.lines = list(promoted.lines)
            self.promotions, self.expected_promotions = promoted.promotions, promoted.expected
        self.net_total = sum((ln.net_amount for ln in self.lines), ZERO)
        self.vat_total = sum((ln.vat_amount for ln in self.lines), ZERO)
        self.gross_total = sum((ln.gross_amount for ln in self.lines), ZERO)
        self.delivery_date = delivery_date
        self.warehouse_id = optional_id("warehouse_id", warehouse_id)
        self.comment = limit_text("comment", comment)
        self.credit = decision
        self.revision += 1
        status = S.SUBMITTED if decision.passes else S.CREDIT_HOLD
        if status is not self.status:
            self.status = status
            self.new_history.append(
                StatusChange(status, f"amended to revision {self.revision}", amended_by, now)
            )
        self.new_revision = (
            previous,
            Amendment(amendment_id, self.revision, digest, amended_by, now),
        )
        self._touch(now)
        self.events.append(events.OrderAmended(self.snapshot(), previous.revision))

    def cancel(
        self, *, expected_revision: int, reason: str, cancelled_by: str, now: datetime
    ) -> bool:
        """Cancelled by its agent's side, with a reason; False when it is CANCELLED already (a
        retry). Only in CREDIT_HOLD or SUBMITTED (later, only the fulfilment side cancels)."""
        why = limit_text("reason", reason, MAX_REASON)
        if not why:
            raise InvalidArgument("reason", "is required to cancel an order")
        if self.status is S.CANCELLED and self.kind is OrderKind.PRE_SALE:
            return False
        self.check_amendable(expected_revision, "cancelled")
        return self.change_status(S.CANCELLED, reason=why, reported_by=cancelled_by, now=now)

    # -- status machine -----------------------------------------------------------------
    def change_status(
        self,
        target: OrderStatus,
        *,
        delivered: Sequence[tuple[str, str]] = (),
        reason: str = "",
        reported_by: str = "",
        now: datetime,
    ) -> bool:
        """Move to `target`; False when the order is already there (a no-op)."""
        if target is self.status:
            return False
        if not can_move(self.status, target):
            raise FailedPrecondition(
                f"status: order {self.id} cannot go from {self.status.name} to {target.name}"
            )
        if delivered and target is not S.PARTIALLY_DELIVERED:
            raise InvalidArgument("delivered", "is only given for PARTIALLY_DELIVERED")
        if target is S.PARTIALLY_DELIVERED:
            self.lines = self._partial_delivery(delivered)
        elif target is S.DELIVERED:
            self.lines = [
                replace(ln, delivered_base_quantity=ln.base_quantity) for ln in self.lines
            ]
        previous = self.status
        self.status = target
        self.status_reason = limit_text("reason", reason, MAX_REASON)
        self.new_history.append(
            StatusChange(
                target, self.status_reason, limit_text("reported_by", reported_by, MAX_CODE), now
            )
        )
        self._touch(now)
        snapshot = self.snapshot()
        if target is S.CONFIRMED:
            self.events.append(events.OrderConfirmed(snapshot))
        elif target is S.SUBMITTED:
            self.events.append(events.OrderSubmitted(snapshot))
        else:
            delivered_now = delivered_containers(self.lines) if target in DELIVERED_STATUSES else ()
            self.events.append(events.OrderStatusChanged(snapshot, previous, delivered_now))
        return True

    def _partial_delivery(self, delivered: Sequence[tuple[str, str]]) -> list[OrderLine]:
        if not delivered:
            raise InvalidArgument(
                "delivered", "is required for PARTIALLY_DELIVERED (base units per product)"
            )
        ordered: dict[str, Decimal] = {}
        for ln in self.lines:
            ordered[ln.product_id] = ordered.get(ln.product_id, ZERO) + ln.base_quantity
        wanted: dict[str, Decimal] = {}
        for i, (product_id, qty) in enumerate(delivered):
            pid = require_id(f"delivered[{i}].product_id", product_id)
            if pid not in ordered:
                raise InvalidArgument(
                    f"delivered[{i}].product_id", f"product {pid} is not in order {self.id}"
                )
            if pid in wanted:
                raise InvalidArgument(
                    f"delivered[{i}].product_id", f"product {pid} is listed twice"
                )
            q = quantity(f"delivered[{i}].base_quantity", qty)
            if q > ordered[pid]:
                raise InvalidArgument(
                    f"delivered[{i}].base_quantity",
                    f"{fmt(q)} is more than the {fmt(ordered[pid])} ordered",
                )
            wanted[pid] = q
        lines: list[OrderLine] = []
        for ln in self.lines:  # spread each product's figure over its lines, in line order
            left = wanted.get(ln.product_id, ZERO)
            take = min(left, ln.base_quantity)
            wanted[ln.product_id] = left - take
            lines.append(replace(ln, delivered_base_quantity=take))
        return lines

    # -- helpers -------------------------------------------------------------------------
    def _touch(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now

    def snapshot(self) -> Order:
        """A copy as of now, without pending events or history (what events carry).

        `replace(self, lines=list(self.lines), events=[], new_history=[])`, made by copying the
        instance's fields directly (dataclasses.replace walks the fields' definitions).
        """
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.lines = list(self.lines)
        copy.events = []
        copy.new_history = []
        copy.new_revision = None
        return copy

    def base_quantities(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for ln in self.lines:
            totals[ln.product_id] = totals.get(ln.product_id, ZERO) + ln.base_quantity
        return totals
