"""An order's promotions (domain/order_promotions.py): the device's expectation checked for
form, each promotion judged against it (status, match, budget consumed, why), the promoted
order lines (free lines last), `PriceBook.free_price`, `Order.submit/van_sale/amend` with a
`PromotedOrder`, and the JSON the adapters keep them in (adapters/rows.py). Pure, no I/O."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from fieldline_kit.errors import InvalidArgument
from fieldline_kit.testing.helpers import new_id
from fieldline_orders.adapters.rows import (
    applied_from,
    applied_json,
    expected_from,
    expected_json,
    line_from_json,
    line_json,
    line_promotions_from,
    line_promotions_json,
    revision_from,
    revision_row,
)
from fieldline_orders.domain import events
from fieldline_orders.domain.catalog import DiscountScope
from fieldline_orders.domain.order_promotions import (
    MAX_EXPECTED,
    AppliedPromotion,
    ExpectedFreeLine,
    ExpectedInput,
    ExpectedPromotion,
    Promoted,
    PromotedOrder,
    PromotionMatch,
    PromotionRules,
    PromotionStatus,
    check_expected_currency,
    eligible,
    expected_ids,
    expected_promotions,
    free_products,
    promote,
    promoted_order,
    with_promotions,
)
from fieldline_orders.domain.orders import (
    Order,
    OrderChannel,
    OrderKind,
    OrderLine,
    OrderStatus,
)
from fieldline_orders.domain.pricing import PricedLine
from fieldline_orders.domain.promotion_pricing import LinePromotion, PromotedLine
from fieldline_orders.domain.promotions import (
    BudgetInput,
    BudgetKind,
    Combinability,
    MechanicInput,
    OrderFacts,
    OutletFacts,
    Promotion,
    TargetingInput,
    Verdict,
)
from fieldline_orders.domain.values import ZERO

from .orders_factories import (
    ALLOW,
    BLOCK,
    CLIENT,
    DAY,
    LIMITS,
    NOW,
    book,
    discount,
    header,
    line,
    price_list,
    price_type,
    product,
    van,
)

D = Decimal
PT = price_type()  # RUB, VAT included
BEER = product(vat="20")  # 100.00 a pcs; a box is 12
KVAS = product(vat="20")  # 50.00
CHIPS = product(vat="10", container="crate", per_unit="0.5")  # 30.00, 10 % off by a rule
LIST = price_list(PT, {BEER.id: "100.00", KVAS.id: "50.00", CHIPS.id: "30.00"})
CHIPS_RULE = discount(DiscountScope.PRODUCT, "10", product_id=CHIPS.id)
BOOK = book([BEER, KVAS, CHIPS], pt=PT, lists=[LIST], discounts=[CHIPS_RULE])
FACTS = OrderFacts(
    OutletFacts(new_id(), CLIENT, "HoReCa", "msk"),
    OrderKind.PRE_SALE,
    OrderChannel.FIELD,
    "",
    DAY,  # 2024-05-15
    "RUB",
)


def priced() -> list[PricedLine]:
    """1 box of beer (12 × 100.00 = 1200.00) and 3 kvas (150.00): gross 1350.00, VAT 225.00."""
    return BOOK.price_lines(
        [line(BEER, "1", "box"), line(KVAS, "3")], roles=("AGENT",), limits=LIMITS
    )


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


def five_plus_one(**kw: Any) -> Promotion:
    """5 beers bought give 1 chips, repeated: 12 beers → 2 chips, worth 2 × 30.00 × 0.9."""
    mechanic = MechanicInput(
        "free_goods", buy_quantity="5", product_id=CHIPS.id, quantity="1", repeat=True
    )
    return promo("5+1", mechanic, **kw)


TEN = pct("ten", "10")  # 1200.00 → 1080.00: −120.00
FIVE_PLUS_ONE = five_plus_one()  # 2 chips worth 54.00


def rules(
    *promotions: Promotion,
    today: date = DAY,
    arrived_at: datetime = NOW,
    grace_days: int = 1,
) -> PromotionRules:
    return PromotionRules(promotions, {}, {}, grace_days, arrived_at, today)


def run(
    *promotions: Promotion,
    expected: tuple[ExpectedPromotion, ...] = (),
    left: dict[str, Decimal] | None = None,
    facts: OrderFacts = FACTS,
    **kw: Any,
) -> Promoted:
    return promote(
        priced(),
        facts,
        rules(*promotions, **kw),
        free_price=BOOK.free_price,
        vat_included=BOOK.vat_included,
        expected=expected,
        left=left,
    )


def by_id(promoted: Promoted | PromotedOrder) -> dict[str, AppliedPromotion]:
    judged = promoted.judged if isinstance(promoted, Promoted) else promoted.promotions
    return {a.promotion_id: a for a in judged}


def exp(promotion_id: str, benefit: str) -> ExpectedPromotion:
    return ExpectedPromotion(promotion_id, D(benefit))


def missing(
    p: Promotion | str, status: PromotionStatus, why: str, expected: str
) -> AppliedPromotion:
    """What `promote` records of an expected promotion it did not give."""
    pid = p if isinstance(p, str) else p.id
    return AppliedPromotion(
        pid,
        "" if isinstance(p, str) else p.name,  # an id alone: unknown, no name
        status,
        ZERO,
        None,
        why,
        PromotionMatch.MISSING,
        D(expected),
    )


# --------------------------------------------------------------------- expectation form
def given(
    promotion_id: str = "",
    benefit: str = "1.00",
    currency: str = "RUB",
    free: Sequence[tuple[str, str]] = (),
) -> ExpectedInput:
    return ExpectedInput(promotion_id or new_id(), D(benefit), currency, free)


def refused(items: list[ExpectedInput]) -> InvalidArgument:
    with pytest.raises(InvalidArgument) as caught:
        expected_promotions(items)
    return caught.value


def test_the_expectation_as_sent_is_kept_with_its_ids_normalised() -> None:
    a, b = new_id(), new_id()
    out = expected_promotions(
        [given(a, "120.00"), given(b.upper(), "0", "", [(CHIPS.id.upper(), "2"), (KVAS.id, "0.5")])]
    )
    assert out == (
        ExpectedPromotion(a, D("120.00")),
        ExpectedPromotion(
            b, D(0), (ExpectedFreeLine(CHIPS.id, D(2)), ExpectedFreeLine(KVAS.id, D("0.5")))
        ),
    )
    assert str(out[0].benefit) == "120.00"
    assert expected_promotions([]) == ()


def test_a_promotion_id_must_be_a_uuid() -> None:
    err = refused([given(), given("SPRING-5")])
    assert err.field == "expected_promotions[1].promotion_id"
    assert err.problem == "must be a UUID, got 'SPRING-5'"
    assert refused([given(" ")]).field == "expected_promotions[0].promotion_id"
    empty = ExpectedInput("", D(1), "RUB")
    assert (refused([empty]).field, refused([empty]).problem) == (
        "expected_promotions[0].promotion_id",
        "is required",
    )


def test_a_promotion_listed_twice_is_refused_even_in_another_case() -> None:
    pid = new_id()
    err = refused([given(pid), given(), given(pid.upper())])
    assert err.field == "expected_promotions[2].promotion_id"
    assert err.problem == f"{pid} is listed twice"


@pytest.mark.parametrize(
    ("benefit", "problem"),
    [
        ("-0.01", "must not be negative"),
        ("1.005", "must have at most 2 decimal places (kopecks)"),
    ],
)
def test_the_benefit_is_money_at_least_zero(benefit: str, problem: str) -> None:
    err = refused([given(), given(benefit=benefit)])
    assert (err.field, err.problem) == ("expected_promotions[1].benefit", problem)


@pytest.mark.parametrize(
    ("quantity", "problem"),
    [("0", "must be positive, got 0"), ("-2", "must be positive, got -2")],
)
def test_a_free_line_quantity_must_be_positive(quantity: str, problem: str) -> None:
    err = refused([given(free=[(CHIPS.id, "1"), (KVAS.id, quantity)])])
    assert (err.field, err.problem) == (
        "expected_promotions[0].free_lines[1].base_quantity",
        problem,
    )
    bad = refused([given(free=[("chips", "1")])])
    assert bad.field == "expected_promotions[0].free_lines[0].product_id"


def test_at_most_100_expected_promotions_and_100_free_lines_each() -> None:
    assert MAX_EXPECTED == 100
    assert len(expected_promotions([given() for _ in range(100)])) == 100
    err = refused([given() for _ in range(101)])
    assert (err.field, err.problem) == (
        "expected_promotions",
        "must have at most 100 items, got 101",
    )
    lines = [(new_id(), "1") for _ in range(101)]
    err = refused([given(free=lines)])
    assert (err.field, err.problem) == (
        "expected_promotions[0].free_lines",
        "must have at most 100 items, got 101",
    )
    assert refused([given() for _ in range(101)]).field == "expected_promotions"


def test_the_path_is_the_callers() -> None:
    with pytest.raises(InvalidArgument) as caught:
        expected_promotions([given("x")], "amend.expected_promotions")
    assert caught.value.field == "amend.expected_promotions[0].promotion_id"


def test_the_benefit_currency_must_be_the_orders_or_none() -> None:
    check_expected_currency([given(currency="RUB"), given(currency="")], "RUB")
    check_expected_currency([], "RUB")
    with pytest.raises(InvalidArgument) as caught:
        check_expected_currency([given(), given(currency=""), given(currency="USD")], "RUB")
    assert caught.value.field == "expected_promotions[2].benefit.currency_code"
    assert caught.value.problem == "must be the order's currency RUB, got USD"


def test_expected_ids_are_the_well_formed_ones() -> None:
    a, b = new_id(), new_id()
    items = [given(a), given("nope"), ExpectedInput("", D(1), ""), given(b), given(a)]
    assert expected_ids(items) == {a, b}
    assert expected_ids([]) == set()


def test_expected_ids_are_the_ids_expected_promotions_keeps() -> None:
    items = [given(new_id().upper()), given(new_id())]
    assert expected_ids(items) == {e.promotion_id for e in expected_promotions(items)}


TARGETING_MISSED = (
    "its targeting does not hold this order (client, outlet, outlet channel, territory, "
    "order kind, order channel or distributor)"
)


# ------------------------------------------------------------------------- promote: given
def test_applied_and_matching_the_expectation() -> None:
    out = run(TEN, expected=(exp(TEN.id, "120.00"),))
    assert out.judged == (
        AppliedPromotion(
            TEN.id,
            "ten",
            PromotionStatus.APPLIED,
            D("120.00"),
            None,  # no budget
            '"ten" (stackable): −120',
            PromotionMatch.MATCH,
            D("120.00"),
        ),
    )
    assert out.expected == (exp(TEN.id, "120.00"),)
    assert out.outcome.lines[0].amounts.gross == D("1080.00")


def test_applied_with_another_benefit_than_expected_is_different() -> None:
    out = run(TEN, expected=(exp(TEN.id, "100.00"),))
    [a] = out.judged
    assert (a.status, a.benefit, a.match, a.expected_benefit) == (
        PromotionStatus.APPLIED,
        D("120.00"),
        PromotionMatch.DIFFERENT,
        D("100.00"),
    )


def test_applied_but_not_expected_is_unexpected() -> None:
    out = run(TEN, FIVE_PLUS_ONE)
    got = by_id(out)
    assert set(got) == {TEN.id, FIVE_PLUS_ONE.id}
    for a in got.values():
        assert a.status is PromotionStatus.APPLIED and a.match is PromotionMatch.UNEXPECTED
        assert a.expected_benefit is None
    free = got[FIVE_PLUS_ONE.id]
    assert (free.benefit, free.explanation) == (D("54.00"), '"5+1" (stackable): 2 free, worth 54')


def test_budget_consumed_is_money_for_money_budgets_units_for_unit_budgets() -> None:
    money_pct = pct("ten", "10", budget=BudgetInput(BudgetKind.MONEY, "1000"))
    money_free = five_plus_one(budget=BudgetInput(BudgetKind.MONEY, "500"))
    units_free = five_plus_one(budget=BudgetInput(BudgetKind.UNITS, "10"))
    assert by_id(run(money_pct))[TEN.id].budget_consumed == D("120.00")
    assert by_id(run(money_free))[FIVE_PLUS_ONE.id].budget_consumed == D("54.00")
    consumed = by_id(run(units_free))[FIVE_PLUS_ONE.id]
    assert (consumed.benefit, consumed.budget_consumed) == (D("54.00"), D(2))
    assert by_id(run(TEN, FIVE_PLUS_ONE))[FIVE_PLUS_ONE.id].budget_consumed is None


def test_budget_exhausted_when_less_is_left_than_the_order_needs() -> None:
    limited = pct("ten", "10", budget=BudgetInput(BudgetKind.MONEY, "1000"))
    out = run(limited, expected=(exp(TEN.id, "120.00"),), left={TEN.id: D("119.99")})
    assert out.judged == (
        missing(
            limited,
            PromotionStatus.BUDGET_EXHAUSTED,
            "119.99 left, this order needs 120",
            "120.00",
        ),
    )
    assert out.outcome.lines[0].amounts.gross == D("1200.00")
    # Exactly what it needs is enough; without `left` its whole total is.
    assert by_id(run(limited, left={TEN.id: D("120.00")}))[TEN.id].status is (
        PromotionStatus.APPLIED
    )
    small = pct("ten", "10", budget=BudgetInput(BudgetKind.MONEY, "100"))
    assert by_id(run(small, expected=(exp(TEN.id, "1"),)))[TEN.id].status is (
        PromotionStatus.BUDGET_EXHAUSTED
    )
    units = five_plus_one(budget=BudgetInput(BudgetKind.UNITS, "10"))
    out = run(units, expected=(exp(units.id, "54.00"),), left={units.id: D(1)})
    assert by_id(out)[units.id].explanation == "1 left, this order needs 2"
    assert out.outcome.free == ()


# --------------------------------------------------------------- promote: expected, not given
@pytest.mark.parametrize(
    ("kw", "why"),
    [
        (
            {"targeting": TargetingInput(outlet_channels=["Retail"])},
            TARGETING_MISSED,
        ),
        (
            {"targeting": TargetingInput(order_kinds=[OrderKind.VAN_SALE])},
            TARGETING_MISSED,
        ),
        ({"currency": "USD"}, "it is in USD, the order in RUB"),
        (
            {"valid_from": date(2024, 5, 16), "valid_to": date(2024, 6, 30)},
            "it runs 2024-05-16 to 2024-06-30, the order is of 2024-05-15",
        ),
    ],
    ids=["outlet channel", "order kind", "currency", "period"],
)
def test_not_eligible_says_why(kw: dict[str, Any], why: str) -> None:
    p = pct("ten", "10", **kw)
    out = run(p, expected=(exp(p.id, "120.00"),))
    assert out.judged == (missing(p, PromotionStatus.NOT_ELIGIBLE, why, "120.00"),)
    assert out.outcome.applied == ()
    assert eligible(FACTS, rules(p)) == ([], {p.id: Verdict.NOT_ELIGIBLE})


def test_an_unknown_promotion_is_not_eligible_without_a_name() -> None:
    pid = new_id()
    out = run(TEN, expected=(exp(pid, "5.00"),))
    got = by_id(out)
    assert got[pid] == missing(
        pid, PromotionStatus.NOT_ELIGIBLE, "the server knows no such promotion in force", "5.00"
    )
    assert got[TEN.id].match is PromotionMatch.UNEXPECTED
    assert [a.promotion_id for a in out.judged] == [TEN.id, pid]  # given first, then expected


def test_ended_after_the_grace_days_applied_within_them() -> None:
    short = pct("ten", "10", valid_to=date(2024, 5, 10))
    last_day = replace(FACTS, order_date=date(2024, 5, 10))
    late = datetime(2024, 5, 12, 8, tzinfo=UTC)
    out = run(
        short,
        expected=(exp(short.id, "120.00"),),
        facts=last_day,
        today=date(2024, 5, 12),
        arrived_at=late,
    )
    assert out.judged == (
        missing(
            short,
            PromotionStatus.ENDED,
            "it ended on 2024-05-10; orders arriving up to 1 day(s) later still get it, this "
            "one arrived on 2024-05-12",
            "120.00",
        ),
    )
    # Uploaded the next morning: still given; with 2 grace days, the day after too.
    next_morning = run(
        short,
        expected=(exp(short.id, "120.00"),),
        facts=last_day,
        today=date(2024, 5, 11),
        arrived_at=datetime(2024, 5, 11, 8, tzinfo=UTC),
    )
    assert next_morning.judged[0].match is PromotionMatch.MATCH
    two = run(short, facts=last_day, today=date(2024, 5, 12), arrived_at=late, grace_days=2)
    assert by_id(two)[short.id].status is PromotionStatus.APPLIED


def test_stopped_before_the_order_arrived() -> None:
    stopped = replace(TEN, stopped_at=datetime(2024, 5, 15, 9, 0, tzinfo=UTC))  # NOW is 9:30
    out = run(stopped, expected=(exp(TEN.id, "120.00"),))
    assert out.judged == (
        missing(
            stopped,
            PromotionStatus.STOPPED,
            "it was stopped at 2024-05-15T09:00:00+00:00, before the order arrived",
            "120.00",
        ),
    )
    at_arrival = replace(TEN, stopped_at=NOW)
    assert by_id(run(at_arrival, expected=(exp(TEN.id, "1"),)))[TEN.id].status is (
        PromotionStatus.STOPPED
    )
    later = replace(TEN, stopped_at=datetime(2024, 5, 15, 10, 0, tzinfo=UTC))
    assert by_id(run(later))[TEN.id].status is PromotionStatus.APPLIED


def test_not_chosen_when_an_exclusive_rival_is_worth_more() -> None:
    big = pct("big", "20", combinability=Combinability.EXCLUSIVE)  # −240.00
    small = pct("small", "5", combinability=Combinability.EXCLUSIVE)  # −60.00
    out = run(big, small, expected=(exp(small.id, "60.00"),))
    got = by_id(out)
    assert got[small.id] == missing(
        small,
        PromotionStatus.NOT_CHOSEN,
        'the combination without it is worth more (chosen: "big")',
        "60.00",
    )
    assert (got[big.id].benefit, got[big.id].match) == (D("240.00"), PromotionMatch.UNEXPECTED)


def test_not_chosen_when_it_gives_nothing_to_this_order() -> None:
    on_chips = pct("chips", "10", product_ids=[CHIPS.id])  # no chips ordered
    out = run(on_chips, expected=(exp(on_chips.id, "3.00"),))
    assert out.judged == (
        missing(on_chips, PromotionStatus.NOT_CHOSEN, "it gives nothing to this order", "3.00"),
    )
    big_threshold = promo(  # 12 beers bought, 50 needed
        "50+1", MechanicInput("free_goods", buy_quantity="50", product_id=CHIPS.id, quantity="1")
    )
    out = run(big_threshold, expected=(exp(big_threshold.id, "27.00"),))
    assert by_id(out)[big_threshold.id].explanation == "it gives nothing to this order"


def test_promotions_neither_given_nor_expected_are_not_recorded() -> None:
    big = pct("big", "20", combinability=Combinability.EXCLUSIVE)
    small = pct("small", "5", combinability=Combinability.EXCLUSIVE)  # not chosen
    usd = pct("usd", "10", currency="USD")  # not eligible
    on_chips = pct("chips", "10", product_ids=[CHIPS.id])  # gives nothing
    stopped = replace(pct("stopped", "10"), stopped_at=NOW)
    limited = pct("limited", "1", budget=BudgetInput(BudgetKind.MONEY, "5"))  # needs 12.00
    out = run(big, small, usd, on_chips, stopped, limited)
    assert [a.promotion_id for a in out.judged] == [big.id]
    assert out.expected == ()


# ------------------------------------------------------------------------ promoted order
def test_promoted_order_lines_numbered_free_lines_last() -> None:
    gift = promo(
        "gift",
        MechanicInput("gift", min_gross="1000", product_id=KVAS.id, quantity="1"),
        priority=5,  # before the 5+1 among the free lines
    )
    lines = priced()
    promoted = promote(
        lines,
        FACTS,
        rules(TEN, FIVE_PLUS_ONE, gift),
        free_price=BOOK.free_price,
        vat_included=True,
        expected=(exp(TEN.id, "120.00"),),
    )
    out = promoted_order(lines, promoted, BOOK.products)
    assert isinstance(out, PromotedOrder)
    assert [ln.line_no for ln in out.lines] == [1, 2, 3, 4]
    beer, kvas, gift_line, chips = out.lines
    assert (beer.unit, beer.quantity, beer.base_quantity) == ("box", D(1), D(12))
    assert (beer.net_amount, beer.vat_amount, beer.gross_amount) == (
        D("900.00"),
        D("180.00"),
        D("1080.00"),
    )
    assert beer.promotion_discount == D("120.00") and not beer.free_of_charge
    assert beer.promotions == (
        LinePromotion(TEN.id, D("120.00"), "ten: 10% off: 1200.00 → 1080.00, −120.00"),
    )
    assert beer.price_source == lines[0].price_source and beer.promotion_id == ""
    assert kvas == OrderLine.from_priced(2, lines[1])  # untouched
    # The gift: 1 kvas (a gross of 1200.00 ≥ 1000), worth 50.00.
    assert (gift_line.product_id, gift_line.quantity, gift_line.promotion_id) == (
        KVAS.id,
        D(1),
        gift.id,
    )
    assert gift_line.promotions == (
        LinePromotion(gift.id, D("50.00"), f'"gift": 1 × {KVAS.sku} free, worth 50.00'),
    )
    # The 5+1: 2 chips in the base unit, at the price they sell at, free of charge.
    assert chips == OrderLine(
        line_no=4,
        product_id=CHIPS.id,
        unit="pcs",
        quantity=D(2),
        base_quantity=D(2),
        unit_price=D("30.00"),
        price_source=f"promotion:{FIVE_PLUS_ONE.id}",
        rule_discount_percent=ZERO,
        manual_discount_percent=ZERO,
        net_amount=ZERO,
        vat_rate=D(10),
        vat_amount=ZERO,
        gross_amount=ZERO,
        delivered_base_quantity=ZERO,
        container_type="crate",
        container_quantity=D(1),  # 2 × 0.5
        promotion_discount=ZERO,
        promotions=(
            LinePromotion(
                FIVE_PLUS_ONE.id, D("54.00"), f'"5+1": 2 × {CHIPS.sku} free, worth 54.00'
            ),
        ),
        free_of_charge=True,
        promotion_id=FIVE_PLUS_ONE.id,
    )
    assert out.gross == D("1230.00")  # 1080.00 + 150.00 + 0 + 0
    assert out.promotions == promoted.judged and out.expected == (exp(TEN.id, "120.00"),)
    assert {a.promotion_id: a.benefit for a in out.promotions} == {
        TEN.id: D("120.00"),
        FIVE_PLUS_ONE.id: D("54.00"),
        gift.id: D("50.00"),
    }


def test_a_free_line_of_a_product_without_containers() -> None:
    free_kvas = promo(
        "kvas 5+1",
        MechanicInput("free_goods", buy_quantity="5", product_id=KVAS.id, quantity="2"),
    )
    lines = priced()
    out = promoted_order(
        lines,
        promote(lines, FACTS, rules(free_kvas), free_price=BOOK.free_price, vat_included=True),
        BOOK.products,
    )
    free = out.lines[-1]
    assert (free.container_type, free.container_quantity) == ("", ZERO)
    assert (free.quantity, free.unit_price, free.vat_rate) == (D(2), D("50.00"), D(20))
    assert out.gross == D("1350.00")


def test_promoted_order_without_promotions_is_the_lines_as_priced() -> None:
    lines = priced()
    out = promoted_order(
        lines,
        promote(lines, FACTS, rules(), free_price=BOOK.free_price, vat_included=True),
        BOOK.products,
    )
    assert out.lines == tuple(OrderLine.from_priced(i, p) for i, p in enumerate(lines, 1))
    assert out.promotions == () and out.gross == D("1350.00")
    assert PromotedOrder((), (), ()).gross == ZERO


def test_free_products_are_those_free_goods_and_gifts_give() -> None:
    gift = promo(
        "gift", MechanicInput("gift", min_base_quantity="1", product_id=KVAS.id, quantity="1")
    )
    assert free_products([TEN, FIVE_PLUS_ONE, gift]) == {CHIPS.id, KVAS.id}
    assert free_products([TEN]) == set()


# ------------------------------------------------------------------------ with_promotions
def test_with_promotions_none_when_none_in_force_and_none_expected() -> None:
    assert with_promotions(priced(), FACTS, rules(), BOOK, ()) is None


def test_with_promotions_none_when_nothing_applied_and_nothing_expected() -> None:
    usd = pct("usd", "10", currency="USD")
    on_chips = pct("chips", "10", product_ids=[CHIPS.id])
    assert with_promotions(priced(), FACTS, rules(usd, on_chips), BOOK, ()) is None


def test_with_promotions_keeps_an_expectation_nothing_met() -> None:
    pid = new_id()
    out = with_promotions(priced(), FACTS, rules(), BOOK, [given(pid, "10.00")])
    assert out is not None
    lines = priced()
    assert out.lines == tuple(OrderLine.from_priced(i, p) for i, p in enumerate(lines, 1))
    assert out.promotions == (
        missing(
            pid,
            PromotionStatus.NOT_ELIGIBLE,
            "the server knows no such promotion in force",
            "10.00",
        ),
    )
    assert out.expected == (exp(pid, "10.00"),) and out.gross == D("1350.00")


def test_with_promotions_prices_judges_and_keeps_the_expectation() -> None:
    expected = [
        given(TEN.id, "120.00", "RUB"),
        given(FIVE_PLUS_ONE.id, "50.00", "", [(CHIPS.id, "2")]),
    ]
    out = with_promotions(priced(), FACTS, rules(TEN, FIVE_PLUS_ONE), BOOK, expected)
    assert out is not None
    got = by_id(out)
    assert (got[TEN.id].match, got[FIVE_PLUS_ONE.id].match) == (
        PromotionMatch.MATCH,
        PromotionMatch.DIFFERENT,  # 54.00, not 50.00
    )
    assert got[FIVE_PLUS_ONE.id].expected_benefit == D("50.00")
    assert out.expected == (
        exp(TEN.id, "120.00"),
        ExpectedPromotion(FIVE_PLUS_ONE.id, D("50.00"), (ExpectedFreeLine(CHIPS.id, D(2)),)),
    )
    assert [ln.gross_amount for ln in out.lines] == [D("1080.00"), D("150.00"), ZERO]
    assert out.gross == D("1230.00")


def test_with_promotions_judges_budgets_by_what_is_left() -> None:
    limited = pct("ten", "10", budget=BudgetInput(BudgetKind.MONEY, "1000"))
    left = {limited.id: D("100.00")}  # needs 120.00
    assert with_promotions(priced(), FACTS, rules(limited), BOOK, (), left) is None
    out = with_promotions(
        priced(), FACTS, rules(limited), BOOK, [given(limited.id, "120.00")], left
    )
    assert out is not None and out.gross == D("1350.00")
    assert out.promotions == (
        missing(
            limited, PromotionStatus.BUDGET_EXHAUSTED, "100 left, this order needs 120", "120.00"
        ),
    )
    enough = with_promotions(priced(), FACTS, rules(limited), BOOK, (), {limited.id: D(120)})
    assert enough is not None and enough.gross == D("1230.00")
    assert enough.promotions[0].budget_consumed == D("120.00")


def test_with_promotions_refuses_a_malformed_expectation_even_without_promotions() -> None:
    with pytest.raises(InvalidArgument) as caught:
        with_promotions(priced(), FACTS, rules(), BOOK, [given("SPRING")])
    assert caught.value.field == "expected_promotions[0].promotion_id"
    with pytest.raises(InvalidArgument) as caught:
        with_promotions(priced(), FACTS, rules(TEN), BOOK, [given(TEN.id, "1", "EUR")])
    assert caught.value.field == "expected_promotions[0].benefit.currency_code"
    assert caught.value.problem == "must be the order's currency RUB, got EUR"


# ------------------------------------------------------------------ PriceBook.free_price
def test_free_price_has_the_rule_discount_and_the_price_types_vat() -> None:
    # 2 chips: 60.00 × (1 − 10 %) = 54.00, VAT included.
    assert BOOK.free_price(CHIPS.id, D(2)) == (D("30.00"), D("54.00"))
    assert BOOK.free_price(BEER.id, D(3)) == (D("100.00"), D("300.00"))
    assert BOOK.vat_included is True
    # VAT on top: net 54.00 + 10 % = 59.40; beer 300.00 + 20 % = 360.00.
    on_top = price_type(vat_included=False)
    b = book(
        [BEER, CHIPS],
        pt=on_top,
        lists=[price_list(on_top, {BEER.id: "100.00", CHIPS.id: "30.00"})],
        discounts=[CHIPS_RULE],
    )
    assert b.vat_included is False
    assert b.free_price(CHIPS.id, D(2)) == (D("30.00"), D("59.40"))
    assert b.free_price(BEER.id, D(3)) == (D("100.00"), D("360.00"))


def test_free_price_has_the_rounding_of_an_ordinary_line() -> None:
    pt = price_type()
    odd = product(vat="20")
    b = book(
        [odd],
        pt=pt,
        lists=[price_list(pt, {odd.id: "33.33"})],
        discounts=[discount(DiscountScope.PRODUCT, "7.5", product_id=odd.id)],
    )
    # 3 × 33.33 = 99.99 × 0.925 = 92.49075 → 92.49
    assert b.free_price(odd.id, D(3)) == (D("33.33"), D("92.49"))
    [ordinary] = b.price_lines([line(odd, "3")], roles=("AGENT",), limits=LIMITS)
    assert ordinary.amounts.gross == D("92.49")


def test_free_price_none_when_the_book_does_not_price_it() -> None:
    inactive = product(active=False)
    unpriced = product()
    b = book(
        [BEER, inactive, unpriced], pt=PT, lists=[price_list(PT, {BEER.id: "1", inactive.id: "1"})]
    )
    assert b.free_price(new_id(), D(1)) is None  # not in the book
    assert b.free_price(KVAS.id, D(1)) is None  # priced elsewhere, not held by this book
    assert b.free_price(inactive.id, D(1)) is None
    assert b.free_price(unpriced.id, D(1)) is None
    no_type = book([BEER], lists=[LIST])
    assert no_type.free_price(BEER.id, D(1)) is None and no_type.vat_included is True


# --------------------------------------------------------------------- the order with them
def _promoted() -> tuple[list[PricedLine], PromotedOrder]:
    lines = priced()
    out = with_promotions(lines, FACTS, rules(TEN, FIVE_PLUS_ONE), BOOK, [given(TEN.id, "120.00")])
    assert out is not None
    return lines, out


def test_submit_with_promotions_totals_are_the_promoted_lines() -> None:
    lines, promoted = _promoted()
    order = Order.submit(header(), lines, "RUB", ALLOW, NOW, promoted)
    assert order.lines == list(promoted.lines) and len(order.lines) == 3
    # beer 900.00 + 180.00 = 1080.00; kvas 125.00 + 25.00 = 150.00; chips 0.
    assert (order.net_total, order.vat_total, order.gross_total) == (
        D("1025.00"),
        D("205.00"),
        D("1230.00"),
    )
    assert order.gross_total == promoted.gross
    assert order.promotions == promoted.promotions and len(order.promotions) == 2
    assert order.expected_promotions == (exp(TEN.id, "120.00"),)
    assert order.current_revision().promotions == promoted.promotions
    assert order.status is OrderStatus.SUBMITTED
    [event] = order.events
    assert isinstance(event, events.OrderSubmitted)
    assert event.order.promotions == promoted.promotions
    assert event.order.gross_total == D("1230.00")
    held = Order.submit(header(), lines, "RUB", BLOCK, NOW, promoted)
    assert held.status is OrderStatus.CREDIT_HOLD and held.promotions == promoted.promotions


def test_submit_without_promotions_as_before() -> None:
    lines = priced()
    order = Order.submit(header(), lines, "RUB", ALLOW, NOW)
    assert (order.net_total, order.vat_total, order.gross_total) == (
        D("1125.00"),
        D("225.00"),
        D("1350.00"),
    )
    assert order.promotions == () and order.expected_promotions == ()
    assert order.current_revision().promotions == ()


def test_van_sale_with_promotions_delivers_the_free_lines_too() -> None:
    lines, promoted = _promoted()
    sale = Order.van_sale(header(), van(), lines, "RUB", ALLOW, D("1230.00"), "R-1", NOW, promoted)
    assert sale.status is OrderStatus.DELIVERED and sale.kind is OrderKind.VAN_SALE
    assert sale.gross_total == D("1230.00") and sale.cash_collected == D("1230.00")
    assert [ln.delivered_base_quantity for ln in sale.lines] == [D(12), D(3), D(2)]
    assert sale.lines[2].free_of_charge and sale.lines[2].gross_amount == ZERO
    assert sale.promotions == promoted.promotions
    assert sale.expected_promotions == promoted.expected
    assert sale.current_revision().promotions == promoted.promotions
    [event] = sale.events
    assert isinstance(event, events.VanSaleCompleted)
    # Cash is bounded by the total after promotions (1350.00 before them).
    with pytest.raises(InvalidArgument) as caught:
        Order.van_sale(header(), van(), lines, "RUB", ALLOW, D("1230.01"), "R-2", NOW, promoted)
    assert caught.value.field == "cash_collected"
    assert caught.value.problem == "1230.01 is more than the sale's total 1230"


def _amend(order: Order, lines: list[PricedLine], promoted: PromotedOrder | None) -> None:
    order.amend(
        amendment_id=new_id(),
        digest="d",
        expected_revision=order.revision,
        priced=lines,
        delivery_date=None,
        warehouse_id="",
        comment="",
        decision=ALLOW,
        amended_by=order.agent_id,
        now=NOW,
        promoted=promoted,
    )


def test_amend_with_promotions_replaces_them_and_without_clears_them() -> None:
    order = Order.submit(header(), priced(), "RUB", ALLOW, NOW)
    # Revision 2: with the promotions.
    lines, promoted = _promoted()
    _amend(order, lines, promoted)
    assert order.revision == 2 and order.lines == list(promoted.lines)
    assert (order.net_total, order.vat_total, order.gross_total) == (
        D("1025.00"),
        D("205.00"),
        D("1230.00"),
    )
    assert order.promotions == promoted.promotions
    assert order.expected_promotions == promoted.expected
    assert order.current_revision().promotions == promoted.promotions
    assert order.new_revision is not None and order.new_revision[0].promotions == ()
    # Revision 3: 2 beers only, 10 % off, nothing expected.
    two = BOOK.price_lines([line(BEER, "2")], roles=("AGENT",), limits=LIMITS)
    again = with_promotions(two, FACTS, rules(TEN, FIVE_PLUS_ONE), BOOK, ())
    assert again is not None
    _amend(order, two, again)
    assert [ln.gross_amount for ln in order.lines] == [D("180.00")]
    assert order.gross_total == D("180.00") and order.vat_total == D("30.00")
    assert [a.promotion_id for a in order.promotions] == [TEN.id]
    assert order.promotions[0].match is PromotionMatch.UNEXPECTED
    assert order.expected_promotions == ()
    revision_2 = order.new_revision[0]
    assert revision_2.revision == 2 and revision_2.promotions == promoted.promotions
    assert revision_2.gross_total == D("1230.00") and len(revision_2.lines) == 3
    # Revision 4: without them: cleared, the lines as priced.
    _amend(order, lines, None)
    assert order.revision == 4
    assert order.promotions == () and order.expected_promotions == ()
    assert order.current_revision().promotions == ()
    assert order.gross_total == D("1350.00") and len(order.lines) == 2
    assert order.new_revision[0].promotions == again.promotions
    [last] = [e for e in order.events if isinstance(e, events.OrderAmended)][-1:]
    assert last.order.promotions == ()


# ------------------------------------------------------------------ from_priced short path
def _plain(line_no: int, p: PricedLine, promoted: PromotedLine) -> OrderLine:
    return OrderLine(
        line_no=line_no,
        product_id=p.product.id,
        unit=p.unit,
        quantity=p.quantity,
        base_quantity=p.base_quantity,
        unit_price=p.unit_price,
        price_source=p.price_source,
        rule_discount_percent=p.rule_discount_percent,
        manual_discount_percent=p.manual_discount_percent,
        net_amount=promoted.amounts.net,
        vat_rate=p.product.vat_rate,
        vat_amount=promoted.amounts.vat,
        gross_amount=promoted.amounts.gross,
        delivered_base_quantity=ZERO,
        container_type=p.product.container_type,
        container_quantity=p.product.containers_for(p.base_quantity),
        promotion_discount=promoted.promotion_discount,
        promotions=promoted.promotions,
        free_of_charge=False,
        promotion_id="",
    )


def _same(a: object, b: object) -> bool:
    """Equal, and decimals written alike (as tests/unit/test_short_paths.py compares)."""
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return str(a) == str(b)
    if dataclasses.is_dataclass(a) and dataclasses.is_dataclass(b):
        return type(a) is type(b) and all(
            _same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_from_priced_with_a_promoted_line_is_what_the_dataclass_makes() -> None:
    lines = priced()
    promoted = promote(lines, FACTS, rules(TEN), free_price=BOOK.free_price, vat_included=True)
    touched = promoted.outcome.lines[0]
    made = OrderLine.from_priced(1, lines[0], touched)
    plain = _plain(1, lines[0], touched)
    assert _same(made, plain) and made == plain and hash(made) == hash(plain)
    assert repr(made) == repr(plain)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.quantity = ZERO  # type: ignore[misc]
    # A promoted line no promotion touched is the line as priced (its promotion_discount the
    # plain ZERO, not the outcome's 0.00).
    untouched = promoted.outcome.lines[1]
    assert untouched.promotions == () and str(untouched.promotion_discount) == "0.00"
    made = OrderLine.from_priced(2, lines[1], untouched)
    assert _same(made, OrderLine.from_priced(2, lines[1])) and made.promotion_discount == ZERO
    assert repr(made) == repr(OrderLine.from_priced(2, lines[1]))
    beer = OrderLine.from_priced(1, lines[0], promoted.outcome.lines[0])
    assert (beer.gross_amount, beer.promotion_discount) == (D("1080.00"), D("120.00"))


# ------------------------------------------------------------------------ rows: the JSON
def _through_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def test_applied_promotions_round_trip_through_json() -> None:
    _, promoted = _promoted()
    items = (
        *promoted.promotions,
        replace(promoted.promotions[0], budget_consumed=D("120.00"), expected_benefit=None),
        missing(new_id(), PromotionStatus.BUDGET_EXHAUSTED, "0 left, this order needs 1", "1.50"),
    )
    stored = _through_json(applied_json(items))
    assert stored[0]["status"] == "APPLIED" and stored[0]["benefit"] == "120.00"
    assert stored[-1]["budget_consumed"] is None and stored[-1]["match"] == "MISSING"
    back = applied_from(stored)
    assert back == items and _same(back, items)
    assert applied_json(()) is None
    assert applied_from(None) == () and applied_from([]) == ()


def test_expected_promotions_round_trip_through_json() -> None:
    items = (
        ExpectedPromotion(new_id(), D("120.00")),
        ExpectedPromotion(
            new_id(),
            D("0"),
            (ExpectedFreeLine(CHIPS.id, D(2)), ExpectedFreeLine(KVAS.id, D("0.5"))),
        ),
    )
    stored = _through_json(expected_json(items))
    assert stored[1]["free_lines"] == [[CHIPS.id, "2"], [KVAS.id, "0.5"]]
    back = expected_from(stored)
    assert back == items and _same(back, items)
    assert expected_json(()) is None and expected_from(None) == ()


def test_line_promotions_round_trip_through_json() -> None:
    items = (
        LinePromotion(TEN.id, D("120.00"), "ten: 10% off: 1200.00 → 1080.00, −120.00"),
        LinePromotion(FIVE_PLUS_ONE.id, D("0.01"), 'a "quoted" name'),
    )
    back = line_promotions_from(_through_json(line_promotions_json(items)))
    assert back == items and _same(back, items)
    assert line_promotions_json(()) is None
    assert line_promotions_from(None) == () and line_promotions_from([]) == ()


def test_order_lines_round_trip_through_a_revisions_json() -> None:
    _, promoted = _promoted()
    for ln in promoted.lines:
        stored = _through_json(line_json(ln))
        back = line_from_json(stored)
        assert back == ln and _same(back, ln)
    beer, _kvas, chips = (line_json(ln) for ln in promoted.lines)
    assert beer["promotion_discount"] == "120.00" and beer["promotions"][0]["benefit"] == "120.00"
    assert chips["free_of_charge"] is True and chips["promotion_id"] == FIVE_PLUS_ONE.id
    assert _kvas["promotions"] is None and _kvas["free_of_charge"] is False


def test_a_line_of_a_revision_kept_before_promotions_reads_as_unpromoted() -> None:
    ln = OrderLine.from_priced(1, priced()[0])
    old = line_json(ln)
    for key in ("promotion_discount", "promotions", "free_of_charge", "promotion_id"):
        del old[key]
    back = line_from_json(_through_json(old))
    assert back == ln
    assert (back.promotion_discount, back.promotions, back.free_of_charge, back.promotion_id) == (
        ZERO,
        (),
        False,
        "",
    )


def test_a_revision_keeps_its_promotions() -> None:
    lines, promoted = _promoted()
    order = Order.submit(header(), lines, "RUB", ALLOW, NOW, promoted)
    revision = order.current_revision()
    row = revision_row(order.id, revision, NOW)
    row.update(lines=_through_json(row["lines"]), promotions=_through_json(row["promotions"]))
    row["credit"] = _through_json(row["credit"])
    back = revision_from(SimpleNamespace(**row))  # type: ignore[arg-type]
    assert back == revision and back.promotions == promoted.promotions
    old = dict(row, promotions=None)
    assert revision_from(SimpleNamespace(**old)).promotions == ()  # type: ignore[arg-type]
