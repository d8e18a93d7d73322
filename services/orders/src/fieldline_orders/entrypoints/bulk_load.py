"""`python -m fieldline_orders bulk-load --database-url URL [--migrate] FILE`: seed a database.

For demo and benchmark data (hundreds of thousands of outlets, weeks of orders) that would take
far too long one event or one call at a time. FILE (`-`: stdin; the format of
`fieldline_kit.bulk`) holds public contract messages, each after what it refers to:

- `fieldline.common.v1.EventEnvelope`: the clients context's events as the `orders-clients-feed`
  consumer receives them, mapped by the consumer's own `feed_record` and applied by the same
  newest-wins rule (events it has no handler for are skipped, as it skips them);
- `SetClientPriceTypeRequest`, `UpsertProductsRequest`, `UpsertPriceListsRequest` and
  `UpsertDiscountsRequest`, applied by the CatalogService's use cases (price types and
  product groups come over the API);
- `fieldline.orders.v1.Order`: pre-sale orders of another system's history, checked by the
  domain (`Order.imported`) and written as the order repository writes new orders, each at
  revision 1 (its `revision` is not read: the history has no amendments).

`service_layer.bulk` applies them many to a transaction. It deliberately BYPASSES THE OUTBOX
and the inbox: it seeds a database nobody consumes yet, so no integration event is produced,
and no idempotency record is stored. It refuses a database that holds orders, feed rows or
client price types (a catalog may be there). ANALYZE ends the load, so the query planner knows
the new table sizes. The row counts are printed as JSON on stdout.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from google.protobuf.message import Message
from google.type import money_pb2

from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.bulk import BulkLoadError, Progress, apply_each
from fieldline_kit.clock import Clock, utcnow
from fieldline_kit.errors import DomainError, InvalidArgument
from fieldline_kit.grpc.convert import from_money, from_ts
from fieldline_kit.messaging.consumer import PoisonMessage
from fieldline_orders.adapters import proto_mapping as m
from fieldline_orders.adapters.bulk import BulkDatabase
from fieldline_orders.domain.orders import (
    CreditDecision,
    CreditOutcome,
    Order,
    OrderChannel,
    OrderLine,
)
from fieldline_orders.entrypoints.feed_consumer import feed_record
from fieldline_orders.service_layer import catalog
from fieldline_orders.service_layer.bulk import BulkLoad
from fieldline_orders.service_layer.catalog import BatchRefused, Outcome

T = TypeVar("T")
Step = Callable[[BulkLoad, Any, datetime], None]


# ------------------------------------------------------------------------------ messages
def feed_event(load: BulkLoad, envelope: EventEnvelope, now: datetime) -> None:
    """A clients event: the record the feed consumer would apply, if it handles the event."""
    try:
        record = feed_record(envelope)
    except PoisonMessage as exc:  # the consumer would dead-letter it
        raise InvalidArgument("event", str(exc)) from None
    if record is not None:
        load.feed(record)


def _records(
    path: str, items: Sequence[Any], from_pb: Callable[[str, Any], T]
) -> list[tuple[str, str, Callable[[], T]]]:
    """A catalog upsert's records, as its use case takes them: (external id, id, parser)."""
    return [
        (x.external_id, x.id, functools.partial(from_pb, f"{path}[{i}]", x))
        for i, x in enumerate(items)
    ]


def upsert(use_case: Callable[..., Any], path: str, from_pb: Callable[[str, Any], Any]) -> Step:
    """The step of a catalog upsert request: `use_case` on its `path` records."""

    def step(load: BulkLoad, request: Any, now: datetime) -> None:
        items = getattr(request, path)
        records = _records(path, items, from_pb)
        load.catalog(lambda uow: use_case(uow, records), len(items))

    return step


def price_lists(load: BulkLoad, request: cs.UpsertPriceListsRequest) -> None:
    """UpsertPriceLists as the API takes it: replaced, or merged (`merge`)."""
    m.check_price_list_request(request.price_lists, request.merge)
    records = _records("price_lists", request.price_lists, m.price_list_from_pb)
    load.catalog(
        lambda uow: catalog.upsert_price_lists(uow, records, merge=request.merge),
        len(request.price_lists),
    )


def imported_order(o: pb.Order, now: datetime) -> Order:
    """The Order resource as `Order.imported` takes it; money in the order's currency (or
    none), times unset: `now`, an unset credit outcome: ALLOW."""
    if o.kind not in (pb.ORDER_KIND_UNSPECIFIED, pb.ORDER_KIND_PRE_SALE):
        raise InvalidArgument("kind", "only pre-sale orders are imported")
    currency = o.currency_code

    def amount(path: str, value: money_pb2.Money) -> Decimal:
        figure, code = from_money(path, value)  # its scale: checked by the domain
        if code and code != currency:
            raise InvalidArgument(f"{path}.currency_code", f"is not the order's {currency!r}")
        return figure

    lines = [
        OrderLine.imported(
            f"lines[{i}]",
            i + 1,
            product_id=ln.product_id,
            unit=ln.unit,
            quantity=ln.quantity,
            base_quantity=ln.base_quantity,
            unit_price=amount(f"lines[{i}].unit_price", ln.unit_price),
            price_source=ln.price_source,
            rule_discount_percent=ln.rule_discount_percent,
            manual_discount_percent=ln.manual_discount_percent,
            net_amount=amount(f"lines[{i}].net_amount", ln.net_amount),
            vat_rate=ln.vat_rate,
            vat_amount=amount(f"lines[{i}].vat_amount", ln.vat_amount),
            gross_amount=amount(f"lines[{i}].gross_amount", ln.gross_amount),
            delivered_base_quantity=ln.delivered_base_quantity,
            container_type=ln.container_type,
            container_quantity=ln.container_quantity,
        )
        for i, ln in enumerate(o.lines)
    ]
    totals = None
    if o.HasField("net_total") or o.HasField("vat_total") or o.HasField("gross_total"):
        totals = (
            amount("net_total", o.net_total),
            amount("vat_total", o.vat_total),
            amount("gross_total", o.gross_total),
        )
    c = o.credit
    credit = CreditDecision(
        m.from_enum(m.CREDIT_OUTCOMES, c.outcome, "credit.outcome") or CreditOutcome.ALLOW,
        tuple(c.reasons),
        c.fallback,
        c.override_by,
        c.override_reason,
        from_ts("credit.decide_time", c.decide_time, required=False),
    )
    created = from_ts("create_time", o.create_time, required=False) or now
    return Order.imported(
        order_id=o.id,
        status=m.from_enum(m.ORDER_STATUSES, o.status, "status"),
        client_id=o.client_id,
        outlet_id=o.outlet_id,
        agent_id=o.agent_id,
        distributor_id=o.distributor_id,
        warehouse_id=o.warehouse_id,
        order_date=m.req_date("order_date", o.order_date),
        delivery_date=m.opt_date("delivery_date", o.delivery_date),
        lines=lines,
        currency=currency,
        credit=credit,
        comment=o.comment,
        status_reason=o.status_reason,
        created_at=created,
        updated_at=from_ts("update_time", o.update_time, required=False) or created,
        totals=totals,
        channel=m.from_enum(m.ORDER_CHANNELS, o.channel, "channel") or OrderChannel.FIELD,
        taken_by=o.taken_by,
        call_id=o.call_id,
    )


# Each message the file may hold, and what it does.
STEPS: dict[type[Message], Step] = {
    EventEnvelope: feed_event,
    cs.SetClientPriceTypeRequest: lambda load, r, now: load.set_client_price_type(
        r.client_id, r.price_type_id
    ),
    cs.UpsertProductsRequest: upsert(catalog.upsert_products, "products", m.product_from_pb),
    cs.UpsertPriceListsRequest: lambda load, r, now: price_lists(load, r),
    cs.UpsertDiscountsRequest: upsert(catalog.upsert_discounts, "discounts", m.discount_from_pb),
    pb.Order: lambda load, o, now: load.import_order(imported_order(o, now)),
}


# ------------------------------------------------------------------------------- the load
async def bulk_load(
    database_url: str,
    messages: Iterable[Message],
    *,
    chunk_size: int = 5000,
    analyze: bool = True,
    clock: Clock = utcnow,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Apply `messages` to the database at `database_url` (with no orders, feed rows or client
    price types); the rows per table after."""
    database = BulkDatabase(database_url)
    try:
        held = await database.seeded()
        if held:
            raise BulkLoadError(
                "a bulk load seeds an orders database without orders, clients feed rows or "
                f"client price types; this one has rows in {', '.join(held)}"
            )
        load = BulkLoad(database.uow, chunk_size=chunk_size)
        now = clock()

        async def apply(message: Message) -> None:
            step = STEPS.get(type(message))
            if step is None:
                name = message.DESCRIPTOR.full_name
                raise BulkLoadError(f"a bulk load does not take {name} messages")
            step(load, message, now)
            if load.full:
                await _flush(load)

        await apply_each(messages, apply, progress)
        await _flush(load)
        if analyze:
            await database.analyze()
        return await database.counts()
    finally:
        await database.close()


async def _flush(load: BulkLoad) -> None:
    """Write what the load gathered; a record refused then stops the load (the error names it,
    not its place in the file: the chunk holds many)."""
    try:
        await load.flush()
    except DomainError as exc:
        raise BulkLoadError(str(exc)) from exc
    except BatchRefused as exc:
        refused = [r.error for r in exc.results if r.outcome is Outcome.REJECTED]
        raise BulkLoadError("a catalog upsert was refused: " + "; ".join(refused)) from exc
