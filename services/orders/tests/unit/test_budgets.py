"""Promotion budgets' rules (domain/budgets.py): needs, which orders of a batch fit, what is
given back, the level a budget is at, what an error says."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from fieldline_orders.domain.budgets import (
    BudgetEntry,
    BudgetLevel,
    BudgetState,
    EntryKind,
    consumption,
    fits,
    held,
    level_changes,
    needs_of,
    releases,
    shortfall,
    totals,
)
from fieldline_orders.domain.order_promotions import (
    AppliedPromotion,
    PromotionMatch,
    PromotionStatus,
)

AT = datetime(2026, 12, 7, 12, tzinfo=UTC)


def applied(
    pid: str, consumed: str | None, status: PromotionStatus = PromotionStatus.APPLIED
) -> AppliedPromotion:
    return AppliedPromotion(
        pid,
        pid,
        status,
        D("1"),
        None if consumed is None else D(consumed),
        "",
        PromotionMatch.UNEXPECTED,
    )


def test_needs_are_the_applied_promotions_with_a_budget() -> None:
    judged = [
        applied("money", "12.50"),
        applied("units", "2"),
        applied("unlimited", None),
        applied("nothing", "0"),
        applied("missing", None, PromotionStatus.BUDGET_EXHAUSTED),
    ]
    assert needs_of(judged) == {"money": D("12.50"), "units": D("2")}


def test_orders_fit_in_call_order_and_one_that_does_not_takes_nothing() -> None:
    budgets = {"a": BudgetState(D(10), D(4)), "b": BudgetState(D(5), D(0))}
    needs = [{"a": D(3)}, {"a": D(2), "b": D(1)}, {"a": D(1)}, {"b": D(4)}, {"c": D(1)}]
    # 6 left of a: 3, then 2+… leaves 1; the third takes it; b: 5 → 4 → 0; c has no row.
    assert fits(needs, budgets) == [True, True, True, True, False]
    assert fits([{"a": D(7)}, {"a": D(6)}], budgets) == [False, True]
    assert fits([{}], {}) == [True]


def test_releases_give_back_what_is_still_held_once() -> None:
    entries = [
        *consumption("o", 1, {"a": D(5), "b": D(2)}, AT),
        BudgetEntry("a", "o", 1, EntryKind.RELEASED, D(-5), AT),
        *consumption("o", 2, {"a": D(7)}, AT),
    ]
    assert held(entries) == {("b", 1): D(2), ("a", 2): D(7)}
    back = releases("o", entries, AT)
    assert [(e.promotion_id, e.revision, e.kind, e.delta) for e in back] == [
        ("a", 2, EntryKind.RELEASED, D(-7)),
        ("b", 1, EntryKind.RELEASED, D(-2)),
    ]
    assert [e.promotion_id for e in releases("o", entries, AT, revision=1)] == ["b"]
    assert releases("o", [*entries, *back], AT) == []
    assert totals(back) == {"a": D(-7), "b": D(-2)}


def test_the_level_of_a_budget_and_its_changes() -> None:
    assert BudgetState(D(100), D(89)).level is BudgetLevel.AVAILABLE
    assert BudgetState(D(100), D(90)).level is BudgetLevel.LOW  # 10 left: 10 %
    assert BudgetState(D(100), D(100)).level is BudgetLevel.EXHAUSTED
    before = {"a": BudgetState(D(100), D(50)), "b": BudgetState(D(10), D(9))}
    assert level_changes(before, {"a": D(40), "b": D(-5), "c": D(1)}) == {
        "a": BudgetState(D(100), D(90)),
        "b": BudgetState(D(10), D(4)),
    }
    assert level_changes(before, {"a": D(39), "b": D(0)}) == {}


def test_the_shortfall_names_each_budget_short() -> None:
    budgets = {"a": BudgetState(D(10), D(8)), "b": BudgetState(D(5), D(0))}
    assert shortfall({"a": D(3), "b": D(1), "c": D(2)}, budgets) == (
        "a: 2 left, 3 needed, c: 0 left, 2 needed"
    )
