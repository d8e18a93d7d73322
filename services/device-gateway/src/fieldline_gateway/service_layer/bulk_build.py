"""The sync store's bulk build: everything the services hold for devices, listed by gRPC as the
gateway itself and written as its events would write it (docs/contexts/device-gateway.md,
*Where the data comes from*, 3. Bulk build; *A running system, bulk-loaded data, streams older
than 30 days*).

A run lists each step (adapters/service_lists.py: employees, routes with their assignments,
outlets, clients, proposals, questionnaires, visits, calls, the catalog and prices, clients' price
types and prices, discounts, territories and promotions, orders, vans, contact sales, then
settlements' invoices, balances, tare and credit standings) page by page, outside any
transaction, and writes every ~1,000 items in one transaction through `fanout.apply`: the clock
first, the graph facts (the employee directory, routes' agents, assignments, outlets' clients
and status, proposers, clients' price types, territories), the items through the store's version
and hash guards (promotions' made in the transaction from what it holds:
adapters/promotions_store.py), the refetch keys the same records' events
would enqueue (`plan:<employee>`, `callplan:<teleseller>`, `vans:<seller>`,
`cash:<employee>`). Then the memberships of every employee listed are recomputed, a few hundred
per transaction.

Idempotent: a second run finds every item with its version and body already stored and every
graph row with its version, so it writes nothing new (each transaction still takes a seq, as
every fan-out transaction does). Safe beside the consumers: an event newer than what was listed
wins by version, an older one is refused by version. Partly versioned and unversioned sections
(balances, tare balances, credit standings; visits, proposals) compare bodies only, so an old
event redelivered after the build may overwrite them with older figures until the next event of
the same client (settlements ask 4: versions on them).

One replica at a time builds: the run holds the job lease `bulk-build`, renewed in every chunk's
transaction (a chunk commits only while its run still holds it), and records `finished_at` when
it goes to its end. At start (`run_when_needed`) a replica builds when the store has no clock
yet, or no run has finished (one killed half-way); meanwhile sync answers `sync-unavailable`
until the first transaction creates the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from fieldline_gateway.adapters import bulk_store, fanout_store, leases
from fieldline_gateway.adapters.graph_store import GraphStore
from fieldline_gateway.adapters.service_lists import (
    EmployeeFact,
    Fact,
    Listed,
    ServiceLists,
    employee_ids,
)
from fieldline_gateway.domain.window import Windows
from fieldline_gateway.service_layer.fanout import Change, GraphStep, apply
from fieldline_gateway.service_layer.refetch import (
    CASH_HOLDERS,
    cash_key,
    plan_keys,
    vans_key,
)
from fieldline_kit.logging import get_logger

log = get_logger("fieldline.gateway.bulk_build")

JOB = "bulk-build"
CHUNK_ITEMS = 1000  # items per write transaction
MEMBERSHIP_CHUNK = 200  # employees whose memberships one transaction recomputes
LEASE = timedelta(minutes=2)  # renewed with every chunk
RETRY_SECONDS = 5.0  # a failed or blocked start-up build: first wait, doubling…
MAX_RETRY_SECONDS = 300.0  # …up to this


class LeaseHeld(Exception):
    """Another replica (or command) is building: it holds the lease."""

    def __init__(self, holder: str) -> None:
        super().__init__(f"a bulk build is running elsewhere (lease held by {holder})")
        self.holder = holder


class LeaseLost(Exception):
    """The run's lease expired and another holder took it: this run stops (its last chunk
    rolled back; the other run writes the same)."""


class Stopped(Exception):
    """The process is stopping: the run ends between two chunks."""


@dataclass
class SectionCount:
    listed: int = 0  # items listed
    written: int = 0  # objects the run stamped (new, changed; tombstones)


@dataclass
class BuildReport:
    sections: dict[str, SectionCount] = field(default_factory=dict)
    employees: int = 0  # whose memberships were recomputed
    transactions: int = 0  # fan-out transactions (each took one seq)
    seconds: float = 0.0

    def count(self, section: str) -> SectionCount:
        return self.sections.setdefault(section, SectionCount())

    @property
    def written(self) -> int:
        return sum(c.written for c in self.sections.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "sections": {
                name: {"listed": c.listed, "written": c.written}
                for name, c in sorted(self.sections.items())
            },
            "written": self.written,
            "employees": self.employees,
            "transactions": self.transactions,
            "seconds": round(self.seconds, 3),
        }


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def refetch_keys(facts: Iterable[Fact], van_sellers: Iterable[str]) -> set[str]:
    """The refetch jobs the listed records' events would enqueue: every employee's visit plan
    (a teleseller's call plan), every van seller's vans and every cash holder's cash on hand
    (`EmployeeChanged`), every listed van's seller's vans."""
    keys: set[str] = set()
    for fact in facts:
        if isinstance(fact, EmployeeFact):
            keys.update(plan_keys(fact.employee_id, fact.roles))
            if fact.van_seller:
                keys.add(vans_key(fact.employee_id))
            if CASH_HOLDERS & fact.roles:
                keys.add(cash_key(fact.employee_id))
    keys.update(vans_key(s) for s in van_sellers if s)
    return keys


def _graph_step(facts: Sequence[Fact]) -> GraphStep:
    async def step(graph: GraphStore) -> list[str]:
        for fact in facts:
            await fact.write(graph)
        return []  # whom it touched: every employee, recomputed at the end

    return step


class BulkBuild:
    """The build as a use case: `run()` once (the command), `run_when_needed(stop)` at start
    (a background loop of `serve`)."""

    def __init__(
        self,
        uow: Callable[[], Any],
        lists: ServiceLists,
        *,
        clock: Callable[[], datetime],
        today: Callable[[], date],
        chunk_items: int = CHUNK_ITEMS,
        lease: timedelta = LEASE,
        holder: str = "",
        windows: Windows | None = None,
    ) -> None:
        self._uow = uow
        # The history the bundle holds: what the window sweep keeps (GATEWAY_ORDER_DAYS…).
        self._windows = windows or Windows()
        self._lists = lists
        self._clock = clock
        self._today = today
        self._chunk_items = chunk_items
        self._lease = lease
        self.holder = holder or _holder()

    # -- when ----------------------------------------------------------------------------------
    async def needed(self) -> bool:
        """The store has no clock yet (nothing was ever written), or no build went to its end
        (the first one was killed half-way)."""
        async with self._uow() as uow:
            clock = await fanout_store.read_clock(uow.session)
            finished = await leases.finished_at(uow.session, JOB)
        return clock is None or finished is None

    async def run_when_needed(self, stop: asyncio.Event, *, retry: float = RETRY_SECONDS) -> None:
        """Build once if `needed()`, here or on whichever replica holds the lease; a failed
        run (a service out of reach) is tried again, waiting longer each time. Returns when a
        build has finished (anywhere) or `stop` is set."""
        wait = retry
        while not stop.is_set():
            try:
                if not await self.needed():
                    return
                report = await self.run(stop)
                log.info("bulk build finished", **report.as_dict())
                return
            except Stopped:
                log.info("bulk build stopped: the process stops; the next start builds again")
                return
            except LeaseHeld as exc:
                log.info("bulk build: another replica builds", holder=exc.holder)
                wait = retry
            except Exception as exc:
                log.warning("bulk build failed", error=repr(exc), retry_in_seconds=wait)
                wait = min(wait * 2, MAX_RETRY_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)

    # -- a run -----------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event | None = None) -> BuildReport:
        """List everything and write it; `LeaseHeld` when another run holds the lease."""
        holder = await self._take()
        if holder is not None:
            raise LeaseHeld(holder)
        finished = False
        try:
            report = await self._build(stop)
            finished = True
            return report
        finally:
            try:
                async with self._uow() as uow:
                    now = self._clock()
                    await leases.release(uow.session, JOB, self.holder, now=now, finished=finished)
                    await uow.commit()
            except Exception as exc:  # the lease then expires by itself
                log.warning("bulk build lease not freed", error=repr(exc))

    async def _take(self) -> str | None:
        """Take the lease; None when taken, else who holds it."""
        async with self._uow() as uow:
            now = self._clock()
            if await leases.take(uow.session, JOB, self.holder, now=now, until=now + self._lease):
                await uow.commit()
                return None
            return await leases.holder_of(uow.session, JOB, now=now) or "?"

    async def _build(self, stop: asyncio.Event | None) -> BuildReport:
        started = time.perf_counter()
        report = BuildReport()
        employees: list[str] = []
        steps = self._lists.steps(
            self._today(),
            visit_days=self._windows.visit_days,
            order_days=self._windows.order_days,
        )
        log.info("bulk build started", holder=self.holder, steps=len(steps))
        for step in steps:
            step_started = time.perf_counter()
            before = {name: (c.listed, c.written) for name, c in report.sections.items()}
            chunk: list[Listed] = []
            size = 0
            async for listed in step.records():
                if stop is not None and stop.is_set():
                    raise Stopped
                chunk.append(listed)
                size += len(listed.items) + len(listed.derived)
                employees.extend(employee_ids(listed.facts))
                if size >= self._chunk_items:
                    await self._write(chunk, report)
                    chunk, size = [], 0
            if chunk:
                await self._write(chunk, report)
            progress = {
                name: f"{c.listed - before.get(name, (0, 0))[0]} listed, "
                f"{c.written - before.get(name, (0, 0))[1]} written"
                for name, c in report.sections.items()
                if (c.listed, c.written) != before.get(name, (0, 0))
            }
            log.info(
                "bulk build step done",
                step=step.name,
                seconds=round(time.perf_counter() - step_started, 3),
                **progress,
            )
        unique = sorted(set(employees))
        for start in range(0, len(unique), MEMBERSHIP_CHUNK):
            if stop is not None and stop.is_set():
                raise Stopped
            await self._apply(Change(touched=set(unique[start : start + MEMBERSHIP_CHUNK])), report)
        report.employees = len(unique)
        report.seconds = time.perf_counter() - started
        log.info("bulk build memberships recomputed", employees=len(unique))
        return report

    async def _write(self, chunk: Sequence[Listed], report: BuildReport) -> None:
        items = [i for listed in chunk for i in listed.items]
        facts = [f for listed in chunk for f in listed.facts]
        sellers = {s for listed in chunk for s in listed.van_sellers}
        derived = [d for listed in chunk for d in listed.derived]
        for entry in items:
            report.count(entry.section).listed += 1
        for section, _step in derived:
            report.count(section).listed += 1
        change = Change(
            items=items,
            graph=[_graph_step(facts)] if facts else [],
            refetch=refetch_keys(facts, sellers),
            derived=[step for _section, step in derived],
        )
        await self._apply(change, report)

    async def _apply(self, change: Change, report: BuildReport) -> None:
        """One transaction: `change` through `fanout.apply`, then the lease renewed — a run
        that lost it rolls back."""
        async with self._uow() as uow:
            seq = await apply(uow.session, change)
            written = await bulk_store.written_at(uow.session, seq) if seq else {}
            now = self._clock()
            if not await leases.take(
                uow.session, JOB, self.holder, now=now, until=now + self._lease
            ):
                raise LeaseLost(f"the bulk build's lease went to another holder ({self.holder})")
            await uow.commit()
        if seq:
            report.transactions += 1
        for section, n in written.items():
            report.count(section).written += n
