"""Refetch jobs run: any replica takes due jobs by lease, reads the service as the gateway
(outside any transaction), writes what it read through `fanout.apply` and finishes the job —
or runs it again when it was triggered meanwhile, or retries later when the service is out
of reach (docs/contexts/device-gateway.md, *Where the data comes from*, 2). A subject the
service still does not know (NOT_FOUND) after NOT_FOUND_TRIES tries ends its job.

Keys: `plan:<agent>` (today … today + GATEWAY_PLAN_HORIZON_DAYS of the agent's visit plan:
the due rule stays in clients), `vans:<seller>` (the seller's vans and their stock), `van:<id>`
(a van not seen yet: its seller found, then the seller's vans), `reco:<outlet>` (the
outlet's recommended order for today: after an audit, a delivery, a van sale, a route change),
`callplan:<teleseller>` (today's call plan: after a call, a change of its call lists),
`cash:<employee>` (its cash on hand: after a cash payment it collected or a handover). The
nightly roll asks for every agent's plan (a teleseller's call plan) again when the business day
changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Collection
from datetime import date, datetime, timedelta
from typing import Any

from fieldline_gateway.adapters import refetch_reads, refetch_store
from fieldline_gateway.adapters.peers import Peers
from fieldline_gateway.domain.membership import only_teleseller
from fieldline_gateway.service_layer.fanout import Change, apply
from fieldline_kit.logging import get_logger
from fieldline_kit.roles import AGENT, TELESELLER, VAN_SELLER

log = get_logger("fieldline.gateway.refetch")

LEASE = timedelta(seconds=60)
IDLE_SECONDS = 0.2
BATCH = 16
MAX_BACKOFF = timedelta(minutes=5)
NOT_FOUND_TRIES = 3  # a subject the service does not know: tried this often, then given up


def plan_key(agent_id: str) -> str:
    return f"plan:{agent_id}"


def vans_key(seller_id: str) -> str:
    return f"vans:{seller_id}"


def reco_key(outlet_id: str) -> str:
    """The outlet's recommended order for today."""
    return f"reco:{outlet_id}"


def van_key(van_id: str) -> str:
    """A van whose seller the gateway does not know yet."""
    return f"van:{van_id}"


# Who holds the cash it collects (settlements' cash on hand, `cashOnHand`).
CASH_HOLDERS = frozenset({AGENT, VAN_SELLER})


def call_plan_key(teleseller_id: str) -> str:
    """A teleseller's call plan of today."""
    return f"callplan:{teleseller_id}"


def cash_key(employee_id: str) -> str:
    """An employee's cash on hand."""
    return f"cash:{employee_id}"


def plan_keys(employee_id: str, roles: Collection[str]) -> set[str]:
    """The plans to read again for an employee with `roles`: its visit plan (a teleseller with
    no other route role has none: clients' GetVisitPlan leaves call lists out), its call plan
    when it sells by phone."""
    keys = set() if only_teleseller(roles) else {plan_key(employee_id)}
    if TELESELLER in roles:
        keys.add(call_plan_key(employee_id))
    return keys


class Refetcher:
    def __init__(
        self,
        uow: Callable[[], Any],
        peers: Peers,
        today: Callable[[], date],
        clock: Callable[[], datetime],
        plan_horizon_days: int = 7,
    ) -> None:
        self._uow = uow
        self._peers = peers
        self._today = today
        self._clock = clock
        self._horizon = plan_horizon_days
        self._owner = uuid.uuid4().hex[:16]
        self._rolled: date | None = None

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.roll()
                worked = await self.step()
            except Exception as exc:  # the database out of reach: try again shortly
                log.warning("refetch round failed", error=repr(exc))
                worked = 0
            if not worked:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), IDLE_SECONDS)

    async def roll(self) -> None:
        """On a new business day (and at start), every agent's plan (a teleseller's call plan)
        and every van seller's vans again (each replica asks; the jobs coalesce)."""
        today = self._today()
        if self._rolled == today:
            return
        async with self._uow() as uow:
            agents = await refetch_store.agents_with_routes(uow.session)
            sellers = await refetch_store.van_sellers(uow.session)
            telesellers = await refetch_store.telesellers(uow.session)
            keys = [
                *(plan_key(a) for a in agents if not only_teleseller(telesellers.get(a, ()))),
                *map(call_plan_key, telesellers),
                *map(vans_key, sellers),
            ]
            await refetch_store.enqueue(uow.session, keys, self._clock())
            await uow.commit()
        self._rolled = today
        log.info("visit plans rolled", day=today.isoformat(), agents=len(agents))

    async def step(self) -> int:
        """Run the due jobs this replica could lease; how many."""
        async with self._uow() as uow:
            jobs = await refetch_store.take(uow.session, self._owner, self._clock(), LEASE, BATCH)
            await uow.commit()
        await asyncio.gather(*(self._one(job) for job in jobs))
        return len(jobs)

    async def _one(self, job: refetch_store.Job) -> None:
        kind, _, subject = job.key.partition(":")
        try:
            change = await self._read(kind, subject)
        except Exception as exc:
            if not refetch_reads.unknown_subject(exc) or job.attempts < NOT_FOUND_TRIES - 1:
                await self._retry_later(job, exc)
                return
            # Still not the service's after a few tries (an agent or an outlet gone, or never
            # there; the first tries cover a service whose own feed lags): nothing to show, and
            # no retry would find it — the job ends; an event about the subject asks again.
            async with self._uow() as uow:
                await refetch_store.finish(uow.session, job, self._owner)
                await uow.commit()
            log.info("refetch found nothing", key=job.key, error=repr(exc))
            return
        async with self._uow() as uow:
            await apply(uow.session, change[0])  # the clock first (fanout.apply)
            for van_id, seller in change[1].items():
                await refetch_store.put_van(uow.session, van_id, seller)
            await refetch_store.finish(uow.session, job, self._owner)
            await uow.commit()

    async def _retry_later(self, job: refetch_store.Job, exc: Exception) -> None:
        backoff = min(MAX_BACKOFF, timedelta(seconds=2 ** min(job.attempts, 8)))
        async with self._uow() as uow:
            await refetch_store.release(
                uow.session,
                job,
                self._owner,
                retry_at=self._clock() + backoff,
                error=repr(exc)[:500],
            )
            await uow.commit()
        log.warning("refetch failed", key=job.key, error=repr(exc), retry_in=str(backoff))

    async def _read(self, kind: str, subject: str) -> tuple[Change, dict[str, str]]:
        if kind == "plan":
            items = await refetch_reads.visit_plans(
                self._peers, subject, self._today(), self._horizon
            )
            return Change(items=list(items)), {}
        if kind == "vans":
            vans, sellers = await refetch_reads.vans_of(self._peers, subject)
            return Change(items=list(vans)), sellers
        if kind == "reco":
            reco = await refetch_reads.recommended_order(self._peers, subject, self._today())
            return Change(items=list(reco)), {}
        if kind == "callplan":
            plans = await refetch_reads.call_plans(self._peers, subject, self._today())
            return Change(items=list(plans)), {}
        if kind == "cash":
            cash = await refetch_reads.cash_on_hand(self._peers, subject)
            return Change(items=list(cash)), {}
        if kind == "van":
            seller = await refetch_reads.seller_of_van(self._peers, subject)
            if not seller:
                return Change(), {}
            vans, sellers = await refetch_reads.vans_of(self._peers, seller)
            return Change(items=list(vans)), sellers
        raise ValueError(f"unknown refetch job kind {kind!r}")
