"""What must hold after a day of faults, read straight from each service's database and from
JetStream once the system is quiet:

- every acknowledged write exists (none lost), and nothing exists that was never acknowledged
  (a write applied but never answered would be one a device could not know about);
- every event in an outbox reached its stream exactly once (no duplicates by event id);
- every event a durable consumer subscribes to was applied once downstream (its inbox row),
  and each van sale became exactly one invoice in settlements;
- reservations match orders: a submitted pre-sale order has one reservation of its gross
  total, a held one and a van sale none, and no reservation belongs to anything else;
- van stock equals its ledger and is never negative;
- outboxes are empty (everything published), no dead letters, no order still held because
  settlements was unreachable.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module
from typing import Any

from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.messaging.topology import ConsumerSpec, Topology

from .day import RECEIPT_PREFIX, Ledger

SERVICES = ("clients", "orders", "settlements")
# Document kind of the day → (service, table) holding it.
DOCUMENTS = {
    "visit": ("clients", "SELECT id FROM visits"),
    "audit": ("clients", "SELECT id FROM audits"),
    "pre-sale order": ("orders", "SELECT id FROM orders WHERE kind = 'pre_sale'"),
    "van sale": ("orders", "SELECT id FROM orders WHERE kind = 'van_sale'"),
    "payment": (
        "settlements",
        f"SELECT id FROM payments WHERE receipt_number LIKE '{RECEIPT_PREFIX}%'",
    ),
}


@dataclass
class Findings:
    figures: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def check(self, ok: bool, problem: str) -> None:
        if not ok:
            self.problems.append(problem)


def topology(service: str) -> Topology:
    part = import_module(f"fieldline_{service}.topology").TOPOLOGY
    assert isinstance(part, Topology)
    return part


async def scalar(engine: AsyncEngine, sql: str) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(text(sql))).scalar()


async def rows(engine: AsyncEngine, sql: str) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(text(sql))).all())


async def stream_envelopes(js: JetStreamContext, stream: str) -> list[tuple[str, EventEnvelope]]:
    """(subject, envelope) of every message on `stream`, in order."""
    info = await js.stream_info(stream)
    if not info.state.messages:
        return []
    subjects = list(info.config.subjects or [])
    sub = await js.pull_subscribe(
        subjects[0], stream=stream, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    )
    found: list[tuple[str, EventEnvelope]] = []
    try:
        while len(found) < info.state.messages:
            try:
                msgs = await sub.fetch(1000, timeout=2)
            except TimeoutError:
                break
            for msg in msgs:
                found.append((msg.subject, EventEnvelope.FromString(msg.data)))
                await msg.ack()
    finally:
        await sub.unsubscribe()
    return found


def matches(subject: str, pattern: str) -> bool:
    """NATS subject matching: `*` one token, `>` the rest."""
    tokens, wanted = subject.split("."), pattern.split(".")
    for i, w in enumerate(wanted):
        if w == ">":
            return len(tokens) > i
        if i >= len(tokens) or (w != "*" and w != tokens[i]):
            return False
    return len(tokens) == len(wanted)


async def quiet(engines: dict[str, AsyncEngine], js: JetStreamContext, timeout: float) -> None:
    """Wait until every outbox is published, every durable consumer has nothing pending and
    no order waits for the credit re-check."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    waiting: list[str] = []
    while loop.time() < deadline:
        waiting = []
        for name, engine in engines.items():
            unpublished = await scalar(
                engine, "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            )
            if unpublished:
                waiting.append(f"{name}: {unpublished} unpublished")
            for consumer in topology(name).consumers:
                info = await js.consumer_info(consumer.stream, consumer.durable)
                if info.num_pending or info.num_ack_pending:
                    waiting.append(
                        f"{consumer.durable}: {info.num_pending} pending, "
                        f"{info.num_ack_pending} unacknowledged"
                    )
        held = await scalar(engines["orders"], HELD_FOR_UNAVAILABILITY)
        if held:
            waiting.append(f"orders: {held} held for unavailability")
        if not waiting:
            return
        await asyncio.sleep(0.5)
    raise TimeoutError(f"the system is not quiet after {timeout:.0f}s: {'; '.join(waiting)}")


HELD_FOR_UNAVAILABILITY = (
    "SELECT count(*) FROM orders WHERE status = 'credit_hold' "
    "AND CAST(credit AS TEXT) LIKE '%\"fallback\": true%'"
)


async def check(engines: dict[str, AsyncEngine], js: JetStreamContext, ledger: Ledger) -> Findings:
    f = Findings()
    await _documents(f, engines, ledger)
    published = await _events(f, engines, js)
    await _downstream(f, engines, published)
    await _reservations(f, engines)
    await _vans(f, engines)
    for name, engine in engines.items():
        dead = await scalar(engine, "SELECT count(*) FROM dead_letter")
        f.figures[f"dead letters ({name})"] = dead
        f.check(dead == 0, f"{name}: {dead} dead letters")
    held = await scalar(engines["orders"], HELD_FOR_UNAVAILABILITY)
    f.check(held == 0, f"orders: {held} orders still held for unavailability")
    return f


async def _documents(f: Findings, engines: dict[str, AsyncEngine], ledger: Ledger) -> None:
    lost = unacknowledged = 0
    for kind, (service, sql) in DOCUMENTS.items():
        stored = {r[0] for r in await rows(engines[service], sql)}
        acked = ledger.acked.get(kind, set())
        missing, extra = acked - stored, stored - acked
        lost += len(missing)
        unacknowledged += len(extra)
        f.check(not missing, f"{kind}: {len(missing)} acknowledged but not stored")
        f.check(not extra, f"{kind}: {len(extra)} stored but never acknowledged")
    checked_out = {
        r[0]
        for r in await rows(engines["clients"], "SELECT id FROM visits WHERE status = 'completed'")
    }
    missing_out = ledger.acked.get("check-out", set()) - checked_out
    f.check(not missing_out, f"check-out: {len(missing_out)} acknowledged, visit not completed")
    f.figures["losses"] = lost + len(missing_out)
    f.figures["unacknowledged writes"] = unacknowledged


async def _events(
    f: Findings, engines: dict[str, AsyncEngine], js: JetStreamContext
) -> dict[str, list[tuple[str, EventEnvelope]]]:
    published: dict[str, list[tuple[str, EventEnvelope]]] = {}
    total = duplicates = 0
    for name, engine in engines.items():
        for stream in topology(name).streams:
            found = await stream_envelopes(js, stream.name)
            published[stream.name] = found
            ids = Counter(e.event_id for _, e in found)
            dup = sum(n - 1 for n in ids.values())
            outbox = {r[0] for r in await rows(engine, "SELECT event_id FROM outbox")}
            never = outbox - set(ids)
            total += len(ids)
            duplicates += dup
            f.check(dup == 0, f"{stream.name}: {dup} events published more than once")
            f.check(not never, f"{stream.name}: {len(never)} outbox events never published")
    f.figures["events published"] = total
    f.figures["duplicate events"] = duplicates
    return published


async def _downstream(
    f: Findings,
    engines: dict[str, AsyncEngine],
    published: dict[str, list[tuple[str, EventEnvelope]]],
) -> None:
    applied = 0
    for name, engine in engines.items():
        for consumer in topology(name).consumers:
            wanted = {e.event_id for s, e in published[consumer.stream] if _for(consumer, s)}
            inbox = {
                r[0]
                for r in await rows(
                    engine, f"SELECT event_id FROM inbox WHERE consumer = '{consumer.durable}'"
                )
            }
            applied += len(wanted & inbox)
            f.check(
                wanted <= inbox,
                f"{consumer.durable}: {len(wanted - inbox)} events never applied",
            )
    f.figures["events applied downstream"] = applied
    sales = {
        r[0] for r in await rows(engines["orders"], "SELECT id FROM orders WHERE kind = 'van_sale'")
    }
    invoices = Counter(
        r[0]
        for r in await rows(engines["settlements"], "SELECT order_id FROM invoices")
        if r[0] in sales
    )
    twice = [o for o, n in invoices.items() if n > 1]
    never = sales - set(invoices)
    f.figures["van sales invoiced twice"] = len(twice)
    f.check(not twice, f"settlements: {len(twice)} van sales invoiced more than once")
    f.check(not never, f"settlements: {len(never)} van sales never invoiced")


def _for(consumer: ConsumerSpec, subject: str) -> bool:
    return any(matches(subject, p) for p in consumer.filter_subjects)


async def _reservations(f: Findings, engines: dict[str, AsyncEngine]) -> None:
    orders = {
        r[0]: (r[1], r[2], Decimal(str(r[3])))
        for r in await rows(engines["orders"], "SELECT id, kind, status, gross_total FROM orders")
    }
    reserved = {
        r[0]: Decimal(str(r[1]))
        for r in await rows(
            engines["settlements"], "SELECT order_id, amount FROM credit_reservations"
        )
    }
    wrong = []
    for order_id, (kind, status, total) in orders.items():
        should = kind == "pre_sale" and status == "submitted"
        if should and reserved.get(order_id) != total:
            wrong.append(f"{order_id} ({status}): reserved {reserved.get(order_id)}, total {total}")
        if not should and order_id in reserved:
            wrong.append(f"{order_id} ({kind}, {status}): reserved {reserved[order_id]}")
    strays = set(reserved) - set(orders)
    f.figures["reservations"] = len(reserved)
    f.figures["orders on credit hold"] = sum(1 for o in orders.values() if o[1] == "credit_hold")
    f.check(not wrong, f"reservations do not match orders: {wrong[:5]}")
    f.check(not strays, f"{len(strays)} reservations of no order")


async def _vans(f: Findings, engines: dict[str, AsyncEngine]) -> None:
    stock = {
        (r[0], r[1]): Decimal(str(r[2]))
        for r in await rows(engines["orders"], "SELECT van_id, product_id, quantity FROM van_stock")
    }
    ledger = {
        (r[0], r[1]): Decimal(str(r[2]))
        for r in await rows(
            engines["orders"],
            "SELECT van_id, product_id, SUM(quantity) FROM van_movements "
            "GROUP BY van_id, product_id",
        )
    }
    f.check(stock == ledger, "van stock differs from its ledger")
    negative = [k for k, q in stock.items() if q < 0]
    f.check(not negative, f"{len(negative)} negative van stock rows")
