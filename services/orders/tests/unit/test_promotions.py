"""Trade promotions' definition and eligibility (domain/promotions.py): pure, no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from fieldline_kit.errors import InvalidArgument
from fieldline_kit.testing.helpers import new_id
from fieldline_orders.domain.orders import OrderChannel, OrderKind
from fieldline_orders.domain.promotions import (
    BudgetInput,
    BudgetKind,
    Bundle,
    Combinability,
    FreeGoods,
    MechanicInput,
    OrderFacts,
    OutletFacts,
    PercentOff,
    Promotion,
    Targeting,
    TargetingInput,
    Verdict,
    offered,
    territory_chain,
)

D = Decimal
MAY_1, MAY_31 = date(2026, 5, 1), date(2026, 5, 31)
NOON = datetime(2026, 5, 10, 12, tzinfo=UTC)
OUTLET = OutletFacts(new_id(), new_id(), "HoReCa", "moscow-north")
# moscow-north → moscow → russia
PARENTS = {"moscow-north": "moscow", "moscow": "russia", "russia": "", "spb": "russia"}
PRODUCT = new_id()


def made(**kw: Any) -> Promotion:
    values: dict[str, Any] = {
        "id": "",
        "external_id": "SPRING-5",
        "name": "Весна −5 %",
        "description": "",
        "valid_from": MAY_1,
        "valid_to": MAY_31,
        "currency": "RUB",
        "targeting": TargetingInput(),
        "product_ids": [PRODUCT],
        "group_ids": [],
        "mechanic": MechanicInput("percent_off", percent="5"),
        "combinability": Combinability.STACKABLE,
        "priority": 0,
        "budget": BudgetInput(),
    }
    values.update(kw)
    return Promotion.create("promotions[0]", **values)


def order(**kw: Any) -> OrderFacts:
    values: dict[str, Any] = {
        "outlet": OUTLET,
        "kind": OrderKind.PRE_SALE,
        "channel": OrderChannel.FIELD,
        "distributor_id": "",
        "order_date": date(2026, 5, 10),
        "currency_code": "RUB",
    }
    values.update(kw)
    return OrderFacts(**values)


def judge(p: Promotion, o: OrderFacts, today: date = date(2026, 5, 10)) -> Verdict | None:
    return p.judge(o, arrived_at=NOON, today=today, grace_days=1, parents=PARENTS)


# ------------------------------------------------------------------------------ targeting
def test_the_territory_chain_walks_up_and_stops_on_a_cycle() -> None:
    assert territory_chain("moscow-north", PARENTS) == {"moscow-north", "moscow", "russia"}
    assert territory_chain("a", {"a": "b", "b": "a"}) == {"a", "b"}
    assert territory_chain("", PARENTS) == frozenset()


@pytest.mark.parametrize(
    ("targeting", "matches"),
    [
        (Targeting(), True),
        (Targeting(client_ids=frozenset({OUTLET.client_id})), True),
        (Targeting(client_ids=frozenset({new_id()})), False),
        (Targeting(outlet_ids=frozenset({OUTLET.outlet_id, new_id()})), True),
        (Targeting(outlet_ids=frozenset({new_id()})), False),
        (Targeting(outlet_channels=frozenset({"HoReCa"})), True),
        (Targeting(outlet_channels=frozenset({"horeca"})), False),  # compared exactly
        (Targeting(territory_ids=frozenset({"moscow"})), True),  # a descendant's outlet
        (Targeting(territory_ids=frozenset({"russia"})), True),
        (Targeting(territory_ids=frozenset({"spb"})), False),  # a sibling's
        (Targeting(order_kinds=frozenset({OrderKind.PRE_SALE})), True),
        (Targeting(order_kinds=frozenset({OrderKind.VAN_SALE})), False),
        (Targeting(order_channels=frozenset({OrderChannel.FIELD})), True),
        (Targeting(order_channels=frozenset({OrderChannel.PHONE})), False),
        (Targeting(distributor_ids=frozenset({""})), True),  # the company's orders
        (Targeting(distributor_ids=frozenset({new_id()})), False),
        # AND across lists: one failing list is enough.
        (
            Targeting(
                outlet_channels=frozenset({"HoReCa"}), order_kinds=frozenset({OrderKind.VAN_SALE})
            ),
            False,
        ),
    ],
)
def test_every_targeting_dimension(targeting: Targeting, matches: bool) -> None:
    assert targeting.matches(order(), PARENTS) is matches


def test_a_distributor_s_order_matches_its_distributor_only() -> None:
    d = new_id()
    t = Targeting(distributor_ids=frozenset({d}))
    assert t.matches(order(distributor_id=d), PARENTS)
    assert not t.matches(order(), PARENTS)


# ------------------------------------------------------------------------------ the period
def test_the_period_is_judged_on_the_order_date_and_the_arrival_on_the_server_s_day() -> None:
    p = made()
    assert judge(p, order()) is None
    assert judge(p, order(order_date=date(2026, 4, 30))) is Verdict.NOT_ELIGIBLE
    assert judge(p, order(order_date=date(2026, 6, 1))) is Verdict.NOT_ELIGIBLE
    # The last day's order uploaded the next morning still gets it (1 grace day) …
    assert judge(p, order(order_date=MAY_31), today=date(2026, 6, 1)) is None
    # … two days later it does not.
    assert judge(p, order(order_date=MAY_31), today=date(2026, 6, 2)) is Verdict.ENDED
    assert (
        p.judge(
            order(order_date=MAY_31),
            arrived_at=NOON,
            today=date(2026, 6, 2),
            grace_days=2,
            parents=PARENTS,
        )
        is None
    )


def test_another_currency_is_not_eligible() -> None:
    assert judge(made(), order(currency_code="USD")) is Verdict.NOT_ELIGIBLE


def test_a_stopped_promotion_is_not_given_to_orders_arriving_after_the_stop() -> None:
    p = made().with_stop(True, NOON, None)
    before = p.judge(
        order(),
        arrived_at=datetime(2026, 5, 10, 11, tzinfo=UTC),
        today=date(2026, 5, 10),
        grace_days=1,
        parents=PARENTS,
    )
    assert before is None
    assert judge(p, order()) is Verdict.STOPPED
    # Stopped again later: the first stop holds; an upsert without `stopped` restarts it.
    again = made().with_stop(True, datetime(2026, 5, 20, tzinfo=UTC), p)
    assert again.stopped_at == NOON
    assert made().with_stop(False, NOON, p).stopped_at is None
    assert not p.active_on(date(2026, 5, 11))


def test_offered_at_an_outlet_leaves_out_other_outlets_periods_and_stops() -> None:
    mine = made(external_id="A", targeting=TargetingInput(outlet_channels=["HoReCa"]))
    others = made(external_id="B", targeting=TargetingInput(outlet_channels=["Retail"]))
    later = made(external_id="C", valid_from=date(2026, 5, 20))
    stopped = made(external_id="D").with_stop(True, NOON, None)
    # The order's own dimensions are not judged here.
    vans = made(external_id="E", targeting=TargetingInput(order_kinds=[OrderKind.VAN_SALE]))
    day = date(2026, 5, 10)
    found = offered([mine, others, later, stopped, vans], OUTLET, day, PARENTS)
    assert [p.id for p in found] == sorted([mine.id, vans.id])


# ------------------------------------------------------------------------------ validation
def test_a_promotion_as_sent_is_checked_field_by_field() -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"external_id": ""}, "promotions[0].external_id"),
        ({"name": " "}, "promotions[0].name"),
        ({"valid_from": None}, "promotions[0].valid_from"),
        ({"valid_to": None}, "promotions[0].valid_to"),
        ({"valid_to": date(2026, 4, 30)}, "promotions[0].valid_to"),
        ({"currency": "rub"}, "promotions[0].currency_code"),
        ({"combinability": None}, "promotions[0].combinability"),
        ({"mechanic": None}, "promotions[0].mechanic"),
        (
            {"mechanic": MechanicInput("percent_off", percent="0")},
            "promotions[0].percent_off.percent",
        ),
        (
            {"mechanic": MechanicInput("percent_off", percent="100.5")},
            "promotions[0].percent_off.percent",
        ),
        (
            {"mechanic": MechanicInput("amount_off", amount="1.005")},
            "promotions[0].amount_off.amount",
        ),
        (
            {
                "mechanic": MechanicInput(
                    "free_goods", buy_quantity="2", product_id="x", quantity="1"
                )
            },
            "promotions[0].free_goods.free_product_id",
        ),
        (
            {"mechanic": MechanicInput("gift", product_id=PRODUCT, quantity="1")},
            "promotions[0].gift.min_gross",
        ),
        (
            {
                "mechanic": MechanicInput(
                    "gift", min_gross="100", min_base_quantity="5", product_id=PRODUCT, quantity="1"
                )
            },
            "promotions[0].gift.min_gross",
        ),
        (
            {
                "product_ids": [],
                "mechanic": MechanicInput("bundle_price", components=[(PRODUCT, "1")], price="9"),
            },
            "promotions[0].bundle_price.components",
        ),
        (
            {
                "product_ids": [],
                "mechanic": MechanicInput(
                    "bundle_price", components=[(PRODUCT, "1"), (PRODUCT, "2")], price="9"
                ),
            },
            "promotions[0].bundle_price.components[1].product_id",
        ),
        (
            {"mechanic": MechanicInput("amount_off", amount="1"), "product_ids": []},
            "promotions[0].product_ids",
        ),
        ({"product_ids": ["nope"]}, "promotions[0].product_ids[0]"),
        (
            {"targeting": TargetingInput(territory_ids=["x"])},
            "promotions[0].targeting.territory_ids[0]",
        ),
        (
            {"targeting": TargetingInput(outlet_channels=[""])},
            "promotions[0].targeting.outlet_channels[0]",
        ),
        (
            {"targeting": TargetingInput(order_kinds=[None])},
            "promotions[0].targeting.order_kinds[0]",
        ),
        (
            {"targeting": TargetingInput(order_channels=[None])},
            "promotions[0].targeting.order_channels[0]",
        ),
        ({"budget": BudgetInput(BudgetKind.UNITS, "10")}, "promotions[0].budget.kind"),
        ({"budget": BudgetInput(None, "10")}, "promotions[0].budget.kind"),
        ({"budget": BudgetInput(BudgetKind.MONEY, "0")}, "promotions[0].budget.total"),
    ]
    for changes, field in cases:
        with pytest.raises(InvalidArgument) as err:
            made(**changes)
        assert err.value.field == field, (changes, err.value)


def test_the_mechanics_and_budgets_as_made() -> None:
    p = made(budget=BudgetInput(BudgetKind.MONEY, "50000"))
    assert p.mechanic == PercentOff(D(5)) and p.budget.total == D(50000)
    assert p.id == made().id  # derived from the external id, stable
    free = made(
        mechanic=MechanicInput(
            "free_goods", buy_quantity="2", product_id=PRODUCT, quantity="1", repeat=True
        ),
        budget=BudgetInput(BudgetKind.UNITS, "50"),
    )
    assert free.mechanic == FreeGoods(D(2), PRODUCT, D(1), True)
    other = new_id()
    bundle = made(
        product_ids=[],
        mechanic=MechanicInput(
            "bundle_price", components=[(other, "1"), (PRODUCT, "2")], price="99.90"
        ),
    )
    assert bundle.mechanic == Bundle(tuple(sorted([(other, D(1)), (PRODUCT, D(2))])), D("99.90"))
    assert bundle.product_ids == {other, PRODUCT}  # its set is its components
    everything = made(product_ids=[])  # percent off every product
    assert everything.product_ids == frozenset()
    assert replace(p, version=7).same_content(p)
