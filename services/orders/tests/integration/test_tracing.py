"""One request, one trace: orders, its call into settlements, the outbox, NATS, the consumer.

Orders and settlements run in-process as `serve` runs them (real gRPC, real NATS, real
databases) with tracing on and every span kept in memory. The test is the device: it opens a
span and sends its trace context with the call, as an instrumented client would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from fieldline.orders.events.v1 import events_pb2 as oev
from fieldline_kit import tracing
from fieldline_kit.messaging.consumer import EventConsumer
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.helpers import eventually
from fieldline_kit.testing.nats_server import EmbeddedNats

from .orders_harness import (
    Env,
    ln,
    load,
    make_world,
    new_customer,
    new_van,
    q,
    sale_request,
    seller_of,
    start_orders,
    start_settlements,
    submit_request,
    world,
)

ORDER_SUBMITTED = oev.OrderSubmitted.DESCRIPTOR.full_name
WATCHER = "trace-test-order-submitted"


@dataclass
class Traced:
    env: Env
    spans: InMemorySpanExporter
    # Orders applied by the test's consumer of OrderSubmitted (no service consumes that event
    # yet): order id → the trace id current while its handler ran.
    applied: dict[str, int] = field(default_factory=dict)

    def trace_of(self, root: trace.Span) -> list[ReadableSpan]:
        trace_id = root.get_span_context().trace_id
        return [s for s in self.spans.get_finished_spans() if s.context.trace_id == trace_id]


@pytest_asyncio.fixture(scope="module", name="traced")
async def traced_fixture(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> AsyncIterator[Traced]:
    spans = InMemorySpanExporter()
    tracing.install(tracing.provider_with(SimpleSpanProcessor(spans)))
    try:
        async with (
            start_settlements(db_factory, nats_server.url) as settlements,
            start_orders(db_factory, nats_server.url, settlements.target) as orders,
        ):
            env = Env(orders, settlements, orders.js)
            env.world = await make_world(env)
            traced = Traced(env, spans)
            await declare_watcher(env.js)
            stop = asyncio.Event()
            watcher = asyncio.create_task(order_watcher(traced).run(stop))
            try:
                yield traced
            finally:
                stop.set()
                await asyncio.wait_for(watcher, 10)
    finally:
        tracing.uninstall()


def order_watcher(traced: Traced) -> EventConsumer:
    """The kit's consumer, on a durable of its own, applying OrderSubmitted (into the
    settlements database's inbox, under its own consumer name)."""

    async def apply(_session: Any, _envelope: Any, message: Any) -> None:
        span = trace.get_current_span().get_span_context()
        traced.applied[message.order.id] = span.trace_id

    s = traced.env.settlements
    return EventConsumer(
        WATCHER,
        "ORDERS",
        s.app.sessions,
        s.app.tables,
        {ORDER_SUBMITTED: apply},
        connection=s.nc,
        fetch_timeout=0.2,
    )


async def declare_watcher(js: Any) -> None:
    await js.add_consumer(
        "ORDERS",
        ConsumerConfig(
            durable_name=WATCHER,
            filter_subject="orders.events.v1.OrderSubmitted",
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.NEW,
        ),
    )


@contextlib.contextmanager
def device_call() -> Iterator[tuple[trace.Span, tuple[tuple[str, str], ...]]]:
    """The device's span, ended on leaving, and the metadata carrying it."""
    span = tracing.tracer().start_span("device request", kind=trace.SpanKind.CLIENT)
    try:
        with trace.use_span(span):
            metadata = tuple(tracing.carrier().items())
        yield span, metadata
    finally:
        span.end()


def named(
    spans: list[ReadableSpan],
    test: Callable[[str], bool],
    kind: trace.SpanKind | None = None,
) -> ReadableSpan:
    found = [s for s in spans if test(s.name) and kind in (None, s.kind)]
    assert len(found) == 1, ([s.name for s in spans], found)
    return found[0]


def path_to_root(span: ReadableSpan, spans: list[ReadableSpan]) -> list[str]:
    """The names from `span` up through its parents (every parent must be in `spans`)."""
    by_id = {s.context.span_id: s for s in spans}
    names = [span.name]
    while span.parent is not None:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


async def test_a_submitted_order_is_one_trace_from_the_device_to_the_consumer(
    traced: Traced,
) -> None:
    env = traced.env
    w = world(env)
    c = await new_customer(env)
    with device_call() as (root, metadata):
        order = (
            await env.orders.orders_as(c.agent).SubmitOrder(
                submit_request(c, [ln(w.water, "2")]), metadata=metadata
            )
        ).order

    await eventually(lambda: order.id in traced.applied, within=15, what="OrderSubmitted applied")
    spans = traced.trace_of(root)
    served = named(spans, lambda n: n.endswith("OrdersService/SubmitOrder"), trace.SpanKind.SERVER)
    check_served = named(
        spans, lambda n: n.endswith("SettlementsService/CheckCreditBatch"), trace.SpanKind.SERVER
    )
    published = named(spans, lambda n: n.startswith("publish orders."))
    processed = named(spans, lambda n: n.startswith("process orders."))

    assert served.kind == trace.SpanKind.SERVER
    # orders → (its batch of one) → the call → settlements' server span
    assert path_to_root(check_served, spans) == [
        check_served.name,
        check_served.name,  # orders' client span of the same method
        "batch orders.submit",
        served.name,
        "device request",
    ]
    # the outbox row carries the request's own context (not the batch's), and the consumer's
    # span continues it
    assert path_to_root(published, spans)[1:] == [served.name, "device request"]
    assert path_to_root(processed, spans)[1:] == [served.name, "device request"]
    assert processed.attributes is not None
    assert processed.attributes["messaging.consumer.group.name"] == WATCHER
    # The handler ran inside the consumer's span, in the device's trace.
    assert traced.applied[order.id] == root.get_span_context().trace_id


async def test_a_van_sale_is_one_trace_through_to_the_invoice_settlements_publishes(
    traced: Traced,
) -> None:
    env = traced.env
    w = world(env)
    van = await new_van(env)
    c = await new_customer(env, seller=seller_of(van))
    await load(env, van.id, q(w.water, "10"))
    with device_call() as (root, metadata):
        await env.orders.vans_as(seller_of(van)).CompleteVanSale(
            sale_request(van, c, [ln(w.water, "3")], cash="10.00"), metadata=metadata
        )

    invoice = "publish settlements.events.v1.InvoiceIssued"

    def invoiced() -> bool:
        return any(s.name == invoice for s in traced.trace_of(root))

    await eventually(invoiced, within=15, what="settlements' invoice of the van sale published")
    spans = traced.trace_of(root)
    applied = named(spans, lambda n: n == "process orders.events.v1.VanSaleCompleted")
    # What settlements wrote while applying it (the invoice, the payment…) goes on in the trace;
    # what it published while checking the sale's credit (a first credit standing) hangs under
    # that check instead.
    booked = ("InvoiceIssued", "PaymentRecorded", "DebtChanged", "TareBalanceChanged")
    for span in spans:
        if span.name.startswith("publish settlements.events.v1.") and span.name.endswith(booked):
            assert applied.name in path_to_root(span, spans)
    assert path_to_root(applied, spans)[-1] == "device request"


async def test_orders_submitted_together_keep_each_its_own_trace(traced: Traced) -> None:
    """Concurrent calls coalesced into one batch: the batch's span links to each call's, and
    every order's event goes on in its own request's trace."""
    env = traced.env
    w = world(env)
    customers = [await new_customer(env) for _ in range(6)]
    with contextlib.ExitStack() as calls:
        roots = [calls.enter_context(device_call()) for _ in customers]
        orders = await asyncio.gather(
            *(
                env.orders.orders_as(c.agent).SubmitOrder(
                    submit_request(c, [ln(w.water, "1")]), metadata=metadata
                )
                for c, (_, metadata) in zip(customers, roots, strict=True)
            )
        )
    ids = [o.order.id for o in orders]
    await eventually(
        lambda: all(i in traced.applied for i in ids), within=15, what="every order applied"
    )
    for order_id, (root, _) in zip(ids, roots, strict=True):
        assert traced.applied[order_id] == root.get_span_context().trace_id
    batches = [s for s in traced.spans.get_finished_spans() if s.name == "batch orders.submit"]
    for batch in batches:
        assert batch.attributes is not None
        size = batch.attributes["fieldline.batch.size"]
        if size == 1:
            assert batch.parent is not None and not batch.links
        else:  # a trace of its own, linked to each call's
            assert isinstance(size, int)
            assert batch.parent is None and len(batch.links) == size
