"""The route agents roll-over as a background loop of `serve` (the use case:
`handlers.roll_route_agents`).

A route's agent follows its dated periods (ScheduleRouteAgents), and a schedule call moves the
routes it names at once; time alone moves them too, with no call to do it in: a period starts
or ends when the company's date (CLIENTS_TIMEZONE) changes. Every
CLIENTS_ROUTE_AGENTS_SWEEP_SECONDS the loop looks at the date, and on a date it has not rolled
over yet (the first pass after start-up included, so days missed while down are caught up)
runs steps, one transaction of at most `ROLL_OVER_STEP` routes each, over the routes a period
covering the day names another employee for; each follows its period in force, with
RouteChanged when its agent moves. Replicas may all run it: a route saved by two is ABORTED for
one (optimistic concurrency), whose pass fails, is logged, and runs again at the next period,
finding nothing left. CLIENTS_ROUTE_AGENTS_SWEEP_SECONDS=0: no loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import date

from fieldline_clients.bootstrap import App
from fieldline_clients.service_layer import handlers
from fieldline_kit.logging import correlation, get_logger
from fieldline_kit.service import Background

log = get_logger("fieldline.clients.route_agents")


async def roll_over(app: App, today: date) -> int:
    """Steps until every route follows its period in force on `today`; the routes moved."""
    moved, after = 0, ""
    while True:
        with correlation():  # the events of a step share one correlation id
            async with app.uow() as uow:
                done, after = await handlers.roll_route_agents(uow, today, after)
                await uow.commit()
        moved += done
        if not after:
            return moved


def route_agents_rollover(app: App) -> Sequence[Background]:
    """The loop; none when CLIENTS_ROUTE_AGENTS_SWEEP_SECONDS is 0."""
    period = app.settings.route_agents_sweep_seconds
    if period <= 0:
        return ()

    async def run(stop: asyncio.Event) -> None:
        log.info("route agents roll-over started", period_seconds=period)
        rolled: date | None = None  # the last date every route followed its periods on
        while not stop.is_set():
            today = app.today()
            if today != rolled:
                try:
                    moved = await roll_over(app, today)
                    rolled = today
                    log.info("route agents rolled over", day=today.isoformat(), routes=moved)
                except Exception as exc:
                    log.warning("route agents roll-over failed", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=period)
        log.info("route agents roll-over stopped")

    return (run,)
