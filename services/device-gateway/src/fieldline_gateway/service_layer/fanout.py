"""Writing to the sync store: one transaction per event (or per refetch, or per bulk-build
chunk) that takes the next seq first (before any other write of the transaction: the one lock
order that rules out deadlocks between writers), updates the scope graph, writes the items and the
removals, and recomputes the memberships of the agents the change touched
(docs/contexts/device-gateway.md, *The sync store (fan-out)*, *Memberships*).

`Change` collects what one event means for the store; the consumers (entrypoints) build it from
the event with the projections and hand it to `apply` inside the consumer's own transaction
(the one holding the event's inbox row), so a redelivered event changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fieldline_gateway.adapters import fanout_store, metrics, refetch_store
from fieldline_gateway.adapters.fanout_store import FanoutItem
from fieldline_gateway.adapters.graph_store import GraphStore
from fieldline_gateway.adapters.projections import Derived, Item, Removal
from fieldline_gateway.domain.membership import scopes_of
from fieldline_kit.clock import utcnow

# What a change does to the scope graph; returns agents it touched besides those named.
GraphStep = Callable[[GraphStore], Awaitable[Iterable[str]]]


@dataclass
class Change:
    """Items to write, removals to tombstone, graph steps, and the agents whose scopes to
    recompute (`touched`; graph steps and `touch_members_of` add more)."""

    items: list[Item | Removal] = field(default_factory=list)
    graph: list[GraphStep] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)
    # Scopes whose current members are touched (an outlet's client changed: its agents).
    touch_members_of: set[str] = field(default_factory=set)
    # Refetch jobs to enqueue (`plan:<agent>`, `vans:<seller>`), in the same transaction.
    refetch: set[str] = field(default_factory=set)
    # Items read from the store's own tables, after the graph steps (`projections.Derived`).
    derived: list[Derived] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(
            self.items
            or self.graph
            or self.touched
            or self.touch_members_of
            or self.refetch
            or self.derived
        )


def fanout_items(entries: Iterable[Item | Removal]) -> list[FanoutItem]:
    out = []
    for entry in entries:
        if isinstance(entry, Removal):
            out.append(
                FanoutItem(entry.section, entry.key, entry.scope, None, entry.source_version)
            )
        else:
            out.append(
                FanoutItem(entry.section, entry.key, entry.scope, entry.body, entry.source_version)
            )
    return out


async def apply(session: Any, change: Change) -> int:
    """Write `change` in the caller's transaction; its seq (0: nothing to do)."""
    if not change:
        return 0
    if not (
        change.items or change.graph or change.touched or change.touch_members_of or change.derived
    ):
        # Nothing for the store: no need to queue behind the clock.
        await refetch_store.enqueue(session, change.refetch, utcnow())
        return 0
    # The clock FIRST, before any other lock of the transaction (a job row, a graph row):
    # every store writer takes the clock then the rest, so two can never wait on each other.
    seq = await fanout_store.advance_clock(session)
    if change.refetch:
        await refetch_store.enqueue(session, change.refetch, utcnow())
    graph = GraphStore(session)
    touched = set(change.touched)
    for step in change.graph:
        touched.update(await step(graph))
    for scope in change.touch_members_of:
        touched.update(await fanout_store.members_of(session, scope))
    items = list(change.items)
    for derive in change.derived:
        items.extend(await derive(session))
    if items:
        result = await fanout_store.put_objects(session, seq, fanout_items(items))
        for section, _key in result.written:
            metrics.FANOUT_WRITES.labels(section, "changed").inc()
    await recompute(session, seq, graph, touched)
    metrics.FANOUT_SEQ.set(seq)
    return seq


async def recompute(session: Any, seq: int, graph: GraphStore, agents: Iterable[str]) -> None:
    """Set each agent's memberships to what the graph now says (an employee no event has
    reported yet keeps what it has)."""
    desired = {}
    for agent in sorted({a for a in agents if a}):
        inputs = await graph.inputs(agent)
        if inputs is None:
            continue
        desired[agent] = scopes_of(
            agent,
            inputs.roles,
            routes=inputs.routes,
            route_outlets=inputs.route_outlets,
            proposed_outlets=inputs.proposed_outlets,
            outlet_clients=inputs.outlet_clients,
            client_price_types=inputs.client_price_types,
        )
    if desired:
        await fanout_store.set_memberships_many(session, seq, desired)


def observe_lag(stream: str, occurred_at: datetime | None, now: datetime) -> None:
    """How long after it happened an event's change reached the store (fan-out lag)."""
    if occurred_at is not None:
        metrics.FANOUT_LAG.labels(stream).observe(max(0.0, (now - occurred_at).total_seconds()))
