"""The CommerceML reader on small files written here: records, header, kinds, namespaces,
encodings, both stock forms, variants, and every record left out reported with its line."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from fieldline_exchange.adapters.commerceml import DETECTED_VERSION, read
from fieldline_exchange.adapters.commerceml._values import parse_date, parse_decimal
from fieldline_exchange.domain.records import (
    BAD_DATE,
    BAD_NUMBER,
    DEFAULT_WAREHOUSE,
    EMPTY_OFFER,
    KIND_CATALOG,
    KIND_COUNTERPARTIES,
    KIND_DOCUMENTS,
    KIND_OFFERS,
    MISSING_ID,
    MISSING_NAME,
    OPERATION_INVOICE,
    OPERATION_ORDER,
    ROLE_BUYER,
    ROLE_SELLER,
    UNKNOWN_PRICE_TYPE,
    UNKNOWN_WAREHOUSE,
    UNSUPPORTED_OPERATION,
    Counterparty,
    Document,
    Group,
    Offer,
    Price,
    PriceType,
    Product,
    Property,
    Skip,
    StockRow,
    Warehouse,
)

from .test_commerceml_fixtures import (
    CATALOG,
    DOCUMENTS,
    NS_2,
    NS_208,
    NS_210,
    OFFERS,
    cml,
    line_of,
    of,
    read_bytes,
)

# -- namespaces, versions, encodings ---------------------------------------------------------


@pytest.mark.parametrize("ns", [None, NS_2, NS_208, NS_210])
def test_each_accepted_namespace_reads_the_same_records(ns: str | None) -> None:
    reading, items = read_bytes(cml(CATALOG + OFFERS, ns=ns))
    assert reading.header is not None
    assert reading.header.namespace == (ns or "")
    assert reading.header.version == "2.08"
    assert reading.header.version_declared
    assert [type(i).__name__ for i in items] == [
        *["Group"] * 5,
        "Property",
        "Product",
        "Product",
        "PriceType",
        "Warehouse",
        "Warehouse",
        "Offer",
        "Offer",
        "Offer",
    ]


def test_a_missing_version_is_detected_as_2x() -> None:
    reading, items = read_bytes(cml(CATALOG, version=None))
    assert reading.header is not None
    assert reading.header.version == DETECTED_VERSION
    assert not reading.header.version_declared
    assert len(of(items, Product)) == 2


def test_the_header_is_set_once_the_root_is_seen() -> None:
    reading = read(io.BytesIO(cml(CATALOG + OFFERS)))
    assert reading.header is None
    first = next(reading)
    assert isinstance(first, Group)
    assert reading.header is not None
    assert reading.header.kind == KIND_CATALOG  # so far: a classifier
    list(reading)
    assert reading.header.kind == KIND_OFFERS  # a classifier and an offers package


def test_utf8_with_a_byte_order_mark() -> None:
    data = cml(CATALOG, bom=True)
    assert data.startswith(b"\xef\xbb\xbf")
    _, items = read_bytes(data)
    assert of(items, Product)[0].name == "Вода 0,5 л"


def test_windows_1251_reads_cyrillic_right(tmp_path) -> None:
    data = cml(CATALOG + DOCUMENTS.replace("Заказ товара", "Реализация"), encoding="windows-1251")
    assert "Напитки".encode("cp1251") in data
    path = tmp_path / "import.xml"
    path.write_bytes(data)
    items = list(read(path))
    assert [g.name for g in of(items, Group)][:2] == ["Напитки", "Вода"]
    assert of(items, Product)[0].unit == "шт"
    assert of(items, Counterparty)[0].address == "Москва, ул. Ленина, 1"
    assert of(items, Document)[0].operation == OPERATION_INVOICE


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (CATALOG, KIND_CATALOG),
        (CATALOG.split("<Каталог")[0], KIND_CATALOG),  # a classifier alone
        (OFFERS, KIND_OFFERS),
        (CATALOG.split("<Каталог")[0] + OFFERS, KIND_OFFERS),
        (DOCUMENTS, KIND_DOCUMENTS),
        ("", KIND_DOCUMENTS),  # Bitrix's "no orders": an empty root
        (
            "<Контрагенты><Контрагент><Ид>c</Ид><Наименование>Н</Наименование>"
            "</Контрагент></Контрагенты>",
            KIND_COUNTERPARTIES,
        ),
    ],
)
def test_kinds(body: str, kind: str) -> None:
    reading, _ = read_bytes(cml(body))
    assert reading.header is not None
    assert reading.header.kind == kind


# -- catalog -----------------------------------------------------------------------------------


def test_groups_at_every_level_come_parents_first() -> None:
    _, items = read_bytes(cml(CATALOG))
    groups = of(items, Group)
    assert [(g.id, g.parent_id) for g in groups] == [
        ("g-drinks", None),
        ("g-water", "g-drinks"),
        ("g-still", "g-water"),
        ("g-juice", "g-drinks"),
        ("g-snacks", None),
    ]
    data = cml(CATALOG)
    assert groups[2].line == line_of(data, "<Группа><Ид>g-still")


def test_properties_with_reference_values() -> None:
    _, items = read_bytes(cml(CATALOG))
    assert of(items, Property) == [
        Property("p-brand", "Бренд", (("b-1", "Аква"), ("b-2", "Сок-Ко")))
    ]


def test_products_and_variants() -> None:
    _, items = read_bytes(cml(CATALOG))
    water, juice = of(items, Product)
    assert water == Product(
        id="prod-water",
        name="Вода 0,5 л",
        article="W-05",
        unit="шт",
        barcodes=("4600000000011",),
        vat_rate=Decimal(20),
        group_ids=("g-still",),
        property_values=(("p-brand", "b-1"),),
        requisites=(("ВидНоменклатуры", "Товар"),),
        variant_of=None,
    )
    assert juice.variant_of == "prod-juice"  # guid#guid: a variant
    assert juice.vat_rate is None  # "Без НДС"
    assert juice.unit == "796"  # no text: the unit's code
    assert juice.characteristics == (("Цвет", "Красный"),)


# -- offers ------------------------------------------------------------------------------------


def test_price_types_and_warehouses() -> None:
    _, items = read_bytes(cml(OFFERS))
    assert of(items, PriceType) == [PriceType("pt-retail", "Розничная", "RUB")]
    assert of(items, Warehouse) == [Warehouse("w-main", "Основной"), Warehouse("w-2", "Второй")]


def test_offers_prices_and_both_stock_forms() -> None:
    _, items = read_bytes(cml(OFFERS))
    water, juice, snack = of(items, Offer)
    # Attribute form; the offer's total Количество is not a row of its own.
    assert water.prices == (Price("pt-retail", Decimal("1234.50"), "RUB", "шт"),)
    assert water.stock == (StockRow("w-main", Decimal(10)), StockRow("w-2", Decimal(2)))
    # Element form; the price's currency comes from its price type.
    assert juice.id == "prod-juice#var-red"
    assert juice.product_id == "prod-juice"
    assert juice.characteristics == (("Цвет", "Красный"),)
    assert juice.prices == (Price("pt-retail", Decimal("99.90"), "RUB", ""),)
    assert juice.stock == (StockRow("w-main", Decimal("7.5")), StockRow("w-2", Decimal(0)))
    # A bare Количество: the default warehouse.
    assert snack.stock == (StockRow(DEFAULT_WAREHOUSE, Decimal(3)),)
    assert snack.name == ""


def test_a_warehouse_element_right_in_the_offer_is_read_too() -> None:
    body = """
    <ПакетПредложений><Ид>p</Ид><Предложения>
      <Предложение><Ид>o</Ид><Количество>9</Количество>
        <Склад><Ид>w-1</Ид><Количество>4</Количество></Склад>
        <Склад><Ид>w-2</Ид><Количество>5</Количество></Склад>
      </Предложение>
    </Предложения></ПакетПредложений>"""
    _, items = read_bytes(cml(body))
    (offer,) = of(items, Offer)
    assert offer.stock == (StockRow("w-1", Decimal(4)), StockRow("w-2", Decimal(5)))


def test_a_changes_package_names_the_variant_apart() -> None:
    body = """
    <ИзмененияПакетаПредложений>
      <Ид>p</Ид>
      <Предложения>
        <Предложение>
          <Ид>prod-1</Ид><ИдХарактеристики>var-9</ИдХарактеристики>
          <Склады ИдСклада="w-1" КоличествоНаСкладе="4"/>
          <Цены><Цена><ИдТипаЦены>pt</ИдТипаЦены><ЦенаЗаЕдиницу>10</ЦенаЗаЕдиницу></Цена></Цены>
        </Предложение>
      </Предложения>
    </ИзмененияПакетаПредложений>"""
    reading, items = read_bytes(cml(body))
    assert reading.header is not None and reading.header.kind == KIND_OFFERS
    (offer,) = of(items, Offer)
    assert offer.id == "prod-1#var-9"
    assert offer.product_id == "prod-1"
    assert offer.stock == (StockRow("w-1", Decimal(4)),)


def test_split_packages_keep_prices_of_undeclared_price_types_unless_told() -> None:
    body = """
    <ПакетПредложений><Ид>p</Ид><Предложения>
      <Предложение><Ид>a</Ид>
        <Цены><Цена><ИдТипаЦены>pt-elsewhere</ИдТипаЦены><ЦенаЗаЕдиницу>5</ЦенаЗаЕдиницу></Цена></Цены>
        <Склад ИдСклада="w-elsewhere" КоличествоНаСкладе="1"/>
      </Предложение>
    </Предложения></ПакетПредложений>"""
    data = cml(body)
    _, items = read_bytes(data)  # inspect without a partner: read as they are
    (offer,) = of(items, Offer)
    assert len(offer.prices) == 1 and len(offer.stock) == 1
    _, items = read_bytes(data, known_price_types={"pt-elsewhere"}, known_warehouses={"w-else"})
    (offer,) = of(items, Offer)
    assert len(offer.prices) == 1 and offer.stock == ()
    assert of(items, Skip) == [
        Skip(line_of(data, "<Склад "), "a", UNKNOWN_WAREHOUSE, "w-elsewhere")
    ]
    _, items = read_bytes(data, known_price_types=set(), known_warehouses={"w-elsewhere"})
    assert of(items, Skip) == [
        Skip(line_of(data, "<Цена>"), "a", UNKNOWN_PRICE_TYPE, "pt-elsewhere")
    ]


# -- documents and counterparties --------------------------------------------------------------


def test_documents_lines_requisites_and_their_counterparties() -> None:
    data = cml(DOCUMENTS)
    _, items = read_bytes(data)
    first, second = of(items, Document)
    assert first.operation == OPERATION_ORDER
    assert first.role == ROLE_SELLER
    assert first.date == date(2024, 2, 28)
    assert first.amount == Decimal("1500.00")
    assert first.counterparty_ids == ("cp-1",)
    assert [(ln.product_id, ln.quantity, ln.price, ln.amount) for ln in first.lines] == [
        ("prod-water", Decimal(30), Decimal(50), Decimal(1500))
    ]
    assert ("Номер по 1С", "ЗК-1") in first.requisites
    assert first.line == line_of(data, "<Документ>")
    assert second.operation == OPERATION_INVOICE
    assert second.date is None  # 0001-01-01: no date
    assert second.amount is None
    # The same buyer in two documents is one counterparty, yielded before its first document.
    assert [type(i).__name__ for i in items] == ["Counterparty", "Document", "Document"]
    (cp,) = of(items, Counterparty)
    assert cp == Counterparty(
        "cp-1",
        "ООО Ромашка",
        'ООО "Ромашка"',
        "7701234567",
        "770101001",
        ROLE_BUYER,
        "Москва, ул. Ленина, 1",
    )


def test_root_counterparties_with_nested_legal_details() -> None:
    body = """
    <Контрагенты>
      <Контрагент>
        <Ид>c-1</Ид><Наименование>Альфа</Наименование>
        <ЮридическоеЛицо>
          <ОфициальноеНаименование>АО "Альфа"</ОфициальноеНаименование>
          <ИНН>7700000001</ИНН><КПП>770001001</КПП>
          <ЮридическийАдрес><Представление>Тверь</Представление></ЮридическийАдрес>
        </ЮридическоеЛицо>
      </Контрагент>
      <Контрагент><Ид>c-2</Ид><Фамилия>Иванов</Фамилия><Имя>Иван</Имя></Контрагент>
    </Контрагенты>"""
    _, items = read_bytes(cml(body))
    alpha, ivanov = of(items, Counterparty)
    assert (alpha.full_name, alpha.inn, alpha.kpp, alpha.address) == (
        'АО "Альфа"',
        "7700000001",
        "770001001",
        "Тверь",
    )
    assert ivanov.name == "Иванов Иван"


# -- lenient in form, exact in account ---------------------------------------------------------


def test_every_record_left_out_is_a_skip_with_its_line_and_id() -> None:
    body = """
    <Классификатор>
      <Группы>
        <Группа><Наименование>Без Ид</Наименование></Группа>
        <Группа><Ид>g-noname</Ид></Группа>
      </Группы>
      <Свойства><Свойство><Ид>p-noname</Ид></Свойство></Свойства>
    </Классификатор>
    <Каталог><Товары>
      <Товар><Наименование>Без Ид</Наименование></Товар>
      <Товар><Ид>t-noname</Ид></Товар>
      <Товар><Ид>t-vat</Ид><Наименование>Т</Наименование>
        <СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование><Ставка>двадцать</Ставка></СтавкаНалога></СтавкиНалогов>
      </Товар>
      <Товар><Ид>t-ok</Ид><Наименование>Т</Наименование></Товар>
    </Товары></Каталог>"""
    data = cml(body)
    _, items = read_bytes(data)
    assert [i.id for i in of(items, Product)] == ["t-ok"]
    assert of(items, Skip) == [
        Skip(line_of(data, "<Группа><Наименование>"), "", MISSING_ID),
        Skip(line_of(data, "<Группа><Ид>g-noname"), "g-noname", MISSING_NAME),
        Skip(line_of(data, "<Свойство>"), "p-noname", MISSING_NAME),
        Skip(line_of(data, "<Товар><Наименование>"), "", MISSING_ID),
        Skip(line_of(data, "<Товар><Ид>t-noname"), "t-noname", MISSING_NAME),
        Skip(line_of(data, "<СтавкаНалога>"), "t-vat", BAD_NUMBER, "VAT rate 'двадцать'"),
    ]


def test_offer_skips() -> None:
    body = """
    <ПакетПредложений><Ид>p</Ид>
    <ТипыЦен><ТипЦены><Ид>pt</Ид><Валюта>RUB</Валюта></ТипЦены></ТипыЦен>
    <Предложения>
      <Предложение/>
      <Предложение><Наименование>без Ид</Наименование><Количество>1</Количество></Предложение>
      <Предложение><Ид>o-empty</Ид></Предложение>
      <Предложение><Ид>o-prices</Ид>
        <Цены>
          <Цена><ИдТипаЦены>pt</ИдТипаЦены><ЦенаЗаЕдиницу>abc</ЦенаЗаЕдиницу></Цена>
          <Цена><ИдТипаЦены>pt</ИдТипаЦены><ЦенаЗаЕдиницу>1.005</ЦенаЗаЕдиницу></Цена>
          <Цена><ИдТипаЦены>pt</ИдТипаЦены><ЦенаЗаЕдиницу>-3</ЦенаЗаЕдиницу></Цена>
          <Цена><ЦенаЗаЕдиницу>3</ЦенаЗаЕдиницу></Цена>
          <Цена><ИдТипаЦены>pt</ИдТипаЦены><ЦенаЗаЕдиницу>1 000,10</ЦенаЗаЕдиницу></Цена>
        </Цены>
        <Склад ИдСклада="w" КоличествоНаСкладе="много"/>
      </Предложение>
    </Предложения></ПакетПредложений>"""
    data = cml(body)
    _, items = read_bytes(data)
    (offer,) = of(items, Offer)
    assert offer.prices == (Price("pt", Decimal("1000.10"), "RUB", ""),)
    assert offer.stock == ()
    skips = of(items, Skip)
    assert [(s.line, s.id, s.reason) for s in skips] == [
        (line_of(data, "<Предложение/>"), "", EMPTY_OFFER),
        (line_of(data, "<Предложение><Наименование>"), "", MISSING_ID),
        (line_of(data, "<Предложение><Ид>o-empty"), "o-empty", EMPTY_OFFER),
        (line_of(data, "<ЦенаЗаЕдиницу>abc"), "o-prices", BAD_NUMBER),
        (line_of(data, "<ЦенаЗаЕдиницу>1.005"), "o-prices", BAD_NUMBER),  # past the kopeck
        (line_of(data, "<ЦенаЗаЕдиницу>-3"), "o-prices", BAD_NUMBER),
        (line_of(data, "<Цена><ЦенаЗаЕдиницу>3"), "o-prices", MISSING_ID),
        (line_of(data, 'КоличествоНаСкладе="много"'), "o-prices", BAD_NUMBER),
    ]


def test_document_skips() -> None:
    body = """
    <Документ><Номер>1</Номер><ХозОперация>Заказ товара</ХозОперация></Документ>
    <Документ><Ид>d-op</Ид><ХозОперация>Передача на комиссию</ХозОперация></Документ>
    <Документ><Ид>d-date</Ид><ХозОперация>Заказ товара</ХозОперация><Дата>31.02.2024</Дата>
    </Документ>
    <Документ><Ид>d-line</Ид><ХозОперация>Заказ товара</ХозОперация><Дата>2024-01-01</Дата>
      <Контрагенты><Контрагент><Ид>cp-x</Ид><Наименование>X</Наименование></Контрагент></Контрагенты>
      <Товары><Товар><Ид>p</Ид><Количество>1,2,3</Количество></Товар></Товары>
    </Документ>
    <Документ><Ид>d-ok</Ид><ХозОперация>Оплата</ХозОперация><Дата>01.02.2024</Дата>
      <Контрагенты><Контрагент><Ид>cp-anon</Ид><Наименование/></Контрагент></Контрагенты>
    </Документ>"""
    data = cml(body)
    _, items = read_bytes(data)
    (doc,) = of(items, Document)
    assert (doc.id, doc.date, doc.counterparty_ids) == ("d-ok", date(2024, 2, 1), ("cp-anon",))
    assert of(items, Counterparty) == []  # cp-x's document was skipped whole; cp-anon unnamed
    assert [(s.line, s.id, s.reason) for s in of(items, Skip)] == [
        (line_of(data, "<Документ><Номер>"), "", MISSING_ID),
        (line_of(data, "<Документ><Ид>d-op"), "d-op", UNSUPPORTED_OPERATION),
        (line_of(data, "<Документ><Ид>d-date"), "d-date", BAD_DATE),
        (line_of(data, "<Товары><Товар><Ид>p"), "d-line", BAD_NUMBER),
        (line_of(data, "<Контрагент><Ид>cp-anon"), "cp-anon", MISSING_NAME),
    ]


def test_reading_from_a_path_or_a_stream_gives_the_same_records(tmp_path) -> None:
    data = cml(CATALOG + OFFERS, bom=True)
    path = tmp_path / "offers.xml"
    path.write_bytes(data)
    assert list(read(path)) == list(read(io.BytesIO(data))) == list(read(str(path)))


# -- numbers and dates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10", "10"),
        ("1 234,50", "1234.50"),
        ("1\u00a0234.5", "1234.5"),
        ("1\u202f000", "1000"),
        (" -7,25 ", "-7.25"),
        (".5", "0.5"),
    ],
)
def test_decimals_as_the_erp_writes_them(text: str, value: str) -> None:
    assert parse_decimal(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "abc", "1e5", "NaN", "Infinity", "1,234.5", "1,2,3", "--1"])
def test_what_is_not_a_number(text: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        parse_decimal(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2021-02-17", date(2021, 2, 17)),
        ("2021-02-17T22:51:37", date(2021, 2, 17)),
        ("17.02.2021", date(2021, 2, 17)),
        ("0001-01-01", None),
        ("0001-01-01T00:00:00", None),
        ("", None),
    ],
)
def test_dates(text: str, value: date | None) -> None:
    assert parse_date(text) == value


@pytest.mark.parametrize("text", ["2021-02-30", "yesterday", "2021/02/17"])
def test_bad_dates(text: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_date(text)
