"""The export's CommerceML 2.10 (docs/contexts/exchange.md, *Export*): what the writer writes —
orders, cash payments, outlets — validates against the published 2.10 schema, and orders and
payments read back through the exchange's own reader, document for document and line for
line.

The published schema (../shared/commerceml/xsd/commerceml-2.10.xsd; those tests skip when it
is absent) declares the namespace `urn:1C.ru:commerceml_2`, while 1C since 2.08 writes and
reads `urn:1C.ru:commerceml_210` — which the export writes, as the model says. So the schema
refuses every export for its namespace alone, as it would refuse every modern 1C file: the
test checks exactly that, then validates the same bytes under the schema's namespace."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from fieldline_exchange.adapters.commerceml import inspect, read
from fieldline_exchange.adapters.commerceml.writer import NAMESPACE, DocumentsWriter
from fieldline_exchange.adapters.documents_sink import confirmed_revision, order_status
from fieldline_exchange.domain.export import (
    ExportDocument,
    OrderDocument,
    OrderLine,
    OutletDocument,
    Party,
    PaymentDocument,
    newer,
)
from fieldline_exchange.domain.records import Counterparty, Document, Skip

XSD = Path(__file__).resolve().parents[5] / ".." / "shared" / "commerceml" / "xsd"
SCHEMA_2_10 = XSD / "commerceml-2.10.xsd"
SCHEMA_NAMESPACE = b"urn:1C.ru:commerceml_2"
MOSCOW = ZoneInfo("Europe/Moscow")

ORGANISATION = Party(
    id="9b7e7a52-1c2d-11ee-be56-0242ac120002",
    name="ООО «Продукты»",
    inn="7701234567",
    kpp="770101001",
    address="Москва, ул. Тверская, 1",
)
ENTREPRENEUR = Party(id="c-2", name="ИП Иванов И. И.", inn="770123456789")
KVAS = OrderLine(
    product_id="kvas-0.5",
    name="Квас 0,5 л",
    unit="pcs",
    unit_name="шт",
    quantity=Decimal("12"),
    price=Decimal("55.50"),
    amount=Decimal("572.08"),  # 666.00 less 10 % and 5 %, VAT included
    vat_rate="20",
    vat_amount=Decimal("95.35"),
    rule_discount_percent=Decimal("10"),
    manual_discount_percent=Decimal("5"),
)
CHEESE = OrderLine(
    product_id="cheese#gouda",
    name="Сыр весовой",
    unit="kg",
    unit_name="",
    quantity=Decimal("1.25"),
    price=Decimal("800"),
    amount=Decimal("1000.00"),
    vat_rate="10",
    vat_amount=Decimal("90.91"),
)
BREAD = OrderLine(
    product_id="bread",
    name="Хлеб",
    unit="loaf",
    unit_name="бух",
    quantity=Decimal("3"),
    price=Decimal("40"),
    amount=Decimal("120.00"),
    vat_rate="",
    vat_amount=Decimal(0),
)
ORDER = OrderDocument(
    order_id="0f8fad5b-d9cb-469f-a165-70867728950e",
    number=41,
    version=3,
    kind="pre_sale",
    status="confirmed",
    order_date=date(2026, 12, 7),
    created_at=datetime(2026, 12, 7, 6, 30, 5, tzinfo=UTC),
    updated_at=datetime(2026, 12, 7, 8, 0, tzinfo=UTC),
    delivery_date=date(2026, 12, 8),
    currency="RUB",
    amount=Decimal("1572.08"),
    vat_amount=Decimal("186.26"),
    buyer=ORGANISATION,
    lines=(KVAS, CHEESE),
    comment="Доставка до 12:00",
    revision=2,
)
VAN_SALE = replace(
    ORDER,
    order_id="7c9e6679-7425-40de-944b-e07fc1f90ae7",
    number=42,
    kind="van_sale",
    status="cancelled",
    delivery_date=None,
    amount=Decimal("120.00"),
    vat_amount=Decimal(0),
    buyer=ENTREPRENEUR,
    lines=(BREAD,),
    comment="",
    revision=0,
)


CASH = PaymentDocument(
    payment_id="5d0c9a7e-7b6f-4f0e-9a43-2f3c4b5a6d7e",
    number=3,
    version=1,
    payment_date=date(2026, 12, 7),
    currency="RUB",
    amount=Decimal("1500.00"),
    payer=ORGANISATION,
    outlet_id="outlet-1",
    receipt_number="Ч-0042",
    collected_by="agent-7",
    allocations=(("invoice-1", Decimal("1200.00")),),
    unallocated=Decimal("300.00"),
)
OUTLET = OutletDocument(
    outlet_id="outlet-1",
    number=4,
    version=2,
    client=ORGANISATION,
    name="Продукты у дома",
    address="Москва, ул. Новая, 1",
    status="active",
    created_on=date(2026, 12, 1),
    channel="Традиционная розница",
    latitude=Decimal("55.75"),
    longitude=Decimal("37.61"),
)


def written(*documents: ExportDocument) -> bytes:
    out = io.BytesIO()
    moment = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    with DocumentsWriter(out, tz=MOSCOW, generated_at=moment) as writer:
        writer.write_all(documents)
    return out.getvalue()


def schema() -> etree.XMLSchema:
    if not SCHEMA_2_10.is_file():
        pytest.skip(f"the published CommerceML schema is not at {XSD}")
    return etree.XMLSchema(etree.parse(str(SCHEMA_2_10)))


def test_the_export_is_what_the_published_2_10_schema_describes() -> None:
    xsd = schema()
    data = written(ORDER, VAN_SALE)
    # As written (the namespace 1C writes): refused for the root's namespace, nothing else.
    assert not xsd.validate(etree.fromstring(data))
    [refusal] = [e.message for e in xsd.error_log]
    assert NAMESPACE in refusal and "No matching global declaration" in refusal, refusal
    # Under the schema's own namespace: valid.
    assert NAMESPACE.encode() in data
    assert xsd.validate(etree.fromstring(data.replace(NAMESPACE.encode(), SCHEMA_NAMESPACE))), [
        (e.line, e.message) for e in xsd.error_log
    ]


def test_payments_and_outlets_are_documents_the_schema_takes_and_payments_read_back() -> None:
    data = written(ORDER, CASH, OUTLET)
    assert schema().validate(
        etree.fromstring(data.replace(NAMESPACE.encode(), SCHEMA_NAMESPACE))
    ), [(e.line, e.message) for e in schema().error_log]
    items = list(read(io.BytesIO(data)))
    [order, payment] = [i for i in items if isinstance(i, Document)]
    assert order.id == ORDER.order_id
    assert (payment.id, payment.operation, payment.amount) == (
        CASH.payment_id,
        "payment",
        Decimal("1500.00"),
    )
    assert payment.counterparty_ids == (ORGANISATION.id,)
    assert dict(payment.requisites)["Номер чека"] == "Ч-0042"
    assert ("Оплата счета", "invoice-1 1200.00") in payment.requisites
    # An outlet is a document of the ERP's "other" kind: the exchange's reader leaves it out.
    [skipped] = [i for i in items if isinstance(i, Skip)]
    assert (skipped.id, skipped.reason) == (OUTLET.outlet_id, "unsupported-operation")
    requisites = {
        r.findtext(f"{{{NAMESPACE}}}Наименование"): r.findtext(f"{{{NAMESPACE}}}Значение")
        for r in etree.fromstring(data).iter(f"{{{NAMESPACE}}}ЗначениеРеквизита")
    }
    assert requisites["Вид документа"] == "Торговая точка"
    assert (requisites["Широта"], requisites["Долгота"]) == ("55.75", "37.61")


def test_an_empty_export_is_a_valid_empty_document_set() -> None:
    data = written()
    root = etree.fromstring(data)
    assert root.tag == f"{{{NAMESPACE}}}КоммерческаяИнформация" and len(root) == 0
    assert root.get("ВерсияСхемы") == "2.10"
    assert root.get("ДатаФормирования") == "2026-12-07T12:00:00"  # Moscow, no offset
    assert schema().validate(etree.fromstring(data.replace(NAMESPACE.encode(), SCHEMA_NAMESPACE)))


def test_the_exchange_reads_its_own_export_back(tmp_path: Path) -> None:
    data = written(ORDER, VAN_SALE)
    items = list(read(io.BytesIO(data)))
    assert not [i for i in items if isinstance(i, Skip)]
    documents = [i for i in items if isinstance(i, Document)]
    buyers = {i.id: i for i in items if isinstance(i, Counterparty)}
    assert [d.id for d in documents] == [ORDER.order_id, VAN_SALE.order_id]
    assert [len(d.lines) for d in documents] == [2, 1]
    order = documents[0]
    assert (order.number, order.date, order.operation, order.role, order.currency) == (
        "41",
        date(2026, 12, 7),
        "order",
        "seller",
        "RUB",
    )
    assert order.amount == Decimal("1572.08")
    assert order.counterparty_ids == (ORGANISATION.id,)
    assert [(x.product_id, x.quantity, x.price, x.amount) for x in order.lines] == [
        ("kvas-0.5", Decimal("12"), Decimal("55.50"), Decimal("572.08")),
        ("cheese#gouda", Decimal("1.25"), Decimal("800.00"), Decimal("1000.00")),
    ]
    said = dict(order.requisites)
    assert said["Статус заказа"] == "Подтвержден" and said["Статус Fieldline"] == "confirmed"
    assert said["Отменен"] == "false" and said["Вид заказа"] == "Предзаказ"
    assert said["Дата изменения статуса"] == "2026-12-07 11:00:00"
    assert said["Дата доставки"] == "2026-12-08"
    assert said["Ревизия Fieldline"] == "2"  # the revision the ERP confirms, echoed back
    assert dict(documents[1].requisites)["Отменен"] == "true"
    assert "Ревизия Fieldline" not in dict(documents[1].requisites)  # none: not written
    organisation = buyers[ORGANISATION.id]
    assert (organisation.inn, organisation.kpp, organisation.address, organisation.role) == (
        "7701234567",
        "770101001",
        "Москва, ул. Тверская, 1",
        "buyer",
    )
    assert buyers[ENTREPRENEUR.id].inn == "770123456789" and buyers[ENTREPRENEUR.id].kpp == ""
    # What inspect says of the file (the counts an import of it would report).
    path = tmp_path / "orders.xml"
    path.write_bytes(data)
    counts = inspect(path)
    assert (counts["kind"], counts["version"]) == ("documents", "2.10")
    assert (counts["documents"], counts["document_lines"], counts["counterparties"]) == (2, 3, 2)


def test_an_export_read_back_names_its_revision_and_moves_no_order() -> None:
    """What the documents import makes of an exported order sent back as it was: the revision
    it would confirm, and no status (the requisites that move an order are never written;
    `Отменен` aside, which a cancelled order's document says `true`)."""
    order, van_sale = [
        i for i in read(io.BytesIO(written(ORDER, VAN_SALE))) if isinstance(i, Document)
    ]
    assert order_status(order.requisites) is None
    assert confirmed_revision(order.requisites) == 2
    assert confirmed_revision(van_sale.requisites) == 0  # none named: any revision


@pytest.mark.parametrize(
    ("value", "revision"),
    [("3", 3), (" 12 ", 12), ("", 0), ("два", 0), ("-1", 0), ("2.0", 0), ("9" * 19, 0)],
)
def test_the_revision_an_erp_document_confirms(value: str, revision: int) -> None:
    said = [("Проведен", "true"), ("ревизия fieldline", value)]
    assert confirmed_revision(said) == revision
    assert confirmed_revision([("Проведен", "true")]) == 0


def test_lines_carry_their_unit_taxes_and_discount() -> None:
    root = etree.fromstring(written(ORDER))
    ns = {"c": NAMESPACE}
    kvas, cheese = root.findall("c:Документ/c:Товары/c:Товар", ns)
    unit = kvas.find("c:БазоваяЕдиница", ns)
    assert (unit.text, unit.get("Код"), unit.get("МеждународноеСокращение")) == ("шт", "796", "PCE")
    assert cheese.find("c:БазоваяЕдиница", ns).text == "кг"  # OKEI's short name when none given
    assert kvas.findtext("c:Налоги/c:Налог/c:Ставка", namespaces=ns) == "20"
    assert kvas.findtext("c:Скидки/c:Скидка/c:Процент", namespaces=ns) == "14.5"
    # 12 × 55.50 = 666.00; × 0.9 × 0.95 = 569.43; the discount 96.57 (the price's own terms).
    assert kvas.findtext("c:Скидки/c:Скидка/c:Сумма", namespaces=ns) == "96.57"
    assert cheese.find("c:Скидки", ns) is None
    document = root.find("c:Документ", ns)
    assert document.findtext("c:Время", namespaces=ns) == "09:30:05"  # created, Moscow time
    assert document.findtext("c:Налоги/c:Налог/c:Сумма", namespaces=ns) == "186.26"


def test_the_journal_keeps_the_newest_version_only() -> None:
    assert newer(1, None)
    assert newer(3, 2)
    assert not newer(2, 2)  # a redelivery
    assert not newer(1, 2)  # a late, older event
