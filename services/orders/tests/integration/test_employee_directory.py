"""An employee's token counts as far as the clients feed's latest word on the employee.

Orders runs as `serve` runs it, its `orders-clients-feed` consumer reading real clients'
events from JetStream: a dismissal or a removed role reported by clients refuses the very
token that worked a moment before, within the documented staleness (the event's trip plus the
directory's one-second cache); an employee the feed has not reported is taken at the token's
word (docs/architecture/identity.md, *Staleness*).
"""

from __future__ import annotations

import asyncio

import grpc

from fieldline.clients.v1 import resources_pb2 as res
from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import orders_service_pb2_grpc as os_grpc
from fieldline.orders.v1 import van_service_pb2 as vs
from fieldline.orders.v1 import van_service_pb2_grpc as vs_grpc
from fieldline_kit.auth.directory import DIRECTORY_TTL_SECONDS
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.helpers import expect_error, new_id, refused_within
from fieldline_kit.testing.nats_server import EmbeddedNats

from .feed_harness import feed_env

# The event's trip through the outbox relay and JetStream is not part of this test (it is
# published directly): the bound is the cache's TTL plus the consumer's delivery and a margin.
BOUND_SECONDS = DIRECTORY_TTL_SECONDS + 2.0


async def test_a_dismissal_and_a_removed_role_reach_the_auth_check_through_the_feed(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with feed_env(db_factory, nats_server.url) as e:
        employee = new_id()
        caller = Caller(employee, {"VAN_SELLER", "AGENT"})
        orders = e.stub(os_grpc.OrdersServiceStub, as_=caller)
        vans = e.stub(vs_grpc.VanServiceStub, as_=caller)
        list_orders = lambda: orders.ListOrders(os_.ListOrdersRequest())  # noqa: E731
        list_vans = lambda: vans.ListVans(vs.ListVansRequest())  # noqa: E731
        # Not reported by the feed yet: the token's word.
        await list_orders()
        await list_vans()

        await e.wait_processed(
            await e.employee(employee, [res.ROLE_AGENT, res.ROLE_VAN_SELLER], version=1)
        )
        await list_vans()
        # Clients takes the van away (VAN_SELLER removed): ListVans is for van sellers only.
        await e.employee(employee, [res.ROLE_AGENT], version=2)
        await refused_within(list_vans, grpc.StatusCode.PERMISSION_DENIED, BOUND_SECONDS)
        await list_orders()  # its other role still works, with the same token
        # A late, older event does not bring the role back.
        await e.wait_processed(
            await e.employee(employee, [res.ROLE_AGENT, res.ROLE_VAN_SELLER], version=1)
        )
        await asyncio.sleep(DIRECTORY_TTL_SECONDS)
        await expect_error(list_vans(), grpc.StatusCode.PERMISSION_DENIED, "no role admitted")

        await e.employee(employee, [res.ROLE_AGENT], version=3, active=False)
        await refused_within(list_orders, grpc.StatusCode.UNAUTHENTICATED, BOUND_SECONDS)
        await expect_error(list_orders(), grpc.StatusCode.UNAUTHENTICATED, "is not active")
