"""Documents a device uploads, and the rules the gateway applies to them itself, no I/O.

docs/sync-protocol.md, *Uploads*; docs/contexts/device-gateway.md, *Uploads*. Each kind is a
strict msgspec Struct (camelCase, unknown fields refused, bounded), one member of a union
tagged by `kind`; money and quantities are decimal strings, never floats. Decoding is per
document: one that does not decode is that document's `invalid-document` naming its path.

The shapes live here rather than beside the HTTP schemas because the whole pipeline reads
them: the use case (its rules), and the adapter that turns each into its service's request.

The rules:

* **future-dated**: a device time (`createdAt`, a check-in's `time`, a call's `startedAt` and
  `endedAt`) after the batch's
  `sentAt` + 1 minute, or after the server's time + the allowed skew;
* **prerequisites**: a document *creates* at most one entity the device named (a visit, an
  order or van sale — whose invoice has the sale's id —, a proposed outlet, a call) and
  *needs* the
  ones it names; what it needs is judged from what the earlier documents of the batch and the
  receipts say about it (`judge_prerequisites`): rejected → rejected, deferred → deferred,
  accepted or never seen → sent. Ids are the app's UUIDs, so an id alone names its entity;
* **classification** of a service's refusal by its gRPC status name (`refusal`), and the
  warnings an accepted document carries (`credit_warnings`, `promotion_warnings`,
  `visit_warnings`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Literal

import msgspec

# ---------------------------------------------------------------------------------- the types

UUID_PATTERN = r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
# The document's id and every entity id the app makes.
Uuid = Annotated[str, msgspec.Meta(pattern=UUID_PATTERN)]
# An id the server made (an outlet, a client, a product, an ERP invoice): ≤ 64 characters.
Ref = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Time = Annotated[dt.datetime, msgspec.Meta(tz=True)]
# ASCII digits, optional sign and point (docs/sync-protocol.md, *Conventions*).
DecimalText = Annotated[
    str, msgspec.Meta(pattern=r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$", max_length=50)
]
Amount = Annotated[str, msgspec.Meta(pattern=r"^[+-]?[0-9]{1,15}(?:\.[0-9]{1,2})?$")]
# A money amount of 0 or more, without its currency (an expected promotion's benefit).
NonNegativeAmount = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,15}(?:\.[0-9]{1,2})?$")]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
# The kit's text bounds (fieldline_kit.validation), checked again by the services.
Name = Annotated[str, msgspec.Meta(max_length=300)]
Text = Annotated[str, msgspec.Meta(max_length=2000)]
Reason = Annotated[str, msgspec.Meta(max_length=1000)]
Code = Annotated[str, msgspec.Meta(max_length=100)]
Value = Annotated[str, msgspec.Meta(max_length=1000)]
Unit = Annotated[str, msgspec.Meta(max_length=20)]
FieldPath = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
HourMinute = Annotated[str, msgspec.Meta(pattern=r"^[0-2][0-9]:[0-5][0-9]$")]
MAX_LINES = 1000
MAX_LIST = 100


class Wire(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """A part of an uploaded document: camelCase, unknown fields refused (the same rules as
    the HTTP schemas' `Strict`)."""


class Money(Wire, kw_only=True):
    amount: Amount
    currency: Currency


class LatLng(Wire, kw_only=True):
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    accuracy_m: Annotated[float, msgspec.Meta(ge=0, le=1e6)] | None = None


class CreditOverride(Wire, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class OrderLine(Wire, kw_only=True):
    product_id: Ref
    unit: Unit = ""
    quantity: DecimalText
    manual_discount_percent: DecimalText | None = None


class QuantityLine(Wire, kw_only=True):
    product_id: Ref
    unit: Unit = ""
    quantity: DecimalText


class ReturnLine(Wire, kw_only=True):
    product_id: Ref
    unit: Unit = ""
    quantity: DecimalText
    reason: Reason = ""


class ContainerLine(Wire, kw_only=True):
    container_type: Code
    quantity: DecimalText


class CountedLine(Wire, kw_only=True):
    product_id: Ref
    quantity: DecimalText


class AuditAnswer(Wire, kw_only=True):
    question_id: Code
    number: DecimalText | None = None
    money: Money | None = None
    yes_no: bool | None = None
    choice: Value | None = None
    photo_id: Uuid | None = None

    def __post_init__(self) -> None:
        values = (self.number, self.money, self.yes_no, self.choice, self.photo_id)
        given = [v for v in values if v is not None]
        if len(given) != 1:
            raise ValueError("an answer holds exactly one of number, money, yesNo, choice, photoId")


class MustStock(Wire, kw_only=True):
    sku: Code
    present: bool
    facings: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
    shelf_quantity: DecimalText | None = None


class CompetitorPrice(Wire, kw_only=True):
    product: Name
    competitor: Name
    price: Money


class Contact(Wire, kw_only=True):
    name: Name = ""
    role: Code = ""
    phone: Code = ""
    email: Code = ""


class WorkingHours(Wire, kw_only=True):
    weekday: Annotated[int, msgspec.Meta(ge=1, le=7)]
    opens: HourMinute
    closes: HourMinute


class OutletCard(Wire, kw_only=True):
    """As `outlets.card` of the sync; a card change sends the fields it changes."""

    name: Name = ""
    address: Text = ""
    location: LatLng | None = None
    channel: Code = ""
    format: Code = ""
    outlet_class: Code = ""
    contacts: Annotated[list[Contact], msgspec.Meta(max_length=MAX_LIST)] = []
    working_hours: Annotated[list[WorkingHours], msgspec.Meta(max_length=MAX_LIST)] = []
    custom_attributes: Annotated[dict[Code, Value], msgspec.Meta(max_length=MAX_LIST)] = {}


class ExpectedFreeLine(Wire, kw_only=True):
    product_id: Ref
    base_quantity: DecimalText


class ExpectedPromotion(Wire, kw_only=True):
    """A promotion the device expected its order (or van sale) to get, as it judged it offline
    from its `promotions` items: the benefit in the order's currency (the gateway sends it
    without one: orders takes that as the order's) and the free lines it expected. orders
    stores it as sent and checks its form only; its own rule decides (sales-gaps.md 3.7,
    *What the device expected*)."""

    promotion_id: Uuid
    benefit: NonNegativeAmount
    free_lines: Annotated[list[ExpectedFreeLine], msgspec.Meta(max_length=MAX_LIST)] = []


ExpectedPromotions = Annotated[list[ExpectedPromotion], msgspec.Meta(max_length=MAX_LIST)]
LinesMeta = msgspec.Meta(max_length=MAX_LINES)
OrderLines = Annotated[list[OrderLine], LinesMeta]
QuantityLines = Annotated[list[QuantityLine], LinesMeta]
ReturnLines = Annotated[list[ReturnLine], LinesMeta]
ContainerLines = Annotated[list[ContainerLine], LinesMeta]
CountedLines = Annotated[list[CountedLine], LinesMeta]
Answers = Annotated[list[AuditAnswer], LinesMeta]
MustStockChecks = Annotated[list[MustStock], LinesMeta]
CompetitorPrices = Annotated[list[CompetitorPrice], LinesMeta]


class DocumentBase(Wire, tag_field="kind", kw_only=True):
    """What every document carries: its id (the service call's request_id), the device's
    clock when it was made, the photos it expects."""

    document_id: Uuid
    created_at: Time
    photo_ids: Annotated[list[Uuid], msgspec.Meta(max_length=MAX_LIST)] = []


class VisitCheckIn(DocumentBase, tag="visitCheckIn", kw_only=True):
    visit_id: Uuid
    outlet_id: Ref
    time: Time
    location: LatLng | None = None
    date: dt.date


class VisitCheckOut(DocumentBase, tag="visitCheckOut", kw_only=True):
    visit_id: Uuid
    time: Time
    location: LatLng | None = None
    outcome: Literal["orderTaken", "noOrder", "auditOnly", "outletClosed", "refused"]
    notes: Text = ""


class MissedVisit(DocumentBase, tag="missedVisit", kw_only=True):
    visit_id: Uuid
    outlet_id: Ref
    date: dt.date
    reason: Reason


class Audit(DocumentBase, tag="audit", kw_only=True):
    audit_id: Uuid
    visit_id: Uuid
    questionnaire_id: Ref
    outlet_id: Ref
    answers: Answers = []
    must_stock: MustStockChecks = []
    competitor_prices: CompetitorPrices = []


class Order(DocumentBase, tag="order", kw_only=True):
    """A pre-sale order (orders `SubmitOrder`). `channel` unset is the employee's own: `phone`
    for a teleseller, `field` for the others; a phone order names the call it was taken in
    (`callId`, the app's id of an earlier `call` document) and may name the agent credited
    with it (`creditedAgentId`); which combinations pass is orders' rule. `expectedPromotions`:
    what the device expected the order to get (`ExpectedPromotion`)."""

    order_id: Uuid
    visit_id: Uuid | None = None
    client_id: Ref
    outlet_id: Ref
    distributor_id: Ref | None = None
    warehouse_id: Ref | None = None
    order_date: dt.date
    delivery_date: dt.date | None = None
    lines: OrderLines
    comment: Text = ""
    credit_override: CreditOverride | None = None
    channel: Literal["field", "phone"] | None = None
    call_id: Uuid | None = None
    credited_agent_id: Ref | None = None
    expected_promotions: ExpectedPromotions = []


class OrderAmend(DocumentBase, tag="orderAmend", kw_only=True):
    """A pre-sale order's next revision, whole (orders `AmendOrder`): `amendmentId` the app's
    id of this amendment, `expectedRevision` the revision it was made on; `expectedPromotions`
    are the new revision's (left out: none expected)."""

    order_id: Uuid
    amendment_id: Uuid
    expected_revision: Annotated[int, msgspec.Meta(ge=1)]
    lines: OrderLines
    delivery_date: dt.date | None = None
    warehouse_id: Ref | None = None
    comment: Text = ""
    credit_override: CreditOverride | None = None
    expected_promotions: ExpectedPromotions = []


class OrderCancel(DocumentBase, tag="orderCancel", kw_only=True):
    """A pre-sale order cancelled before confirmation, with a reason (orders `CancelOrder`)."""

    order_id: Uuid
    expected_revision: Annotated[int, msgspec.Meta(ge=1)]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class VanSale(DocumentBase, tag="vanSale", kw_only=True):
    """A van sale (orders `CompleteVanSale`); `expectedPromotions` as an order's."""

    sale_id: Uuid
    visit_id: Uuid | None = None
    van_id: Ref
    client_id: Ref
    outlet_id: Ref
    date: dt.date
    lines: OrderLines
    cash_collected: Money | None = None
    receipt_number: Code = ""
    credit_override: CreditOverride | None = None
    expected_promotions: ExpectedPromotions = []


class Return(DocumentBase, tag="return", kw_only=True):
    return_id: Uuid
    visit_id: Uuid | None = None
    van_id: Ref | None = None
    client_id: Ref
    outlet_id: Ref
    order_id: Ref | None = None
    date: dt.date
    lines: ReturnLines = []
    containers: ContainerLines = []


class PaymentAllocation(Wire, kw_only=True):
    invoice_id: Ref
    amount: Money | None = None


Allocations = Annotated[list[PaymentAllocation], LinesMeta]


class Payment(DocumentBase, tag="payment", kw_only=True):
    payment_id: Uuid
    visit_id: Uuid | None = None
    client_id: Ref
    outlet_id: Ref | None = None
    date: dt.date
    amount: Money
    receipt_number: Code
    allocations: Allocations = []


class OutletProposal(DocumentBase, tag="outletProposal", kw_only=True):
    proposal_id: Uuid
    outlet_id: Uuid
    client_id: Ref
    card: OutletCard


class CardChange(DocumentBase, tag="cardChange", kw_only=True):
    proposal_id: Uuid
    outlet_id: Ref
    card: OutletCard
    fields: Annotated[list[FieldPath], msgspec.Meta(max_length=MAX_LIST)] = []


class VanLoad(DocumentBase, tag="vanLoad", kw_only=True):
    load_id: Uuid
    van_id: Ref
    date: dt.date
    lines: QuantityLines


class VanUnload(DocumentBase, tag="vanUnload", kw_only=True):
    unload_id: Uuid
    van_id: Ref
    date: dt.date
    counted: CountedLines = []
    cash_handed_over: Money


class Call(DocumentBase, tag="call", kw_only=True):
    """A teleseller's call to an outlet of its call lists, once it happened (clients
    `RecordCall`). `date` unset: the day of `startedAt` in the company's time zone."""

    call_id: Uuid
    outlet_id: Ref
    date: dt.date | None = None
    started_at: Time
    ended_at: Time | None = None
    outcome: Literal["ordered", "noAnswer", "callBack", "refused"]
    call_back_at: Time | None = None
    reason: Reason = ""
    notes: Text = ""


Document = (
    VisitCheckIn
    | VisitCheckOut
    | MissedVisit
    | Audit
    | Order
    | OrderAmend
    | OrderCancel
    | VanSale
    | Return
    | Payment
    | OutletProposal
    | CardChange
    | VanLoad
    | VanUnload
    | Call
)

KINDS: dict[str, type[DocumentBase]] = {
    str(cls.__struct_config__.tag): cls
    for cls in (
        VisitCheckIn,
        VisitCheckOut,
        MissedVisit,
        Audit,
        Order,
        OrderAmend,
        OrderCancel,
        VanSale,
        Return,
        Payment,
        OutletProposal,
        CardChange,
        VanLoad,
        VanUnload,
        Call,
    )
}


def kind_of(document: DocumentBase) -> str:
    return str(document.__struct_config__.tag)


# -------------------------------------------------------------------------------- statuses


class Status(StrEnum):
    """A document's result (docs/sync-protocol.md, *Uploads*)."""

    ACCEPTED = "accepted"
    WARNED = "acceptedWithWarning"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    DEFERRED = "deferred"

    @property
    def final(self) -> bool:
        return self is not Status.DEFERRED


PROBLEM_TYPE = "tag:fieldline.dev,2026:problems/"

TITLES = {
    "invalid-document": "The document is not valid",
    "future-dated": "The document is dated in the future",
    "document-id-reused": "This documentId was sent before with other content",
    "not-found": "Not found, or outside your routes",
    "not-permitted": "Not permitted",
    "failed-precondition": "The document cannot be applied now",
    "conflicting-document": "The entity exists with other content",
    "prerequisite-rejected": "A document this one depends on was rejected",
    "service-unavailable": "The service is unavailable; send it again",
    "timeout": "The service did not answer in time; send it again",
    "busy": "The same document is being handled by another request; send it again",
    "prerequisite-deferred": "A document this one depends on was deferred; send them again",
    "batch-time-exceeded": "The batch ran out of time; send it again",
    "token-expired": "The access token expired; refresh it and send it again",
    "invoice-pending": "The sale's invoice is not booked yet; send it again",
    "stale-revision": "The order is at another revision; read it and make the change again",
}


# -------------------------------------------------------------------------------- the answer


class Out(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """A part of the upload's answer: camelCase, empty members left out."""


class DocumentWarning(Out):
    code: str
    message: str


class DocumentProblem(Out):
    code: str
    title: str
    type: str
    detail: str = ""
    field: str | None = None
    # The documentId of the rejected or deferred document this one depends on.
    prerequisite: str | None = None


class DocumentResult(Out):
    document_id: str
    kind: str
    status: str
    # On a duplicate: the status it was first answered with (its entity, warnings, problem).
    original_status: str | None = None
    warnings: list[DocumentWarning] = []
    entity: dict[str, Any] | None = None
    problem: DocumentProblem | None = None


class UploadResult(Out):
    batch_id: str
    results: list[DocumentResult]
    # Always present: the access token expired during the batch (the rest was deferred).
    token_expired: bool


def problem(
    code: str,
    detail: str = "",
    *,
    title: str = "",
    field: str | None = None,
    prerequisite: str | None = None,
) -> DocumentProblem:
    return DocumentProblem(
        code=code,
        title=title or TITLES.get(code, code),
        type=PROBLEM_TYPE + code,
        detail=detail,
        field=field,
        prerequisite=prerequisite,
    )


@dataclass(frozen=True)
class Outcome:
    """What became of a document sent to its service (before it is told to the device)."""

    status: Status
    entity: dict[str, Any] | None = None
    warnings: tuple[DocumentWarning, ...] = ()
    problem: DocumentProblem | None = None
    # UNAUTHENTICATED: the token no longer works; the batch ends here.
    token_expired: bool = False

    @classmethod
    def accepted(
        cls, entity: dict[str, Any] | None, warnings: Iterable[DocumentWarning] = ()
    ) -> Outcome:
        found = tuple(warnings)
        return cls(Status.WARNED if found else Status.ACCEPTED, entity, found)

    @classmethod
    def rejected(cls, found: DocumentProblem) -> Outcome:
        return cls(Status.REJECTED, problem=found)

    @classmethod
    def deferred(cls, found: DocumentProblem, *, token_expired: bool = False) -> Outcome:
        return cls(Status.DEFERRED, problem=found, token_expired=token_expired)

    def result(self, document_id: str, kind: str) -> DocumentResult:
        return DocumentResult(
            document_id=document_id,
            kind=kind,
            status=str(self.status),
            warnings=list(self.warnings),
            entity=self.entity,
            problem=self.problem,
        )


def duplicate_of(stored: DocumentResult) -> DocumentResult:
    """A document answered before: its first answer, as a duplicate."""
    return DocumentResult(
        document_id=stored.document_id,
        kind=stored.kind,
        status=str(Status.DUPLICATE),
        original_status=stored.status,
        warnings=stored.warnings,
        entity=stored.entity,
        problem=stored.problem,
    )


# -------------------------------------------------------------------------------- decoding

_DOCUMENT: msgspec.json.Decoder[Document] = msgspec.json.Decoder(Document)

_PATH = re.compile(r"\s*-\s*at `\$\.?([^`]*)`$")
_NAMED_FIELD = re.compile(r"^Object (?:contains unknown|missing required) field `([^`]+)`")


def validation_path(message: str) -> tuple[str, str]:
    """msgspec's error text → (the path inside the document, the text without the path);
    an unknown or missing field is named in the path."""
    found = _PATH.search(message)
    path, text = ("", message) if found is None else (found.group(1), message[: found.start()])
    named = _NAMED_FIELD.match(text)
    if named is not None:
        path = f"{path}.{named.group(1)}" if path else named.group(1)
    return path, text


def join_path(base: str, path: str) -> str:
    if not path:
        return base
    return f"{base}{path}" if path.startswith("[") else f"{base}.{path}"


@dataclass(frozen=True)
class Received:
    """One document as received: decoded, or why not, with what could still be read of it
    (its id and kind, the entity it would have created: its dependents are then refused)."""

    index: int
    digest: str
    document: Document | None
    document_id: str
    kind: str
    problem: DocumentProblem | None = None

    @property
    def where(self) -> str:
        return f"documents[{self.index}]"


def digest_of(raw: bytes | memoryview | msgspec.Raw) -> str:
    """The digest a receipt keeps of a document as received: of its JSON with the keys
    sorted and no spaces, so the same content sent again compares equal whatever the layout,
    and a server that learns new optional fields keeps the digests it stored."""
    try:
        canonical = msgspec.json.encode(msgspec.json.decode(raw), order="sorted")
    except msgspec.DecodeError:
        canonical = bytes(raw)
    return hashlib.sha256(canonical).hexdigest()


_UUID = re.compile(UUID_PATTERN)


def receive(index: int, raw: bytes | memoryview | msgspec.Raw) -> Received:
    """Decode one document strictly for its kind."""
    digest = digest_of(raw)
    try:
        document = _DOCUMENT.decode(raw)
    except msgspec.ValidationError as exc:
        loose = _loose(raw)
        path, text = validation_path(str(exc))
        where = join_path(f"documents[{index}]", path)
        document_id = loose.get("documentId")
        kind = loose.get("kind")
        return Received(
            index=index,
            digest=digest,
            document=None,
            document_id=document_id if isinstance(document_id, str) else "",
            kind=kind if isinstance(kind, str) and kind in KINDS else "",
            problem=problem("invalid-document", f"{where}: {text}", field=where),
        )
    except msgspec.DecodeError as exc:  # not JSON at all (the envelope decoded, so rare)
        where = f"documents[{index}]"
        return Received(
            index=index,
            digest=digest,
            document=None,
            document_id="",
            kind="",
            problem=problem("invalid-document", f"{where}: {exc}", field=where),
        )
    return Received(
        index=index,
        digest=digest,
        document=document,
        document_id=document.document_id,
        kind=kind_of(document),
    )


def _loose(raw: bytes | memoryview | msgspec.Raw) -> dict[str, Any]:
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def usable_id(document_id: str) -> bool:
    """Whether a receipt can be kept under this documentId (a UUID, as the protocol says)."""
    return bool(_UUID.match(document_id))


def normal_id(value: str) -> str:
    """An id as the prerequisites compare them (the services lower-case UUIDs)."""
    return value.strip().lower().replace("-", "") if _UUID.match(value.strip()) else value.strip()


# ---------------------------------------------------------------------------- future-dated

SENT_AT_GRACE = dt.timedelta(minutes=1)


def device_times(document: Document) -> list[tuple[str, dt.datetime]]:
    """The device times a document carries, by their field."""
    times = [("createdAt", document.created_at)]
    if isinstance(document, VisitCheckIn | VisitCheckOut):
        times.append(("time", document.time))
    if isinstance(document, Call):  # (its callBackAt is meant to be ahead)
        times.append(("startedAt", document.started_at))
        if document.ended_at is not None:
            times.append(("endedAt", document.ended_at))
    return times


def future_dated(
    received: Received, sent_at: dt.datetime, now: dt.datetime, skew: dt.timedelta
) -> DocumentProblem | None:
    """`future-dated` when a device time is after `sentAt` + 1 minute or after the server's
    time + the allowed skew."""
    document = received.document
    if document is None:
        return None
    bound = min(sent_at + SENT_AT_GRACE, now + skew)
    for name, moment in device_times(document):
        if moment > bound:
            where = f"{received.where}.{name}"
            if moment > sent_at + SENT_AT_GRACE:
                why = f"{moment.isoformat()} is after the batch's sentAt {sent_at.isoformat()}"
            else:
                why = f"{moment.isoformat()} is after the server's time {now.isoformat()}"
            return problem("future-dated", f"{where}: {why}", field=where)
    return None


# --------------------------------------------------------------------------- prerequisites


def creates(document: Document) -> str | None:
    """The entity the document makes under an id the device chose, that later documents
    name: a visit (check-in, missed visit), an order (a van sale's invoice has its id too),
    a proposed outlet, a call (a phone order will name it)."""
    match document:
        case VisitCheckIn() | MissedVisit():
            return normal_id(document.visit_id)
        case Call():
            return normal_id(document.call_id)
        case Order():
            return normal_id(document.order_id)
        case VanSale():
            return normal_id(document.sale_id)
        case OutletProposal():
            return normal_id(document.outlet_id)
    return None


_CREATES_FIELD = {
    "visitCheckIn": "visitId",
    "missedVisit": "visitId",
    "order": "orderId",
    "vanSale": "saleId",
    "outletProposal": "outletId",
    "call": "callId",
}


def creates_loosely(raw: bytes | memoryview | msgspec.Raw, kind: str) -> str | None:
    """What a document that did not decode would have created, read as leniently as it can
    be, so that its dependents are refused rather than sent."""
    name = _CREATES_FIELD.get(kind)
    value = _loose(raw).get(name) if name else None
    return normal_id(value) if isinstance(value, str) and value.strip() else None


def needs(document: Document) -> frozenset[str]:
    """The ids of entities the document names that an earlier document may have created."""
    named: list[str | None] = []
    match document:
        case VisitCheckIn() | MissedVisit() | CardChange() | Call():
            named.append(document.outlet_id)
        case VisitCheckOut():
            named.append(document.visit_id)
        case Audit():
            named += [document.visit_id, document.outlet_id]
        case Order():
            named += [document.visit_id, document.outlet_id, document.call_id]
        case VanSale():
            named += [document.visit_id, document.outlet_id]
        case Return():
            named += [document.visit_id, document.outlet_id, document.order_id]
        case OrderAmend() | OrderCancel():
            named.append(document.order_id)
        case Payment():
            named += [document.visit_id, document.outlet_id]
            named += [a.invoice_id for a in document.allocations]
        case OutletProposal() | VanLoad() | VanUnload():
            pass
    own = creates(document)
    return frozenset(normal_id(n) for n in named if n) - {own}


@dataclass(frozen=True)
class Sighting:
    """What one document that created an entity became: a status and its documentId."""

    status: Status
    document_id: str


@dataclass(frozen=True)
class Verdict:
    """`send`, or refuse because of `prerequisite` (rejected → rejected, else deferred)."""

    send: bool
    status: Status | None = None
    prerequisite: str = ""


SEND = Verdict(send=True)


def judge_prerequisites(
    wanted: Iterable[str], sightings: Mapping[str, Sequence[Sighting]]
) -> Verdict:
    """Per entity needed: accepted by any document (before, or in this batch) → fine;
    else one deferred (or held by another request) → deferred; else rejected → rejected;
    never seen → the service judges. A rejected prerequisite outweighs a deferred one."""
    deferred = ""
    for entity in sorted(wanted):
        seen = sightings.get(entity, ())
        if not seen or any(s.status in (Status.ACCEPTED, Status.WARNED) for s in seen):
            continue
        waiting = [s for s in seen if s.status is Status.DEFERRED]
        if waiting:
            deferred = deferred or waiting[-1].document_id
            continue
        refused = [s for s in seen if s.status is Status.REJECTED]
        if refused:
            return Verdict(False, Status.REJECTED, refused[-1].document_id)
    if deferred:
        return Verdict(False, Status.DEFERRED, deferred)
    return SEND


_UNKNOWN_ALLOCATION = re.compile(r"allocations\[([0-9]+)\]\.invoice_id: ")
MADE = (Status.ACCEPTED, Status.WARNED, Status.DUPLICATE)


def invoice_on_its_way(
    document: Document, outcome: Outcome, sightings: Mapping[str, Sequence[Sighting]]
) -> Outcome:
    """A payment settlements refused because an invoice it allocates to is unknown, when that
    invoice is a van sale's this gateway saw made (in the batch, or with a receipt): settlements
    books a sale's invoice from the sale's event, a moment after the sale — not yet is not
    never, so the payment is deferred (the device sends it again), not rejected. Any other
    outcome is returned as it is."""
    if not isinstance(document, Payment) or outcome.status is not Status.REJECTED:
        return outcome
    found = outcome.problem
    if found is None or found.code != "not-found":
        return outcome
    named = _UNKNOWN_ALLOCATION.search(found.detail)
    if named is None or int(named.group(1)) >= len(document.allocations):
        return outcome
    invoice = normal_id(document.allocations[int(named.group(1))].invoice_id)
    made = [s for s in sightings.get(invoice, ()) if s.status in MADE]
    if not made:
        return outcome
    return Outcome.deferred(
        problem(
            "invoice-pending",
            f"the invoice of sale {invoice} (document {made[0].document_id}) is not booked "
            "by settlements yet",
            prerequisite=made[0].document_id,
        )
    )


def prerequisite_problem(verdict: Verdict) -> DocumentProblem:
    if verdict.status is Status.REJECTED:
        return problem(
            "prerequisite-rejected",
            f"document {verdict.prerequisite} this one depends on was rejected",
            prerequisite=verdict.prerequisite,
        )
    return problem(
        "prerequisite-deferred",
        f"document {verdict.prerequisite} this one depends on was deferred",
        prerequisite=verdict.prerequisite,
    )


@dataclass
class BatchLedger:
    """What the documents of this batch became, by the entity each created (in order)."""

    seen: dict[str, list[Sighting]] = field(default_factory=dict)

    def record(self, entity: str | None, status: Status, document_id: str) -> None:
        if entity:
            self.seen.setdefault(entity, []).append(Sighting(status, document_id))


# ------------------------------------------------------------------------- classification

# gRPC status names (grpc.StatusCode.<name>.name) → the document problem of a refusal.
REJECTED_CODES = {
    "INVALID_ARGUMENT": "invalid-document",
    "OUT_OF_RANGE": "invalid-document",
    "NOT_FOUND": "not-found",
    "PERMISSION_DENIED": "not-permitted",
    "FAILED_PRECONDITION": "failed-precondition",
    "ALREADY_EXISTS": "conflicting-document",
}
DEFERRED_CODES = {
    "UNAVAILABLE": "service-unavailable",
    "RESOURCE_EXHAUSTED": "service-unavailable",
    "ABORTED": "service-unavailable",
    "DEADLINE_EXCEEDED": "timeout",
    "CANCELLED": "service-unavailable",
}
# What the kit's idempotency answers for a request_id sent before with another request.
REQUEST_ID_REUSED = "was already used for a different request"

_SEGMENT = r"[a-z_][a-z0-9_]*(?:\[[0-9]+\])?"
_FIELD_PREFIX = re.compile(rf"^({_SEGMENT}(?:\.{_SEGMENT})*): ")

# Per kind: the services' field names that are not the document's in camelCase.
_WRAPPERS = ("audit.", "payment.", "call.")
_RENAMES: dict[str, dict[str, str]] = {
    "*": {"request_id": "documentId", "currency_code": "currency", "update_mask": "fields"},
    "audit": {"id": "auditId", "photo_ref": "photoId"},
    "payment": {"id": "paymentId"},
    "call": {"id": "callId"},
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def device_field(kind: str, service_field: str) -> str:
    """A service's field path (`audit.must_stock[0].shelf_quantity`) → the document's
    (`mustStock[0].shelfQuantity`)."""
    path = service_field
    for wrapper in _WRAPPERS:
        if path.startswith(wrapper):
            path = path[len(wrapper) :]
            break
    renames = {**_RENAMES["*"], **_RENAMES.get(kind, {})}
    out = []
    for segment in path.split("."):
        name, bracket, rest = segment.partition("[")
        name = renames.get(name, _camel(name))
        out.append(name + (bracket + rest if bracket else ""))
    return ".".join(out)


_STALE_REVISION = "expected_revision: "


def stale_revision(code: str, message: str) -> bool:
    """ABORTED naming `expected_revision` (orders' `AmendOrder`, `CancelOrder`): the order is
    at another revision than the one the document was made on. Unlike ABORTED from a race,
    sending it again can never pass: the app reads the order and makes a new document."""
    return code == "ABORTED" and message.startswith(_STALE_REVISION)


def refusal(code: str, message: str, received: Received) -> Outcome:
    """A service's refusal (its gRPC status name and message) → the document's outcome.

    UNAUTHENTICATED ends the batch (token-expired); a stale revision rejects it
    (`stale-revision`, naming `expectedRevision`); the transient codes defer it; the others
    reject it with the service's message, an INVALID_ARGUMENT naming the document's field."""
    if code == "UNAUTHENTICATED":
        return Outcome.deferred(problem("token-expired", message), token_expired=True)
    if stale_revision(code, message):
        where = join_path(received.where, "expectedRevision")
        why = message[len(_STALE_REVISION) :]
        return Outcome.rejected(problem("stale-revision", f"{where}: {why}", field=where))
    rejected = REJECTED_CODES.get(code)
    if rejected is None:
        deferred = DEFERRED_CODES.get(code, "service-unavailable")
        return Outcome.deferred(problem(deferred, f"{code}: {message}"))
    found = _FIELD_PREFIX.match(message) if rejected == "invalid-document" else None
    if found is None:
        return Outcome.rejected(problem(rejected, message))
    if found.group(1) == "request_id" and REQUEST_ID_REUSED in message:
        return Outcome.rejected(
            problem(
                "document-id-reused",
                f"{received.where}.documentId: the service holds another request under it",
                field=f"{received.where}.documentId",
            )
        )
    where = join_path(received.where, device_field(received.kind, found.group(1)))
    return Outcome.rejected(problem(rejected, f"{where}: {message[found.end() :]}", field=where))


def unavailable(service: str, code: str, message: str) -> DocumentProblem:
    """The deferral of a service out of reach, naming the service."""
    name = DEFERRED_CODES.get(code, "service-unavailable")
    if name == "timeout":
        title = f"{service} did not answer in time; send it again"
    elif code == "ABORTED":
        title = f"{service} was busy with the same records; send it again"
    else:
        title = f"{service} is unavailable; send it again"
    return problem(name, f"{code}: {message}", title=title)


def credit_warnings(
    *, status: str, outcome: str, fallback: bool, reasons: Sequence[str]
) -> list[DocumentWarning]:
    """An order's (or van sale's) debt-policy decision → its warnings: `creditHold` (stored,
    not fulfilled until paid or overridden), `creditWarn`, `creditUnchecked` (the fallback
    decided). `status` and `outcome` in the protocol's enum spelling (`creditHold`, `warn`)."""
    why = "; ".join(r for r in reasons if r)
    found = []
    if status == "creditHold":
        found.append(
            DocumentWarning(
                code="creditHold",
                message=f"on credit hold: {why}" if why else "on credit hold by the debt policy",
            )
        )
    elif outcome == "warn":
        found.append(
            DocumentWarning(
                code="creditWarn",
                message=why or "the debt policy warns about this client's debt",
            )
        )
    if fallback:
        found.append(
            DocumentWarning(
                code="creditUnchecked",
                message="the debt check could not run; the configured fallback decided",
            )
        )
    return found


# A promotion's status (the protocol's spelling) as the warning says it.
_PROMOTION_STATUS = {
    "notEligible": "not eligible",
    "ended": "ended",
    "stopped": "stopped",
    "budgetExhausted": "budget exhausted",
    "notChosen": "not chosen",
}


def _money_text(value: Mapping[str, Any] | None) -> str:
    if not value:
        return "nothing"
    return f"{value.get('amount', '')} {value.get('currency', '')}".strip()


def promotion_warnings(promotions: Sequence[Mapping[str, Any]]) -> list[DocumentWarning]:
    """An order's (or van sale's) promotions, as its entity holds them (`promotions`, the
    protocol's spelling) → `promotionChanged` when the server's judgement of any differs from
    what the device expected (`match` other than `match`: `different`, `missing`,
    `unexpected`), naming each of those with what the server gave and the device expected. A
    promotion without a `match` (orders judged no expectation) says nothing. The order went
    through at the server's prices either way; the device may amend or cancel it."""
    parts = []
    for promotion in promotions:
        match = promotion.get("match")
        if not match or match == "match":
            continue
        name = promotion.get("name") or promotion.get("promotionId", "")
        given = _money_text(promotion.get("benefit"))
        expected = _money_text(promotion.get("expectedBenefit"))
        if match == "missing":
            status = promotion.get("status", "")
            why = _PROMOTION_STATUS.get(status, status)
            judgement = (f"not given ({why})" if why else "not given") + f", expected {expected}"
        elif match == "unexpected":
            judgement = f"given {given}, not expected"
        else:  # different, or a judgement this build does not know
            judgement = f"{match}: given {given}, expected {expected}"
        parts.append(f'"{name}" {judgement}')
    if not parts:
        return []
    return [
        DocumentWarning(
            code="promotionChanged",
            message="promotions differ from what the device expected: " + "; ".join(parts),
        )
    ]


def visit_warnings(which: str, distance_m: int, far: bool) -> list[DocumentWarning]:
    """`visitFar` for a check-in or check-out (`which`) far from the outlet."""
    if not far:
        return []
    return [DocumentWarning(code="visitFar", message=f"{which} {distance_m} m from the outlet")]
