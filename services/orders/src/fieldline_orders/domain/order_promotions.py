"""An order's promotions: which it may get, what it got, and how that compares with what the
device expected (docs/contexts/sales-gaps.md 3.7). Pure.

`promote` judges every promotion the server keeps against the order (`Promotion.judge`: the
targeting, currency and period on the order date; the grace days and the stop on arrival),
prices the lines with the best allowed combination of the eligible ones
(`promotion_pricing.choose`) and records, per promotion:

| status           | when                                                                   |
| ---------------- | ---------------------------------------------------------------------- |
| APPLIED          | given; its benefit is in the lines and its free lines                  |
| NOT_ELIGIBLE     | expected, but targeting, currency or period does not hold (or unknown) |
| ENDED, STOPPED   | expected, but the order arrived after its grace days / its stop        |
| BUDGET_EXHAUSTED | expected, but less is left of its budget than this order needs         |
| NOT_CHOSEN       | expected, but the combination rule preferred others, or it gives nothing |

and its `match` with the device's expectation: MATCH (the same benefit), DIFFERENT, MISSING
(expected, not given), UNEXPECTED (given, not expected). Promotions neither given nor expected
are not recorded. The server's judgement decides the price either way.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from fieldline_kit.errors import InvalidArgument
from fieldline_orders.domain.catalog import Product
from fieldline_orders.domain.orders import OrderLine
from fieldline_orders.domain.pricing import PriceBook, PricedLine
from fieldline_orders.domain.promotion_pricing import (
    BUDGET_EXHAUSTED,
    FreePricer,
    LinePromotion,
    Pricing,
    PromotionOutcome,
    choose,
)
from fieldline_orders.domain.promotions import (
    BudgetKind,
    FreeGoods,
    Gift,
    OrderFacts,
    Promotion,
    Verdict,
)
from fieldline_orders.domain.values import (
    MAX_LIST,
    ZERO,
    fmt,
    is_canonical_id,
    limit_items,
    money_amount,
    positive_quantity,
    require_id,
)

# Expected promotions a document may carry.
MAX_EXPECTED = 100


class PromotionStatus(enum.Enum):
    APPLIED = "APPLIED"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    ENDED = "ENDED"
    STOPPED = "STOPPED"
    BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED"
    NOT_CHOSEN = "NOT_CHOSEN"


class PromotionMatch(enum.Enum):
    MATCH = "MATCH"
    DIFFERENT = "DIFFERENT"
    MISSING = "MISSING"
    UNEXPECTED = "UNEXPECTED"


@dataclass(frozen=True)
class ExpectedFreeLine:
    product_id: str
    base_quantity: Decimal


@dataclass(frozen=True)
class ExpectedPromotion:
    """A promotion the device expected, as it sent it (checked for form only)."""

    promotion_id: str
    benefit: Decimal
    free_lines: tuple[ExpectedFreeLine, ...] = ()


@dataclass(frozen=True)
class ExpectedInput:
    """An expected promotion as sent: texts, the benefit's amount and currency."""

    promotion_id: str
    benefit: Decimal
    benefit_currency: str
    free_lines: Sequence[tuple[str, str]] = ()  # (product id, base quantity)


def expected_promotions(
    items: Sequence[ExpectedInput], path: str = "expected_promotions"
) -> tuple[ExpectedPromotion, ...]:
    """The device's expectation, checked for form: ids, a benefit ≥ 0 (its currency is judged
    against the order's by `check_expected_currency`), free lines' quantities > 0, no
    promotion twice."""
    out: list[ExpectedPromotion] = []
    seen: set[str] = set()
    for i, e in enumerate(limit_items(path, items, MAX_EXPECTED)):
        at = f"{path}[{i}]"
        pid = require_id(f"{at}.promotion_id", e.promotion_id)
        if pid in seen:
            raise InvalidArgument(f"{at}.promotion_id", f"{pid} is listed twice")
        seen.add(pid)
        benefit = money_amount(f"{at}.benefit", e.benefit)
        free = tuple(
            ExpectedFreeLine(
                require_id(f"{at}.free_lines[{j}].product_id", product_id),
                positive_quantity(f"{at}.free_lines[{j}].base_quantity", quantity),
            )
            for j, (product_id, quantity) in enumerate(
                limit_items(f"{at}.free_lines", e.free_lines, MAX_LIST)
            )
        )
        out.append(ExpectedPromotion(pid, benefit, free))
    return tuple(out)


def expected_ids(items: Sequence[ExpectedInput]) -> set[str]:
    """The well-formed promotion ids of an expectation, normalised as `expected_promotions`
    keeps them (the rest are refused with it)."""
    out: set[str] = set()
    for e in items:
        pid = e.promotion_id
        if is_canonical_id(pid):
            out.add(pid)
        else:
            with contextlib.suppress(InvalidArgument):
                out.add(require_id("promotion_id", pid))
    return out


def check_expected_currency(
    items: Sequence[ExpectedInput], currency: str, path: str = "expected_promotions"
) -> None:
    """Each expected benefit is in the order's currency (or names none)."""
    for i, e in enumerate(items):
        if e.benefit_currency and e.benefit_currency != currency:
            raise InvalidArgument(
                f"{path}[{i}].benefit.currency_code",
                f"must be the order's currency {currency}, got {e.benefit_currency}",
            )


@dataclass(frozen=True)
class AppliedPromotion:
    """The server's judgement of one promotion for an order."""

    promotion_id: str
    name: str
    status: PromotionStatus
    benefit: Decimal
    budget_consumed: Decimal | None  # APPLIED with a budget: money, or free base units
    explanation: str
    match: PromotionMatch
    expected_benefit: Decimal | None = None  # None: not expected


@dataclass(frozen=True)
class PromotionRules:
    """What judging an order's promotions needs besides its lines."""

    promotions: Sequence[Promotion]  # those the server keeps that have not ended
    territory_parents: Mapping[str, str]
    group_parents: Mapping[str, str]
    grace_days: int
    arrived_at: datetime
    today: date


@dataclass(frozen=True)
class Promoted:
    """The lines priced with the promotions chosen, and the judgement of each."""

    outcome: PromotionOutcome
    judged: tuple[AppliedPromotion, ...]
    expected: tuple[ExpectedPromotion, ...] = ()


_VERDICT_STATUS = {
    Verdict.NOT_ELIGIBLE: PromotionStatus.NOT_ELIGIBLE,
    Verdict.ENDED: PromotionStatus.ENDED,
    Verdict.STOPPED: PromotionStatus.STOPPED,
}


def eligible(
    order: OrderFacts, rules: PromotionRules
) -> tuple[list[Promotion], dict[str, Verdict]]:
    """The promotions the order may get (its budget aside), and why each other may not."""
    may: list[Promotion] = []
    refused: dict[str, Verdict] = {}
    for p in rules.promotions:
        verdict = p.judge(
            order,
            arrived_at=rules.arrived_at,
            today=rules.today,
            grace_days=rules.grace_days,
            parents=rules.territory_parents,
        )
        if verdict is None:
            may.append(p)
        else:
            refused[p.id] = verdict
    return may, refused


def free_products(promotions: Sequence[Promotion]) -> set[str]:
    """The products free goods and gifts of `promotions` give (their prices value them)."""
    out: set[str] = set()
    for p in promotions:
        if isinstance(p.mechanic, FreeGoods):
            out.add(p.mechanic.free_product_id)
        elif isinstance(p.mechanic, Gift):
            out.add(p.mechanic.gift_product_id)
    return out


def promote(
    lines: Sequence[PricedLine],
    order: OrderFacts,
    rules: PromotionRules,
    *,
    free_price: FreePricer,
    vat_included: bool,
    expected: Sequence[ExpectedPromotion] = (),
    left: Mapping[str, Decimal] | None = None,
) -> Promoted:
    """The order's lines priced with its promotions, each given or expected one judged
    (`left`: what each limited budget has left, as read; absent: its whole total)."""
    candidates, verdicts = eligible(order, rules)
    how = Pricing(rules.group_parents, free_price, vat_included)
    outcome = choose(lines, candidates, how, left)
    by_id = {p.id: p for p in rules.promotions}
    wanted = {e.promotion_id: e for e in expected}
    judged: list[AppliedPromotion] = []
    given: set[str] = set()
    for a in outcome.applied:
        promotion = by_id[a.promotion_id]
        given.add(promotion.id)
        e = wanted.get(promotion.id)
        if e is None:
            match = PromotionMatch.UNEXPECTED
        else:
            match = PromotionMatch.MATCH if e.benefit == a.benefit else PromotionMatch.DIFFERENT
        consumed = None
        if promotion.budget.kind is BudgetKind.MONEY:
            consumed = a.benefit
        elif promotion.budget.kind is BudgetKind.UNITS:
            consumed = a.units
        judged.append(
            AppliedPromotion(
                promotion.id,
                promotion.name,
                PromotionStatus.APPLIED,
                a.benefit,
                consumed,
                a.explanation,
                match,
                e.benefit if e is not None else None,
            )
        )
    refusals = {r.promotion_id: r for r in outcome.refused}
    for e in expected:
        if e.promotion_id in given:
            continue
        p = by_id.get(e.promotion_id)
        if p is None:
            status, why, name = (
                PromotionStatus.NOT_ELIGIBLE,
                "the server knows no such promotion in force",
                "",
            )
        elif p.id in verdicts:
            status = _VERDICT_STATUS[verdicts[p.id]]
            why, name = _why(status, p, order, rules), p.name
        elif p.id in refusals:
            r = refusals[p.id]
            status = (
                PromotionStatus.BUDGET_EXHAUSTED
                if r.status == BUDGET_EXHAUSTED
                else PromotionStatus.NOT_CHOSEN
            )
            why, name = r.explanation, p.name
        else:
            status, why, name = PromotionStatus.NOT_CHOSEN, "it gives nothing to this order", p.name
        judged.append(
            AppliedPromotion(
                e.promotion_id, name, status, ZERO, None, why, PromotionMatch.MISSING, e.benefit
            )
        )
    return Promoted(outcome, tuple(judged), tuple(expected))


def _why(status: PromotionStatus, p: Promotion, order: OrderFacts, rules: PromotionRules) -> str:
    if status is PromotionStatus.ENDED:
        return (
            f"it ended on {p.valid_to.isoformat()}; orders arriving up to {rules.grace_days} "
            f"day(s) later still get it, this one arrived on {rules.today.isoformat()}"
        )
    if status is PromotionStatus.STOPPED:
        at = p.stopped_at.isoformat() if p.stopped_at else ""
        return f"it was stopped at {at}, before the order arrived"
    if order.currency_code != p.currency_code:
        return f"it is in {p.currency_code}, the order in {order.currency_code}"
    if not p.valid_from <= order.order_date <= p.valid_to:
        return (
            f"it runs {p.valid_from.isoformat()} to {p.valid_to.isoformat()}, the order is of "
            f"{order.order_date.isoformat()}"
        )
    return (
        "its targeting does not hold this order (client, outlet, outlet channel, territory, "
        "order kind, order channel or distributor)"
    )


@dataclass(frozen=True)
class PromotedOrder:
    """What an order keeps of its promotions: its lines (free lines last), the judgement of
    each promotion, the device's expectation."""

    lines: tuple[OrderLine, ...]
    promotions: tuple[AppliedPromotion, ...]
    expected: tuple[ExpectedPromotion, ...]

    @property
    def gross(self) -> Decimal:
        return sum((ln.gross_amount for ln in self.lines), ZERO)


def promoted_order(
    priced: Sequence[PricedLine], promoted: Promoted, products: Mapping[str, Product]
) -> PromotedOrder:
    """The order lines of `priced` as `promoted` priced them, then its free lines (their
    products are among `products`: the free pricer priced them from there)."""
    outcome = promoted.outcome
    lines = [
        OrderLine.from_priced(i + 1, p, q)
        for i, (p, q) in enumerate(zip(priced, outcome.lines, strict=True))
    ]
    names = {a.promotion_id: a.name for a in promoted.judged}
    for free in outcome.free:
        product = products[free.product_id]
        formula = LinePromotion(
            free.promotion_id,
            free.value,
            f'"{names.get(free.promotion_id, "")}": {fmt(free.base_quantity)} × '
            f"{product.sku} free, worth {free.value}",
        )
        lines.append(OrderLine.free(len(lines) + 1, free, product, formula))
    return PromotedOrder(tuple(lines), promoted.judged, promoted.expected)


def with_promotions(
    priced: Sequence[PricedLine],
    order: OrderFacts,
    rules: PromotionRules,
    book: PriceBook,
    expected: Sequence[ExpectedInput],
    left: Mapping[str, Decimal] | None = None,
) -> PromotedOrder | None:
    """An order's lines priced by `book`, with the promotions `rules` give it and the device's
    expectation judged (`left`: what each limited budget has left, as read); None when it
    gets none and expected none (its lines as priced)."""
    wanted = expected_promotions(expected)
    check_expected_currency(expected, book.currency)
    if not rules.promotions and not wanted:
        return None
    promoted = promote(
        priced,
        order,
        rules,
        free_price=book.free_price,
        vat_included=book.vat_included,
        expected=wanted,
        left=left,
    )
    if not promoted.judged:
        return None
    return promoted_order(priced, promoted, book.products)
