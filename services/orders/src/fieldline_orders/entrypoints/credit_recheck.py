"""The credit re-check as a background loop of `serve` (the use case: service_layer/recheck.py).

Every ORDERS_CREDIT_RECHECK_SECONDS a pass: when this replica holds the job's lease, every
order held because settlements was unreachable is checked again, a batch at a time. While
settlements stays unreachable (or a pass fails: the database unreachable) the wait doubles,
up to RECHECK_MAX_BACKOFF_PERIODS periods; settlements answering any call of this process
again (a SubmitOrder's check) ends the wait at once. On stop the lease is freed, so another
replica takes the job over at its next pass. ORDERS_CREDIT_RECHECK_SECONDS=0: no loop.

The re-check has no user: it asks settlements as orders itself (adapters/service_identity.py).
Without that identity (ORDERS_SERVICE_SIGNING_KEY unset) it does not run, and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from nats.aio.client import Client

from fieldline_kit.logging import correlation, get_logger
from fieldline_kit.service import Background
from fieldline_orders.bootstrap import App
from fieldline_orders.service_layer.recheck import RecheckHeldOrders
from fieldline_orders.settings import RECHECK_MAX_BACKOFF_PERIODS

log = get_logger("fieldline.orders.recheck")


class CreditRecheckJob:
    def __init__(self, recheck: RecheckHeldOrders, *, period: float, longest_wait: float) -> None:
        self.recheck = recheck
        self.period = period
        self.longest_wait = longest_wait
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Start the next pass now (settlements answers again)."""
        self._woken.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Passes until `stop` is set; never raises on settlements or database errors."""
        log.info("credit re-check started", period_seconds=self.period)
        wait = self.period
        try:
            while not stop.is_set():
                self._woken.clear()
                wait = await self._pass(wait)
                await self._pause(stop, wait)
        finally:
            try:
                await self.recheck.step_down()
            except Exception as exc:  # the lease then expires by itself
                log.warning("credit re-check lease not freed", error=repr(exc))
        log.info("credit re-check stopped")

    async def _pass(self, wait: float) -> float:
        """One pass; how long to wait before the next."""
        try:
            with correlation():  # the events of a pass share one correlation id
                tally = await self.recheck.run_pass()
        except Exception as exc:
            log.warning("credit re-check pass failed", error=repr(exc))
            return min(wait * 2, self.longest_wait)
        if tally.unavailable:
            return min(wait * 2, self.longest_wait)
        return self.period

    async def _pause(self, stop: asyncio.Event, seconds: float) -> None:
        """Wait `seconds`, or less if stopped or woken."""
        ends = [asyncio.create_task(stop.wait()), asyncio.create_task(self._woken.wait())]
        try:
            await asyncio.wait(ends, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in ends:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


def credit_recheck(app: App, nc: Client) -> Sequence[Background]:
    """The loop (a `ServiceSpec` reader), woken when settlements answers again; none when
    ORDERS_CREDIT_RECHECK_SECONDS is 0."""
    period = app.settings.credit_recheck_seconds
    if period <= 0:
        return ()
    if app.service_token is None:
        log.warning(
            "credit re-check off: orders has no service identity to ask settlements with "
            "(ORDERS_SERVICE_SIGNING_KEY is unset); orders held while settlements was "
            "unreachable stay held until submitted again"
        )
        return ()
    job = CreditRecheckJob(
        app.recheck, period=period, longest_wait=RECHECK_MAX_BACKOFF_PERIODS * period
    )
    app.settlements.on_recovery.append(job.wake)
    return (job.run,)
