"""The CommerceML conformance corpus (../shared/commerceml/, skipped when absent): every 2.x
file reads with counts equal to what the file holds, the 1.x file is refused with its message
(docs/contexts/exchange.md, *Tests and benchmark*).

What a file holds is established twice, apart from the reader: by XPath over the whole tree
(`truth`), and by the table below, written from the corpus README and from reading the files.
Where the README's figures and the reader's counts differ, the table's comment says why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from fieldline_exchange.adapters.commerceml import inspect, read
from fieldline_exchange.domain.records import (
    MISSING_NAME,
    UNKNOWN_PRICE_TYPE,
    UNSUPPORTED_VERSION,
    Counterparty,
    Document,
    Offer,
    Product,
    Refusal,
    Skip,
)

CORPUS = Path(__file__).resolve().parents[5] / ".." / "shared" / "commerceml"
SAMPLES = CORPUS / "samples"

pytestmark = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason=f"the CommerceML corpus is not at {CORPUS}"
)

# The README's numbers (#) → the sample files.
FILES = {
    1: "irpsv-commerceml__tests__assets__off-doc-1c__import.xml",
    2: "ArtemiusUA-django-cml__tests__tests_fixtures__import.xml",
    4: "irpsv-commerceml__tests__assets__off-doc-1c__offers.xml",
    6: "carono-php-commerceml__tests__xml__offers.xml",
    7: "dobromyslov-commerceml-parser__data__offers0_1.xml",
    8: "alfredotg-parser1c__tests__data__offer.xml",
    10: "bogutski-1C-CommerceML-to-JSON__in_xml__offers.xml",
    11: "bigperson-exchange1c__tests__xml__offers.xml",
    13: "gillbeits-commerceml__example__prices___d66a6b51-ce9c-4e7a-8c7c-25079721107f.xml",
    15: "irpsv-commerceml__tests__assets__off-doc-1c__orders.xml",
    16: "carono-php-commerceml__tests__xml__orders.xml",
    17: "dobromyslov-commerceml-parser__data__bitrix-query-response-full.xml",
    18: "dobromyslov-commerceml-parser__data__bitrix-query-response-empty.xml",
    20: "dicrtarasov-yii2-exchange1c__doc__orders.xml",
    22: "ArgentCrusade-commerceml__tests__fixtures__contractors-example.xml",
    24: "alexander-rakov-1C-CommerceML-Exchange77-8x__Sale77.xml",
}
COUNTS = (
    "groups",
    "properties",
    "products",
    "price_types",
    "warehouses",
    "offers",
    "prices",
    "stock_rows",
    "documents",
    "document_lines",
    "counterparties",
)


def row(version: str, ns: str, kind: str, *counts: int) -> dict[str, Any]:
    return {
        "version": version,
        "namespace": ns,
        "kind": kind,
        **dict(zip(COUNTS, counts, strict=True)),
    }


NS2, NS208, NS210 = "urn:1C.ru:commerceml_2", "urn:1C.ru:commerceml_208", "urn:1C.ru:commerceml_210"
# fmt: off
# #: version, namespace, kind, groups, properties, products, price types, warehouses, offers,
#    prices, stock rows, documents, document lines, counterparties
EXPECTED = {
    # 1 group, 4 products (variants). Both Владелец blocks are the owner, not counterparties.
    1: row("2.04", "", "catalog", 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0),
    # 36 groups on all levels (18 top, 18 nested), 3 properties, 282 products.
    2: row("2.05", "", "catalog", 36, 3, 282, 0, 0, 0, 0, 0, 0, 0, 0),
    # 4 price types, 2 offers × 4 prices. Stock (not in the README): each offer's bare
    # <Количество>0</Количество>, a row in the default warehouse.
    4: row("2.04", "", "offers", 0, 0, 0, 4, 0, 2, 8, 2, 0, 0, 0),
    # A classifier (no groups) and the package: 1 price type, 5 warehouses, 5 offers, 5 stock
    # rows (attribute form; the offers' total <Количество> is not a row of its own).
    6: row("2.07", NS2, "offers", 0, 0, 0, 1, 5, 5, 5, 5, 0, 0, 0),
    # 1 price type, 3 warehouses, 44 offers with one price each, 132 per-warehouse rows.
    7: row("2.07", NS2, "offers", 0, 0, 0, 1, 3, 44, 44, 132, 0, 0, 0),
    # 2 offers × 3 prices, 12 rows for 6 warehouses the file does not declare, nor the price
    # types: read as they are (a partner's earlier files resolve them; see the split test).
    8: row("2.07", NS2, "offers", 0, 0, 0, 0, 0, 2, 6, 12, 0, 0, 0),
    # 1 price type, 523 offers, one price each; each a bare <Количество>: 523 default rows.
    10: row("2.08", NS208, "offers", 0, 0, 0, 1, 0, 523, 523, 523, 0, 0, 0),
    # The classifier's 1 property, 3 price types, 2 variant offers × 3 prices, bare quantities.
    11: row("2.08", NS210, "offers", 0, 1, 0, 3, 0, 2, 6, 2, 0, 0, 0),
    # The prices part of a split package: 978 offers, one price each, no price types.
    13: row("2.09", NS2, "offers", 0, 0, 0, 0, 0, 978, 978, 0, 0, 0, 0),
    # 3 documents (1 full + 2 status-only stubs), 2 lines (one is ORDER_DELIVERY), 1 buyer.
    15: row("2.03", "", "documents", 0, 0, 0, 0, 0, 0, 0, 0, 3, 2, 1),
    # The README's "2 counterparty entries" counts the buyer's contact person
    # (Представители/Представитель/Контрагент) as a second one: it is the buyer's
    # representative, not a party to the document, so 1 counterparty.
    16: row("2.03", "", "documents", 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1),
    # 2 documents, 8 lines. Both buyers have an empty Наименование and ПолноеНаименование
    # (Bitrix users without a name): skipped missing-name, so 0 counterparties (the README
    # gives no counterparty figure). Its "107 requisites" are 25 of the documents and 82 of
    # the lines; a record keeps the documents' (lines carry no requisites).
    17: row("2.05", "", "documents", 0, 0, 0, 0, 0, 0, 0, 0, 2, 8, 0),
    # Bitrix's "no orders": the root element alone.
    18: row("2.05", "", "documents", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    # 1 document, 2 lines (one ORDER_DELIVERY), 1 buyer. The README's "22 requisites" are the
    # document's 18 and its lines' 4.
    20: row("2.08", NS210, "documents", 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1),
    # Root-level Контрагенты: 4 counterparties.
    22: row("2.09", NS2, "counterparties", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4),
}
# fmt: on
SKIPPED = {
    17: [
        (15, "38#catalog_exchange#", MISSING_NAME),
        (125, "5#content-manager# Контент менджер", MISSING_NAME),
    ]
}


def sample(number: int) -> Path:
    return SAMPLES / FILES[number]


# -- the truth, by XPath over the whole tree --------------------------------------------------


def xp(*steps: str) -> str:
    """An XPath of local names, whatever the namespace: xp("/", "A|B", "C") is
    `/*[local-name()='A' or local-name()='B']/*[local-name()='C']`; "//" before a step makes it
    a descendant."""
    out, sep = "", ""
    for step in steps:
        if step in ("/", "//"):
            sep = step
            continue
        names = " or ".join(f"local-name()='{n}'" for n in step.split("|"))
        out += f"{sep or ('/' if out else '')}*[{names}]"
        sep = ""
    return out


NAMES = "Наименование|ПолноеНаименование|ОфициальноеНаименование|Фамилия|Имя|Отчество"


def truth(path: Path) -> dict[str, int]:
    """What the file holds, counted over the whole parsed tree."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.parse(str(path), parser).getroot()
    sections = "/*/"  # the root's children

    def count(*steps: str) -> int:
        return len(root.xpath(sections + xp(*steps)))

    offers = root.xpath(
        sections + xp("ПакетПредложений|ИзмененияПакетаПредложений", "Предложения", "Предложение")
    )
    stock_rows = 0
    for offer in offers:
        rows = len(offer.xpath(xp("Склад|Склады") + "[@ИдСклада]"))
        rows += len(offer.xpath(xp("Остатки", "Остаток")))
        if not rows and offer.xpath(xp("Количество")):
            rows = 1  # a bare quantity: the default warehouse
        stock_rows += rows
    documents = root.xpath(f"{sections}{xp('Документ')} | {sections}{xp('Контейнер', 'Документ')}")
    # A counterparty of several documents is one; one with no name at all is skipped.
    in_documents = {
        c.xpath(f"string({xp('Ид')})").strip()
        for d in documents
        for c in d.xpath(xp("Контрагенты", "Контрагент"))
        if any((n.text or "").strip() for n in c.xpath(xp(NAMES)))
    }
    declaring = "ПакетПредложений|ИзмененияПакетаПредложений|Классификатор"
    return {
        "groups": count("Классификатор", "Группы", "//", "Группа"),
        "properties": count("Классификатор", "Свойства", "Свойство"),
        "products": count("Каталог", "Товары", "Товар"),
        "price_types": count(declaring, "ТипыЦен", "ТипЦены"),
        "warehouses": count(declaring, "Склады", "Склад"),
        "offers": len(offers),
        "prices": sum(len(o.xpath(xp("Цены", "Цена"))) for o in offers),
        "stock_rows": stock_rows,
        "documents": len(documents),
        "document_lines": sum(len(d.xpath(xp("Товары", "Товар"))) for d in documents),
        "counterparties": count("Контрагенты", "Контрагент") + len(in_documents),
    }


# -- every 2.x file -------------------------------------------------------------------------------


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_every_2x_file_reads_with_the_counts_it_holds(number: int) -> None:
    path = sample(number)
    expected = EXPECTED[number]
    result = inspect(path)
    assert "refused" not in result, result
    counts = {k: result[k] for k in COUNTS}
    assert counts == {k: expected[k] for k in COUNTS}
    assert counts == truth(path)
    assert (result["version"], result["kind"]) == (expected["version"], expected["kind"])
    skipped = [(s["line"], s["id"], s["reason"]) for s in result["skipped"]]  # type: ignore[union-attr]
    assert skipped == SKIPPED.get(number, [])


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_every_2x_file_declares_its_version_and_namespace(number: int) -> None:
    reading = read(sample(number))
    for _ in reading:
        pass
    assert reading.header is not None
    assert reading.header.version_declared
    assert reading.header.version == EXPECTED[number]["version"]
    assert reading.header.namespace == EXPECTED[number]["namespace"]


# -- the README's facts ---------------------------------------------------------------------------


def test_the_1x_file_is_refused_with_its_message() -> None:
    with pytest.raises(Refusal) as caught:
        list(read(sample(24)))
    refusal = caught.value
    assert refusal.code == UNSUPPORTED_VERSION
    assert refusal.message == (
        "CommerceML 1.x (1C 7.7 format) is not supported: export CommerceML 2.x (2.03–2.10)"
    )
    assert refusal.line == 3  # its Каталог, with Идентификатор= attributes
    assert inspect(sample(24))["refused"] == refusal.to_json()


def test_the_empty_root_is_a_documents_file_of_no_documents() -> None:
    reading = read(sample(18))
    assert list(reading) == []
    assert reading.header is not None
    assert reading.header.kind == "documents"


def test_file_13_is_the_prices_part_of_a_split_package() -> None:
    path = sample(13)
    offers = [i for i in read(path) if isinstance(i, Offer)]
    types = {p.price_type_id for o in offers for p in o.prices}
    assert len(offers) == 978 and len(types) == 1  # priced by a type declared elsewhere
    assert all(o.name == "" and o.stock == () for o in offers)  # only Ид + Цены
    (declared_elsewhere,) = types
    known = [i for i in read(path, known_price_types={declared_elsewhere})]
    assert sum(len(o.prices) for o in known if isinstance(o, Offer)) == 978
    unknown = [i for i in read(path, known_price_types=set())]
    skips = [i for i in unknown if isinstance(i, Skip)]
    assert len(skips) == 978 and {s.reason for s in skips} == {UNKNOWN_PRICE_TYPE}
    assert sum(len(o.prices) for o in unknown if isinstance(o, Offer)) == 0


def test_windows_1251_files_read_right() -> None:
    items = list(read(sample(16)))
    (buyer,) = [i for i in items if isinstance(i, Counterparty)]
    assert (buyer.name, buyer.full_name) == ("Петр Петров", "Петр Петров")
    (order,) = [i for i in items if isinstance(i, Document)]
    assert [ln.name for ln in order.lines] == ["Доставка заказа", "Комбайн MOULINEX A77 4C"]
    assert ("Статус заказа", "[F] Доставлен") in order.requisites

    documents = [i for i in read(sample(17)) if isinstance(i, Document)]
    names = [ln.name for d in documents for ln in d.lines]
    assert names[0] == "Hello Kitty toothbrush for 3~6 years old,2pcs"
    assert any(n.startswith("Концентрированное средство для мытья овощей") for n in names)
    assert documents[0].requisites[-1] == ("Сайт", "[s1] Сайт по умолчанию")


def test_catalog_details() -> None:
    products = [i for i in read(sample(2)) if isinstance(i, Product)]
    assert sum(len(p.property_values) for p in products) == 846
    assert sum(len(p.requisites) for p in products) == 1115
    assert [p.barcodes for p in products if p.barcodes] == [("2000020457967",)]
    variants = [i for i in read(sample(1)) if isinstance(i, Product)]
    assert all(p.variant_of for p in variants)
    assert sum(len(p.characteristics) for p in variants) == 4


def test_offer_details() -> None:
    offers = [i for i in read(sample(6)) if isinstance(i, Offer)]
    assert sum(len(o.characteristics) for o in offers) == 3
    assert all("#" in o.id and o.product_id == o.id.split("#")[0] for o in offers)
    offers = [i for i in read(sample(11)) if isinstance(i, Offer)]
    assert [(len(o.characteristics), len(o.property_values)) for o in offers] == [(1, 1), (1, 1)]


def test_document_details() -> None:
    (order,) = [i for i in read(sample(20)) if isinstance(i, Document)]
    assert len(order.requisites) == 18
    requisites = dict(order.requisites)
    assert (requisites["Проведен"], requisites["Отгружен"], requisites["Номер по 1С"]) == (
        "true",
        "true",
        "СА-013838",
    )
    stubs = [d for d in read(sample(15)) if isinstance(d, Document) and not d.lines]
    assert [d.id for d in stubs] == ["92", "93"]  # status-only documents
