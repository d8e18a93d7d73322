"""What a CommerceML file holds, as plain values: the records the reader yields, the skips it
reports, the refusal that stops a file, and the counts `inspect` prints
(docs/contexts/exchange.md, *Reading CommerceML* and *Inspect without applying*).

No I/O and no XML here: `adapters/commerceml/` turns the file into these values. The ERP's
vocabulary stays in the adapter: operations and roles arrive here as the codes below;
requisites and characteristics are the ERP's own (name, value) pairs, kept as data.
Every record carries `line`, the line of its element in the file (not part of its value), so
that a later check or a service's refusal can point at the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# Kinds of file (`Header.kind`, the `kind` of inspect).
KIND_CATALOG = "catalog"
KIND_OFFERS = "offers"
KIND_DOCUMENTS = "documents"
KIND_COUNTERPARTIES = "counterparties"
KINDS = (KIND_CATALOG, KIND_OFFERS, KIND_DOCUMENTS, KIND_COUNTERPARTIES)

# Why a record was left out (`Skip.reason`): a fixed list.
MISSING_ID = "missing-id"
MISSING_NAME = "missing-name"
BAD_NUMBER = "bad-number"
BAD_DATE = "bad-date"
UNKNOWN_PRICE_TYPE = "unknown-price-type"
UNKNOWN_WAREHOUSE = "unknown-warehouse"
EMPTY_OFFER = "empty-offer"
UNSUPPORTED_OPERATION = "unsupported-operation"
CURRENCY_MISMATCH = "currency-mismatch"
SKIP_REASONS = frozenset(
    {
        MISSING_ID,
        MISSING_NAME,
        BAD_NUMBER,
        BAD_DATE,
        UNKNOWN_PRICE_TYPE,
        UNKNOWN_WAREHOUSE,
        EMPTY_OFFER,
        UNSUPPORTED_OPERATION,
        CURRENCY_MISMATCH,
    }
)

# Why a whole file was refused (`Refusal.code`): nothing of it is applied.
MALFORMED = "malformed"
DTD_FORBIDDEN = "dtd-forbidden"
BAD_ENCODING = "bad-encoding"
UNKNOWN_NAMESPACE = "unknown-namespace"
UNKNOWN_ROOT = "unknown-root"
UNSUPPORTED_VERSION = "unsupported-version"
DUPLICATE_ID = "duplicate-id"
UNKNOWN_REFERENCE = "unknown-reference"
TOO_LARGE = "too-large"
ZIP_BOMB = "zip-bomb"
REFUSAL_CODES = frozenset(
    {
        MALFORMED,
        DTD_FORBIDDEN,
        BAD_ENCODING,
        UNKNOWN_NAMESPACE,
        UNKNOWN_ROOT,
        UNSUPPORTED_VERSION,
        DUPLICATE_ID,
        UNKNOWN_REFERENCE,
        TOO_LARGE,
        ZIP_BOMB,
    }
)

# What a document does (`Document.operation`), from the ERP's business operation.
OPERATION_ORDER = "order"  # an order's status coming back from the ERP
OPERATION_INVOICE = "invoice"  # goods shipped: an invoice to be paid
OPERATION_PAYMENT = "payment"  # money received
OPERATIONS = (OPERATION_ORDER, OPERATION_INVOICE, OPERATION_PAYMENT)

# A counterparty's or a document's role, when it is one of the usual ones; any other role is
# kept as the ERP wrote it.
ROLE_SELLER = "seller"
ROLE_BUYER = "buyer"
ROLE_PAYER = "payer"
ROLE_RECIPIENT = "recipient"

# The warehouse of stock given without one (`StockRow.warehouse_id`): the partner's default
# (EXCHANGE_DEFAULT_WAREHOUSE) is put in its place when the stock is applied.
DEFAULT_WAREHOUSE = ""

# Digits after the point a price may have: two unless the currency says otherwise (ISO 4217).
DEFAULT_MINOR_DIGITS = 2
MINOR_DIGITS = {
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
}


def minor_digits(currency: str) -> int:
    return MINOR_DIGITS.get(currency.strip().upper(), DEFAULT_MINOR_DIGITS)


def fraction_digits(amount: Decimal) -> int:
    """Digits after the point once trailing zeros are dropped: 231.7400 has 2."""
    exponent = amount.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    name: str
    parent_id: str | None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Property:
    id: str
    name: str
    values: Pairs  # the reference values (value id, value) of a `Справочник` property
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    name: str
    article: str
    unit: str
    barcodes: tuple[str, ...]
    vat_rate: Decimal | None  # None: no VAT stated, or "without VAT"
    group_ids: tuple[str, ...]
    property_values: Pairs  # (property id, value); a property with no value gives ""
    requisites: Pairs  # (name, value)
    variant_of: str | None  # `guid#guid`: a variant of the product before the `#`
    characteristics: Pairs = ()  # a variant's (name, value)
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class PriceType:
    id: str
    name: str
    currency: str
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Warehouse:
    id: str
    name: str
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Price:
    price_type_id: str
    amount: Decimal
    currency: str
    unit: str


@dataclass(frozen=True, slots=True)
class StockRow:
    warehouse_id: str  # DEFAULT_WAREHOUSE ("") when the file names none
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Offer:
    """An offer of a product (or of one of its variants: `id` is `product#variant`)."""

    id: str
    product_id: str  # the product: `id` up to the `#`
    name: str
    prices: tuple[Price, ...]
    stock: tuple[StockRow, ...]
    characteristics: Pairs  # (name, value)
    property_values: Pairs = ()  # (property id, value)
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class DocumentLine:
    product_id: str
    name: str
    quantity: Decimal
    price: Decimal | None
    amount: Decimal | None


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    number: str
    date: date | None
    operation: str  # one of OPERATIONS
    role: str
    currency: str
    amount: Decimal | None
    counterparty_ids: tuple[str, ...]
    lines: tuple[DocumentLine, ...]
    requisites: Pairs  # (name, value): `Проведен`, `Отгружен`, `Номер по 1С`, …
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Counterparty:
    id: str
    name: str
    full_name: str
    inn: str
    kpp: str
    role: str
    address: str
    line: int = field(default=0, compare=False)


Record = Group | Property | Product | PriceType | Warehouse | Offer | Document | Counterparty


@dataclass(frozen=True, slots=True)
class Skip:
    """A record left out: where it is, its external id ("" when it has none) and why."""

    line: int
    id: str
    reason: str  # one of SKIP_REASONS
    detail: str = ""


class Refusal(Exception):  # the model's word: a refused file (not an error of ours)
    """The whole file is refused: nothing of it may be applied."""

    def __init__(self, code: str, message: str, line: int | None = None) -> None:
        super().__init__(f"{code}: {message}" + (f" (line {line})" if line else ""))
        self.code = code
        self.message = message
        self.line = line

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "line": self.line}


@dataclass
class Counts:
    """What a file holds once read: records read per kind (skipped ones are not counted) and
    the skips. `to_json` is the inspect line and an import's report."""

    file: str
    version: str = ""
    kind: str = ""
    groups: int = 0
    properties: int = 0
    products: int = 0
    price_types: int = 0
    warehouses: int = 0
    offers: int = 0
    prices: int = 0
    stock_rows: int = 0
    documents: int = 0
    document_lines: int = 0
    counterparties: int = 0
    skipped: list[Skip] = field(default_factory=list)

    def add(self, item: Record | Skip) -> None:
        match item:
            case Skip():
                self.skipped.append(item)
            case Group():
                self.groups += 1
            case Property():
                self.properties += 1
            case Product():
                self.products += 1
            case PriceType():
                self.price_types += 1
            case Warehouse():
                self.warehouses += 1
            case Offer():
                self.offers += 1
                self.prices += len(item.prices)
                self.stock_rows += len(item.stock)
            case Document():
                self.documents += 1
                self.document_lines += len(item.lines)
            case Counterparty():
                self.counterparties += 1

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "version": self.version,
            "kind": self.kind,
            "groups": self.groups,
            "properties": self.properties,
            "products": self.products,
            "price_types": self.price_types,
            "warehouses": self.warehouses,
            "offers": self.offers,
            "prices": self.prices,
            "stock_rows": self.stock_rows,
            "documents": self.documents,
            "document_lines": self.document_lines,
            "counterparties": self.counterparties,
            "skipped": [{"line": s.line, "id": s.id, "reason": s.reason} for s in self.skipped],
        }
