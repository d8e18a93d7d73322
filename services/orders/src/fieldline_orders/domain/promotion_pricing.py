"""Promotions applied to an order's priced lines: the mechanics' arithmetic and the combination
rule (docs/contexts/sales-gaps.md 3.7). Pure.

**Arithmetic** (Decimal; one rounding per line, as without promotions). For a line of base
quantity q, unit price u, rule percent r, manual percent m, its percent-off promotions p₁…pₖ
and amount-off promotions a₁…aₗ, applied in the order priority desc, then id:

```
x₀         = q × u × (1 − r/100) × (1 − m/100)      unrounded
xᵢ         = xᵢ₋₁ × (1 − pᵢ/100)                     the percent-off promotions
xₖ₊ⱼ       = max(0, xₖ₊ⱼ₋₁ − aⱼ × q)                 the amount-off promotions
discounted = round(x_last, 2)                        VAT, net and gross from it as without
benefit of the n-th promotion = round(xₙ₋₁, 2) − round(xₙ, 2)   (they add up exactly)
```

* **Bundle**: k = min over components ⌊q_c / qty_c⌋; the price P is split over the components
  by the list value of their bundle quantities (`round(P × list_c / Σ list, 2)`, the last
  component by product id takes the rest); a component line is its unbundled rest (the
  formula above on q − k × qty_c) plus k × its share, with neither rule nor manual discount on
  the bundled part. Benefit: what the bundled units would have cost (with the rule and manual
  discounts) − k × P.
* **Free goods**: Q = Σ base units of the order's lines in the set; F = ⌊Q/N⌋ × M (repeat) or M
  once Q ≥ N. **Gift**: G units once the set's gross before promotions (or its base units)
  reaches the threshold. Both are lines of their own, free of charge; their value (for money
  budgets and the comparison) is what an ordinary line of them would cost without a manual
  discount (`FreePricer`).

**Combination** (`choose`): the candidates whose benefit alone is > 0; a ⟂ b when they touch a
common line and one is EXCLUSIVE; each connected part K of that conflict graph is judged
apart: for every subset E of its (at most 10, the largest lone benefits first) exclusive
candidates with no conflict inside, S(E) = E ∪ the stackables of K that conflict with no
member of E; the S of largest value (line benefits + free and gift value) wins; ties: the
larger Σ priority, then the smaller sorted id list. A chosen promotion whose need (its money
benefit, or its free units for a budget of units) exceeds what its budget has left is dropped
(BUDGET_EXHAUSTED) and its part judged again without it. A promotion is applied whole or not at
all.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from fieldline_orders.domain.catalog import group_ancestry
from fieldline_orders.domain.pricing import LineAmounts, PricedLine, amounts_of
from fieldline_orders.domain.promotions import (
    AmountOff,
    BudgetKind,
    Bundle,
    Combinability,
    FreeGoods,
    Gift,
    PercentOff,
    Promotion,
)
from fieldline_orders.domain.values import HUNDRED, ZERO, fmt, round_money

# Exclusive candidates enumerated per part of the conflict graph: 2^10 subsets at most.
MAX_EXCLUSIVES = 10
NOT_CHOSEN = "NOT_CHOSEN"
BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED"

# What an ordinary line of `base_quantity` of a product would cost without a manual discount:
# its unit price and its gross (the value of free goods and gifts); None: it has no price.
FreePricer = Callable[[str, Decimal], tuple[Decimal, Decimal] | None]


@dataclass(frozen=True)
class LinePromotion:
    promotion_id: str
    benefit: Decimal
    formula: str


@dataclass(frozen=True)
class PromotedLine:
    """An order line after its promotions: its amounts, what they took off, and why."""

    amounts: LineAmounts
    promotion_discount: Decimal
    promotions: tuple[LinePromotion, ...] = ()


@dataclass(frozen=True)
class FreeLine:
    promotion_id: str
    product_id: str
    base_quantity: Decimal
    unit_price: Decimal
    value: Decimal  # what it would cost: the benefit it stands for


@dataclass(frozen=True)
class Applied:
    promotion_id: str
    benefit: Decimal  # money: line benefits + free value
    units: Decimal  # free base units given (free goods, gift)
    explanation: str


@dataclass(frozen=True)
class Refused:
    promotion_id: str
    status: str  # NOT_CHOSEN, BUDGET_EXHAUSTED
    explanation: str


@dataclass(frozen=True)
class PromotionOutcome:
    lines: tuple[PromotedLine, ...]
    free: tuple[FreeLine, ...] = ()
    applied: tuple[Applied, ...] = ()
    refused: tuple[Refused, ...] = ()

    @property
    def benefit(self) -> Decimal:
        return sum((a.benefit for a in self.applied), ZERO)


# ------------------------------------------------------------------------------ the set
def in_set(p: Promotion, line: PricedLine, parents: Mapping[str, str]) -> bool:
    """The line's product is in the promotion's set (empty: every product)."""
    if not p.product_ids and not p.group_ids:
        return True
    if line.product.id in p.product_ids:
        return True
    return bool(p.group_ids) and not p.group_ids.isdisjoint(
        group_ancestry(line.product.group_id, parents)
    )


def touched(
    p: Promotion, lines: Sequence[PricedLine], parents: Mapping[str, str]
) -> frozenset[int]:
    """The indexes of the lines the promotion touches (its set's; a bundle's components')."""
    if isinstance(p.mechanic, Bundle):
        wanted = {pid for pid, _ in p.mechanic.components}
        return frozenset(i for i, ln in enumerate(lines) if ln.product.id in wanted)
    return frozenset(i for i, ln in enumerate(lines) if in_set(p, ln, parents))


# ------------------------------------------------------------------------------ pricing
@dataclass
class _Line:
    """A line being priced with a set of promotions."""

    base: PricedLine
    x: Decimal  # the running unrounded value of the unbundled part
    bundled_quantity: Decimal = ZERO  # base units sold in bundles
    bundled: Decimal = ZERO  # what the bundled part costs (k × shares)
    steps: list[LinePromotion] = field(default_factory=list)


def _x0(line: PricedLine, base_quantity: Decimal) -> Decimal:
    x = base_quantity * line.unit_price
    if line.rule_discount_percent:
        x *= 1 - line.rule_discount_percent / HUNDRED
    if line.manual_discount_percent:
        x *= 1 - line.manual_discount_percent / HUNDRED
    return x


def _order(ps: Iterable[Promotion]) -> list[Promotion]:
    return sorted(ps, key=lambda p: (-p.priority, p.id))


@dataclass(frozen=True)
class Pricing:
    """What pricing with promotions needs besides the lines: the group tree (for sets), how
    free goods are valued, whether the price type includes VAT (as the lines were priced)."""

    parents: Mapping[str, str]
    free_price: FreePricer
    vat_included: bool = True


def price_with(
    lines: Sequence[PricedLine],
    chosen: Sequence[Promotion],
    how: Pricing,
    touch: Mapping[str, frozenset[int]] | None = None,
) -> tuple[PromotionOutcome, dict[str, Decimal], dict[str, Decimal]]:
    """The lines priced with `chosen` (assumed compatible), the free lines, and each
    promotion's money benefit and free units (`touch`: the lines each touches, if known)."""
    work, free, benefit, units = _apply(lines, chosen, how, touch, explain=True)
    promoted = []
    for w in work:
        discounted = round_money(w.x) + w.bundled
        original = w.base.amounts.discounted
        amounts = amounts_of(
            w.base.amounts.list_amount, discounted, w.base.product.vat_rate, how.vat_included
        )
        promoted.append(PromotedLine(amounts, original - discounted, tuple(w.steps)))
    outcome = PromotionOutcome(tuple(promoted), tuple(free))
    return outcome, benefit, units


def _apply(
    lines: Sequence[PricedLine],
    chosen: Sequence[Promotion],
    how: Pricing,
    touch: Mapping[str, frozenset[int]] | None,
    *,
    explain: bool = False,
) -> tuple[list[_Line], list[FreeLine], dict[str, Decimal], dict[str, Decimal]]:
    """The arithmetic of `price_with` without the lines' final amounts (what the choice
    compares: each promotion's benefit and free units); `explain`: with each line's steps."""
    parents, free_price = how.parents, how.free_price
    work = [_Line(ln, _x0(ln, ln.base_quantity)) for ln in lines]
    benefit: dict[str, Decimal] = {p.id: ZERO for p in chosen}
    units: dict[str, Decimal] = {p.id: ZERO for p in chosen}
    free: list[FreeLine] = []
    for p in _order(c for c in chosen if isinstance(c.mechanic, Bundle)):
        benefit[p.id] += _bundle(p, work)
    # Percent-off promotions first, then amount-off ones (each kind by priority, then id).
    for kind in (PercentOff, AmountOff):
        for p in _order(c for c in chosen if isinstance(c.mechanic, kind)):
            indexes = touch[p.id] if touch is not None else touched(p, lines, parents)
            for i in sorted(indexes):
                benefit[p.id] += _step(p, work[i], explain)
    for p in _order(c for c in chosen if isinstance(c.mechanic, FreeGoods | Gift)):
        indexes = touch[p.id] if touch is not None else touched(p, lines, parents)
        given = _free(p, [lines[i] for i in sorted(indexes)], free_price)
        if given is not None:
            free.append(given)
            benefit[p.id] += given.value
            units[p.id] += given.base_quantity
    return work, free, benefit, units


def _step(p: Promotion, w: _Line, explain: bool) -> Decimal:
    before = w.x
    q = w.base.base_quantity - w.bundled_quantity
    if isinstance(p.mechanic, PercentOff):
        w.x = before * (1 - p.mechanic.percent / HUNDRED)
    else:
        assert isinstance(p.mechanic, AmountOff)
        w.x = max(ZERO, before - p.mechanic.amount * q)
    gained = round_money(before) - round_money(w.x)
    if gained and explain:  # the formulas only for the lines kept (the choice compares sums)
        if isinstance(p.mechanic, PercentOff):
            how = f"{fmt(p.mechanic.percent)}% off"
        else:
            how = f"{fmt(p.mechanic.amount)} off × {fmt(q)}"
        formula = f"{p.name}: {how}: {round_money(before)} → {round_money(w.x)}, −{gained}"
        w.steps.append(LinePromotion(p.id, gained, formula))
    return gained


def _bundle(p: Promotion, work: list[_Line]) -> Decimal:
    assert isinstance(p.mechanic, Bundle)
    m = p.mechanic
    found: dict[str, _Line] = {}
    for w in work:
        found.setdefault(w.base.product.id, w)
    if any(pid not in found for pid, _ in m.components):
        return ZERO
    k = min(
        ((found[pid].base.base_quantity - found[pid].bundled_quantity) / qty).to_integral_value(
            rounding=ROUND_FLOOR
        )
        for pid, qty in m.components
    )
    if k <= 0:
        return ZERO
    values = {pid: qty * found[pid].base.unit_price for pid, qty in m.components}
    total_value = sum(values.values(), ZERO)
    shares: dict[str, Decimal] = {}
    left = m.price
    ordered = sorted(values)
    for pid in ordered[:-1]:
        shares[pid] = round_money(m.price * values[pid] / total_value) if total_value else ZERO
        left -= shares[pid]
    shares[ordered[-1]] = left
    cost_before = ZERO
    for pid, qty in m.components:
        w = found[pid]
        units = k * qty
        would_cost = round_money(_x0(w.base, units))
        cost_before += would_cost
        rest = w.base.base_quantity - w.bundled_quantity - units
        w.x = _x0(w.base, rest)
        w.bundled_quantity += units
        w.bundled += k * shares[pid]
        w.steps.append(
            LinePromotion(
                p.id,
                would_cost - k * shares[pid],
                f"{p.name}: {fmt(k)} × bundle, {fmt(units)} here at {fmt(k * shares[pid])} "
                f"instead of {would_cost}",
            )
        )
    return cost_before - k * m.price


def _free(p: Promotion, counted: Sequence[PricedLine], price: FreePricer) -> FreeLine | None:
    """What free goods or a gift give, from the lines of its set (`counted`)."""
    m = p.mechanic
    if isinstance(m, FreeGoods):
        bought = sum((ln.base_quantity for ln in counted), ZERO)
        if bought < m.buy_quantity:
            return None
        times = (bought / m.buy_quantity).to_integral_value(rounding=ROUND_FLOOR)
        quantity = m.free_quantity * (times if m.repeat else 1)
        product = m.free_product_id
    else:
        assert isinstance(m, Gift)
        if m.min_gross is not None:
            reached = sum((ln.amounts.gross for ln in counted), ZERO) >= m.min_gross
        else:
            assert m.min_base_quantity is not None
            reached = sum((ln.base_quantity for ln in counted), ZERO) >= m.min_base_quantity
        if not reached:
            return None
        quantity, product = m.gift_quantity, m.gift_product_id
    priced = price(product, quantity)
    if priced is None:
        return None  # nothing prices the free product for this client: nothing to give
    unit_price, value = priced
    return FreeLine(p.id, product, quantity, unit_price, value)


# ---------------------------------------------------------------------------- the choice
def _need(p: Promotion, benefit: Decimal, units: Decimal) -> Decimal:
    return units if p.budget.kind is BudgetKind.UNITS else benefit


def choose(
    lines: Sequence[PricedLine],
    candidates: Sequence[Promotion],
    how: Pricing,
    left: Mapping[str, Decimal] | None = None,
) -> PromotionOutcome:
    """The lines priced with the best allowed combination of the eligible `candidates`
    (`left`: what each limited budget has left, as read; absent: its whole total)."""
    left = left or {}
    touch = {p.id: touched(p, lines, how.parents) for p in candidates}
    # Each set of promotions is priced once (the lone ones, the subsets compared, the winner).
    values: dict[frozenset[str], tuple[dict[str, Decimal], dict[str, Decimal]]] = {}

    def value(members: Sequence[Promotion]) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        key = frozenset(p.id for p in members)
        found = values.get(key)
        if found is None:
            _, _, benefit, units = _apply(lines, members, how, touch)
            found = values[key] = (benefit, units)
        return found

    lone = {p.id: value([p])[0][p.id] for p in candidates}
    live = [p for p in candidates if lone[p.id] > 0]
    refused: list[Refused] = []
    chosen: list[Promotion] = []
    for part in _parts(live, touch):
        pool = list(part)
        best: list[Promotion] = []
        while pool:
            best = _best(pool, touch, lone, value)
            benefit, units = value(best)
            over = [
                p
                for p in best
                if p.budget.kind is not BudgetKind.NONE
                and _need(p, benefit[p.id], units[p.id]) > left.get(p.id, p.budget.total)
            ]
            if not over:
                break
            best = []
            for p in over:
                remaining = left.get(p.id, p.budget.total)
                refused.append(
                    Refused(
                        p.id,
                        BUDGET_EXHAUSTED,
                        f"{fmt(remaining)} left, this order needs "
                        f"{fmt(_need(p, benefit[p.id], units[p.id]))}",
                    )
                )
                pool.remove(p)
        chosen += best
        picked = {p.id for p in best}
        refused += [
            Refused(p.id, NOT_CHOSEN, _why_not(p, best, touch)) for p in pool if p.id not in picked
        ]
    outcome, benefit, units = price_with(lines, chosen, how, touch)
    applied = tuple(
        Applied(p.id, benefit[p.id], units[p.id], _explain(p, benefit[p.id], units[p.id]))
        for p in _order(chosen)
    )
    return PromotionOutcome(outcome.lines, outcome.free, applied, tuple(refused))


def _conflict(a: Promotion, b: Promotion, touch: Mapping[str, frozenset[int]]) -> bool:
    exclusive = Combinability.EXCLUSIVE in (a.combinability, b.combinability)
    return exclusive and not touch[a.id].isdisjoint(touch[b.id])


def _parts(live: Sequence[Promotion], touch: Mapping[str, frozenset[int]]) -> list[list[Promotion]]:
    """The connected parts of the conflict graph (stackables beside each other: none)."""
    parts: list[list[Promotion]] = []
    seen: set[str] = set()
    for p in sorted(live, key=lambda c: c.id):
        if p.id in seen:
            continue
        part, todo = [], [p]
        seen.add(p.id)
        while todo:
            c = todo.pop()
            part.append(c)
            for other in live:
                if other.id not in seen and _conflict(c, other, touch):
                    seen.add(other.id)
                    todo.append(other)
        parts.append(sorted(part, key=lambda c: c.id))
    return parts


def _best(
    pool: Sequence[Promotion],
    touch: Mapping[str, frozenset[int]],
    lone: Mapping[str, Decimal],
    value: Callable[[Sequence[Promotion]], tuple[dict[str, Decimal], dict[str, Decimal]]],
) -> list[Promotion]:
    exclusives = sorted(
        (p for p in pool if p.combinability is Combinability.EXCLUSIVE),
        key=lambda p: (-lone[p.id], -p.priority, p.id),
    )[:MAX_EXCLUSIVES]
    stackables = [p for p in pool if p.combinability is Combinability.STACKABLE]
    best: list[Promotion] = []
    best_key: tuple[Decimal, int, tuple[str, ...]] | None = None
    for size in range(len(exclusives) + 1):
        for group in itertools.combinations(exclusives, size):
            if any(_conflict(a, b, touch) for a, b in itertools.combinations(group, 2)):
                continue
            members = list(group) + [
                s for s in stackables if not any(_conflict(e, s, touch) for e in group)
            ]
            total = sum(value(members)[0].values(), ZERO)
            ids = tuple(sorted(p.id for p in members))
            # Larger value, then larger Σ priority, then the smaller id list.
            key = (total, sum(p.priority for p in members), ids)
            if best_key is None or _better(key, best_key):
                best, best_key = members, key
    return best


def _better(
    a: tuple[Decimal, int, tuple[str, ...]], b: tuple[Decimal, int, tuple[str, ...]]
) -> bool:
    if a[0] != b[0]:
        return a[0] > b[0]
    if a[1] != b[1]:
        return a[1] > b[1]
    return a[2] < b[2]


def _why_not(p: Promotion, chosen: Sequence[Promotion], touch: Mapping[str, frozenset[int]]) -> str:
    rivals = [c for c in chosen if _conflict(p, c, touch)]
    names = ", ".join(f'"{c.name}"' for c in rivals) or "none"
    return f"the combination without it is worth more (chosen: {names})"


def _explain(p: Promotion, benefit: Decimal, units: Decimal) -> str:
    m = p.mechanic
    kind = p.combinability.value.lower()
    if isinstance(m, FreeGoods | Gift):
        return f'"{p.name}" ({kind}): {fmt(units)} free, worth {fmt(benefit)}'
    return f'"{p.name}" ({kind}): −{fmt(benefit)}'
