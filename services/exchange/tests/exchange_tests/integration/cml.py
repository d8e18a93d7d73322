"""Small CommerceML files written by the tests (never the corpus's): a catalog with nested
groups and products, an offers package with price types, warehouses, prices and stock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

NS = "urn:1C.ru:commerceml_210"


def catalog(
    groups: Iterable[tuple[str, str, Sequence[tuple[str, str]]]],
    products: Iterable[tuple[str, str, str]],
    *,
    version: str = "2.08",
) -> bytes:
    """`groups`: (id, name, children as (id, name)); `products`: (id, name, group id)."""

    def group_xml(gid: str, name: str, children: Sequence[tuple[str, str]]) -> str:
        inner = "".join(
            f"<Группа><Ид>{c}</Ид><Наименование>{n}</Наименование></Группа>" for c, n in children
        )
        nested = f"<Группы>{inner}</Группы>" if inner else ""
        return f"<Группа><Ид>{gid}</Ид><Наименование>{name}</Наименование>{nested}</Группа>"

    groups_xml = "".join(group_xml(*g) for g in groups)
    products_xml = "".join(
        f"<Товар><Ид>{pid}</Ид><Артикул>A-{pid[:6]}</Артикул><Наименование>{name}</Наименование>"
        f'<БазоваяЕдиница Код="796" НаименованиеПолное="Штука">шт</БазоваяЕдиница>'
        f"<Группы><Ид>{gid}</Ид></Группы>"
        f"<СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование><Ставка>20</Ставка>"
        f"</СтавкаНалога></СтавкиНалогов></Товар>"
        for pid, name, gid in products
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="{version}" '
        f'ДатаФормирования="2026-12-07T10:00:00">'
        f"<Классификатор><Ид>cls</Ид><Наименование>Классификатор</Наименование>"
        f"<Группы>{groups_xml}</Группы></Классификатор>"
        f'<Каталог СодержитТолькоИзменения="false"><Ид>cat</Ид><ИдКлассификатора>cls'
        f"</ИдКлассификатора><Наименование>Каталог</Наименование>"
        f"<Товары>{products_xml}</Товары></Каталог></КоммерческаяИнформация>"
    ).encode()


def offers(
    price_types: Iterable[tuple[str, str]],
    warehouses: Iterable[tuple[str, str]],
    rows: Iterable[tuple[str, str, Sequence[tuple[str, str]], Sequence[tuple[str, str]]]],
    *,
    changes_only: bool = False,
) -> bytes:
    """`price_types`: (id, name) in RUB; `rows`: (offer id, name, prices as (type id, amount),
    stock as (warehouse id, quantity)); `changes_only`: the package holds changes only."""
    types_xml = "".join(
        f"<ТипЦены><Ид>{t}</Ид><Наименование>{n}</Наименование><Валюта>RUB</Валюта></ТипЦены>"
        for t, n in price_types
    )
    stores_xml = "".join(
        f"<Склад><Ид>{w}</Ид><Наименование>{n}</Наименование></Склад>" for w, n in warehouses
    )
    offers_xml = "".join(
        f"<Предложение><Ид>{oid}</Ид><Наименование>{name}</Наименование><Цены>"
        + "".join(
            f"<Цена><Представление>{a} RUB за шт</Представление><ИдТипаЦены>{t}</ИдТипаЦены>"
            f"<ЦенаЗаЕдиницу>{a}</ЦенаЗаЕдиницу><Валюта>RUB</Валюта><Единица>шт</Единица></Цена>"
            for t, a in prices
        )
        + "</Цены>"
        + "".join(f'<Склад ИдСклада="{w}" КоличествоНаСкладе="{q}"/>' for w, q in stock)
        + "</Предложение>"
        for oid, name, prices, stock in rows
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="2.08" '
        f'ДатаФормирования="2026-12-07T10:00:00">'
        f'<ПакетПредложений СодержитТолькоИзменения="{str(changes_only).lower()}"><Ид>cat#</Ид>'
        f"<Наименование>Пакет</Наименование><ИдКаталога>cat</ИдКаталога>"
        f"<ИдКлассификатора>cls</ИдКлассификатора><ТипыЦен>{types_xml}</ТипыЦен>"
        f"<Склады>{stores_xml}</Склады><Предложения>{offers_xml}</Предложения>"
        f"</ПакетПредложений></КоммерческаяИнформация>"
    ).encode()


def write(tmp: Path, name: str, content: bytes) -> Path:
    path = tmp / name
    path.write_bytes(content)
    return path


def counterparty_xml(cid: str, name: str, inn: str, kpp: str = "", role: str = "Покупатель") -> str:
    kpp_xml = f"<КПП>{kpp}</КПП>" if kpp else ""
    return (
        f"<Контрагент><Ид>{cid}</Ид><Наименование>{name}</Наименование>"
        f"<ПолноеНаименование>{name}</ПолноеНаименование><Роль>{role}</Роль>"
        f"<ИНН>{inn}</ИНН>{kpp_xml}</Контрагент>"
    )


def counterparties(rows: Iterable[tuple[str, str, str, str]]) -> bytes:
    """A root-level `Контрагенты` file: (id, name, INN, KPP)."""
    inner = "".join(counterparty_xml(*row) for row in rows)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" ВерсияСхемы="2.09" '
        f'ДатаФормирования="2026-12-07T10:00:00"><Контрагенты>{inner}</Контрагенты>'
        f"</КоммерческаяИнформация>"
    ).encode()


def documents(
    rows: Iterable[
        tuple[str, str, str, str, str, tuple[str, str, str, str], Sequence[tuple[str, str]]]
    ],
) -> bytes:
    """Documents from the ERP: (id, number, operation, date, amount, counterparty (id, name,
    INN, KPP), requisites as (name, value))."""
    docs = "".join(
        f"<Документ><Ид>{did}</Ид><Номер>{number}</Номер><Дата>{day}</Дата>"
        f"<ХозОперация>{operation}</ХозОперация><Роль>Продавец</Роль><Валюта>RUB</Валюта>"
        f"<Курс>1</Курс><Сумма>{amount}</Сумма>"
        f"<Контрагенты>{counterparty_xml(*cp)}</Контрагенты>"
        f"<ЗначенияРеквизитов>"
        + "".join(
            f"<ЗначениеРеквизита><Наименование>{n}</Наименование><Значение>{v}</Значение>"
            f"</ЗначениеРеквизита>"
            for n, v in requisites
        )
        + "</ЗначенияРеквизитов></Документ>"
        for did, number, operation, day, amount, cp, requisites in rows
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_210" ВерсияСхемы="2.08" '
        f'ДатаФормирования="2026-12-07T10:00:00">{docs}</КоммерческаяИнформация>'
    ).encode()
