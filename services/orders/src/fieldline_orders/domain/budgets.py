"""Promotion budgets: what an order needs of each, which of a batch's orders fit, what a
cancellation or an amendment gives back (docs/contexts/sales-gaps.md 3.7, "Budget ledger and
concurrency"). Pure.

A limited budget (money, or free base units) is consumed by the orders that got its promotion:
each order revision's need is one CONSUMED entry; a cancelled or rejected order, and a revision
an amendment replaced, give theirs back as a RELEASED entry (the negative of what is still
held). `consumed` is always the entries' sum and never above the total: the orders of a batch
are judged in call order against what is left under the budget rows' lock, and an order that
no longer fits is withheld (judged again with fresh reads), never written over the budget.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fieldline_orders.domain.order_promotions import AppliedPromotion, PromotionStatus
from fieldline_orders.domain.values import ZERO, fmt


class BudgetLevel(enum.Enum):
    """What a budget's `PromotionChanged` tells devices (they stop expecting an exhausted one)."""

    AVAILABLE = "AVAILABLE"
    LOW = "LOW"  # at most LOW_SHARE of the total left
    EXHAUSTED = "EXHAUSTED"  # nothing left


LOW_SHARE = Decimal("0.1")


class EntryKind(enum.Enum):
    CONSUMED = "CONSUMED"
    RELEASED = "RELEASED"


@dataclass(frozen=True)
class BudgetState:
    total: Decimal
    consumed: Decimal

    @property
    def left(self) -> Decimal:
        return self.total - self.consumed

    @property
    def level(self) -> BudgetLevel:
        if self.left <= 0:
            return BudgetLevel.EXHAUSTED
        if self.left <= self.total * LOW_SHARE:
            return BudgetLevel.LOW
        return BudgetLevel.AVAILABLE

    def moved(self, delta: Decimal) -> BudgetState:
        return BudgetState(self.total, self.consumed + delta)


@dataclass(frozen=True)
class BudgetEntry:
    promotion_id: str
    order_id: str
    revision: int
    kind: EntryKind
    delta: Decimal  # > 0 consumed, < 0 released
    at: datetime


def needs_of(promotions: Iterable[AppliedPromotion]) -> dict[str, Decimal]:
    """What an order's revision takes of each limited budget: the APPLIED promotions' budget
    consumption (money benefit or free units)."""
    return {
        a.promotion_id: a.budget_consumed
        for a in promotions
        if a.status is PromotionStatus.APPLIED
        and a.budget_consumed is not None
        and a.budget_consumed > 0
    }


def fits(needs: Sequence[Mapping[str, Decimal]], budgets: Mapping[str, BudgetState]) -> list[bool]:
    """In order, whether each order's needs are within what is left after the orders before it
    that fit (a budget without a row has nothing left)."""
    left = {pid: b.left for pid, b in budgets.items()}
    out: list[bool] = []
    for need in needs:
        ok = all(amount <= left.get(pid, ZERO) for pid, amount in need.items())
        if ok:
            for pid, amount in need.items():
                left[pid] -= amount
        out.append(ok)
    return out


def consumption(
    order_id: str, revision: int, needs: Mapping[str, Decimal], at: datetime
) -> list[BudgetEntry]:
    return [
        BudgetEntry(pid, order_id, revision, EntryKind.CONSUMED, amount, at)
        for pid, amount in sorted(needs.items())
    ]


def held(entries: Iterable[BudgetEntry]) -> dict[tuple[str, int], Decimal]:
    """(promotion, revision) → what the order still holds of it (consumed less released)."""
    out: dict[tuple[str, int], Decimal] = {}
    for e in entries:
        key = (e.promotion_id, e.revision)
        out[key] = out.get(key, ZERO) + e.delta
    return {k: v for k, v in out.items() if v > 0}


def releases(
    order_id: str, entries: Iterable[BudgetEntry], at: datetime, *, revision: int | None = None
) -> list[BudgetEntry]:
    """The RELEASED entries giving back what the order still holds (of `revision` only, when
    given: the one an amendment replaced)."""
    return [
        BudgetEntry(pid, order_id, rev, EntryKind.RELEASED, -amount, at)
        for (pid, rev), amount in sorted(held(entries).items())
        if revision is None or rev == revision
    ]


def totals(entries: Iterable[BudgetEntry]) -> dict[str, Decimal]:
    """Per promotion, the sum of the entries' deltas (what they change `consumed` by)."""
    out: dict[str, Decimal] = {}
    for e in entries:
        out[e.promotion_id] = out.get(e.promotion_id, ZERO) + e.delta
    return out


def shortfall(needs: Mapping[str, Decimal], budgets: Mapping[str, BudgetState]) -> str:
    """The budgets an order's needs exceed, said for its error: `<id>: 5 left, 10 needed`."""
    return ", ".join(
        f"{pid}: {fmt(budgets[pid].left if pid in budgets else ZERO)} left, {fmt(amount)} needed"
        for pid, amount in sorted(needs.items())
        if pid not in budgets or amount > budgets[pid].left
    )


def level_changes(
    before: Mapping[str, BudgetState], moves: Mapping[str, Decimal]
) -> dict[str, BudgetState]:
    """The budgets whose level the moves changed, as they are after them."""
    out: dict[str, BudgetState] = {}
    for pid, delta in sorted(moves.items()):
        state = before.get(pid)
        if state is None or not delta:
            continue
        after = state.moved(delta)
        if after.level is not state.level:
            out[pid] = after
    return out
