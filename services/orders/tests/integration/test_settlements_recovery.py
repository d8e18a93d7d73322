"""After a settlements outage, orders' credit checks reach settlements again within seconds.

The channel to settlements keeps trying to reconnect while settlements is down; how long it
waits between attempts decides how long orders goes on holding new orders as "settlements
unavailable" once settlements serves again (adapters/settlements_client.py, CHANNEL_OPTIONS).
During the outage a stand-in listens on settlements' port, accepting each connection and
closing it at once (a settlements that is down, as the channel sees it): it tells when the
channel tries to reconnect. Settlements comes back just after one attempt — the worst moment
for the channel — and the first order it judges must come within RECOVERY seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats

from .orders_harness import (
    Customer,
    Env,
    SettlementsOnOnePort,
    ln,
    make_world,
    new_customer,
    start_orders,
    submit_request,
    world,
)

OUTAGE = 5.0  # seconds of orders arriving while settlements is down
RECOVERY = 2.0  # most seconds from settlements serving again to an order it judged
TIMEOUT = 2.0  # ORDERS_CREDIT_CHECK_TIMEOUT_SECONDS


class DownPort:
    """Accepts connections on a port and closes them at once, noting when each came."""

    def __init__(self) -> None:
        self.attempts = asyncio.Queue[float]()

    @contextlib.asynccontextmanager
    async def listening(self, port: int) -> AsyncIterator[DownPort]:
        loop = asyncio.get_running_loop()

        async def refuse(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.attempts.put_nowait(loop.time())
            writer.close()

        server = await asyncio.start_server(refuse, "127.0.0.1", port)
        try:
            yield self
        finally:
            server.close()
            await server.wait_closed()

    async def next_attempt(self) -> float:
        """When the channel next tries to connect (a fresh attempt, not one already seen)."""
        while not self.attempts.empty():
            self.attempts.get_nowait()
        return await asyncio.wait_for(self.attempts.get(), 60)


async def _submit(env: Env, c: Customer) -> pb.Order:
    w = world(env)
    return (
        await env.orders.orders_as(c.agent).SubmitOrder(submit_request(c, [ln(w.water, "1")]))
    ).order


async def test_orders_sees_settlements_again_soon_after_an_outage(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    loop = asyncio.get_running_loop()
    settlements = SettlementsOnOnePort(db_factory, nats_server.url)
    async with start_orders(
        db_factory,
        nats_server.url,
        settlements.target,
        credit_check_timeout_seconds=TIMEOUT,
        credit_recheck_seconds=0,  # only the checks of new orders here
    ) as orders:
        async with settlements.up() as first:
            env = Env(orders, first, orders.js)
            env.world = await make_world(env)
            c = await new_customer(env)
            assert not (await _submit(env, c)).credit.fallback  # the channel is up

        # Settlements is down: every order falls back at once, well within the deadline.
        async with DownPort().listening(settlements.port) as down:
            began = loop.time()
            while loop.time() - began < OUTAGE:
                asked = loop.time()
                order = await _submit(env, c)
                assert order.status == pb.ORDER_STATUS_CREDIT_HOLD and order.credit.fallback
                assert loop.time() - asked < TIMEOUT / 2
                await asyncio.sleep(0.2)
            await down.next_attempt()

        async with settlements.up():
            serving = loop.time()
            while (await _submit(env, c)).credit.fallback:
                assert loop.time() - serving < 60, "settlements never judged an order again"
                await asyncio.sleep(0.05)
            recovered = loop.time() - serving
    print(f"first order judged by settlements {recovered:.2f} s after it served again")
    assert recovered < RECOVERY
