"""Orders priced with trade promotions in the export (docs/contexts/exchange.md, *Export*,
"Trade promotions"): a promoted line's discount includes what the promotions took off, so that
price × quantity − discount is the line's amount; a line a promotion gives is a zero-amount
line of its product at its price with a 100 % discount, named by the requisites `Акция
Fieldline` (the promotion's id) and `Бесплатно Fieldline`; the order names the promotions it
got. The figures are exact; the order is read from an orders `Order` proto through the
export's own reading, and what the writer makes of it validates against the published 2.10
schema (as tests/unit/test_commerceml_writer.py checks it: under the schema's namespace)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import grpc
import pytest
from lxml import etree

from fieldline.clients.v1 import clients_service_pb2 as ccs
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import orders_service_pb2 as os_pb
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline_exchange.adapters.commerceml import read
from fieldline_exchange.adapters.commerceml.writer import NAMESPACE
from fieldline_exchange.adapters.export_source import ExportSource
from fieldline_exchange.domain.export import (
    ORDER,
    AppliedPromotion,
    OrderDocument,
    OrderLine,
    Pending,
)
from fieldline_exchange.domain.records import Document
from fieldline_kit.grpc.convert import money, pb_date

from .test_commerceml_writer import CHEESE, KVAS, ORGANISATION, SCHEMA_NAMESPACE, schema, written

NS = {"c": NAMESPACE}
SPRING, KVAS_1_1, LATE = "promo-spring-5", "promo-kvas-1-1", "promo-late"


# ------------------------------------------------------------------ the figures
def line(**changes: Any) -> OrderLine:
    """KVAS (12 × 55.50, 10 % and 5 %: 569.43) with `changes`."""
    return replace(KVAS, **changes)


def test_a_line_without_promotions_keeps_its_figures() -> None:
    # 12 × 55.50 = 666.00; × 0.9 × 0.95 = 569.43: 96.57 off, 14.5 % exactly.
    assert (KVAS.discount_amount, KVAS.discount_percent) == (Decimal("96.57"), Decimal("14.5"))
    assert KVAS.discounted and not KVAS.promoted
    assert not CHEESE.discounted and CHEESE.discount_amount == 0


def test_a_promoted_line_discounts_what_the_promotions_took_off_too() -> None:
    # 569.43 less 5 % = 540.9585 → 540.96: the promotion took 28.47 off.
    promoted = line(
        amount=Decimal("540.96"),
        vat_amount=Decimal("90.16"),
        promotion_discount=Decimal("28.47"),
        promotion_ids=(SPRING,),
    )
    assert promoted.promoted and promoted.discounted
    assert promoted.discount_amount == Decimal("125.04")  # 96.57 + 28.47
    assert promoted.quantity * promoted.price - promoted.discount_amount == promoted.amount
    # 125.04 / 666.00 = 18.7747…%: to two decimals (the amount is the exact figure).
    assert promoted.discount_percent == Decimal("18.77")


def test_a_promotion_alone_on_a_weighed_line() -> None:
    # 1.255 kg × 55.55 = 69.71525 → 69.72; 0.10 off a kg: 69.58975 → 69.59, −0.13.
    weighed = OrderLine(
        product_id="cheese",
        name="Сыр",
        unit="kg",
        unit_name="кг",
        quantity=Decimal("1.255"),
        price=Decimal("55.55"),
        amount=Decimal("69.59"),
        vat_rate="10",
        vat_amount=Decimal("6.33"),
        promotion_discount=Decimal("0.13"),
        promotion_ids=(SPRING,),
    )
    assert weighed.discount_amount == Decimal("0.13")
    assert weighed.discount_percent == Decimal("0.19")  # 0.1864…%


def test_a_price_without_vat_discounts_in_its_own_terms() -> None:
    # 3 × 100.00 net, 10 % off by a promotion: net 270.00, VAT 54.00, gross 324.00. The
    # discount is the net's, as the rule and manual discounts' are for such a price.
    net_priced = OrderLine(
        product_id="water",
        name="Вода",
        unit="pcs",
        unit_name="шт",
        quantity=Decimal("3"),
        price=Decimal("100.00"),
        amount=Decimal("324.00"),
        vat_rate="20",
        vat_amount=Decimal("54.00"),
        promotion_discount=Decimal("30.00"),
        promotion_ids=(SPRING,),
    )
    assert (net_priced.discount_amount, net_priced.discount_percent) == (
        Decimal("30.00"),
        Decimal("10"),
    )


def test_a_free_line_is_its_list_amount_off_at_100_percent() -> None:
    free = line(
        quantity=Decimal("2"),
        amount=Decimal(0),
        vat_amount=Decimal(0),
        rule_discount_percent=Decimal(0),
        manual_discount_percent=Decimal(0),
        promotion_ids=(KVAS_1_1,),
        free_of_charge=True,
    )
    assert free.promoted and free.discounted
    assert (free.discount_amount, free.discount_percent) == (Decimal("111.00"), Decimal(100))
    assert free.quantity * free.price - free.discount_amount == 0


# ------------------------------------------------------------------ read from orders
def order_proto() -> opb.Order:
    """A pre-sale order of 12 kvas (10 % and 5 %, then "Весна 5 %"), 1.25 kg of cheese (no
    discount) and 2 kvas given by "Квас 1+1"; a promotion the device expected and did not
    get beside those it got."""

    def rub(amount: str) -> Any:
        return money(Decimal(amount), "RUB")

    return opb.Order(
        id="0f8fad5b-d9cb-469f-a165-70867728950e",
        kind=opb.ORDER_KIND_PRE_SALE,
        status=opb.ORDER_STATUS_CONFIRMED,
        client_id="client-1",
        order_date=pb_date(date(2026, 12, 7)),
        currency_code="RUB",
        lines=[
            opb.OrderLine(
                product_id="kvas",
                unit="pcs",
                quantity="12",
                base_quantity="12",
                unit_price=rub("55.50"),
                rule_discount_percent="10",
                manual_discount_percent="5",
                net_amount=rub("450.80"),
                vat_rate="20",
                vat_amount=rub("90.16"),
                gross_amount=rub("540.96"),
                promotion_discount=rub("28.47"),
                promotions=[
                    opb.LinePromotion(
                        promotion_id=SPRING,
                        benefit=rub("28.47"),
                        formula="Весна 5%: 5% off: 569.43 → 540.96, −28.47",
                    )
                ],
            ),
            opb.OrderLine(
                product_id="cheese",
                unit="kg",
                quantity="1.25",
                base_quantity="1.25",
                unit_price=rub("800"),
                net_amount=rub("909.09"),
                vat_rate="10",
                vat_amount=rub("90.91"),
                gross_amount=rub("1000.00"),
            ),
            opb.OrderLine(
                product_id="kvas",
                unit="pcs",
                quantity="2",
                base_quantity="2",
                unit_price=rub("55.50"),
                net_amount=rub("0"),
                vat_rate="20",
                vat_amount=rub("0"),
                gross_amount=rub("0"),
                promotions=[
                    opb.LinePromotion(
                        promotion_id=KVAS_1_1,
                        benefit=rub("99.90"),
                        formula="Квас 1+1: 12 bought → 2 free",
                    )
                ],
                free_of_charge=True,
                promotion_id=KVAS_1_1,
            ),
        ],
        net_total=rub("1359.89"),
        vat_total=rub("181.07"),
        gross_total=rub("1540.96"),
        version=3,
        revision=1,
        promotions=[
            opb.AppliedPromotion(
                promotion_id=SPRING,
                name="Весна 5%",
                status=opb.APPLIED_PROMOTION_STATUS_APPLIED,
                benefit=rub("28.47"),
            ),
            opb.AppliedPromotion(
                promotion_id=LATE,
                name="Осень",
                status=opb.APPLIED_PROMOTION_STATUS_ENDED,
                match=opb.PROMOTION_MATCH_MISSING,
                expected_benefit=rub("10.00"),
            ),
            opb.AppliedPromotion(
                promotion_id=KVAS_1_1,
                name="Квас 1+1",
                status=opb.APPLIED_PROMOTION_STATUS_APPLIED,
                benefit=rub("99.90"),
                budget_consumed="2",
            ),
        ],
    )


class Stub:
    """An RPC answering from a table (NOT_FOUND for anything else, as the services do)."""

    def __init__(self, answers: dict[str, Any], key: str) -> None:
        self._answers = answers
        self._key = key

    async def __call__(self, request: Any, **_: Any) -> Any:
        found = self._answers.get(getattr(request, self._key))
        if found is None:
            raise grpc.aio.AioRpcError(
                grpc.StatusCode.NOT_FOUND, grpc.aio.Metadata(), grpc.aio.Metadata()
            )
        return found


class Services:
    """What the export's reading calls: orders' GetOrder, the catalog's GetProduct, clients'
    GetClient."""

    timeout = 5.0

    def __init__(self, order: opb.Order) -> None:
        kvas = opb.Product(
            id="kvas",
            external_id="kvas-0.5",
            name="Квас 0,5 л",
            base_unit="pcs",
            units=[opb.ProductUnit(code="pcs", name="шт")],
        )
        cheese = opb.Product(id="cheese", external_id="cheese#gouda", name="Сыр", base_unit="kg")
        client = cpb.Client(
            id="client-1",
            external_id=ORGANISATION.id,
            name=ORGANISATION.name,
            inn=ORGANISATION.inn,
            kpp=ORGANISATION.kpp,
        )
        self.orders = type("Orders", (), {})()
        self.orders.GetOrder = Stub({order.id: os_pb.GetOrderResponse(order=order)}, "order_id")
        self.catalog = type("Catalog", (), {})()
        self.catalog.GetProduct = Stub(
            {p.id: cs.GetProductResponse(product=p) for p in (kvas, cheese)}, "product_id"
        )
        self.clients = type("Clients", (), {})()
        self.clients.GetClient = Stub(
            {"client-1": ccs.GetClientResponse(client=client)}, "client_id"
        )

    def as_partner(self, partner_id: str) -> tuple[tuple[str, str], ...]:
        return ()


async def exported(order: opb.Order) -> OrderDocument:
    source = ExportSource(Services(order))  # type: ignore[arg-type]
    [document] = await source.reading("partner-1").documents([Pending(41, ORDER, order.id, 3)])
    assert isinstance(document, OrderDocument)
    return document


async def test_an_order_read_from_orders_keeps_its_promotions() -> None:
    document = await exported(order_proto())
    promoted, cheese, free = document.lines
    assert (promoted.promotion_discount, promoted.promotion_ids, promoted.free_of_charge) == (
        Decimal("28.47"),
        (SPRING,),
        False,
    )
    assert (promoted.discount_amount, promoted.discount_percent) == (
        Decimal("125.04"),
        Decimal("18.77"),
    )
    assert not cheese.discounted and cheese.promotion_ids == ()
    assert (free.product_id, free.quantity, free.price, free.amount) == (
        "kvas-0.5",
        Decimal("2"),
        Decimal("55.50"),
        Decimal(0),
    )
    assert (free.promotion_ids, free.free_of_charge, free.promotion_discount) == (
        (KVAS_1_1,),
        True,
        Decimal(0),
    )
    assert (free.discount_amount, free.discount_percent) == (Decimal("111.00"), Decimal(100))
    # Those it got, in orders' order; the one the device expected and did not get is not
    # the ERP's business.
    assert document.promotions == (
        AppliedPromotion(SPRING, "Весна 5%", Decimal("28.47")),
        AppliedPromotion(KVAS_1_1, "Квас 1+1", Decimal("99.90")),
    )


async def test_an_order_without_promotions_reads_as_before() -> None:
    order = order_proto()
    order.ClearField("promotions")
    del order.lines[2]
    order.lines[0].ClearField("promotion_discount")
    order.lines[0].ClearField("promotions")
    document = await exported(order)
    kvas, _ = document.lines
    assert (kvas.promotion_discount, kvas.promotion_ids, kvas.free_of_charge) == (0, (), False)
    assert (kvas.discount_amount, kvas.discount_percent) == (Decimal("96.57"), Decimal("14.5"))
    assert document.promotions == ()


# ------------------------------------------------------------------ written
def requisites(element: Any) -> list[tuple[str, str]]:
    return [
        (r.findtext("c:Наименование", namespaces=NS), r.findtext("c:Значение", namespaces=NS))
        for r in element.iterfind("c:ЗначенияРеквизитов/c:ЗначениеРеквизита", NS)
    ]


async def test_a_promoted_order_is_what_the_published_schema_describes() -> None:
    xsd = schema()
    data = written(await exported(order_proto()))
    assert xsd.validate(etree.fromstring(data.replace(NAMESPACE.encode(), SCHEMA_NAMESPACE))), [
        (e.line, e.message) for e in xsd.error_log
    ]


async def test_each_line_comes_to_its_price_times_quantity_less_its_discount() -> None:
    root = etree.fromstring(written(await exported(order_proto())))
    lines = root.findall("c:Документ/c:Товары/c:Товар", NS)
    figures = []
    for el in lines:
        price = Decimal(el.findtext("c:ЦенаЗаЕдиницу", namespaces=NS))
        quantity = Decimal(el.findtext("c:Количество", namespaces=NS))
        off = Decimal(el.findtext("c:Скидки/c:Скидка/c:Сумма", default="0", namespaces=NS))
        amount = Decimal(el.findtext("c:Сумма", namespaces=NS))
        assert price * quantity - off == amount
        figures.append((price, quantity, off, amount))
    assert figures == [
        (Decimal("55.50"), Decimal("12"), Decimal("125.04"), Decimal("540.96")),
        (Decimal("800.00"), Decimal("1.25"), Decimal("0"), Decimal("1000.00")),
        (Decimal("55.50"), Decimal("2"), Decimal("111.00"), Decimal("0.00")),
    ]
    promoted, cheese, _ = lines
    discount = promoted.find("c:Скидки/c:Скидка", NS)
    assert [(c.tag.split("}")[1], c.text) for c in discount] == [
        ("Наименование", "Скидка"),
        ("Сумма", "125.04"),
        ("Процент", "18.77"),
        ("УчтеноВСумме", "true"),
    ]
    assert requisites(promoted)[2:] == [("Акция Fieldline", SPRING)]
    assert cheese.find("c:Скидки", NS) is None and len(requisites(cheese)) == 2


async def test_a_free_line_is_a_zero_amount_line_at_its_price_with_100_percent_off() -> None:
    root = etree.fromstring(written(await exported(order_proto())))
    free = root.findall("c:Документ/c:Товары/c:Товар", NS)[2]
    assert free.findtext("c:Ид", namespaces=NS) == "kvas-0.5"  # the product, as sold
    assert (
        free.findtext("c:ЦенаЗаЕдиницу", namespaces=NS),
        free.findtext("c:Сумма", namespaces=NS),
    ) == (
        "55.50",
        "0.00",
    )
    discount = free.find("c:Скидки/c:Скидка", NS)
    assert [(c.tag.split("}")[1], c.text) for c in discount] == [
        ("Наименование", "Скидка"),
        ("Сумма", "111.00"),
        ("Процент", "100"),
        ("УчтеноВСумме", "true"),
    ]
    # VAT at the product's rate, of nothing.
    assert free.findtext("c:Налоги/c:Налог/c:Сумма", namespaces=NS) == "0.00"
    assert free.findtext("c:Налоги/c:Налог/c:Ставка", namespaces=NS) == "20"
    assert requisites(free) == [
        ("ВидНоменклатуры", "Товар"),
        ("ТипНоменклатуры", "Товар"),
        ("Акция Fieldline", KVAS_1_1),
        ("Бесплатно Fieldline", "true"),
    ]


async def test_the_order_names_the_promotions_it_got() -> None:
    data = written(await exported(order_proto()))
    document = etree.fromstring(data).find("c:Документ", NS)
    said = requisites(document)
    assert [v for n, v in said if n == "Акция Fieldline"] == [SPRING, KVAS_1_1]
    assert dict(said)["Акции"] == "Весна 5% (28.47); Квас 1+1 (99.90)"
    assert said[-3:] == [
        ("Акция Fieldline", SPRING),
        ("Акция Fieldline", KVAS_1_1),
        ("Акции", "Весна 5% (28.47); Квас 1+1 (99.90)"),
    ]
    assert document.findtext("c:Сумма", namespaces=NS) == "1540.96"
    assert document.find("c:Скидки", NS) is None  # the lines hold every discount: none twice
    # The exchange's reader takes the order back, the free line a line of its own.
    [back] = [i for i in read(io.BytesIO(data)) if isinstance(i, Document)]
    assert [(x.product_id, x.quantity, x.amount) for x in back.lines] == [
        ("kvas-0.5", Decimal("12"), Decimal("540.96")),
        ("cheese#gouda", Decimal("1.25"), Decimal("1000.00")),
        ("kvas-0.5", Decimal("2"), Decimal("0.00")),
    ]


@pytest.mark.parametrize("count", [1, 40])
def test_the_promotions_named_fit_a_requisite(count: int) -> None:
    named = tuple(
        AppliedPromotion(f"promo-{i}", "Акция с длинным названием номер " + str(i), Decimal("1"))
        for i in range(count)
    )
    document = OrderDocument(
        order_id="o-1",
        number=1,
        version=1,
        kind="pre_sale",
        status="submitted",
        order_date=date(2026, 12, 7),
        created_at=datetime(2026, 12, 7, 6, 0, tzinfo=UTC),
        updated_at=None,
        delivery_date=None,
        currency="RUB",
        amount=Decimal("1000.00"),
        vat_amount=Decimal(0),
        buyer=ORGANISATION,
        lines=(CHEESE,),
        promotions=named,
    )
    data = written(document)
    summary = dict(requisites(etree.fromstring(data).find("c:Документ", NS)))["Акции"]
    assert len(summary) <= 1000
    assert summary.startswith("Акция с длинным названием номер 0 (1.00)")
    assert summary.endswith("…") == (count == 40)
    assert schema().validate(etree.fromstring(data.replace(NAMESPACE.encode(), SCHEMA_NAMESPACE)))
