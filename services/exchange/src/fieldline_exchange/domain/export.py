"""The order export in Fieldline's words (docs/contexts/exchange.md, *Export*): the journal's
facts, what a partner has still to receive, and an order as the export writes it. No I/O, no
ERP vocabulary (CommerceML's names are the writer's).

The rules:

* **Journal** (company-wide): one row per document (an order, a cash payment, an outlet),
  holding the latest version of
  it seen in the services' events. A version not newer than the row's changes nothing, so a
  redelivered or late event is harmless (`newer`).
* **Pending** for a partner: every journal row whose version is newer than the version the
  partner acknowledged of it (none acknowledged: every row). A query sends the pending rows in
  a new exchange (its number: the partner's last + 1) and records the version of each it sent;
  acknowledging that exchange raises the partner's acknowledged versions to those. A query
  repeated without an acknowledgement therefore sends the same documents again, plus newer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

# The journal's kinds of document: an order; cash an agent collected (a payment of kind CASH:
# the ERP's own bank payments come from the ERP and are not sent back); an outlet (new, from the
# census or an administrator, or its card or status changed).
ORDER = "order"
PAYMENT = "payment"
OUTLET = "outlet"
KINDS = (ORDER, PAYMENT, OUTLET)

# Kinds of order (Fieldline's): taken at the outlet for later delivery, or sold from a van.
PRE_SALE = "pre_sale"
VAN_SALE = "van_sale"

# Fieldline's order statuses, as the export names them (the writer gives the ERP its words).
STATUSES = (
    "credit_hold",
    "submitted",
    "confirmed",
    "shipped",
    "delivered",
    "partially_delivered",
    "rejected",
    "cancelled",
)
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A fact for the journal: a document and the version of it an event announced; with its
    content as the event carried it (`payload`: a payment's, an outlet's; an order is read as
    it is now when exported instead). `known_only`: the fact raises a row the journal holds
    and makes none (a held order's change: the ERP hears of it only if it had the order)."""

    kind: str
    document_id: str
    version: int
    occurred_at: datetime
    payload: bytes = b""
    known_only: bool = False


def newer(version: int, recorded: int | None) -> bool:
    """Whether a version seen should replace the one the journal holds (None: none yet)."""
    return recorded is None or version > recorded


@dataclass(frozen=True, slots=True)
class Pending:
    """A journal row a partner has not acknowledged at its version: `number` is the row's
    (and the document's number in the ERP)."""

    number: int
    kind: str
    document_id: str
    version: int
    payload: bytes = b""


@dataclass(frozen=True, slots=True)
class Party:
    """The buyer: its id for the ERP (its external id when it came from the ERP, else
    Fieldline's), names and tax ids."""

    id: str
    name: str
    inn: str = ""
    kpp: str = ""
    address: str = ""

    @property
    def individual(self) -> bool:
        """An individual entrepreneur (a 12-digit INN) rather than an organisation."""
        return len(self.inn) == 12


@dataclass(frozen=True, slots=True)
class OrderLine:
    """A line in base units: the product (its id for the ERP), the list price per base unit,
    the discounts applied and what the line comes to.

    Trade promotions (docs/contexts/sales-gaps.md, 3.7) price a line after its rule and manual
    discounts: `promotion_discount` is what they took off (its `amount` is after it) and
    `promotion_ids` name them. A line a promotion gives (free goods, a gift) is
    `free_of_charge`: `price` is what a unit would cost, `amount` and VAT 0, and
    `promotion_ids` name its promotion. Either way the discount written is the whole
    difference, so that price × quantity − discount is the line's amount (in the price's own
    terms: the gross when the price includes VAT, else the net)."""

    product_id: str
    name: str
    unit: str  # the base unit's code (pcs, kg, …)
    unit_name: str  # its short name (шт, кг, …), "" when unknown
    quantity: Decimal
    price: Decimal
    amount: Decimal  # gross: what the buyer pays for the line
    vat_rate: str  # percent, "" without VAT
    vat_amount: Decimal
    rule_discount_percent: Decimal = Decimal(0)
    manual_discount_percent: Decimal = Decimal(0)
    promotion_discount: Decimal = Decimal(0)
    promotion_ids: tuple[str, ...] = ()
    free_of_charge: bool = False

    @property
    def promoted(self) -> bool:
        """Whether a promotion priced the line or gave it."""
        return self.free_of_charge or bool(self.promotion_discount)

    @property
    def discounted(self) -> bool:
        """Whether the line has a discount to write."""
        return self.promoted or bool(self.discount_percent)

    @property
    def discount_percent(self) -> Decimal:
        """The discounts as one percent: the rule and manual ones, exactly (they apply one
        after the other); with a promotion's, the whole discount over the list amount, to
        two decimals (its amount, not this, is exact); 100 for a free line."""
        if self.free_of_charge:
            return Decimal(100)
        if self.promotion_discount:
            listed = _cents(self.quantity * self.price)
            if not listed:
                return Decimal(0)
            return _cents(self.discount_amount * 100 / listed).normalize()
        rest = (1 - self.rule_discount_percent / 100) * (1 - self.manual_discount_percent / 100)
        return ((1 - rest) * 100).normalize()

    @property
    def discount_amount(self) -> Decimal:
        """The list amount less the discounted one, as orders rounds them (in the price's own
        terms: VAT included or not, as the price type has it): the rule and manual discounts'
        part, plus what promotions took off after them; a free line's whole list amount."""
        listed = self.quantity * self.price
        if self.free_of_charge:
            return _cents(listed)
        rest = (1 - self.rule_discount_percent / 100) * (1 - self.manual_discount_percent / 100)
        return _cents(listed) - _cents(listed * rest) + self.promotion_discount


@dataclass(frozen=True, slots=True)
class AppliedPromotion:
    """A promotion an order got (orders' APPLIED): its id, name and what it gave (the line
    benefits plus the value of its free lines, as orders reckons them)."""

    promotion_id: str
    name: str
    benefit: Decimal


@dataclass(frozen=True, slots=True)
class OrderDocument:
    """An order as it is now (read from orders when exported), with its journal number."""

    order_id: str
    number: int
    version: int
    kind: str  # PRE_SALE, VAN_SALE
    status: str  # one of STATUSES
    order_date: date
    created_at: datetime | None
    updated_at: datetime | None
    delivery_date: date | None
    currency: str
    amount: Decimal  # gross total
    vat_amount: Decimal
    buyer: Party
    lines: tuple[OrderLine, ...] = field(default=())
    comment: str = ""
    revision: int = 0  # a pre-sale order's revision (1 at submit, +1 an amendment); 0: none
    promotions: tuple[AppliedPromotion, ...] = ()  # those it got, in orders' order


@dataclass(frozen=True, slots=True)
class PaymentDocument:
    """Cash an agent collected from a client, as the event recorded it, with its journal
    number: the receipt, the collector, what it paid (invoice ids and amounts) and what is
    left as an advance."""

    payment_id: str
    number: int
    version: int
    payment_date: date
    currency: str
    amount: Decimal
    payer: Party
    outlet_id: str
    receipt_number: str
    collected_by: str
    allocations: tuple[tuple[str, Decimal], ...] = field(default=())
    unallocated: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class OutletDocument:
    """An outlet of a client as its latest event showed it, with its journal number."""

    outlet_id: str
    number: int
    version: int
    client: Party
    name: str
    address: str
    status: str  # active, closed, … (Fieldline's, lower case)
    created_on: date
    channel: str = ""
    format: str = ""
    outlet_class: str = ""
    territory_id: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None


ExportDocument = OrderDocument | PaymentDocument | OutletDocument


@dataclass(frozen=True, slots=True)
class Exchange:
    """One query's result: its number (0 when nothing was pending: no exchange was made) and
    the documents it holds."""

    number: int
    documents: int


@dataclass(frozen=True, slots=True)
class Acknowledged:
    """An exchange acknowledged (`number` 0: the partner had none to acknowledge)."""

    number: int
    documents: int
    acknowledged_at: datetime | None


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
