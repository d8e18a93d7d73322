"""The streaming CommerceML 2.x reader (docs/contexts/exchange.md, *Reading CommerceML*).

`read(path or binary file)` yields records (`domain.records`) and skips, in file order, and
raises `Refusal` as soon as the file shows it must not be applied. `reading.header` (version,
kind) is set once the root's first section (or its end, for an empty root) has been seen.

Memory stays flat whatever the file size: `lxml.etree.iterparse` reports only the elements
named in `WATCHED`, each record element is cleared once turned into a record and its earlier
siblings are deleted. The ids kept to refuse duplicates are `IdSet`s: past a limit they live
on disk, so they do not grow memory either (`check_duplicates=False` keeps none, for a pass
that has already checked the file).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from fieldline_exchange.adapters.commerceml._prolog import PROLOG_BYTES, Prolog, check_prolog
from fieldline_exchange.adapters.commerceml._values import (
    currency_code,
    parse_date,
    parse_decimal,
)
from fieldline_exchange.adapters.id_sets import IdSet
from fieldline_exchange.domain.records import (
    BAD_DATE,
    BAD_ENCODING,
    BAD_NUMBER,
    DEFAULT_WAREHOUSE,
    DTD_FORBIDDEN,
    DUPLICATE_ID,
    EMPTY_OFFER,
    KIND_CATALOG,
    KIND_COUNTERPARTIES,
    KIND_DOCUMENTS,
    KIND_OFFERS,
    MALFORMED,
    MISSING_ID,
    MISSING_NAME,
    OPERATION_INVOICE,
    OPERATION_ORDER,
    OPERATION_PAYMENT,
    ROLE_BUYER,
    ROLE_PAYER,
    ROLE_RECIPIENT,
    ROLE_SELLER,
    TOO_LARGE,
    UNKNOWN_NAMESPACE,
    UNKNOWN_PRICE_TYPE,
    UNKNOWN_ROOT,
    UNKNOWN_WAREHOUSE,
    UNSUPPORTED_OPERATION,
    UNSUPPORTED_VERSION,
    Counterparty,
    Document,
    DocumentLine,
    Group,
    Offer,
    Pairs,
    Price,
    PriceType,
    Product,
    Property,
    Record,
    Refusal,
    Skip,
    StockRow,
    Warehouse,
    fraction_digits,
    minor_digits,
)

Source = str | os.PathLike[str] | IO[bytes]
Item = Record | Skip

ROOT = "КоммерческаяИнформация"
NAMESPACES = frozenset(
    {"", "urn:1C.ru:commerceml_2", "urn:1C.ru:commerceml_208", "urn:1C.ru:commerceml_210"}
)
SUPPORTED = "export CommerceML 2.x (2.03–2.10)"
V1_MESSAGE = f"CommerceML 1.x (1C 7.7 format) is not supported: {SUPPORTED}"
V3_MESSAGE = f"CommerceML 3.x is not supported: {SUPPORTED}"
DETECTED_VERSION = "2.x"

# The root's sections and the kind of file each makes; a later section of a higher rank wins
# (a classifier followed by an offers package is an offers file).
SECTIONS = {
    "Классификатор": KIND_CATALOG,
    "Каталог": KIND_CATALOG,
    "ПакетПредложений": KIND_OFFERS,
    "ИзмененияПакетаПредложений": KIND_OFFERS,
    "Документ": KIND_DOCUMENTS,
    "Контейнер": KIND_DOCUMENTS,
    "Контрагенты": KIND_COUNTERPARTIES,
}
RANK = {KIND_COUNTERPARTIES: 0, KIND_DOCUMENTS: 1, KIND_CATALOG: 2, KIND_OFFERS: 3}
OFFER_PACKAGES = ("ПакетПредложений", "ИзмененияПакетаПредложений")
# Price types and warehouses: in the offers package, or (CommerceML 2.10) in the classifier.
DECLARING_SECTIONS = ("ПакетПредложений", "ИзмененияПакетаПредложений", "Классификатор")
# The elements iterparse reports (any namespace: each is checked against the root's).
WATCHED = (
    ROOT,
    *SECTIONS,
    "Контрагент",
    "Группы",
    "Группа",
    "Свойство",
    "Товар",
    "ТипЦены",
    "Склад",
    "Предложение",
)
# The names read inside records.
NAMES = (
    "Ид",
    "Наименование",
    "ПолноеНаименование",
    "ОфициальноеНаименование",
    "Фамилия",
    "Имя",
    "Отчество",
    "Артикул",
    "БазоваяЕдиница",
    "Штрихкод",
    "СтавкиНалогов",
    "СтавкаНалога",
    "Ставка",
    "Группы",
    "Группа",
    "Товары",
    "Товар",
    "ЗначенияСвойств",
    "ЗначенияСвойства",
    "Значение",
    "ЗначенияРеквизитов",
    "ЗначениеРеквизита",
    "ХарактеристикиТовара",
    "ХарактеристикаТовара",
    "Свойства",
    "ВариантыЗначений",
    "Справочник",
    "ИдЗначения",
    "ТипыЦен",
    "Валюта",
    "Склады",
    "Склад",
    "Предложения",
    "ИдХарактеристики",
    "Цены",
    "Цена",
    "ИдТипаЦены",
    "ЦенаЗаЕдиницу",
    "Единица",
    "Количество",
    "Остатки",
    "Остаток",
    "Номер",
    "Дата",
    "ХозОперация",
    "Роль",
    "Сумма",
    "Контрагенты",
    "Контрагент",
    "ИНН",
    "КПП",
    "ЮридическоеЛицо",
    "ФизическоеЛицо",
    "АдресРегистрации",
    "ЮридическийАдрес",
    "Адрес",
    "Представление",
    *SECTIONS,
)
OPERATIONS = {
    "заказ товара": OPERATION_ORDER,
    "отпуск товара": OPERATION_INVOICE,
    "реализация": OPERATION_INVOICE,
    "выплата наличных денег": OPERATION_PAYMENT,
    "оплата": OPERATION_PAYMENT,
}
ROLES = {
    "продавец": ROLE_SELLER,
    "покупатель": ROLE_BUYER,
    "плательщик": ROLE_PAYER,
    "получатель": ROLE_RECIPIENT,
}
VAT_NAMES = frozenset({"НДС", "VAT"})
# libxml2's codes for bytes that do not decode in the declared encoding.
ENCODING_ERRORS = frozenset({31, 32, 81})  # XML_ERR_UNKNOWN_/UNSUPPORTED_/INVALID_ENCODING


@dataclass(frozen=True, slots=True)
class Header:
    version: str  # `ВерсияСхемы` as declared, else DETECTED_VERSION
    version_declared: bool
    kind: str  # KIND_*: from the first section, raised by a later one of higher rank
    namespace: str  # "" when none


def read(
    source: Source,
    *,
    check_duplicates: bool = True,
    known_price_types: Collection[str] | None = None,
    known_warehouses: Collection[str] | None = None,
    max_bytes: int | None = None,
) -> Reading:
    """Read a CommerceML 2.x file: iterate the result for records and skips.

    `known_price_types`/`known_warehouses`: ids known from outside the file (the partner's
    earlier files, the services' lists). When given, a price or stock row naming one that is
    neither declared in the file nor known is skipped (`unknown-price-type`,
    `unknown-warehouse`); when None (inspect without a partner), they are read as they are.
    `max_bytes`: larger files are refused (`too-large`) before anything is parsed.
    """
    return Reading(
        source,
        check_duplicates=check_duplicates,
        known_price_types=known_price_types,
        known_warehouses=known_warehouses,
        max_bytes=max_bytes,
    )


class Reading(Iterator[Item]):
    """One pass over one file: an iterator of records and skips, and the file's header."""

    def __init__(
        self,
        source: Source,
        *,
        check_duplicates: bool = True,
        known_price_types: Collection[str] | None = None,
        known_warehouses: Collection[str] | None = None,
        max_bytes: int | None = None,
    ) -> None:
        self.source = source
        self.header: Header | None = None
        # Whether the file's offer package holds changes only (None: the file has none).
        self.offers_changes_only: bool | None = None
        self._check_duplicates = check_duplicates
        self._known_price_types = known_price_types
        self._known_warehouses = known_warehouses
        self._max_bytes = max_bytes
        self._items = self._read()

    def __iter__(self) -> Reading:
        return self

    def __next__(self) -> Item:
        return next(self._items)

    # -- the pass ------------------------------------------------------------------------------

    def _read(self) -> Iterator[Item]:
        if isinstance(self.source, str | os.PathLike):
            path = Path(self.source)
            self._check_size(path.stat().st_size)
            with path.open("rb") as f:
                prolog = check_prolog(f.read(PROLOG_BYTES))
            yield from self._parse(str(path), prolog)
        else:
            stream = self.source
            self._check_size(_stream_size(stream))
            head = stream.read(PROLOG_BYTES)
            prolog = check_prolog(head)
            yield from self._parse(_Prefixed(head, stream), prolog)

    def _check_size(self, size: int | None) -> None:
        if self._max_bytes is not None and size is not None and size > self._max_bytes:
            raise Refusal(
                TOO_LARGE, f"the file is {size:,} bytes, more than {self._max_bytes:,}", None
            )

    def _parse(self, source: Any, prolog: Prolog) -> Iterator[Item]:
        events = etree.iterparse(
            source,
            events=("start", "end"),
            tag=[f"{{*}}{name}" for name in WATCHED],
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        state = _State(self)
        try:
            for event, el in events:
                if event == "start":
                    yield from state.start(el)
                else:
                    yield from state.end(el)
        except etree.XMLSyntaxError as exc:
            raise self._syntax_refusal(exc, events.error_log, prolog) from None
        if self.header is None:  # no root element reported: it is not CommerceML's
            root = events.root
            name = etree.QName(root).localname if root is not None else ""
            raise Refusal(UNKNOWN_ROOT, f"the root element is {name!r}, not {ROOT}", 1)

    def _syntax_refusal(self, exc: etree.XMLSyntaxError, error_log: Any, prolog: Prolog) -> Refusal:
        # The first error libxml2 logged is the cause: iterparse may raise a later, vaguer one
        # ("no element found" after an undeclared entity). The parse's own log: the
        # exception's is lxml's global one, holding earlier parses' errors too.
        errors = error_log.filter_from_errors()
        if errors:
            first = errors[0]
            code, message, line = first.type, f"{first.message}, line {first.line}", first.line
        else:
            code, message, line = exc.code, str(exc.msg), exc.lineno
        if code in ENCODING_ERRORS:
            return Refusal(
                BAD_ENCODING,
                f"bytes that are not {prolog.declared_encoding or 'UTF-8'}: {message}",
                self._undecodable_line(prolog.codec) or line or None,
            )
        return Refusal(MALFORMED, message, line or None)

    def _undecodable_line(self, codec: str) -> int | None:
        """libxml2 converts the input in blocks, so its line for bad bytes is the block's;
        decode line by line to name the line that holds them."""
        if isinstance(self.source, str | os.PathLike):
            with Path(self.source).open("rb") as f:
                return _first_bad_line(f, codec)
        if self.source.seekable():
            self.source.seek(0)
            return _first_bad_line(self.source, codec)
        return None


def _first_bad_line(f: IO[bytes], codec: str) -> int | None:
    # In UTF-8 and single-byte encodings a newline byte is always a newline.
    for number, raw in enumerate(f, 1):
        try:
            raw.decode(codec)
        except UnicodeDecodeError:
            return number
    return None


def _stream_size(stream: IO[bytes]) -> int | None:
    try:
        return os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, ValueError):
        pass
    try:
        if stream.seekable():
            here = stream.tell()
            size = stream.seek(0, os.SEEK_END)
            stream.seek(here)
            return size - here
    except (AttributeError, OSError, ValueError):
        pass
    return None


class _Prefixed:
    """A binary stream whose first bytes were already read (the prolog): they come first."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0:
                data, self._head = self._head + self._rest.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._rest.read(size)


def _release(el: Any) -> None:
    """Forget a handled element and the siblings before it: constant memory."""
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


class _State:
    """The reader's state during one pass: the header, the tags in the root's namespace, the
    ids seen (for duplicates and declared price types and warehouses)."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading
        self.root: Any = None
        self.version = ""
        self.declared = False
        self.namespace = ""
        self.t: dict[str, str] = {}
        self.catalogs = self.classifiers = self.packages = self.declaring = frozenset[str]()
        self.groups: list[bool] = []  # per open classifier group: already yielded
        self.seen: dict[str, IdSet] = {}  # bounded in memory: past a limit on disk
        self.price_types: dict[str, str] = {}  # declared in the file: id → currency
        self.warehouses: set[str] = set()
        self.document_counterparties: set[str] = set()

    # -- events --------------------------------------------------------------------------------

    def start(self, el: Any) -> Iterator[Item]:
        if self.root is None:
            self._root(el)
            return
        parent = el.getparent()
        if parent is self.root:
            self._section(el)
        t = self.t
        tag = el.tag
        if tag == t["Группа"] and self._in_classifier_groups(el):
            self.groups.append(False)
        elif (
            tag == t["Группы"]
            and parent is not None
            and parent.tag == t["Группа"]
            and self.groups
            and not self.groups[-1]
            and self._in_classifier_groups(parent)
        ):
            # A group's subgroups begin: the group itself goes first (its Ид and Наименование
            # precede them), so that parents come before their children.
            group = self._group(parent, lenient=False)
            if group is not None:
                self.groups[-1] = True
                yield group
        return

    def end(self, el: Any) -> Iterator[Item]:
        t = self.t
        tag = el.tag
        parent = el.getparent()
        if parent is None:  # the root
            if self.reading.header is None:
                if len(el):
                    names = ", ".join(sorted({etree.QName(c).localname for c in el}))
                    raise Refusal(UNKNOWN_ROOT, f"no CommerceML section in the root: {names}", 1)
                self._set_header(KIND_DOCUMENTS)  # Bitrix's "no orders": an empty root
            return
        ptag = parent.tag
        if tag == t["Группа"]:
            if self._in_classifier_groups(el):
                done = self.groups.pop() if self.groups else False
                if not done:
                    yield self._group(el, lenient=True) or Skip(el.sourceline, "", MISSING_ID)
                _release(el)
        elif tag == t["Товар"]:
            if ptag == t["Товары"] and self._is_section(parent.getparent(), self.catalogs):
                yield self._product(el)
                _release(el)
        elif tag == t["Предложение"]:
            if ptag == t["Предложения"] and self._is_section(parent.getparent(), self.packages):
                yield from self._offer(el)
                _release(el)
        elif tag == t["ТипЦены"]:
            if ptag == t["ТипыЦен"] and self._is_section(parent.getparent(), self.declaring):
                yield self._price_type(el)
                _release(el)
        elif tag == t["Склад"]:
            if ptag == t["Склады"] and self._is_section(parent.getparent(), self.declaring):
                yield self._warehouse(el)
                _release(el)
        elif tag == t["Свойство"]:
            if ptag == t["Свойства"] and self._is_section(parent.getparent(), self.classifiers):
                yield self._property(el)
                _release(el)
        elif tag == t["Документ"]:
            grand = parent.getparent()
            if parent is self.root or (ptag == t["Контейнер"] and grand is self.root):
                yield from self._document(el)
                _release(el)
        elif tag == t["Контрагент"]:
            if ptag == t["Контрагенты"] and parent.getparent() is self.root:
                item = self._counterparty(el)
                if isinstance(item, Counterparty):
                    self._unique("counterparty", item.id, item.line)
                yield item
                _release(el)
        elif parent is self.root:  # the end of a section
            _release(el)

    # -- the root and its sections -------------------------------------------------------------

    def _root(self, el: Any) -> None:
        self.root = el
        qname = etree.QName(el)
        if el.getparent() is not None or qname.localname != ROOT:
            top = el.getroottree().getroot()
            raise Refusal(
                UNKNOWN_ROOT,
                f"the root element is {etree.QName(top).localname!r}, not {ROOT}",
                top.sourceline,
            )
        docinfo = el.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
            raise Refusal(DTD_FORBIDDEN, "a DOCTYPE is not accepted", el.sourceline)
        version = (el.get("ВерсияСхемы") or "").strip()
        if version:
            if version.startswith("1"):
                raise Refusal(UNSUPPORTED_VERSION, V1_MESSAGE, el.sourceline)
            if version.startswith("3"):
                raise Refusal(UNSUPPORTED_VERSION, V3_MESSAGE, el.sourceline)
            if not version.startswith("2."):
                raise Refusal(
                    UNSUPPORTED_VERSION,
                    f"CommerceML version {version!r} is not supported: {SUPPORTED}",
                    el.sourceline,
                )
        namespace = qname.namespace or ""
        if namespace not in NAMESPACES:
            raise Refusal(
                UNKNOWN_NAMESPACE,
                f"namespace {namespace!r} is not CommerceML 2.x's "
                "(none, urn:1C.ru:commerceml_2, _208 or _210)",
                el.sourceline,
            )
        self.version, self.declared, self.namespace = version, bool(version), namespace
        prefix = f"{{{namespace}}}" if namespace else ""
        self.t = t = {name: prefix + name for name in {*NAMES, *WATCHED}}
        self.catalogs = frozenset({t["Каталог"]})
        self.classifiers = frozenset({t["Классификатор"]})
        self.packages = frozenset(t[n] for n in OFFER_PACKAGES)
        self.declaring = frozenset(t[n] for n in DECLARING_SECTIONS)

    def _section(self, el: Any) -> None:
        """A child of the root begins: it fixes the version (1.x?) and the kind."""
        if not self.declared and self.reading.header is None and el.get("Идентификатор"):
            # 1C 7.7's CommerceML 1.x: attributes where 2.x has elements, no ВерсияСхемы.
            raise Refusal(UNSUPPORTED_VERSION, V1_MESSAGE, el.sourceline)
        tag = el.tag
        if tag in (self.t[name] for name in OFFER_PACKAGES):
            # A package holds every offer (its prices replace the lists') unless it says it
            # holds changes only.
            self.reading.offers_changes_only = (
                tag == self.t["ИзмененияПакетаПредложений"]
                or el.get("СодержитТолькоИзменения", "").strip().lower() == "true"
            )
        for name, kind in SECTIONS.items():
            if tag == self.t[name]:
                current = self.reading.header
                if current is None or RANK[kind] > RANK[current.kind]:
                    self._set_header(kind)
                return

    def _set_header(self, kind: str) -> None:
        current = self.reading.header
        if current is not None:
            self.reading.header = replace(current, kind=kind)
            return
        self.reading.header = Header(
            version=self.version or DETECTED_VERSION,
            version_declared=self.declared,
            kind=kind,
            namespace=self.namespace,
        )

    def _is_section(self, el: Any, tags: frozenset[str]) -> bool:
        return el is not None and el.tag in tags and el.getparent() is self.root

    def _in_classifier_groups(self, group: Any) -> bool:
        """A `Группа` of the classifier: under `Классификатор/Группы`, at any depth."""
        t = self.t
        node = group
        while True:
            groups = node.getparent()
            if groups is None or groups.tag != t["Группы"]:
                return False
            owner = groups.getparent()
            if owner is None:
                return False
            if owner.tag == t["Группа"]:
                node = owner
                continue
            return self._is_section(owner, self.classifiers)

    def _unique(self, kind: str, id_: str, line: int) -> None:
        if not self.reading._check_duplicates:
            return
        seen = self.seen.get(kind)
        if seen is None:
            seen = self.seen[kind] = IdSet()
        if not seen.add(id_):
            raise Refusal(DUPLICATE_ID, f"{kind} Ид {id_!r} appears twice in the file", line)

    # -- records -------------------------------------------------------------------------------
    # A record's children are gathered once (`_Kids`): lxml's findtext() is slow with
    # Cyrillic tags, and a record asks for many of them.

    def _kids(self, el: Any) -> _Kids:
        return _Kids(el, self.t)

    def _pairs(self, kids: _Kids, holder: str, item: str) -> Pairs:
        """(Наименование, Значение) of each `holder/item`."""
        out = []
        for node in kids.nested(holder, item):
            k = self._kids(node)
            out.append((k.text("Наименование"), k.text("Значение")))
        return tuple(out)

    def _property_values(self, kids: _Kids) -> Pairs:
        pairs: list[tuple[str, str]] = []
        for node in kids.nested("ЗначенияСвойств", "ЗначенияСвойства"):
            k = self._kids(node)
            pid = k.text("Ид")
            values = [(v.text or "").strip() for v in k.all("Значение")]
            pairs.extend((pid, v) for v in values or [""])
        return tuple(pairs)

    def _group(self, el: Any, *, lenient: bool) -> Group | Skip | None:
        """The group, or (lenient) its skip; None when not yet complete (not lenient)."""
        kids = self._kids(el)
        gid, name = kids.text("Ид"), kids.text("Наименование")
        if not (gid and name):
            if not lenient:
                return None
            return Skip(el.sourceline, gid, MISSING_NAME if gid else MISSING_ID)
        owner = el.getparent().getparent()
        parent_id = None
        if owner.tag == self.t["Группа"]:
            parent_id = self._kids(owner).text("Ид") or None
        self._unique("group", gid, el.sourceline)
        return Group(gid, name, parent_id, line=el.sourceline)

    def _property(self, el: Any) -> Property | Skip:
        kids = self._kids(el)
        pid, name = kids.text("Ид"), kids.text("Наименование")
        if not pid:
            return Skip(el.sourceline, "", MISSING_ID)
        if not name:
            return Skip(el.sourceline, pid, MISSING_NAME)
        values = []
        for node in kids.nested("ВариантыЗначений", "Справочник"):
            k = self._kids(node)
            values.append((k.text("ИдЗначения"), k.text("Значение")))
        self._unique("property", pid, el.sourceline)
        return Property(pid, name, tuple(values), line=el.sourceline)

    def _product(self, el: Any) -> Product | Skip:
        line = el.sourceline
        kids = self._kids(el)
        pid, name = kids.text("Ид"), kids.text("Наименование")
        if not pid:
            return Skip(line, "", MISSING_ID)
        if not name:
            return Skip(line, pid, MISSING_NAME)
        vat_rate: Decimal | None = None
        for rate in kids.nested("СтавкиНалогов", "СтавкаНалога"):
            k = self._kids(rate)
            if k.text("Наименование").upper() in VAT_NAMES:
                text = k.text("Ставка")
                try:
                    vat_rate = _vat_rate(text)
                except ValueError:
                    return Skip(rate.sourceline, pid, BAD_NUMBER, f"VAT rate {text!r}")
        base, _, variant = pid.partition("#")
        self._unique("product", pid, line)
        return Product(
            id=pid,
            name=name,
            article=kids.text("Артикул"),
            unit=_unit(kids.first("БазоваяЕдиница")),
            barcodes=kids.texts("Штрихкод"),
            vat_rate=vat_rate,
            group_ids=tuple(
                text for g in kids.nested("Группы", "Ид") if (text := (g.text or "").strip())
            ),
            property_values=self._property_values(kids),
            requisites=self._pairs(kids, "ЗначенияРеквизитов", "ЗначениеРеквизита"),
            variant_of=base if variant else None,
            characteristics=self._pairs(kids, "ХарактеристикиТовара", "ХарактеристикаТовара"),
            line=line,
        )

    def _price_type(self, el: Any) -> PriceType | Skip:
        kids = self._kids(el)
        ptid = kids.text("Ид")
        if not ptid:
            return Skip(el.sourceline, "", MISSING_ID)
        currency = currency_code(kids.text("Валюта"))
        self._unique("price type", ptid, el.sourceline)
        self.price_types[ptid] = currency
        # Its name is optional in the schema (and so is a warehouse's).
        return PriceType(ptid, kids.text("Наименование"), currency, line=el.sourceline)

    def _warehouse(self, el: Any) -> Warehouse | Skip:
        kids = self._kids(el)
        wid = kids.text("Ид")
        if not wid:
            return Skip(el.sourceline, "", MISSING_ID)
        self._unique("warehouse", wid, el.sourceline)
        self.warehouses.add(wid)
        return Warehouse(wid, kids.text("Наименование"), line=el.sourceline)

    def _offer(self, el: Any) -> Iterator[Item]:
        line = el.sourceline
        kids = self._kids(el)
        oid = kids.text("Ид")
        variant = kids.text("ИдХарактеристики")
        if oid and variant and "#" not in oid:
            oid = f"{oid}#{variant}"  # ИзмененияПакетаПредложений names the variant apart
        if not oid:
            empty = len(el) == 0 and not (el.text or "").strip()
            yield Skip(line, "", EMPTY_OFFER if empty else MISSING_ID)
            return
        price_elements = kids.nested("Цены", "Цена")
        prices: list[Price] = []
        for node in price_elements:
            price = self._price(node, oid)
            if isinstance(price, Skip):
                yield price
            else:
                prices.append(price)
        rows: list[StockRow | Skip] = []
        # The attribute form: <Склад ИдСклада= КоличествоНаСкладе=/> (<Склады …/> in a
        # changes package); some exports write <Склад><Ид/><Количество/></Склад> instead.
        for node in (*kids.all("Склад"), *kids.all("Склады")):
            if (wid := node.get("ИдСклада")) is not None:
                rows.append(self._stock_row(node, oid, wid, node.get("КоличествоНаСкладе")))
            elif (w := self._kids(node)).first("Ид") is not None:
                qty = w.first("Количество")
                rows.append(
                    self._stock_row(node, oid, w.text("Ид"), qty.text if qty is not None else None)
                )
        # The element form: <Остатки><Остаток><Склад><Ид/><Количество/></Склад></Остаток>.
        for rest in kids.nested("Остатки", "Остаток"):
            k = self._kids(rest)
            warehouse = k.first("Склад")
            if warehouse is not None:
                w = self._kids(warehouse)
                wid, qty = w.text("Ид"), w.first("Количество")
                if qty is None:
                    qty = k.first("Количество")
            else:
                wid, qty = DEFAULT_WAREHOUSE, k.first("Количество")
            rows.append(self._stock_row(rest, oid, wid, qty.text if qty is not None else None))
        total = kids.first("Количество")
        if not rows and total is not None:
            # A quantity with no warehouse: the partner's default warehouse.
            rows.append(self._stock_row(total, oid, DEFAULT_WAREHOUSE, total.text))
        stock: list[StockRow] = []
        for row in rows:
            if isinstance(row, Skip):
                yield row
            else:
                stock.append(row)
        if not price_elements and not rows:
            yield Skip(line, oid, EMPTY_OFFER, "no prices and no stock")
            return
        self._unique("offer", oid, line)
        yield Offer(
            id=oid,
            product_id=oid.partition("#")[0],
            name=kids.text("Наименование"),
            prices=tuple(prices),
            stock=tuple(stock),
            characteristics=self._pairs(kids, "ХарактеристикиТовара", "ХарактеристикаТовара"),
            property_values=self._property_values(kids),
            line=line,
        )

    def _price(self, el: Any, offer_id: str) -> Price | Skip:
        line = el.sourceline
        kids = self._kids(el)
        ptid = kids.text("ИдТипаЦены")
        if not ptid:
            return Skip(line, offer_id, MISSING_ID, "a price without ИдТипаЦены")
        text = kids.text("ЦенаЗаЕдиницу")
        currency = currency_code(kids.text("Валюта")) or self.price_types.get(ptid, "")
        try:
            amount = parse_decimal(text)
        except ValueError:
            return Skip(line, offer_id, BAD_NUMBER, f"price {text!r} ({ptid})")
        if amount < 0 or fraction_digits(amount) > minor_digits(currency):
            return Skip(line, offer_id, BAD_NUMBER, f"price {text!r} ({ptid})")
        known = self.reading._known_price_types
        if known is not None and ptid not in self.price_types and ptid not in known:
            return Skip(line, offer_id, UNKNOWN_PRICE_TYPE, ptid)
        return Price(ptid, amount, currency, kids.text("Единица"))

    def _stock_row(
        self, el: Any, offer_id: str, warehouse_id: str, quantity: str | None
    ) -> StockRow | Skip:
        line = el.sourceline
        warehouse_id = warehouse_id.strip()
        try:
            amount = parse_decimal(quantity or "")
        except ValueError:
            return Skip(line, offer_id, BAD_NUMBER, f"quantity {quantity!r} ({warehouse_id})")
        known = self.reading._known_warehouses
        if (
            known is not None
            and warehouse_id != DEFAULT_WAREHOUSE
            and warehouse_id not in self.warehouses
            and warehouse_id not in known
        ):
            return Skip(line, offer_id, UNKNOWN_WAREHOUSE, warehouse_id)
        return StockRow(warehouse_id, amount)

    def _document(self, el: Any) -> Iterator[Item]:
        line = el.sourceline
        kids = self._kids(el)
        did = kids.text("Ид")
        if not did:
            yield Skip(line, "", MISSING_ID)
            return
        operation_text = kids.text("ХозОперация")
        operation = OPERATIONS.get(operation_text.lower())
        if operation is None:
            yield Skip(line, did, UNSUPPORTED_OPERATION, operation_text)
            return
        date_text = kids.text("Дата")
        try:
            when = parse_date(date_text)
        except ValueError:
            yield Skip(line, did, BAD_DATE, date_text)
            return
        amount_text = kids.text("Сумма")
        try:
            amount = parse_decimal(amount_text) if amount_text else None
        except ValueError:
            yield Skip(line, did, BAD_NUMBER, f"amount {amount_text!r}")
            return
        lines: list[DocumentLine] = []
        for node in kids.nested("Товары", "Товар"):
            got = self._document_line(node, did)
            if isinstance(got, Skip):
                yield got  # a document is applied whole or not at all
                return
            lines.append(got)
        counterparty_ids: list[str] = []
        for node in kids.nested("Контрагенты", "Контрагент"):
            cp = self._counterparty(node)
            if cid := cp.id:
                counterparty_ids.append(cid)
                if cid in self.document_counterparties:
                    continue  # the same buyer in several documents is one counterparty
                self.document_counterparties.add(cid)
            yield cp
        self._unique("document", did, line)
        yield Document(
            id=did,
            number=kids.text("Номер"),
            date=when,
            operation=operation,
            role=_role(kids.text("Роль")),
            currency=currency_code(kids.text("Валюта")),
            amount=amount,
            counterparty_ids=tuple(counterparty_ids),
            lines=tuple(lines),
            requisites=self._pairs(kids, "ЗначенияРеквизитов", "ЗначениеРеквизита"),
            line=line,
        )

    def _document_line(self, el: Any, document_id: str) -> DocumentLine | Skip:
        line = el.sourceline
        kids = self._kids(el)
        pid = kids.text("Ид")
        if not pid:
            return Skip(line, document_id, MISSING_ID, "a line without a product Ид")
        values: list[Decimal | None] = []
        for name in ("Количество", "ЦенаЗаЕдиницу", "Сумма"):
            text = kids.text(name)
            if not text and name != "Количество":
                values.append(None)  # a price or amount may be left out; a quantity may not
                continue
            try:
                values.append(parse_decimal(text))
            except ValueError:
                return Skip(line, document_id, BAD_NUMBER, f"{name} {text!r} of {pid}")
        quantity, price, amount = values
        assert quantity is not None
        return DocumentLine(pid, kids.text("Наименование"), quantity, price, amount)

    def _counterparty(self, el: Any) -> Counterparty | Skip:
        line = el.sourceline
        kids = self._kids(el)
        cid = kids.text("Ид")
        if not cid:
            return Skip(line, "", MISSING_ID)
        # 2.10 may put the details in a ЮридическоеЛицо or ФизическоеЛицо element.
        views = [kids] + [
            self._kids(node)
            for node in (kids.first("ЮридическоеЛицо"), kids.first("ФизическоеЛицо"))
            if node is not None
        ]

        def first(*names: str) -> str:
            for view in views:
                for name in names:
                    if value := view.text(name):
                        return value
            return ""

        full_name = first("ПолноеНаименование", "ОфициальноеНаименование")
        person = " ".join(p for p in (first("Фамилия"), first("Имя"), first("Отчество")) if p)
        name = first("Наименование") or full_name or person
        if not name:
            return Skip(line, cid, MISSING_NAME)
        address = ""
        for view in views:
            for holder in ("АдресРегистрации", "ЮридическийАдрес", "Адрес"):
                node = view.first(holder)
                if node is not None and not address:
                    address = self._kids(node).text("Представление")
        return Counterparty(
            id=cid,
            name=name,
            full_name=full_name,
            inn=first("ИНН"),
            kpp=first("КПП"),
            role=_role(kids.text("Роль")),
            address=address,
            line=line,
        )


class _Kids:
    """The element children of one element by tag, in the root's namespace (`t`)."""

    __slots__ = ("by_tag", "t")

    def __init__(self, el: Any, t: dict[str, str]) -> None:
        self.t = t
        self.by_tag: dict[str, list[Any]] = {}
        for child in el:
            self.by_tag.setdefault(child.tag, []).append(child)

    def all(self, name: str) -> list[Any]:
        return self.by_tag.get(self.t[name], [])

    def first(self, name: str) -> Any:
        found = self.by_tag.get(self.t[name])
        return found[0] if found else None

    def text(self, name: str) -> str:
        found = self.by_tag.get(self.t[name])
        return (found[0].text or "").strip() if found else ""

    def texts(self, name: str) -> tuple[str, ...]:
        return tuple(text for el in self.all(name) if (text := (el.text or "").strip()))

    def nested(self, holder: str, item: str) -> list[Any]:
        """The `item` children of every `holder` child: `Цены/Цена`."""
        tag = self.t[item]
        return [node for h in self.all(holder) for node in h.iterchildren(tag)]


def _unit(el: Any) -> str:
    """The base unit as written: its text (`шт`), else its short name or code attribute."""
    if el is None:
        return ""
    return (
        (el.text or "").strip()
        or el.get("НаименованиеКраткое", "").strip()
        or el.get("Код", "").strip()
        or el.get("МеждународноеСокращение", "").strip()
    )


def _vat_rate(text: str) -> Decimal | None:
    """`20`, `18%`, `0` → the rate; `Без НДС` (without VAT) → None."""
    text = text.strip().rstrip("%").strip()
    if not text or text.lower().startswith("без"):
        return None
    rate = parse_decimal(text)
    if not 0 <= rate <= 100:
        raise ValueError(text)
    return rate


def _role(text: str) -> str:
    return ROLES.get(text.lower(), text)
