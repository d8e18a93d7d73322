"""Each uploaded document as one call to the service that owns it, with the device's own token.

docs/contexts/device-gateway.md, *Document kinds* and *Results*. The request carries the
document's ids (`request_id` = its `documentId`; the entity ids the app made) and never an
agent or an actor: who acts is the token, and the service applies its own policy and scope to
it. The answer becomes an `Outcome`: accepted (with the warnings the response shows: a debt
policy WARN, a CREDIT_HOLD, the credit fallback, promotions other than the device expected, a
visit far from its outlet), rejected with the service's message, or deferred (out of reach,
too slow, busy; ABORTED once retried).
The entity is what the device stores in place of its own copy, in the sync's shapes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import grpc
from google.protobuf import field_mask_pb2, timestamp_pb2
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from google.protobuf.message import Message
from google.type import date_pb2, latlng_pb2, money_pb2

from fieldline.clients.v1 import clients_service_pb2 as ccs
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import visits_service_pb2 as cvs
from fieldline.orders.v1 import orders_service_pb2 as ords
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.orders.v1 import van_service_pb2 as van
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_gateway.adapters.metrics import UPLOAD_RPC_SECONDS
from fieldline_gateway.adapters.peers import Peers, bearer
from fieldline_gateway.adapters.projections_orders import (
    applied_promotions,
    line_promotion_members,
)
from fieldline_gateway.domain import documents as d
from fieldline_gateway.domain.documents import Outcome, Received
from fieldline_kit.grpc.convert import money, pb_date, ts

CENT = Decimal("0.01")
NANOS = Decimal(1_000_000_000)
# ABORTED (a concurrent write to the same records) is tried once more after this pause.
ABORTED_PAUSE = 0.05


@dataclass(frozen=True)
class Call:
    """One document's RPC: the service (for messages), the stub's method, the request, and
    how its response becomes an outcome."""

    service: str
    method: Callable[..., Any]
    request: Message
    answer: Callable[[Any], Outcome]


class Dispatcher:
    """Sends a decoded document to its service as the device (`token`); never raises for
    what the service answers."""

    def __init__(self, peers: Peers, *, aborted_pause: float = ABORTED_PAUSE) -> None:
        self._peers = peers
        self._aborted_pause = aborted_pause

    async def __call__(self, received: Received, token: str) -> Outcome:
        document = received.document
        if document is None:
            raise ValueError("only a decoded document is sent")
        call = call_for(self._peers, document)
        seconds = UPLOAD_RPC_SECONDS.labels(received.kind)
        metadata = bearer(token)
        for attempt in (1, 2):
            start = time.perf_counter()
            try:
                reply = await call.method(
                    call.request, metadata=metadata, timeout=self._peers.timeout
                )
            except grpc.aio.AioRpcError as exc:
                code = exc.code()
                stale = d.stale_revision(code.name, exc.details() or "")
                if code == grpc.StatusCode.ABORTED and attempt == 1 and not stale:
                    await asyncio.sleep(self._aborted_pause)
                    continue
                return failed(call.service, code.name, exc.details() or "", received)
            finally:
                seconds.observe(time.perf_counter() - start)
            return call.answer(reply)
        raise AssertionError("unreachable")  # pragma: no cover


def failed(service: str, code: str, message: str, received: Received) -> Outcome:
    """A refusal of `service`: deferred when it may pass (naming the service), else as the
    domain classifies it (a stale revision's ABORTED is final: rejected)."""
    if code in d.DEFERRED_CODES and not d.stale_revision(code, message):
        return Outcome.deferred(d.unavailable(service, code, message))
    return d.refusal(code, message, received)


# ------------------------------------------------------------------------------ requests


def call_for(peers: Peers, document: d.Document) -> Call:
    """The RPC of a document, by its kind (the table of docs/contexts/device-gateway.md)."""
    rid = document.document_id
    match document:
        case d.VisitCheckIn():
            return Call(
                "clients",
                peers.visits.CheckIn,
                cvs.CheckInRequest(
                    request_id=rid,
                    visit_id=document.visit_id,
                    outlet_id=document.outlet_id,
                    time=ts(document.time),
                    location=_latlng(document.location),
                    date=pb_date(document.date),
                ),
                lambda r: _visit_answer(r.visit, "check-in"),
            )
        case d.VisitCheckOut():
            return Call(
                "clients",
                peers.visits.CheckOut,
                cvs.CheckOutRequest(
                    request_id=rid,
                    visit_id=document.visit_id,
                    time=ts(document.time),
                    location=_latlng(document.location),
                    outcome=_enum_value(cpb.VisitOutcome, "VISIT_OUTCOME_", document.outcome),
                    notes=document.notes,
                ),
                lambda r: _visit_answer(r.visit, "check-out"),
            )
        case d.MissedVisit():
            return Call(
                "clients",
                peers.visits.RecordMissedVisit,
                cvs.RecordMissedVisitRequest(
                    request_id=rid,
                    visit_id=document.visit_id,
                    outlet_id=document.outlet_id,
                    date=pb_date(document.date),
                    reason=document.reason,
                ),
                lambda r: Outcome.accepted(visit_entity(r.visit)),
            )
        case d.Audit():
            return Call(
                "clients",
                peers.visits.SubmitAudit,
                cvs.SubmitAuditRequest(request_id=rid, audit=_audit(document)),
                lambda r: Outcome.accepted(audit_entity(r.audit)),
            )
        case d.Order():
            return Call(
                "orders",
                peers.orders.SubmitOrder,
                ords.SubmitOrderRequest(
                    request_id=rid,
                    order_id=document.order_id,
                    client_id=document.client_id,
                    outlet_id=document.outlet_id,
                    visit_id=document.visit_id or "",
                    distributor_id=document.distributor_id or "",
                    warehouse_id=document.warehouse_id or "",
                    order_date=pb_date(document.order_date),
                    delivery_date=pb_date(document.delivery_date),
                    lines=[_order_line(line) for line in document.lines],
                    comment=document.comment,
                    credit_override=_override(document.credit_override),
                    channel=(
                        _enum_value(opb.OrderChannel, "ORDER_CHANNEL_", document.channel)
                        if document.channel
                        else opb.ORDER_CHANNEL_UNSPECIFIED
                    ),
                    call_id=document.call_id or "",
                    credited_agent_id=document.credited_agent_id or "",
                    expected_promotions=_expected(document.expected_promotions),
                ),
                lambda r: _order_answer(r.order),
            )
        case d.OrderAmend():
            return Call(
                "orders",
                peers.orders.AmendOrder,
                ords.AmendOrderRequest(
                    request_id=rid,
                    order_id=document.order_id,
                    amendment_id=document.amendment_id,
                    expected_revision=document.expected_revision,
                    lines=[_order_line(line) for line in document.lines],
                    delivery_date=pb_date(document.delivery_date),
                    warehouse_id=document.warehouse_id or "",
                    comment=document.comment,
                    credit_override=_override(document.credit_override),
                    expected_promotions=_expected(document.expected_promotions),
                ),
                lambda r: _order_answer(r.order),
            )
        case d.OrderCancel():
            return Call(
                "orders",
                peers.orders.CancelOrder,
                ords.CancelOrderRequest(
                    request_id=rid,
                    order_id=document.order_id,
                    expected_revision=document.expected_revision,
                    reason=document.reason,
                ),
                # No credit warnings: a cancelled order's decision is its last revision's.
                lambda r: Outcome.accepted(order_entity(r.order)),
            )
        case d.VanSale():
            return Call(
                "orders",
                peers.vans.CompleteVanSale,
                van.CompleteVanSaleRequest(
                    request_id=rid,
                    sale_id=document.sale_id,
                    van_id=document.van_id,
                    client_id=document.client_id,
                    outlet_id=document.outlet_id,
                    visit_id=document.visit_id or "",
                    date=pb_date(document.date),
                    lines=[_order_line(line) for line in document.lines],
                    cash_collected=_money(document.cash_collected),
                    receipt_number=document.receipt_number,
                    credit_override=_override(document.credit_override),
                    expected_promotions=_expected(document.expected_promotions),
                ),
                lambda r: _order_answer(r.order),
            )
        case d.Return():
            return Call(
                "orders",
                peers.vans.AcceptReturn,
                van.AcceptReturnRequest(
                    request_id=rid,
                    return_id=document.return_id,
                    van_id=document.van_id or "",
                    client_id=document.client_id,
                    outlet_id=document.outlet_id,
                    visit_id=document.visit_id or "",
                    order_id=document.order_id or "",
                    date=pb_date(document.date),
                    lines=[
                        van.ReturnLine(
                            product_id=line.product_id,
                            unit=line.unit,
                            quantity=line.quantity,
                            reason=line.reason,
                        )
                        for line in document.lines
                    ],
                    containers=[
                        van.ContainerLine(container_type=c.container_type, quantity=c.quantity)
                        for c in document.containers
                    ],
                ),
                lambda r: Outcome.accepted(return_entity(r.goods_return)),
            )
        case d.Payment():
            return Call(
                "settlements",
                peers.settlements.RecordPayment,
                ss.RecordPaymentRequest(
                    request_id=rid,
                    payment=spb.Payment(
                        id=document.payment_id,
                        kind=spb.PAYMENT_KIND_CASH,
                        client_id=document.client_id,
                        outlet_id=document.outlet_id or "",
                        visit_id=document.visit_id or "",
                        date=pb_date(document.date),
                        amount=_money(document.amount),
                        receipt_number=document.receipt_number,
                        allocations=[
                            spb.Allocation(invoice_id=a.invoice_id, amount=_money(a.amount))
                            for a in document.allocations
                        ],
                    ),
                ),
                lambda r: Outcome.accepted(payment_entity(r.payment)),
            )
        case d.OutletProposal():
            return Call(
                "clients",
                peers.clients.ProposeOutlet,
                ccs.ProposeOutletRequest(
                    request_id=rid,
                    proposal_id=document.proposal_id,
                    outlet_id=document.outlet_id,
                    client_id=document.client_id,
                    card=_card(document.card),
                ),
                lambda r: Outcome.accepted(proposal_entity(r.proposal)),
            )
        case d.CardChange():
            return Call(
                "clients",
                peers.clients.ProposeCardChange,
                ccs.ProposeCardChangeRequest(
                    request_id=rid,
                    proposal_id=document.proposal_id,
                    outlet_id=document.outlet_id,
                    card=_card(document.card),
                    update_mask=field_mask_pb2.FieldMask(
                        paths=[_mask_path(f) for f in document.fields]
                    ),
                ),
                lambda r: Outcome.accepted(proposal_entity(r.proposal)),
            )
        case d.VanLoad():
            load_id = document.load_id
            return Call(
                "orders",
                peers.vans.LoadVan,
                van.LoadVanRequest(
                    request_id=rid,
                    load_id=load_id,
                    van_id=document.van_id,
                    date=pb_date(document.date),
                    lines=[
                        van.QuantityLine(
                            product_id=line.product_id, unit=line.unit, quantity=line.quantity
                        )
                        for line in document.lines
                    ],
                ),
                lambda r: Outcome.accepted({"id": load_id, "vanStock": van_stock_entity(r.stock)}),
            )
        case d.VanUnload():
            return Call(
                "orders",
                peers.vans.UnloadVan,
                van.UnloadVanRequest(
                    request_id=rid,
                    unload_id=document.unload_id,
                    van_id=document.van_id,
                    date=pb_date(document.date),
                    counted=[
                        van.VanStockLine(product_id=c.product_id, quantity=c.quantity)
                        for c in document.counted
                    ],
                    cash_handed_over=_money(document.cash_handed_over),
                ),
                lambda r: Outcome.accepted(unloading_entity(r.unloading)),
            )
        case d.Call():
            return Call(
                "clients",
                peers.visits.RecordCall,
                cvs.RecordCallRequest(
                    request_id=rid,
                    call=cpb.Call(
                        id=document.call_id,
                        outlet_id=document.outlet_id,
                        date=pb_date(document.date),
                        started_at=ts(document.started_at),
                        ended_at=ts(document.ended_at),
                        outcome=_enum_value(cpb.CallOutcome, "CALL_OUTCOME_", document.outcome),
                        call_back_at=ts(document.call_back_at),
                        reason=document.reason,
                        notes=document.notes,
                    ),
                ),
                lambda r: Outcome.accepted(call_entity(r.call)),
            )
    raise TypeError(f"no call for {type(document).__name__}")  # pragma: no cover


def _latlng(location: d.LatLng | None) -> latlng_pb2.LatLng | None:
    if location is None:
        return None
    return latlng_pb2.LatLng(latitude=location.lat, longitude=location.lon)


def _money(value: d.Money | None) -> money_pb2.Money | None:
    if value is None:
        return None
    return money(Decimal(value.amount), value.currency)


def _override(value: d.CreditOverride | None) -> ords.CreditOverride | None:
    return None if value is None else ords.CreditOverride(reason=value.reason)


def _expected(promotions: list[d.ExpectedPromotion]) -> list[opb.ExpectedPromotion]:
    """The device's expected promotions as orders takes them: the benefit a Money without a
    currency — the document names none for the order (the price type's, or the van's, which
    the gateway does not know) and orders takes an empty one as the order's."""
    return [
        opb.ExpectedPromotion(
            promotion_id=p.promotion_id,
            benefit=money(Decimal(p.benefit), ""),
            free_lines=[
                opb.ExpectedFreeLine(product_id=f.product_id, base_quantity=f.base_quantity)
                for f in p.free_lines
            ],
        )
        for p in promotions
    ]


def _order_line(line: d.OrderLine) -> ords.OrderLineInput:
    return ords.OrderLineInput(
        product_id=line.product_id,
        unit=line.unit,
        quantity=line.quantity,
        manual_discount_percent=line.manual_discount_percent or "",
    )


def _audit(document: d.Audit) -> cpb.Audit:
    answers = []
    for a in document.answers:
        answer = cpb.Answer(question_id=a.question_id)
        if a.number is not None:
            answer.number = a.number
        elif a.money is not None:
            answer.money.CopyFrom(money(Decimal(a.money.amount), a.money.currency))
        elif a.yes_no is not None:
            answer.yes_no = a.yes_no
        elif a.choice is not None:
            answer.choice = a.choice
        elif a.photo_id is not None:
            answer.photo_ref = f"photo:{a.photo_id}"
        answers.append(answer)
    return cpb.Audit(
        id=document.audit_id,
        visit_id=document.visit_id,
        questionnaire_id=document.questionnaire_id,
        outlet_id=document.outlet_id,
        answers=answers,
        must_stock=[
            cpb.MustStockCheck(
                sku=m.sku,
                present=m.present,
                facings=m.facings,
                shelf_quantity=m.shelf_quantity or "",
            )
            for m in document.must_stock
        ],
        competitor_prices=[
            cpb.CompetitorPrice(
                product=c.product,
                competitor=c.competitor,
                price=money(Decimal(c.price.amount), c.price.currency),
            )
            for c in document.competitor_prices
        ],
        # The device's time of the audit: the document's.
        performed_at=ts(document.created_at),
    )


def _card(card: d.OutletCard) -> cpb.OutletCard:
    return cpb.OutletCard(
        name=card.name,
        address=card.address,
        location=_latlng(card.location),
        channel=card.channel,
        format=card.format,
        outlet_class=card.outlet_class,
        contacts=[
            cpb.Contact(name=c.name, role=c.role, phone=c.phone, email=c.email)
            for c in card.contacts
        ],
        working_hours=[
            cpb.WorkingHours(weekday=w.weekday, opens=w.opens, closes=w.closes)
            for w in card.working_hours
        ],
        custom_attributes=dict(card.custom_attributes),
    )


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _mask_path(path: str) -> str:
    """A card field as the device names it (`outletClass`, `customAttributes.fridge`) → the
    mask path clients takes (`outlet_class`, `custom_attributes.fridge`: the key kept)."""
    head, dot, rest = path.partition(".")
    return _snake(head) + dot + rest


def _enum_value(enum: EnumTypeWrapper, prefix: str, value: str) -> int:
    """A protocol enum value (`orderTaken`) → the service's number (VISIT_OUTCOME_ORDER_TAKEN)."""
    return int(enum.Value(prefix + _snake(value).upper()))


# ------------------------------------------------------------------------------ answers


def _visit_answer(visit: cpb.Visit, which: str) -> Outcome:
    if which == "check-in":
        warnings = d.visit_warnings(which, visit.check_in_distance_m, visit.check_in_far)
    else:
        warnings = d.visit_warnings(which, visit.check_out_distance_m, visit.check_out_far)
    return Outcome.accepted(visit_entity(visit), warnings)


def _order_answer(order: opb.Order) -> Outcome:
    entity = order_entity(order)
    credit = entity.get("credit") or {}
    warnings = d.credit_warnings(
        status=entity["status"],
        outcome=credit.get("outcome", ""),
        fallback=bool(credit.get("fallback")),
        reasons=list(order.credit.reasons),
    )
    warnings += d.promotion_warnings(entity.get("promotions", []))
    return Outcome.accepted(entity, warnings)


def enum_name(enum: EnumTypeWrapper, prefix: str, number: int) -> str | None:
    """A service's enum number → the protocol's spelling (ORDER_STATUS_CREDIT_HOLD →
    `creditHold`); None for UNSPECIFIED, `unknown` for a number this build does not know."""
    if number == 0:
        return None
    try:
        name = str(enum.Name(number))
    except ValueError:
        return "unknown"
    head, *rest = name.removeprefix(prefix).lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


def _camel_path(path: str) -> str:
    head, dot, rest = path.partition(".")
    first, *others = head.split("_")
    return first + "".join(p.capitalize() for p in others) + dot + rest


def _time(value: timestamp_pb2.Timestamp) -> str | None:
    if value.seconds == 0 and value.nanos == 0:
        return None
    moment = value.ToDatetime(tzinfo=UTC)
    return _iso(moment)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _date(value: date_pb2.Date) -> str | None:
    if value.year == 0:
        return None
    return date(value.year, value.month, value.day).isoformat()


def _amount(value: Decimal) -> str:
    """An exact amount as a decimal string: two places when it has no more ("3146.40")."""
    cents = value.quantize(CENT)
    return f"{cents:f}" if cents == value else f"{value.normalize():f}"


def money_out(value: money_pb2.Money) -> dict[str, str]:
    amount = Decimal(value.units) + Decimal(value.nanos) / NANOS
    return {"amount": _amount(amount), "currency": value.currency_code}


def _location(value: latlng_pb2.LatLng) -> dict[str, float]:
    return {"lat": value.latitude, "lon": value.longitude}


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    """Without the members the service left empty (the protocol's optional fields)."""
    return {k: v for k, v in values.items() if v is not None and v != ""}


def visit_entity(v: cpb.Visit) -> dict[str, Any]:
    entity = _compact(
        {
            "id": v.id,
            "outletId": v.outlet_id,
            "date": _date(v.date),
            "status": enum_name(cpb.VisitStatus, "VISIT_STATUS_", v.status),
            "outcome": enum_name(cpb.VisitOutcome, "VISIT_OUTCOME_", v.outcome),
            "missedReason": v.missed_reason,
            "notes": v.notes,
        }
    )
    if v.HasField("check_in_time"):
        entity["checkIn"] = {
            "time": _time(v.check_in_time),
            "location": _location(v.check_in_location),
            "distanceM": v.check_in_distance_m,
            "far": v.check_in_far,
        }
    if v.HasField("check_out_time"):
        entity["checkOut"] = {
            "time": _time(v.check_out_time),
            "location": _location(v.check_out_location),
            "distanceM": v.check_out_distance_m,
            "far": v.check_out_far,
        }
    return entity


def audit_entity(a: cpb.Audit) -> dict[str, Any]:
    return _compact(
        {
            "id": a.id,
            "visitId": a.visit_id,
            "questionnaireId": a.questionnaire_id,
            "outletId": a.outlet_id,
            "answers": len(a.answers),
            "submitTime": _time(a.submit_time),
            "performedAt": _time(a.performed_at),
        }
    )


def order_entity(o: opb.Order) -> dict[str, Any]:
    entity = _compact(
        {
            "id": o.id,
            "kind": enum_name(opb.OrderKind, "ORDER_KIND_", o.kind),
            "status": enum_name(opb.OrderStatus, "ORDER_STATUS_", o.status),
            "clientId": o.client_id,
            "outletId": o.outlet_id,
            "visitId": o.visit_id,
            "distributorId": o.distributor_id,
            "warehouseId": o.warehouse_id,
            # UNSPECIFIED: an order from before channels, taken in the field by its agent.
            "channel": enum_name(
                opb.OrderChannel, "ORDER_CHANNEL_", o.channel or opb.ORDER_CHANNEL_FIELD
            ),
            "agentId": o.agent_id,
            "takenBy": o.taken_by or o.agent_id,
            "callId": o.call_id,
            "orderDate": _date(o.order_date),
            "deliveryDate": _date(o.delivery_date),
            "currency": o.currency_code,
            "netTotal": money_out(o.net_total),
            "vatTotal": money_out(o.vat_total),
            "grossTotal": money_out(o.gross_total),
            "comment": o.comment,
            "statusReason": o.status_reason,
            "revision": o.revision or None,
            "version": o.version,
            "createTime": _time(o.create_time),
            "updateTime": _time(o.update_time),
        }
    )
    entity["lines"] = [
        _compact(
            {
                "productId": line.product_id,
                "unit": line.unit,
                "quantity": line.quantity,
                "baseQuantity": line.base_quantity,
                "unitPrice": money_out(line.unit_price),
                "priceSource": line.price_source,
                "ruleDiscountPercent": line.rule_discount_percent,
                "manualDiscountPercent": line.manual_discount_percent,
                "netAmount": money_out(line.net_amount),
                "vatRate": line.vat_rate,
                "vatAmount": money_out(line.vat_amount),
                "grossAmount": money_out(line.gross_amount),
                "deliveredBaseQuantity": line.delivered_base_quantity,
                "containerType": line.container_type,
                "containerQuantity": line.container_quantity,
            }
        )
        | line_promotion_members(line)
        for line in o.lines
    ]
    if o.promotions:
        entity["promotions"] = applied_promotions(o.promotions)
    if o.HasField("credit"):
        c = o.credit
        entity["credit"] = _compact(
            {
                "outcome": enum_name(opb.CreditOutcome, "CREDIT_OUTCOME_", c.outcome),
                "fallback": c.fallback,
                "overrideBy": c.override_by,
                "overrideReason": c.override_reason,
                "decideTime": _time(c.decide_time),
            }
        )
        entity["credit"]["reasons"] = list(c.reasons)
    return entity


def return_entity(g: van.GoodsReturn) -> dict[str, Any]:
    entity = _compact(
        {
            "id": g.id,
            "vanId": g.van_id,
            "clientId": g.client_id,
            "outletId": g.outlet_id,
            "visitId": g.visit_id,
            "orderId": g.order_id,
            "date": _date(g.date),
            "grossTotal": money_out(g.gross_total),
        }
    )
    entity["lines"] = [
        _compact(
            {
                "productId": line.product_id,
                "baseQuantity": line.base_quantity,
                "unitPrice": money_out(line.unit_price),
                "grossAmount": money_out(line.gross_amount),
                "reason": line.reason,
            }
        )
        for line in g.lines
    ]
    entity["containers"] = [
        {"containerType": c.container_type, "quantity": c.quantity} for c in g.containers
    ]
    return entity


def payment_entity(p: spb.Payment) -> dict[str, Any]:
    entity = _compact(
        {
            "id": p.id,
            "clientId": p.client_id,
            "outletId": p.outlet_id,
            "visitId": p.visit_id,
            "date": _date(p.date),
            "amount": money_out(p.amount),
            "receiptNumber": p.receipt_number,
            "unallocated": money_out(p.unallocated),
        }
    )
    entity["allocations"] = [
        {"invoiceId": a.invoice_id, "amount": money_out(a.amount)} for a in p.allocations
    ]
    return entity


def card_entity(card: cpb.OutletCard) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "name": card.name,
        "address": card.address,
        "channel": card.channel,
        "format": card.format,
        "outletClass": card.outlet_class,
        "contacts": [
            {"name": c.name, "role": c.role, "phone": c.phone, "email": c.email}
            for c in card.contacts
        ],
        "workingHours": [
            {"weekday": w.weekday, "opens": w.opens, "closes": w.closes} for w in card.working_hours
        ],
        "customAttributes": dict(card.custom_attributes),
    }
    if card.HasField("location"):
        entity["location"] = _location(card.location)
    return entity


def proposal_entity(p: cpb.Proposal) -> dict[str, Any]:
    entity = _compact(
        {
            "id": p.id,
            "kind": enum_name(cpb.ProposalKind, "PROPOSAL_KIND_", p.kind),
            "status": enum_name(cpb.ProposalStatus, "PROPOSAL_STATUS_", p.status),
            "outletId": p.outlet_id,
            "clientId": p.client_id,
            "createTime": _time(p.create_time),
        }
    )
    entity["card"] = card_entity(p.card)
    entity["fields"] = [_camel_path(f) for f in p.fields]
    return entity


def call_entity(c: cpb.Call) -> dict[str, Any]:
    """A recorded call, as the `calls` section holds it."""
    return _compact(
        {
            "id": c.id,
            "outletId": c.outlet_id,
            "date": _date(c.date),
            "startedAt": _time(c.started_at),
            "endedAt": _time(c.ended_at),
            "outcome": enum_name(cpb.CallOutcome, "CALL_OUTCOME_", c.outcome),
            "callBackAt": _time(c.call_back_at),
            "reason": c.reason,
            "notes": c.notes,
            "recordTime": _time(c.record_time),
        }
    )


def van_stock_entity(stock: van.GetVanStockResponse) -> dict[str, Any]:
    return {
        "vanId": stock.van_id,
        "lines": [{"productId": s.product_id, "quantity": s.quantity} for s in stock.lines],
    }


def unloading_entity(u: van.Unloading) -> dict[str, Any]:
    entity = _compact(
        {
            "id": u.id,
            "vanId": u.van_id,
            "date": _date(u.date),
            "cashExpected": money_out(u.cash_expected),
            "cashHandedOver": money_out(u.cash_handed_over),
            "cashDifference": money_out(u.cash_difference),
        }
    )
    entity["discrepancies"] = [
        {
            "productId": s.product_id,
            "expected": s.expected,
            "counted": s.counted,
            "difference": s.difference,
        }
        for s in u.discrepancies
    ]
    return entity
