"""The `promotions` section (docs/sync-protocol.md, *Sections*): scopes (catalog, or each named
client's and named outlet's client's account, one key per scope), territories expanded to
their descendants, each mechanic's body, the budget, the stop; and the window's grace day."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from google.type import date_pb2

from fieldline.orders.v1 import resources_pb2 as opb
from fieldline_gateway.adapters import projections_promotions as pp
from fieldline_gateway.adapters.projections import ProjectionError
from fieldline_gateway.domain.window import PROMOTIONS, Dated, out_of_window


def day(text: str) -> date_pb2.Date:
    d = date.fromisoformat(text)
    return date_pb2.Date(year=d.year, month=d.month, day=d.day)


def promotion(**kw: Any) -> opb.Promotion:
    values: dict[str, Any] = {
        "id": "p-1",
        "external_id": "SPRING-1",
        "name": "Весна −5 %",
        "valid_from": day("2026-12-01"),
        "valid_to": day("2026-12-31"),
        "currency_code": "RUB",
        "product_ids": ["w-1"],
        "percent_off": opb.PercentOff(percent="5"),
        "combinability": opb.PROMOTION_COMBINABILITY_STACKABLE,
        "version": 3,
    }
    values.update(kw)
    return opb.Promotion(**values)


def items(p: opb.Promotion, **kw: Any) -> list[tuple[str, str, Any]]:
    found = pp.promotion_items(
        p,
        version=p.version,
        outlet_clients=kw.get("outlet_clients", {}),
        territory_parents=kw.get("parents", {}),
    )
    assert all(i.section == "promotions" and i.version == p.version for i in found)
    return [(i.key, i.scope, json.loads(i.body)) for i in found]


def test_a_promotion_naming_no_client_or_outlet_is_the_catalog_s_whole_body() -> None:
    p = promotion(
        description="Вода",
        priority=2,
        targeting=opb.PromotionTargeting(
            outlet_channels=["HoReCa"],
            order_kinds=[opb.ORDER_KIND_PRE_SALE],
            order_channels=[opb.ORDER_CHANNEL_PHONE],
            distributor_ids=["", "d-1"],
        ),
        budget=opb.PromotionBudget(kind=opb.PROMOTION_BUDGET_KIND_MONEY, total="5000"),
    )
    [(key, scope, data)] = items(p)
    assert (key, scope) == ("p-1", "catalog")
    assert data == {
        "id": "p-1",
        "externalId": "SPRING-1",
        "name": "Весна −5 %",
        "description": "Вода",
        "validFrom": "2026-12-01",
        "validTo": "2026-12-31",
        "currency": "RUB",
        "stopped": False,
        "targeting": {
            "clientIds": [],
            "outletIds": [],
            "outletChannels": ["HoReCa"],
            "territoryIds": [],
            "orderKinds": ["preSale"],
            "orderChannels": ["phone"],
            "distributorIds": ["", "d-1"],
        },
        "productIds": ["w-1"],
        "groupIds": [],
        "mechanic": {"kind": "percentOff", "percent": "5"},
        "combinability": "stackable",
        "priority": 2,
        "budget": {"kind": "money", "total": "5000", "consumed": "0"},
        "version": 3,
    }


def test_each_named_client_and_each_named_outlet_s_client_is_a_scope_of_its_own() -> None:
    p = promotion(
        targeting=opb.PromotionTargeting(client_ids=["c-2", "c-1"], outlet_ids=["o-1", "o-9"])
    )
    # o-1's client is c-3; o-9 is not known to the gateway yet: no scope for it.
    found = items(p, outlet_clients={"o-1": "c-3"})
    assert [(k, s) for k, s, _ in found] == [
        ("p-1/c-1", "account:c-1"),
        ("p-1/c-2", "account:c-2"),
        ("p-1/c-3", "account:c-3"),
    ]
    assert len({json.dumps(d) for _, _, d in found}) == 1  # the same body in each
    # An outlet of a named client adds no second object.
    again = items(p, outlet_clients={"o-1": "c-1"})
    assert [k for k, _, _ in again] == ["p-1/c-1", "p-1/c-2"]
    # Outlets only, none known yet: nowhere (until an outlet's event re-projects it).
    assert items(promotion(targeting=opb.PromotionTargeting(outlet_ids=["o-9"]))) == []


def test_territories_are_sent_with_every_descendant() -> None:
    parents = {"ru": "", "msk": "ru", "msk-n": "msk", "msk-s": "msk", "spb": "ru", "x": "y"}
    p = promotion(targeting=opb.PromotionTargeting(territory_ids=["msk", "unknown"]))
    [(_, _, data)] = items(p, parents=parents)
    assert data["targeting"]["territoryIds"] == ["msk", "msk-n", "msk-s", "unknown"]
    assert pp.expand_territories(["ru"], parents) == ["msk", "msk-n", "msk-s", "ru", "spb"]
    assert pp.expand_territories(["a"], {"a": "b", "b": "a"}) == ["a", "b"]  # a cycle ends


@pytest.mark.parametrize(
    ("mechanic", "body"),
    [
        ({"amount_off": opb.AmountOff(amount="2.50")}, {"kind": "amountOff", "amount": "2.50"}),
        (
            {
                "free_goods": opb.FreeGoods(
                    buy_quantity="2", free_product_id="w-2", free_quantity="1", repeat=True
                )
            },
            {
                "kind": "freeGoods",
                "buyQuantity": "2",
                "freeProductId": "w-2",
                "freeQuantity": "1",
                "repeat": True,
            },
        ),
        (
            {"gift": opb.Gift(min_gross="1000", gift_product_id="g-1", gift_quantity="1")},
            {"kind": "gift", "minGross": "1000", "giftProductId": "g-1", "giftQuantity": "1"},
        ),
        (
            {"gift": opb.Gift(min_base_quantity="12", gift_product_id="g-1", gift_quantity="2")},
            {
                "kind": "gift",
                "minBaseQuantity": "12",
                "giftProductId": "g-1",
                "giftQuantity": "2",
            },
        ),
        (
            {
                "bundle_price": opb.BundlePrice(
                    components=[
                        opb.BundleComponent(product_id="a", base_quantity="1"),
                        opb.BundleComponent(product_id="b", base_quantity="2"),
                    ],
                    price="99.90",
                )
            },
            {
                "kind": "bundlePrice",
                "components": [
                    {"productId": "a", "baseQuantity": "1"},
                    {"productId": "b", "baseQuantity": "2"},
                ],
                "price": "99.90",
            },
        ),
    ],
)
def test_each_mechanic_s_body(mechanic: dict[str, Any], body: dict[str, Any]) -> None:
    p = promotion(**mechanic)  # the oneof: the later field replaces percent_off
    assert pp.mechanic(p) == body


def test_a_stopped_promotion_is_sent_stopped_with_its_time_and_budget_units() -> None:
    p = promotion(
        stopped=True,
        budget=opb.PromotionBudget(kind=opb.PROMOTION_BUDGET_KIND_UNITS, total="50", consumed="7"),
    )
    p.stop_time.FromSeconds(1_796_000_000)
    [(_, _, data)] = items(p)
    assert data["stopped"] is True
    assert data["stopTime"].endswith("Z")
    assert data["budget"] == {"kind": "units", "total": "50", "consumed": "7"}
    unlimited = items(promotion())[0][2]
    assert unlimited["budget"] == {"kind": "none"}
    assert "stopTime" not in unlimited


def test_a_promotion_without_an_id_makes_no_item() -> None:
    with pytest.raises(ProjectionError):
        items(promotion(id=""))


def test_a_promotion_leaves_the_devices_the_second_day_after_it_ends() -> None:
    end = date(2026, 12, 31)
    assert not out_of_window(PROMOTIONS, Dated(end), date(2026, 12, 31))
    assert not out_of_window(PROMOTIONS, Dated(end), date(2027, 1, 1))  # the grace day
    assert out_of_window(PROMOTIONS, Dated(end), date(2027, 1, 2))
    assert not out_of_window(PROMOTIONS, Dated(None), date(2027, 1, 2))
