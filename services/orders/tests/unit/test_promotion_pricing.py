"""Promotions applied to priced lines (domain/promotion_pricing.py): the mechanics' arithmetic
with exact expected totals, and the combination rule. Pure, no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from fieldline_orders.domain.catalog import DiscountScope, Product
from fieldline_orders.domain.pricing import LineInput, ManualDiscountLimits, PricedLine
from fieldline_orders.domain.promotion_pricing import (
    BUDGET_EXHAUSTED,
    NOT_CHOSEN,
    Pricing,
    choose,
    price_with,
)
from fieldline_orders.domain.promotions import (
    BudgetInput,
    BudgetKind,
    Combinability,
    MechanicInput,
    Promotion,
    TargetingInput,
)

from .orders_factories import book, discount, price_list, price_type, product

D = Decimal
PT = price_type()  # RUB, VAT included
BEER = product(vat="20")  # 100.00
KVAS = product(vat="20")  # 50.00
CHIPS = product(vat="20")  # 30.00
LIST = price_list(PT, {BEER.id: "100.00", KVAS.id: "50.00", CHIPS.id: "30.00"})
LIMITS = ManualDiscountLimits.parse("AGENT=10")


def priced(*lines: tuple[Product, str], rule: str = "", manual: str = "") -> list[PricedLine]:
    discounts = [discount(DiscountScope.CLIENT, rule, client_id=book([]).client_id)] if rule else []
    b = book([BEER, KVAS, CHIPS], pt=PT, lists=[LIST], discounts=discounts)
    inputs = [LineInput(p.id, "", q, manual) for p, q in lines]
    return b.price_lines(inputs, roles=("AGENT",), limits=LIMITS)


def free_price(product_id: str, quantity: Decimal) -> tuple[Decimal, Decimal]:
    unit = {BEER.id: D("100.00"), KVAS.id: D("50.00"), CHIPS.id: D("30.00")}[product_id]
    return unit, unit * quantity


HOW = Pricing(parents={}, free_price=free_price)


def promo(name: str, mechanic: MechanicInput, **kw: Any) -> Promotion:
    values: dict[str, Any] = {
        "id": "",
        "external_id": name,
        "name": name,
        "description": "",
        "valid_from": date(2024, 5, 1),
        "valid_to": date(2024, 5, 31),
        "currency": "RUB",
        "targeting": TargetingInput(),
        "product_ids": [BEER.id],
        "group_ids": [],
        "mechanic": mechanic,
        "combinability": Combinability.STACKABLE,
        "priority": 0,
        "budget": BudgetInput(),
    }
    values.update(kw)
    return Promotion.create("promotions[0]", **values)


def pct(name: str, percent: str, **kw: Any) -> Promotion:
    return promo(name, MechanicInput("percent_off", percent=percent), **kw)


def gross(outcome: Any) -> Decimal:
    return sum((ln.amounts.gross for ln in outcome.lines), D(0))


# ----------------------------------------------------------------------------- arithmetic
def test_percent_then_amount_off_on_the_unrounded_value_benefits_add_up() -> None:
    # 3 × 100.00 with a 10 % rule discount: x0 = 270; −5 % → 256.5; −2.00 × 3 → 250.5 → 250.50
    lines = priced((BEER, "3"), rule="10")
    five = pct("five", "5")
    two = promo("two", MechanicInput("amount_off", amount="2.00"))
    out, benefit, _ = price_with(lines, [two, five], HOW)
    [line] = out.lines
    assert line.amounts.gross == D("250.50") and line.promotion_discount == D("19.50")
    assert (benefit[five.id], benefit[two.id]) == (D("13.50"), D("6.00"))
    assert sum(s.benefit for s in line.promotions) == line.promotion_discount
    assert line.amounts.vat == D("41.75") and line.amounts.net == D("208.75")  # 20 % included


def test_amount_off_never_below_zero() -> None:
    lines = priced((CHIPS, "2"))  # 60.00
    huge = promo("huge", MechanicInput("amount_off", amount="50"), product_ids=[CHIPS.id])
    out, benefit, _ = price_with(lines, [huge], HOW)
    assert (out.lines[0].amounts.gross, benefit[huge.id]) == (D("0.00"), D("60.00"))


def test_free_goods_n_plus_m_repeated_or_once() -> None:
    lines = priced((BEER, "7"))
    repeat = promo(
        "2+1",
        MechanicInput(
            "free_goods", buy_quantity="2", product_id=BEER.id, quantity="1", repeat=True
        ),
    )
    once = replace(
        repeat,
        id="00000000-0000-4000-8000-000000000001",
        mechanic=replace(repeat.mechanic, repeat=False),
    )
    out, benefit, units = price_with(lines, [repeat], HOW)
    [free] = out.free
    assert (free.base_quantity, free.value, units[repeat.id]) == (D(3), D("300.00"), D(3))
    assert benefit[repeat.id] == D("300.00") and gross(out) == D("700.00")  # lines unchanged
    _, _, units_once = price_with(lines, [once], HOW)
    assert units_once[once.id] == D(1)


def test_a_gift_over_a_gross_threshold() -> None:
    gift = promo(
        "gift",
        MechanicInput("gift", min_gross="500", product_id=CHIPS.id, quantity="2"),
        product_ids=[],
    )
    below, _, _ = price_with(priced((BEER, "4")), [gift], HOW)  # 400.00
    above, benefit, _ = price_with(priced((BEER, "5")), [gift], HOW)  # 500.00
    assert below.free == () and [f.base_quantity for f in above.free] == [D(2)]
    assert benefit[gift.id] == D("60.00")


def test_a_bundle_price_split_by_list_value() -> None:
    # Bundle: 1 beer + 2 kvas (list 200.00) for 180.00: beer's share 90.00, kvas' the rest 90.00.
    bundle = promo(
        "bundle",
        MechanicInput("bundle_price", components=[(BEER.id, "1"), (KVAS.id, "2")], price="180.00"),
        product_ids=[],
    )
    lines = priced((BEER, "3"), (KVAS, "4"))  # two bundles; 1 beer left over
    out, benefit, _ = price_with(lines, [bundle], HOW)
    beer, kvas = out.lines
    assert beer.amounts.gross == D("100.00") + 2 * D("90.00")
    assert kvas.amounts.gross == 2 * D("90.00")
    assert benefit[bundle.id] == D("40.00")  # 2 × 200.00 − 2 × 180.00
    assert gross(out) == D("460.00")


# ----------------------------------------------------------------------------- combination
def test_stackables_stack_and_an_exclusive_wins_only_when_worth_more() -> None:
    lines = priced((BEER, "10"))  # 1000.00
    a = pct("a", "5")
    b = pct("b", "3")
    big = pct("big", "10", combinability=Combinability.EXCLUSIVE)
    both = choose(lines, [a, b], HOW)
    # 1000 × 0.95 × 0.97 = 921.50
    assert gross(both) == D("921.50") and {x.promotion_id for x in both.applied} == {a.id, b.id}
    # 10 % alone (900.00) beats 5 % + 3 % (921.50).
    chosen = choose(lines, [a, b, big], HOW)
    assert [x.promotion_id for x in chosen.applied] == [big.id]
    assert gross(chosen) == D("900.00")
    assert {r.promotion_id: r.status for r in chosen.refused} == {
        a.id: NOT_CHOSEN,
        b.id: NOT_CHOSEN,
    }
    # A smaller exclusive loses to the stackables.
    small = pct("small", "4", combinability=Combinability.EXCLUSIVE)
    assert {x.promotion_id for x in choose(lines, [a, b, small], HOW).applied} == {a.id, b.id}


def test_promotions_on_other_lines_do_not_meet() -> None:
    lines = priced((BEER, "1"), (KVAS, "1"))
    on_beer = pct("beer", "10", combinability=Combinability.EXCLUSIVE)
    on_kvas = pct("kvas", "10", combinability=Combinability.EXCLUSIVE, product_ids=[KVAS.id])
    out = choose(lines, [on_beer, on_kvas], HOW)
    assert {x.promotion_id for x in out.applied} == {on_beer.id, on_kvas.id}
    assert gross(out) == D("135.00")


def test_ties_go_to_the_larger_priority_then_the_smaller_id() -> None:
    lines = priced((BEER, "1"))
    x = pct("x", "10", combinability=Combinability.EXCLUSIVE)
    y = pct("y", "10", combinability=Combinability.EXCLUSIVE, priority=5)
    assert [a.promotion_id for a in choose(lines, [x, y], HOW).applied] == [y.id]
    z = pct("z", "10", combinability=Combinability.EXCLUSIVE)
    expected = min(x.id, z.id)
    assert [a.promotion_id for a in choose(lines, [x, z], HOW).applied] == [expected]


def test_a_promotion_over_its_budget_is_dropped_whole_and_the_rest_judged_again() -> None:
    lines = priced((BEER, "10"))  # 1000.00
    big = pct(
        "big",
        "10",
        combinability=Combinability.EXCLUSIVE,
        budget=BudgetInput(BudgetKind.MONEY, "1000"),
    )
    a = pct("a", "5")
    out = choose(lines, [big, a], HOW, left={big.id: D("48.00")})  # needs 100.00
    assert [x.promotion_id for x in out.applied] == [a.id]
    [refused] = [r for r in out.refused if r.promotion_id == big.id]
    assert refused.status == BUDGET_EXHAUSTED and "48 left" in refused.explanation
    assert gross(out) == D("950.00")
    # With enough left it is given.
    assert [
        x.promotion_id for x in choose(lines, [big, a], HOW, left={big.id: D(100)}).applied
    ] == [big.id]


def test_nothing_eligible_leaves_the_lines_as_priced() -> None:
    lines = priced((KVAS, "2"))
    out = choose(lines, [pct("beer only", "10")], HOW)
    assert out.applied == () and out.lines[0].amounts == lines[0].amounts
    assert out.lines[0].promotion_discount == 0
