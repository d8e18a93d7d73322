"""The standings sweep as a background loop of `serve` (the use case:
`handlers.sweep_standings`).

A credit standing is judged again in the transaction of whatever changes it; time alone
changes it too, with no transaction to judge it in: a new business day (overdue days cross the
policy's threshold) and a reservation expiring. Every SETTLEMENTS_STANDINGS_SWEEP_SECONDS the
loop asks (a read) whether there is such work, and if so runs steps, one transaction each,
until there is none. Replicas may all run it: each step locks the sweep's state, so they take
turns. A failed step (the database unreachable) is logged and tried again at the next period.
SETTLEMENTS_STANDINGS_SWEEP_SECONDS=0: no loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from nats.aio.client import Client

from fieldline_kit.logging import correlation, get_logger
from fieldline_kit.service import Background
from fieldline_settlements.bootstrap import App
from fieldline_settlements.service_layer import handlers

log = get_logger("fieldline.settlements.standings")


async def sweep(app: App) -> int:
    """Steps until nothing is left to do; the clients judged."""
    judged = 0
    while True:
        now = app.clock()
        today = app.business_day(now)
        async with app.read_uow() as uow:
            if not await handlers.sweep_due(uow, now, today):
                return judged
        with correlation():  # the events of a step share one correlation id
            async with app.uow() as uow:
                done = await handlers.sweep_standings(uow, app.config, now, today)
                await uow.commit()
        if done is None:
            return judged
        judged += done


def standings_sweep(app: App, nc: Client) -> Sequence[Background]:
    """The loop (a `ServiceSpec` reader); none when SETTLEMENTS_STANDINGS_SWEEP_SECONDS is 0."""
    period = app.settings.standings_sweep_seconds
    if period <= 0:
        return ()

    async def run(stop: asyncio.Event) -> None:
        log.info("standings sweep started", period_seconds=period)
        while not stop.is_set():
            try:
                judged = await sweep(app)
                if judged:
                    log.info("standings swept", clients=judged)
            except Exception as exc:
                log.warning("standings sweep failed", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=period)
        log.info("standings sweep stopped")

    return (run,)
