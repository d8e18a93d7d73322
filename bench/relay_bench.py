"""Outbox relay: event-loop CPU per event and passes per second at a steady commit rate.

    .venv/bin/python bench/relay_bench.py [--postgres URL] [--rate 200] [--per-commit 4]
        [--seconds 8] [--repeat 3] [--intervals 0,0.02,0.05,0.1]

Creates a fresh database (a SQLite file in a temporary directory, or a throwaway PostgreSQL
database on the server of --postgres, dropped at the end) with the kit's tables, its writer
queue (`queue_writers`, as the services do) and one table of a tiny aggregate, and starts an
embedded NATS with one stream. Then, for each configuration, commits --rate events per second
in units of work of --per-commit events each (one aggregate, one event per rename) through
the real `UnitOfWork`, with `on_commit=relay.wake`, for --seconds, and waits until the relay
has published every event:

- `no relay`: the commits alone (the rows stay unpublished): the baseline;
- `min pass N`: an `OutboxRelay.run()` with `min_pass_interval=N` (0: a pass per wake-up,
  the relay before pacing).

Per configuration: the main thread's CPU (`time.thread_time`: the event loop, where the
commits, the relay and the NATS client run) per event, the relay's share of it (minus the
baseline of the same round), the relay's passes per second, and the latency from each commit
to its event's PubAck (p50 / p99). CPU figures are the best (lowest) of --repeat rounds,
since other work on the machine only ever adds to them; latencies and pass rates come from
that round too. The ratio is each relay's CPU per event over the unpaced relay's (min pass 0)
of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

import benchkit
from fieldline.clients.events.v1 import events_pb2
from fieldline.clients.v1 import resources_pb2
from fieldline_kit.db import create_engine, new_metadata, session_factory
from fieldline_kit.logging import configure_logging
from fieldline_kit.messaging.nats import connect
from fieldline_kit.messaging.relay import OutboxRelay
from fieldline_kit.messaging.topology import StreamSpec, apply
from fieldline_kit.sqlite_writers import queue_writers
from fieldline_kit.tables import KitTables, add_kit_tables
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_kit.uow import IntegrationEvent, UnitOfWork

# (False: a relay from before pacing, to measure it with the same script.)
PACED = "min_pass_interval" in inspect.signature(OutboxRelay).parameters
CONTEXT = "relaybench"
STREAM = "RELAYBENCH"


# -- a minimal aggregate: one event per rename ------------------------------------------------
@dataclass(frozen=True)
class Renamed:
    thing_id: str
    name: str
    version: int


@dataclass
class Thing:
    id: str
    version: int = 0
    events: list[Any] = field(default_factory=list)

    def rename(self, name: str) -> None:
        self.version += 1
        self.events.append(Renamed(self.id, name, self.version))


def mapper(event: Any) -> Iterable[IntegrationEvent]:
    client = resources_pb2.Client(id=event.thing_id, name=event.name, version=event.version)
    yield IntegrationEvent(
        subject=f"{CONTEXT}.events.v1.ClientCreated",
        message=events_pb2.ClientCreated(client=client),
        aggregate_type="thing",
        aggregate_id=event.thing_id,
        aggregate_version=event.version,
    )


# -- database ---------------------------------------------------------------------------------
async def prepare(url: str) -> tuple[AsyncEngine, KitTables]:
    engine = create_engine(url)
    queue_writers(engine)
    md = new_metadata()
    tables = add_kit_tables(md)
    Table("bench_things", md, Column("id", String(36), primary_key=True), Column("v", Integer))
    async with engine.begin() as conn:
        await conn.run_sync(md.create_all)
    return engine, tables


# -- one configuration ------------------------------------------------------------------------
@dataclass
class Outcome:
    label: str
    events: int
    cpu_per_event_us: float
    passes_per_s: float = 0.0
    latency_p50_ms: float = 0.0
    latency_p99_ms: float = 0.0


async def run_config(
    label: str,
    engine: AsyncEngine,
    tables: KitTables,
    nc: Any,
    *,
    min_pass: float | None,
    rate: float,
    per_commit: int,
    seconds: float,
) -> Outcome:
    sessions = session_factory(engine)
    relay: OutboxRelay | None = None
    passes = 0
    committed_at: dict[str, float] = {}
    latencies: list[float] = []
    if min_pass is not None:
        pacing: dict[str, Any] = {"min_pass_interval": min_pass} if PACED else {}
        relay = OutboxRelay(sessions, tables, nc, service="relay-bench", **pacing)
        held_pass = relay._held_pass
        publish = relay._publish

        async def counted() -> int:
            nonlocal passes
            passes += 1
            return await held_pass()

        async def timed(rows: Any) -> tuple[int, str]:
            done, error = await publish(rows)
            now = time.perf_counter()
            for row in rows[:done]:
                started = committed_at.pop(row.event_id, None)
                if started is not None:
                    latencies.append(now - started)
            return done, error

        relay._held_pass = counted  # type: ignore[method-assign]
        relay._publish = timed  # type: ignore[method-assign]

    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop)) if relay is not None else None
    await asyncio.sleep(0.3)  # the relay's first (empty) pass and its purge are not measured
    passes = 0
    outbox = tables.outbox

    def after_commit(events: Any) -> None:
        stamp = time.perf_counter()
        for event in events:
            committed_at[event.event_id] = stamp

    async def commit(i: int) -> None:
        uow = UnitOfWork(
            sessions,
            tables,
            mapper,
            on_commit=relay.wake if relay is not None else None,
            after_commit=after_commit if relay is not None else None,
        )
        async with uow:
            thing = Thing(str(uuid.uuid4()))
            uow.track(thing)
            for n in range(per_commit):
                thing.rename(f"n{i}-{n}")
            await uow.commit()

    commits = max(1, round(seconds * rate / per_commit))
    interval = per_commit / rate
    gc.collect()
    cpu0 = time.thread_time()
    wall0 = time.perf_counter()
    for i in range(commits):
        delay = wall0 + i * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await commit(i)
    events = commits * per_commit
    if relay is not None:
        while True:  # until every event is out (the check itself is outside the CPU figure)
            cpu_paused = time.thread_time()
            async with sessions() as s:
                left = await s.scalar(
                    select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
                )
            cpu0 += time.thread_time() - cpu_paused
            if not left:
                break
            await asyncio.sleep(0.02)
    cpu = time.thread_time() - cpu0
    wall = time.perf_counter() - wall0
    if task is not None:
        stop.set()
        await task
    outcome = Outcome(label, events, cpu / events * 1e6)
    if relay is not None:
        outcome.passes_per_s = passes / wall
        if latencies:
            latencies.sort()
            outcome.latency_p50_ms = statistics.median(latencies) * 1e3
            outcome.latency_p99_ms = (
                latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1e3
            )
    return outcome


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    benchkit.add_postgres_argument(p)
    p.add_argument("--rate", type=float, default=200.0, help="events per second")
    p.add_argument("--per-commit", type=int, default=4, help="events per unit of work")
    p.add_argument("--seconds", type=float, default=8.0, help="committing time per round")
    p.add_argument("--repeat", type=int, default=3, help="rounds per configuration")
    p.add_argument("--intervals", default="0,0.02,0.05,0.1", help="min pass intervals (s)")
    args = p.parse_args()
    configure_logging("relay-bench", "warning", "console")
    intervals = [float(x) for x in args.intervals.split(",")]
    configs: list[tuple[str, float | None]] = [("no relay", None)] + [
        (f"min pass {x:g} s", x) for x in intervals
    ]
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        server = EmbeddedNats(tmp / "nats")
        await server.start()
        nc = await connect(server.url, "relay-bench")
        try:
            await apply(nc, [StreamSpec(STREAM, (f"{CONTEXT}.events.v1.>",), max_age_days=1)], [])
            async with benchkit.database(args.postgres, tmp / "relay-bench.sqlite3") as url:
                engine, tables = await prepare(url)
                best: dict[str, Outcome] = {}
                try:
                    for round_no in range(args.repeat):
                        for label, min_pass in configs:
                            out = await run_config(
                                label,
                                engine,
                                tables,
                                nc,
                                min_pass=min_pass,
                                rate=args.rate,
                                per_commit=args.per_commit,
                                seconds=args.seconds,
                            )
                            print(
                                f"round {round_no + 1} {label:>16}: {out.cpu_per_event_us:7.1f} µs/event"
                                f"  passes {out.passes_per_s:5.1f}/s"
                                f"  latency p50 {out.latency_p50_ms:5.1f} p99 {out.latency_p99_ms:5.1f} ms",
                                flush=True,
                            )
                            if (
                                label not in best
                                or out.cpu_per_event_us < best[label].cpu_per_event_us
                            ):
                                best[label] = out
                finally:
                    await engine.dispose()
        finally:
            await nc.close()
            await server.stop()
    base = best["no relay"].cpu_per_event_us
    unpaced = best.get("min pass 0 s")
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print()
    print(
        f"{backend}, {args.rate:g} events/s in commits of {args.per_commit},"
        f" best of {args.repeat} rounds of {args.seconds:g} s"
    )
    print(
        f"{'':>16}  {'CPU/event':>10}  {'relay/event':>11}  {'vs unpaced':>10}"
        f"  {'passes/s':>8}  {'latency p50':>11}  {'p99':>7}"
    )
    for label, _ in configs:
        out = best[label]
        relay_cost = out.cpu_per_event_us - base
        ratio = ""
        if unpaced is not None and label != "no relay":
            ratio = f"{relay_cost / max(1e-9, unpaced.cpu_per_event_us - base):.2f}"
        print(
            f"{label:>16}  {out.cpu_per_event_us:8.1f}µs  "
            f"{(relay_cost if label != 'no relay' else 0.0):9.1f}µs  {ratio:>10}"
            f"  {out.passes_per_s:8.1f}  {out.latency_p50_ms:9.1f}ms  {out.latency_p99_ms:5.1f}ms"
        )


if __name__ == "__main__":
    asyncio.run(main())
