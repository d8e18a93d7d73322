"""Catalog records: products, units and ratios, VAT rates, ids, price lists, discounts."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from fieldline_kit.errors import InvalidArgument
from fieldline_orders.domain.catalog import (
    ClientPrice,
    Discount,
    DiscountScope,
    PriceList,
    ProductGroup,
    ProductUnit,
    StockLevel,
    find_cycle,
    group_ancestry,
)
from fieldline_orders.domain.values import BEGINNING, NAMESPACE, derive_id, fmt

from .orders_factories import new_id, product

D = Decimal


@pytest.mark.parametrize("rate", ["0", "10", "20", "22", "20.0", "22.000"])
def test_allowed_vat_rates(rate: str) -> None:
    assert product(vat=rate).vat_rate in (D(0), D(10), D(20), D(22))


@pytest.mark.parametrize("rate", ["18", "-10", "", "twenty", "12.5", "100"])
def test_other_vat_rates_are_refused(rate: str) -> None:
    with pytest.raises(
        InvalidArgument, match=r"products\[0\]\.vat_rate: must be one of 0, 10, 20, 22"
    ):
        product(vat=rate)


def test_ids_derive_from_external_ids_stably() -> None:
    a = product(sku="SKU-1")
    b = product(sku="SKU-1")
    assert a.id == b.id == str(uuid.uuid5(NAMESPACE, "product:SKU-1"))
    assert derive_id("product", "SKU-1") != derive_id("price_list", "SKU-1")


def test_units_base_unit_added_with_ratio_1() -> None:
    p = product(units=(("box", "Коробка", "12"),))
    assert p.units == (ProductUnit("pcs", "pcs", D(1)), ProductUnit("box", "Коробка", D(12)))
    assert p.unit("f", "").code == "pcs"
    assert p.unit("f", "box").ratio == 12
    assert p.pack_unit == "pcs"


@pytest.mark.parametrize(
    ("units", "message"),
    [
        ((("pcs", "шт", "2"),), r"units\[0\]\.ratio: the base unit 'pcs' must have ratio 1"),
        ((("box", "", "0"),), r"units\[0\]\.ratio: must be positive"),
        ((("box", "", "-12"),), r"units\[0\]\.ratio: must be positive"),
        ((("box", "", "abc"),), r"units\[0\]\.ratio: must be a decimal"),
        ((("box", "", "0.0000001"),), r"units\[0\]\.ratio: must have at most 6 decimal places"),
        ((("box", "", "12"), ("box", "", "6")), r"units\[1\]\.code: unit 'box' is listed twice"),
        ((("", "", "12"),), r"units\[0\]\.code: must not be empty"),
    ],
)
def test_bad_units(units: tuple[tuple[str, str, str], ...], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        product(units=units)


def test_pack_unit_must_be_a_unit() -> None:
    assert product(pack_unit="box").pack_unit == "box"
    with pytest.raises(InvalidArgument, match=r"pack_unit: 'keg' is not one of"):
        product(pack_unit="keg")


def test_containers() -> None:
    p = product(container="keg-50", per_unit="")
    assert p.containers_per_unit == 1
    assert p.containers_for(D(3)) == 3
    assert product().containers_for(D(3)) == 0
    assert product(container="crate-20", per_unit="0.05").containers_for(D(40)) == 2
    with pytest.raises(InvalidArgument, match="must be 0 when there is no container_type"):
        product(per_unit="1")


def test_group_ancestry_and_cycles() -> None:
    a, b, c = new_id(), new_id(), new_id()
    parents = {c: b, b: a, a: ""}
    assert group_ancestry(c, parents) == (c, b, a)
    assert group_ancestry("", parents) == ()
    assert find_cycle(parents) is None
    assert find_cycle({**parents, a: c}) is not None
    with pytest.raises(InvalidArgument, match="its own parent"):
        ProductGroup.create("groups[0]", id=a, external_id="G", name="Пиво", parent_id=a)


def test_price_list_validation() -> None:
    pt_id, pid = new_id(), new_id()
    ok = PriceList.create(
        "price_lists[0]",
        id="",
        external_id="PL-1",
        price_type_id=pt_id,
        valid_from=date(2024, 1, 1),
        valid_to=None,
        entries=[(pid, D("10.50"), "RUB")],
    )
    assert ok.entries == {pid: D("10.50")}
    ok.check_currency("price_lists[0]", "RUB")
    with pytest.raises(
        InvalidArgument, match=r"price_lists\[0\]\.entries: .* currency USD, got RUB"
    ):
        ok.check_currency("price_lists[0]", "USD")

    def make(**kw: object) -> PriceList:
        values: dict[str, object] = {
            "id": "",
            "external_id": "PL-1",
            "price_type_id": pt_id,
            "valid_from": date(2024, 1, 1),
            "valid_to": None,
            "entries": [(pid, D(1), "")],
        }
        values.update(kw)
        return PriceList.create("price_lists[0]", **values)  # type: ignore[arg-type]

    with pytest.raises(InvalidArgument, match=r"valid_from: is required"):
        make(valid_from=None)
    with pytest.raises(InvalidArgument, match=r"valid_to: must not be before"):
        make(valid_to=date(2023, 12, 31))
    with pytest.raises(InvalidArgument, match=r"entries\[1\]\.product_id: .* twice"):
        make(entries=[(pid, D(1), ""), (pid, D(2), "")])
    with pytest.raises(InvalidArgument, match=r"entries\[0\]\.price: must have at most 2"):
        make(entries=[(pid, D("1.005"), "")])
    with pytest.raises(InvalidArgument, match=r"entries\[0\]\.price: must not be negative"):
        make(entries=[(pid, D("-1"), "")])
    with pytest.raises(InvalidArgument, match=r"price_lists\[0\]\.external_id"):
        make(external_id="  ")


def test_client_price_validation() -> None:
    with pytest.raises(InvalidArgument, match=r"prices\[0\]\.price\.currency_code"):
        ClientPrice.create(
            "prices[0]",
            client_id=new_id(),
            product_id=new_id(),
            price=D(1),
            currency="",
            valid_from=date(2024, 1, 1),
            valid_to=None,
        )


def test_discount_shapes() -> None:
    g, p, c = new_id(), new_id(), new_id()

    def make(scope: DiscountScope | None, **kw: object) -> Discount:
        values: dict[str, object] = {
            "id": "",
            "external_id": "D-1",
            "scope": scope,
            "client_id": "",
            "group_id": "",
            "product_id": "",
            "percent_": "5",
            "volume_breaks": [],
            "valid_from": None,
            "valid_to": None,
        }
        values.update(kw)
        return Discount.create("discounts[0]", **values)  # type: ignore[arg-type]

    assert make(DiscountScope.CLIENT, client_id=c).valid_from == BEGINNING
    assert make(DiscountScope.GROUP, group_id=g).client_id == ""
    assert make(DiscountScope.PRODUCT, product_id=p, client_id=c).client_id == c
    d = make(DiscountScope.PRODUCT, product_id=p, volume_breaks=[("24", "7"), ("12", "6")])
    assert [fmt(b.min_quantity) for b in d.volume_breaks] == ["12", "24"]
    bad = [
        (dict(scope=None), "scope: is required"),
        (dict(scope=DiscountScope.CLIENT), "client_id: is required"),
        (dict(scope=DiscountScope.CLIENT, client_id=c, group_id=g), "names no group_id"),
        (dict(scope=DiscountScope.GROUP), "group_id: is required"),
        (dict(scope=DiscountScope.GROUP, group_id=g, product_id=p), "product_id: must be empty"),
        (dict(scope=DiscountScope.PRODUCT), "product_id: is required"),
        (dict(scope=DiscountScope.PRODUCT, product_id=p, percent_="101"), r"within \[0, 100\]"),
        (
            dict(scope=DiscountScope.PRODUCT, product_id=p, volume_breaks=[("0", "1")]),
            r"volume_breaks\[0\]\.min_quantity: must be positive",
        ),
        (
            dict(scope=DiscountScope.PRODUCT, product_id=p, volume_breaks=[("5", "1"), ("5", "2")]),
            r"volume_breaks\[1\]\.min_quantity: 5 is listed twice",
        ),
        (
            dict(
                scope=DiscountScope.PRODUCT,
                product_id=p,
                valid_from=date(2024, 5, 1),
                valid_to=date(2024, 4, 1),
            ),
            "valid_to: must not be before",
        ),
    ]
    for kw, message in bad:
        scope = kw.pop("scope")
        with pytest.raises(InvalidArgument, match=message):
            make(scope, **kw)  # type: ignore[arg-type]


def test_stock_level() -> None:
    s = StockLevel.create("levels[0]", warehouse_id=new_id(), product_id=new_id(), qty="12.5")
    assert s.quantity == D("12.5")
    with pytest.raises(InvalidArgument, match=r"levels\[0\]\.quantity: must not be negative"):
        StockLevel.create("levels[0]", warehouse_id=new_id(), product_id=new_id(), qty="-1")
    with pytest.raises(InvalidArgument, match=r"levels\[0\]\.warehouse_id: must be a UUID"):
        StockLevel.create("levels[0]", warehouse_id="W1", product_id=new_id(), qty="1")


def test_fmt() -> None:
    assert [fmt(D(x)) for x in ("12.000", "0.50", "0", "-0.0", "1E+2", "100")] == [
        "12",
        "0.5",
        "0",
        "0",
        "100",
        "100",
    ]
