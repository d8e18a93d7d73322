"""CommerceML 2.10 out: the export's document set (docs/contexts/exchange.md, *Export*),
written incrementally with lxml's `xmlfile` (one document at a time: memory does not grow with
the number of documents).

    <КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_210" ВерсияСхемы="2.10"
                            ДатаФормирования="…">
      <Документ> an order: Ид (Fieldline's order id), Номер (the journal's number), Дата,
        ХозОперация "Заказ товара", Роль "Продавец", Валюта, Курс, Сумма,
        Контрагенты/Контрагент (the buyer, Роль "Покупатель"), Время, Комментарий, Налоги,
        Товары/Товар (Ид, Наименование, БазоваяЕдиница, ЗначенияРеквизитов (…, Акция
        Fieldline, Бесплатно Fieldline), ЦенаЗаЕдиницу, Количество, Сумма, Налоги, Скидки),
        ЗначенияРеквизитов (Статус заказа, …, Ревизия Fieldline, …, Акция Fieldline, Акции)
      </Документ>
      <Документ> cash an agent collected: ХозОперация "Выплата наличных денег", the payer,
        ЗначенияРеквизитов (Номер чека, Сотрудник, Торговая точка, Оплата счета, …)
      </Документ>
      <Документ> an outlet: ХозОперация "Прочие", Сумма 0, its client, ЗначенияРеквизитов
        (Вид документа "Торговая точка", Наименование, Адрес доставки, Статус, …)
      </Документ> …
    </КоммерческаяИнформация>

Elements come in the order the published 2.10 schema's sequences want (its root holds
documents only: an outlet is a document of its own kind). Dates and times are the company's
local ones without an offset, as 1C writes them; amounts have two decimals."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from fieldline_exchange.domain.export import (
    CENT,
    PRE_SALE,
    AppliedPromotion,
    ExportDocument,
    OrderDocument,
    OrderLine,
    OutletDocument,
    Party,
    PaymentDocument,
)

NAMESPACE = "urn:1C.ru:commerceml_210"
SCHEMA_VERSION = "2.10"
ORDER_OPERATION = "Заказ товара"
PAYMENT_OPERATION = "Выплата наличных денег"
OTHER_OPERATION = "Прочие"
OUTLET_DOCUMENT = "Торговая точка"  # the requisite `Вид документа` of an outlet's document
OUTLET_STATUS_NAMES = {"active": "Действует", "closed": "Закрыта"}
SELLER, BUYER = "Продавец", "Покупатель"
# The requisite naming the order's revision the document shows: an ERP confirming it echoes it
# back, and a confirmation of a revision the order has moved past is refused.
REVISION = "Ревизия Fieldline"
# Trade promotions (docs/contexts/exchange.md, *Export*): the requisite naming a promotion by
# its id, on a line it priced or gave and on the order that got it (one per promotion); the
# requisite `true` on a line a promotion gave free of charge; the order's promotions by name
# and benefit, for people.
PROMOTION = "Акция Fieldline"
FREE = "Бесплатно Fieldline"
PROMOTIONS = "Акции"
MAX_NAME = 255  # НаименованиеТип
MAX_VALUE = 1000  # ЗначениеТип

# Fieldline's statuses in the ERP's words (the requisite `Статус заказа`).
STATUS_NAMES = {
    "credit_hold": "Кредитный стоп",
    "submitted": "Принят",
    "confirmed": "Подтвержден",
    "shipped": "Отгружен",
    "delivered": "Доставлен",
    "partially_delivered": "Доставлен частично",
    "rejected": "Отклонен",
    "cancelled": "Отменен",
}
KIND_NAMES = {PRE_SALE: "Предзаказ", "van_sale": "Продажа из автомобиля"}
# Units by their OKEI code (what 1C keys units by): short name, full name, international.
OKEI = {
    "pcs": ("796", "шт", "Штука", "PCE"),
    "kg": ("166", "кг", "Килограмм", "KGM"),
    "g": ("163", "г", "Грамм", "GRM"),
    "l": ("112", "л", "Литр", "LTR"),
    "m": ("006", "м", "Метр", "MTR"),
    "pack": ("778", "упак", "Упаковка", "NMP"),
}


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


class DocumentsWriter:
    """`with DocumentsWriter(target, tz=…, generated_at=…) as w: w.write(document)…`: a complete
    document set once the block ends (none written: an empty `КоммерческаяИнформация`, the
    usual "nothing new")."""

    def __init__(
        self,
        target: Path | IO[bytes],
        *,
        tz: tzinfo,
        generated_at: datetime,
        currency: str = "RUB",
    ) -> None:
        self._target = str(target) if isinstance(target, Path) else target
        self._tz = tz
        self._currency = currency  # of documents without money of their own (an outlet's)
        self._generated_at = generated_at
        self._stack = contextlib.ExitStack()
        self._xf: Any = None
        self.written = 0

    def __enter__(self) -> DocumentsWriter:
        xf = self._stack.enter_context(etree.xmlfile(self._target, encoding="utf-8"))
        xf.write_declaration()
        self._stack.enter_context(
            xf.element(
                _q("КоммерческаяИнформация"),
                {
                    "ВерсияСхемы": SCHEMA_VERSION,
                    "ДатаФормирования": _local(self._generated_at, self._tz),
                },
                nsmap={None: NAMESPACE},
            )
        )
        xf.write("\n")  # a document a line: readable, and nothing to a parser
        self._xf = xf
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stack.__exit__(kind, exc, tb)

    def write_all(self, documents: Iterable[ExportDocument]) -> None:
        for document in documents:
            self.write(document)

    def write(self, d: ExportDocument) -> None:
        x = _Out(self._xf)
        if isinstance(d, PaymentDocument):
            self._payment(x, d)
        elif isinstance(d, OutletDocument):
            self._outlet(x, d)
        else:
            self._order(x, d)
        self._xf.write("\n")
        self._xf.flush()
        self.written += 1

    def _order(self, x: _Out, d: OrderDocument) -> None:
        with x.element("Документ"):
            self._head(x, d.order_id, d.number, d.order_date, ORDER_OPERATION, d.currency)
            x.leaf("Сумма", _amount(d.amount))
            with x.element("Контрагенты"):
                self._buyer(x, d.buyer)
            if d.created_at is not None:
                x.leaf("Время", d.created_at.astimezone(self._tz).strftime("%H:%M:%S"))
            if d.comment:
                x.leaf("Комментарий", d.comment)
            if d.vat_amount:
                with x.element("Налоги"), x.element("Налог"):
                    x.leaf("Наименование", "НДС")
                    x.leaf("УчтеноВСумме", "true")
                    x.leaf("Сумма", _amount(d.vat_amount))
            if d.lines:
                with x.element("Товары"):
                    for line in d.lines:
                        self._line(x, line)
            with x.element("ЗначенияРеквизитов"):
                x.requisite("Статус заказа", STATUS_NAMES.get(d.status, d.status))
                x.requisite("Статус Fieldline", d.status)
                if d.revision:
                    x.requisite(REVISION, str(d.revision))
                x.requisite("Отменен", "true" if d.status == "cancelled" else "false")
                x.requisite("Вид заказа", KIND_NAMES.get(d.kind, d.kind))
                if d.updated_at is not None:
                    x.requisite("Дата изменения статуса", _local(d.updated_at, self._tz, " "))
                if d.delivery_date is not None:
                    x.requisite("Дата доставки", d.delivery_date.isoformat())
                for promotion in d.promotions:
                    x.requisite(PROMOTION, promotion.promotion_id)
                if d.promotions:
                    x.requisite(PROMOTIONS, _promotions(d.promotions))

    def _payment(self, x: _Out, d: PaymentDocument) -> None:
        with x.element("Документ"):
            self._head(x, d.payment_id, d.number, d.payment_date, PAYMENT_OPERATION, d.currency)
            x.leaf("Сумма", _amount(d.amount))
            with x.element("Контрагенты"):
                self._buyer(x, d.payer)
            with x.element("ЗначенияРеквизитов"):
                x.requisite("Вид оплаты", "Наличные")
                for name, value in (
                    ("Номер чека", d.receipt_number),
                    ("Сотрудник", d.collected_by),
                    ("Торговая точка", d.outlet_id),
                ):
                    if value:
                        x.requisite(name, value)
                for invoice_id, amount in d.allocations:
                    x.requisite("Оплата счета", f"{invoice_id} {_amount(amount)}")
                x.requisite("Не распределено", _amount(d.unallocated))

    def _outlet(self, x: _Out, d: OutletDocument) -> None:
        with x.element("Документ"):
            self._head(x, d.outlet_id, d.number, d.created_on, OTHER_OPERATION, self._currency)
            x.leaf("Сумма", _amount(Decimal(0)))
            with x.element("Контрагенты"):
                self._buyer(x, d.client)
            with x.element("ЗначенияРеквизитов"):
                x.requisite("Вид документа", OUTLET_DOCUMENT)
                x.requisite("Статус", OUTLET_STATUS_NAMES.get(d.status, d.status))
                for name, value in (
                    ("Наименование", d.name[:MAX_NAME]),
                    ("Адрес доставки", d.address),
                    ("Канал сбыта", d.channel),
                    ("Формат", d.format),
                    ("Класс", d.outlet_class),
                    ("Территория", d.territory_id),
                ):
                    if value:
                        x.requisite(name, value)
                if d.latitude is not None and d.longitude is not None:
                    x.requisite("Широта", str(d.latitude))
                    x.requisite("Долгота", str(d.longitude))

    def _head(
        self, x: _Out, document_id: str, number: int, day: date, operation: str, currency: str
    ) -> None:
        """A document's first elements, up to its amount: we are the seller, at rate 1."""
        x.leaf("Ид", document_id)
        x.leaf("Номер", str(number))
        x.leaf("Дата", day.isoformat())
        x.leaf("ХозОперация", operation)
        x.leaf("Роль", SELLER)
        x.leaf("Валюта", currency)
        x.leaf("Курс", "1")

    def _buyer(self, x: _Out, p: Party) -> None:
        with x.element("Контрагент"):
            x.leaf("Ид", p.id)
            x.leaf("Наименование", p.name[:MAX_NAME])
            inn = p.inn if len(p.inn) in (10, 12) else ""
            if p.individual:
                x.leaf("ПолноеНаименование", p.name[:MAX_NAME])
                x.leaf("ИНН", inn)
            else:
                x.leaf("ОфициальноеНаименование", p.name[:MAX_NAME])
                if p.address:
                    with x.element("ЮридическийАдрес"):
                        x.leaf("Представление", p.address[:MAX_NAME])
                x.leaf("ИНН", inn)
                x.leaf("КПП", p.kpp if len(p.kpp) == 9 else "")
            x.leaf("Роль", BUYER)

    def _line(self, x: _Out, line: OrderLine) -> None:
        with x.element("Товар"):
            x.leaf("Ид", line.product_id)
            x.leaf("Наименование", line.name[:MAX_NAME])
            code, short, full, international = OKEI.get(line.unit, ("", "", "", ""))
            unit: dict[str, str] = {}
            if code:
                unit = {
                    "Код": code,
                    "НаименованиеПолное": full,
                    "МеждународноеСокращение": international,
                }
            with x.element("БазоваяЕдиница", unit):
                x.text(line.unit_name or short or line.unit)
            with x.element("ЗначенияРеквизитов"):
                x.requisite("ВидНоменклатуры", "Товар")
                x.requisite("ТипНоменклатуры", "Товар")
                for promotion_id in line.promotion_ids:
                    x.requisite(PROMOTION, promotion_id)
                if line.free_of_charge:
                    x.requisite(FREE, "true")
            x.leaf("ЦенаЗаЕдиницу", _amount(line.price))
            x.leaf("Количество", _quantity(line.quantity))
            x.leaf("Сумма", _amount(line.amount))
            if line.vat_rate:
                with x.element("Налоги"), x.element("Налог"):
                    x.leaf("Наименование", "НДС")
                    x.leaf("УчтеноВСумме", "true")
                    x.leaf("Сумма", _amount(line.vat_amount))
                    x.leaf("Ставка", line.vat_rate)
            if line.discounted:
                with x.element("Скидки"), x.element("Скидка"):
                    x.leaf("Наименование", "Скидка")
                    x.leaf("Сумма", _amount(line.discount_amount))
                    x.leaf("Процент", _quantity(line.discount_percent))
                    x.leaf("УчтеноВСумме", "true")


class _Out:
    """Elements of the CommerceML namespace on an `xmlfile`."""

    def __init__(self, xf: Any) -> None:
        self._xf = xf

    def element(self, name: str, attributes: dict[str, str] | None = None) -> Any:
        return self._xf.element(_q(name), attributes or {})

    def text(self, value: str) -> None:
        self._xf.write(value)

    def leaf(self, name: str, value: str) -> None:
        """`<name>value</name>`; nothing for an empty value (every such element is optional
        or always has one)."""
        if value:
            with self.element(name):
                self._xf.write(value)

    def requisite(self, name: str, value: str) -> None:
        with self.element("ЗначениеРеквизита"):
            self.leaf("Наименование", name)
            self.leaf("Значение", value)


def _local(moment: datetime, tz: tzinfo, sep: str = "T") -> str:
    return moment.astimezone(tz).replace(tzinfo=None, microsecond=0).isoformat(sep)


def _amount(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _promotions(promotions: Iterable[AppliedPromotion]) -> str:
    """`Весна 5% (51.00); Квас 2+1 (111.00)`: names (an id when none) and benefits, cut to
    what a requisite's value holds."""
    text = "; ".join(f"{p.name or p.promotion_id} ({_amount(p.benefit)})" for p in promotions)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _quantity(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text
