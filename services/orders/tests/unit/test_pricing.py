"""Pricing: the rounding rule, price resolution, discounts, the manual discount bound."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fieldline_kit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from fieldline_orders.domain.catalog import Discount, DiscountScope, Product
from fieldline_orders.domain.orders import Order
from fieldline_orders.domain.pricing import (
    CLIENT_PRICE,
    LineInput,
    ManualDiscountLimits,
    PricedLine,
    line_amounts,
    price_list_source,
    resolve_price,
)
from fieldline_orders.domain.values import round_money

from .orders_factories import (
    ALLOW,
    CLIENT,
    DAY,
    LIMITS,
    NOW,
    OTHER_CLIENT,
    book,
    client_price,
    discount,
    header,
    line,
    new_id,
    price_list,
    price_type,
    product,
)

D = Decimal


# ----------------------------------------------------------------------------- rounding
def test_round_half_up_not_bankers() -> None:
    assert round_money(D("0.125")) == D("0.13")
    assert round_money(D("0.135")) == D("0.14")
    assert round_money(D("2.675")) == D("2.68")
    assert round_money(D("-0.125")) == D("-0.13")


def test_three_times_33_33_at_20_percent_vat_included() -> None:
    a = line_amounts(D(3), D("33.33"), D(0), D(0), D(20), True)
    assert a.list_amount == D("99.99")
    # 99.99 × 20 / 120 = 16.665 → 16.67 (half up), net = 99.99 − 16.67
    assert (a.gross, a.vat, a.net) == (D("99.99"), D("16.67"), D("83.32"))


def test_three_times_33_33_at_20_percent_vat_on_top() -> None:
    a = line_amounts(D(3), D("33.33"), D(0), D(0), D(20), False)
    # 99.99 × 20 / 100 = 19.998 → 20.00
    assert (a.net, a.vat, a.gross) == (D("99.99"), D("20.00"), D("119.99"))


def test_vat_22_and_10_and_0() -> None:
    a = line_amounts(D(1), D(100), D(0), D(0), D(22), True)
    assert (a.vat, a.net) == (D("18.03"), D("81.97"))  # 100 × 22 / 122 = 18.0327…
    b = line_amounts(D(1), D("0.25"), D(0), D(0), D(10), False)
    assert (b.vat, b.gross) == (D("0.03"), D("0.28"))  # 0.025 → 0.03, not 0.02
    c = line_amounts(D(7), D("9.99"), D(0), D(0), D(0), True)
    assert (c.vat, c.net, c.gross) == (D(0), D("69.93"), D("69.93"))


def test_discounts_are_rounded_once_not_per_step() -> None:
    # 1.01 × 0.5 × 0.9 = 0.4545 → 0.45; rounding after each step would give 0.46.
    a = line_amounts(D(1), D("1.01"), D(50), D(10), D(0), True)
    assert a.discounted == D("0.45")


def test_rule_and_manual_discount_multiply() -> None:
    a = line_amounts(D(3), D("33.33"), D(5), D(3), D(20), True)
    # 99.99 × 0.95 × 0.97 = 92.140785 → 92.14; vat = 92.14 × 20 / 120 = 15.3566… → 15.36
    assert (a.gross, a.vat, a.net) == (D("92.14"), D("15.36"), D("76.78"))


def test_quantity_in_boxes_is_priced_in_base_units() -> None:
    p = product()  # box = 12 pcs
    pt = price_type()
    b = book([p], pt=pt, lists=[price_list(pt, {p.id: "33.33"})])
    (priced,) = b.price_lines([line(p, "2", "box")], roles=("AGENT",), limits=LIMITS)
    assert priced.base_quantity == D(24)
    assert priced.amounts.list_amount == D("799.92")
    assert priced.amounts.gross == D("799.92")
    assert priced.amounts.vat == D("133.32")  # 799.92 × 20 / 120 = 133.32
    assert priced.unit == "box"


def test_fractional_boxes_and_weights() -> None:
    p = product(units=(("pcs", "шт", "1"), ("half", "пол", "0.5")))
    pt = price_type(vat_included=False)
    b = book([p], pt=pt, lists=[price_list(pt, {p.id: "10.01"})])
    (priced,) = b.price_lines([line(p, "3", "half")], roles=(), limits=LIMITS)
    assert priced.base_quantity == D("1.5")
    # net = round(1.5 × 10.01 = 15.015) = 15.02; vat = round(3.004) = 3.00
    assert (priced.amounts.net, priced.amounts.vat, priced.amounts.gross) == (
        D("15.02"),
        D("3.00"),
        D("18.02"),
    )


def test_totals_are_the_sum_of_rounded_lines() -> None:
    p1, p2 = product(), product()
    pt = price_type()
    b = book([p1, p2], pt=pt, lists=[price_list(pt, {p1.id: "33.33", p2.id: "0.01"})])
    lines = b.price_lines(
        [line(p1, "3"), line(p2, "1"), line(p1, "1")], roles=("AGENT",), limits=LIMITS
    )
    order = Order.submit(header(), lines, "RUB", ALLOW, NOW)
    assert order.gross_total == D("99.99") + D("0.01") + D("33.33")
    assert order.vat_total == sum((ln.vat_amount for ln in order.lines), D(0))
    assert order.net_total + order.vat_total == order.gross_total
    assert [ln.line_no for ln in order.lines] == [1, 2, 3]


# ---------------------------------------------------------------------- price resolution
def test_client_price_overrides_the_price_list() -> None:
    p = product()
    pt = price_type()
    pl = price_list(pt, {p.id: "50.00"})
    b = book([p], pt=pt, lists=[pl], client_prices=[client_price(p.id, "45.50")])
    price = b.unit_price("f", p)
    assert (price.unit_price, price.source) == (D("45.50"), CLIENT_PRICE)


def test_client_price_outside_its_validity_falls_back_to_the_list() -> None:
    p = product()
    pt = price_type()
    pl = price_list(pt, {p.id: "50.00"})
    expired = client_price(p.id, "40", date(2024, 1, 1), date(2024, 5, 14))
    future = client_price(p.id, "41", date(2024, 5, 16))
    b = book([p], pt=pt, lists=[pl], client_prices=[expired, future])
    assert b.unit_price("f", p).source == price_list_source(pl.id)


def test_client_price_latest_valid_from_wins_and_valid_to_is_inclusive() -> None:
    p = product()
    old = client_price(p.id, "40", date(2024, 1, 1))
    new = client_price(p.id, "42", date(2024, 5, 1), date(2024, 5, 15))
    assert resolve_price(p.id, DAY, [old, new], []).unit_price == D(42)  # type: ignore[union-attr]
    assert resolve_price(p.id, date(2024, 5, 16), [old, new], []).unit_price == D(40)  # type: ignore[union-attr]


def test_latest_valid_from_among_valid_price_lists_wins() -> None:
    p = product()
    pt = price_type()
    january = price_list(pt, {p.id: "50"}, date(2024, 1, 1))
    may = price_list(pt, {p.id: "55"}, date(2024, 5, 1), date(2024, 5, 31))
    june = price_list(pt, {p.id: "60"}, date(2024, 6, 1))
    lists = [june, may, january]
    assert resolve_price(p.id, DAY, [], lists).unit_price == D(55)  # type: ignore[union-attr]
    assert resolve_price(p.id, date(2024, 4, 30), [], lists).unit_price == D(50)  # type: ignore[union-attr]
    assert resolve_price(p.id, date(2024, 5, 31), [], lists).unit_price == D(55)  # type: ignore[union-attr]
    assert resolve_price(p.id, date(2024, 6, 1), [], lists).unit_price == D(60)  # type: ignore[union-attr]
    assert resolve_price(p.id, date(2023, 12, 31), [], lists) is None


def test_a_later_list_without_the_product_leaves_the_earlier_price() -> None:
    p, q = product(), product()
    pt = price_type()
    base = price_list(pt, {p.id: "50", q.id: "20"}, date(2024, 1, 1))
    promo = price_list(pt, {q.id: "18"}, date(2024, 5, 1))
    assert resolve_price(p.id, DAY, [], [base, promo]).source == price_list_source(base.id)  # type: ignore[union-attr]
    assert resolve_price(q.id, DAY, [], [base, promo]).source == price_list_source(promo.id)  # type: ignore[union-attr]


def test_same_valid_from_is_decided_by_list_id() -> None:
    p = product()
    pt = price_type()
    a = price_list(pt, {p.id: "1"}, date(2024, 5, 1))
    b = price_list(pt, {p.id: "2"}, date(2024, 5, 1))
    winner = max(a, b, key=lambda pl: pl.id)
    assert resolve_price(p.id, DAY, [], [a, b]).source == price_list_source(winner.id)  # type: ignore[union-attr]
    assert resolve_price(p.id, DAY, [], [b, a]).source == price_list_source(winner.id)  # type: ignore[union-attr]


def test_no_price_list_valid_on_the_date_is_a_specific_error() -> None:
    p = product()
    pt = price_type()
    b = book([p], pt=pt, lists=[], on=DAY)
    with pytest.raises(
        FailedPrecondition,
        match=r"lines\[0\]\.product_id: no price .* no price list .* valid on 2024-05-15",
    ):
        b.price_lines([line(p, "1")], roles=(), limits=LIMITS)


def test_valid_lists_that_do_not_price_the_product() -> None:
    p, other = product(), product()
    pt = price_type()
    b = book([p], pt=pt, lists=[price_list(pt, {other.id: "1"})])
    with pytest.raises(FailedPrecondition, match="do not price it"):
        b.price_lines([line(p, "1")], roles=(), limits=LIMITS)


def test_client_without_price_type() -> None:
    p = product()
    b = book([p], pt=None)
    with pytest.raises(FailedPrecondition, match="has no price type"):
        b.price_lines([line(p, "1")], roles=(), limits=LIMITS)


def test_client_price_in_another_currency_is_refused() -> None:
    p = product()
    pt = price_type()
    b = book([p], pt=pt, client_prices=[client_price(p.id, "1", currency="USD")])
    with pytest.raises(FailedPrecondition, match="USD"):
        b.price_lines([line(p, "1")], roles=(), limits=LIMITS)


# --------------------------------------------------------------------------------- lines
@pytest.mark.parametrize("qty", ["0", "-1", "0.0", "abc", "", "1e400", "NaN", "0.0001"])
def test_bad_quantities(qty: str) -> None:
    p = product()
    pt = price_type()
    b = book([p], pt=pt, lists=[price_list(pt, {p.id: "1"})])
    with pytest.raises(InvalidArgument, match=r"lines\[0\]\.quantity"):
        b.price_lines([line(p, qty)], roles=(), limits=LIMITS)


def test_unit_not_of_the_product() -> None:
    p = product()
    pt = price_type()
    b = book([p], pt=pt, lists=[price_list(pt, {p.id: "1"})])
    with pytest.raises(InvalidArgument, match=r"lines\[0\]\.unit: 'keg' is not a unit"):
        b.price_lines([line(p, "1", "keg")], roles=(), limits=LIMITS)


def test_unknown_product_names_the_line() -> None:
    p = product()
    pt = price_type()
    b = book([p], pt=pt, lists=[price_list(pt, {p.id: "1"})])
    missing = new_id()
    with pytest.raises(NotFound) as info:
        b.price_lines([line(p, "1"), LineInput(missing, "", "1")], roles=(), limits=LIMITS)
    assert info.value.field == "lines[1].product_id"
    assert missing in info.value.message


def test_inactive_product_is_refused() -> None:
    p = product(active=False)
    pt = price_type()
    b = book([p], pt=pt, lists=[price_list(pt, {p.id: "1"})])
    with pytest.raises(FailedPrecondition, match="not active"):
        b.price_lines([line(p, "1")], roles=(), limits=LIMITS)


def test_no_lines() -> None:
    with pytest.raises(InvalidArgument, match="lines: at least one"):
        book([], pt=price_type()).price_lines([], roles=(), limits=LIMITS)


def test_base_quantity_precision_is_checked() -> None:
    p = product(units=(("pcs", "шт", "1"), ("third", "треть", "0.333333")))
    pt = price_type()
    b = book([p], pt=pt, lists=[price_list(pt, {p.id: "1"})])
    with pytest.raises(InvalidArgument, match="in base units"):
        b.price_lines([line(p, "1", "third")], roles=(), limits=LIMITS)


# ----------------------------------------------------------------------------- discounts
def _one(
    p: Product,
    discounts: list[Discount],
    qty: str = "1",
    unit: str = "",
    parents: dict[str, str] | None = None,
    client: str = CLIENT,
) -> PricedLine:
    pt = price_type()
    b = book(
        [p],
        pt=pt,
        lists=[price_list(pt, {p.id: "100"})],
        discounts=discounts,
        parents=parents,
        client_id=client,
    )
    (priced,) = b.price_lines([line(p, qty, unit)], roles=(), limits=LIMITS)
    return priced


def test_client_scope_discount_applies_to_that_client_only() -> None:
    p = product()
    d = discount(DiscountScope.CLIENT, "3", client_id=CLIENT)
    assert _one(p, [d]).rule_discount_percent == D(3)
    assert _one(p, [d], client=OTHER_CLIENT).rule_discount_percent == D(0)


def test_group_discount_applies_to_subgroups_for_every_client() -> None:
    root, child, grandchild, other = new_id(), new_id(), new_id(), new_id()
    parents = {grandchild: child, child: root, root: "", other: ""}
    p = product(group_id=grandchild)
    d = discount(DiscountScope.GROUP, "4", group_id=root)
    assert _one(p, [d], parents=parents).rule_discount_percent == D(4)
    assert _one(p, [d], parents=parents, client=OTHER_CLIENT).rule_discount_percent == D(4)
    elsewhere = discount(DiscountScope.GROUP, "9", group_id=other)
    assert _one(p, [elsewhere], parents=parents).rule_discount_percent == D(0)


def test_group_discount_for_one_client() -> None:
    g = new_id()
    p = product(group_id=g)
    d = discount(DiscountScope.GROUP, "4", group_id=g, client_id=CLIENT)
    assert _one(p, [d], parents={g: ""}).rule_discount_percent == D(4)
    assert _one(p, [d], parents={g: ""}, client=OTHER_CLIENT).rule_discount_percent == D(0)


def test_product_discount() -> None:
    p, q = product(), product()
    d = discount(DiscountScope.PRODUCT, "6", product_id=p.id)
    assert _one(p, [d]).rule_discount_percent == D(6)
    assert _one(q, [d]).rule_discount_percent == D(0)


def test_largest_applicable_discount_wins() -> None:
    g = new_id()
    p = product(group_id=g)
    ds = [
        discount(DiscountScope.CLIENT, "3", client_id=CLIENT),
        discount(DiscountScope.GROUP, "7", group_id=g),
        discount(DiscountScope.PRODUCT, "5", product_id=p.id),
        discount(DiscountScope.PRODUCT, "50", product_id=p.id, client_id=OTHER_CLIENT),
    ]
    priced = _one(p, ds, parents={g: ""})
    assert priced.rule_discount_percent == D(7)
    assert priced.amounts.gross == D("93.00")


def test_volume_breaks_by_base_units_on_the_line() -> None:
    p = product()  # box = 12
    d = discount(
        DiscountScope.PRODUCT, "2", product_id=p.id, breaks=[("24", "5"), ("12", "3"), ("120", "8")]
    )
    assert _one(p, [d], qty="11").rule_discount_percent == D(2)
    assert _one(p, [d], qty="12").rule_discount_percent == D(3)  # from N: inclusive
    assert _one(p, [d], qty="23").rule_discount_percent == D(3)
    assert _one(p, [d], qty="2", unit="box").rule_discount_percent == D(5)
    assert _one(p, [d], qty="10", unit="box").rule_discount_percent == D(8)


def test_volume_break_competes_with_other_discounts() -> None:
    p = product()
    flat = discount(DiscountScope.CLIENT, "4", client_id=CLIENT)
    breaks = discount(DiscountScope.PRODUCT, product_id=p.id, breaks=[("10", "6")])
    assert _one(p, [flat, breaks], qty="9").rule_discount_percent == D(4)
    assert _one(p, [flat, breaks], qty="10").rule_discount_percent == D(6)


def test_discount_validity_dates() -> None:
    p = product()
    expired = discount(DiscountScope.PRODUCT, "9", product_id=p.id, valid_to=date(2024, 5, 14))
    future = discount(DiscountScope.PRODUCT, "9", product_id=p.id, valid_from=date(2024, 5, 16))
    today = discount(DiscountScope.PRODUCT, "2", product_id=p.id, valid_from=DAY, valid_to=DAY)
    assert _one(p, [expired, future, today]).rule_discount_percent == D(2)


# ----------------------------------------------------------------------- manual discount
def test_manual_discount_bounded_by_role() -> None:
    p = product()
    pt = price_type()
    b = book([p], pt=pt, lists=[price_list(pt, {p.id: "100"})])
    (ok,) = b.price_lines([line(p, "1", manual="5")], roles=("AGENT",), limits=LIMITS)
    assert ok.manual_discount_percent == D(5)
    assert ok.amounts.gross == D("95.00")
    with pytest.raises(PermissionDenied, match=r"lines\[0\]\.manual_discount_percent.*5%"):
        b.price_lines([line(p, "1", manual="5.01")], roles=("AGENT",), limits=LIMITS)
    (sup,) = b.price_lines(
        [line(p, "1", manual="15")], roles=("AGENT", "SUPERVISOR"), limits=LIMITS
    )
    assert sup.manual_discount_percent == D(15)
    with pytest.raises(PermissionDenied):
        b.price_lines([line(p, "1", manual="1")], roles=("MERCHANDISER",), limits=LIMITS)
    with pytest.raises(InvalidArgument, match=r"within \[0, 100\]"):
        b.price_lines([line(p, "1", manual="-1")], roles=("SUPERVISOR",), limits=LIMITS)


def test_manual_discount_limits_config() -> None:
    limits = ManualDiscountLimits.parse(" agent=5 , SUPERVISOR=15,, ")
    assert limits.bound(["AGENT"]) == D(5)
    assert limits.bound(["supervisor", "agent"]) == D(15)
    assert limits.bound(["TECHNICIAN"]) == D(0)
    assert limits.bound([]) == D(0)
    for bad in ("AGENT", "AGENT=x", "AGENT=101", "=5"):
        with pytest.raises(ValueError):
            ManualDiscountLimits.parse(bad)
