"""Distributors in orders (increment 7) on fakes: the clients feed's client types, the
distributor check (service_layer/distributors.py) on SubmitOrder's batches and CreateVan, a
distributor's van and its sales, and its manager reporting its orders' status.

Over gRPC on real databases: tests/integration/test_distributors.py.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from fieldline.clients.events.v1 import events_pb2 as cev
from fieldline.clients.v1 import resources_pb2 as cres
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.errors import InvalidArgument, NotFound, PermissionDenied
from fieldline_kit.messaging.consumer import PoisonMessage
from fieldline_orders.adapters import proto_mapping as m
from fieldline_orders.domain import events
from fieldline_orders.domain.access import Actor
from fieldline_orders.domain.feed import ClientState
from fieldline_orders.domain.orders import Order, OrderStatus
from fieldline_orders.entrypoints.feed_consumer import feed_record
from fieldline_orders.service_layer import feed
from fieldline_orders.service_layer import orders as orders_sl
from fieldline_orders.service_layer import van as van_sl
from fieldline_orders.service_layer.distributors import require_distributor

from .fakes import FakeOrdersUnitOfWork
from .orders_factories import ADMIN, ALLOW, NOW, header, new_id, van
from .test_submit_orders import World, call, command, priced
from .test_van_use_cases import sell, shop

DISTRIBUTOR = new_id()
RETAIL = new_id()
S = OrderStatus


def clients(uow: FakeOrdersUnitOfWork) -> FakeOrdersUnitOfWork:
    """DISTRIBUTOR a distributor and RETAIL a shop, as the clients feed told of them."""
    uow.feed.clients[DISTRIBUTOR] = ClientState(DISTRIBUTOR, "DISTRIBUTOR", 1)
    uow.feed.clients[RETAIL] = ClientState(RETAIL, "RETAIL", 1)
    return uow


# --------------------------------------------------------------------------------- the feed
def envelope(message: Any, version: int) -> EventEnvelope:
    e = EventEnvelope(event_id=new_id(), aggregate_version=version)
    e.payload.Pack(message)
    return e


def test_client_events_report_the_clients_type() -> None:
    client = cres.Client(id=DISTRIBUTOR, name="ООО Дистрибьютор", type=cres.CLIENT_TYPE_DISTRIBUTOR)
    assert feed_record(envelope(cev.ClientCreated(client=client), 1)) == ClientState(
        DISTRIBUTOR, "DISTRIBUTOR", 1
    )
    client.type = cres.CLIENT_TYPE_KEY_ACCOUNT
    changed = cev.ClientChanged(client=client, changed_fields=["type"])
    assert feed_record(envelope(changed, 4)) == ClientState(DISTRIBUTOR, "KEY_ACCOUNT", 4)
    # No envelope version (an old relay): the client's own.
    changed.client.version = 7
    assert feed_record(envelope(changed, 0)) == ClientState(DISTRIBUTOR, "KEY_ACCOUNT", 7)


@pytest.mark.parametrize(
    ("client", "error"),
    [
        (cres.Client(id=DISTRIBUTOR), "client type is unspecified"),
        (cres.Client(id=DISTRIBUTOR, type=99), "unknown client type 99"),
        (cres.Client(type=cres.CLIENT_TYPE_RETAIL), "client.id is empty"),
    ],
    ids=["no type", "unknown type", "no id"],
)
def test_a_client_event_that_cannot_be_applied_is_poison(client: cres.Client, error: str) -> None:
    with pytest.raises(PoisonMessage, match=error):
        feed_record(envelope(cev.ClientCreated(client=client), 1))


async def test_the_newest_client_event_wins() -> None:
    uow = FakeOrdersUnitOfWork(clock=lambda: NOW)
    applied = []
    for state in (
        ClientState(DISTRIBUTOR, "RETAIL", 1),
        ClientState(DISTRIBUTOR, "DISTRIBUTOR", 3),
        ClientState(DISTRIBUTOR, "RETAIL", 2),  # older, arriving late: ignored
    ):
        applied.append(await uow.run(feed.client_seen, state))
    assert applied == [True, True, False]
    assert await uow.feed_reads.client_types([DISTRIBUTOR, RETAIL]) == {DISTRIBUTOR: "DISTRIBUTOR"}


# -------------------------------------------------------------------------------- the check
async def test_a_distributor_must_be_a_distributor_client_of_the_feed() -> None:
    uow = clients(FakeOrdersUnitOfWork(clock=lambda: NOW))
    assert await require_distributor(uow, DISTRIBUTOR) == DISTRIBUTOR
    assert await require_distributor(uow, DISTRIBUTOR.upper()) == DISTRIBUTOR  # normalised
    assert await require_distributor(uow, "") == ""  # none: the company's
    unknown = new_id()
    with pytest.raises(NotFound) as not_found:
        await require_distributor(uow, unknown, "price_type.distributor_id")
    assert not_found.value.field == "price_type.distributor_id" and unknown in str(not_found.value)
    with pytest.raises(InvalidArgument) as retail:
        await require_distributor(uow, RETAIL)
    assert str(retail.value) == f"distributor_id: client {RETAIL} is not a distributor"
    with pytest.raises(InvalidArgument, match="distributor_id"):
        await require_distributor(uow, "not-an-id")


async def test_each_order_of_a_batch_naming_a_distributor_is_judged_alone() -> None:
    w = World()
    clients(w.uow)
    good = call(command(distributor_id=DISTRIBUTOR))
    unknown = call(command(distributor_id=new_id()))
    retail = call(command(distributor_id=RETAIL))
    plain = call(command())
    outcomes = await w.submit([good, unknown, retail, plain])
    assert w.stored_order(good.cmd.order_id).distributor_id == DISTRIBUTOR
    assert w.stored_order(plain.cmd.order_id).distributor_id == ""
    assert isinstance(outcomes[1], NotFound) and outcomes[1].field == "distributor_id"
    assert isinstance(outcomes[2], InvalidArgument)
    assert outcomes[2].message == f"distributor_id: client {RETAIL} is not a distributor"
    # Nothing written for the refused ones, and no credit asked for them.
    for refused in (unknown, retail):
        assert (refused.cmd.order_id,) not in w.uow.orders.rows
        assert refused.idempotency.key not in w.uow.responses
    assert [r.order_id for r in w.credit.asked[0]] == [good.cmd.order_id, plain.cmd.order_id]
    # The batch's distributors were read once, together.
    assert w.reader.client_type_asks == [{DISTRIBUTOR, RETAIL, unknown.cmd.distributor_id}]


async def test_a_batch_naming_no_distributor_reads_none() -> None:
    w = World()
    await w.submit([call(command()), call(command())])
    assert w.reader.client_type_asks == []


# ------------------------------------------------------------------------------------ vans
def create(distributor_id: str, van_id: str = "") -> Callable[[FakeOrdersUnitOfWork], Any]:
    return lambda u: van_sl.create_van(
        u,
        NOW,
        id=van_id or new_id(),
        name="ГАЗель",
        van_seller_id=new_id(),
        currency="RUB",
        distributor_id=distributor_id,
    )


async def test_a_van_sells_for_a_distributor_or_for_the_company() -> None:
    uow = clients(FakeOrdersUnitOfWork(clock=lambda: NOW))
    theirs = await uow.run(create(DISTRIBUTOR.upper()))
    assert theirs.distributor_id == DISTRIBUTOR
    assert uow.vans.rows[(theirs.id,)].distributor_id == DISTRIBUTOR
    assert m.van_pb(theirs).distributor_id == DISTRIBUTOR
    ours = await uow.run(create(""))
    assert ours.distributor_id == "" and m.van_pb(ours).distributor_id == ""
    # A retried create answers the van as it was made, even after the client changed type.
    uow.feed.clients[DISTRIBUTOR] = ClientState(DISTRIBUTOR, "RETAIL", 2)
    assert await uow.run(create(DISTRIBUTOR, theirs.id)) == theirs


@pytest.mark.parametrize(
    ("distributor_id", "error", "message"),
    [
        (new_id(), NotFound, r"van\.distributor_id: client '.*' not found"),
        (RETAIL, InvalidArgument, f"van.distributor_id: client {RETAIL} is not a distributor"),
        ("D-1", InvalidArgument, r"van\.distributor_id"),
    ],
    ids=["unknown", "not a distributor", "not an id"],
)
async def test_a_van_naming_no_distributor_is_refused(
    distributor_id: str, error: type[Exception], message: str
) -> None:
    uow = clients(FakeOrdersUnitOfWork(clock=lambda: NOW))
    await uow.refused(error, create(distributor_id), match=message)


def test_a_van_sale_is_its_vans_distributors() -> None:
    lines = priced()
    theirs = van(distributor_id=DISTRIBUTOR)
    sale = Order.van_sale(header(), theirs, lines, "RUB", ALLOW, Decimal(0), "", NOW)
    assert (sale.distributor_id, sale.warehouse_id) == (DISTRIBUTOR, theirs.id)
    # A header naming another distributor does not make the sale theirs: the van decides.
    other = header(distributor_id=new_id())
    ours = Order.van_sale(other, van(), lines, "RUB", ALLOW, Decimal(0), "", NOW)
    assert ours.distributor_id == ""


async def test_a_sale_from_a_distributors_van_keeps_the_distributor() -> None:
    s = shop()
    s.van.distributor_id = DISTRIBUTOR
    s.uow.vans.put(s.van)
    await s.uow.run(lambda u: u.vans.put_in(s.van.id, s.water.id, Decimal(5)))
    order = await sell(s, (s.water, "2"))
    assert order.distributor_id == DISTRIBUTOR
    assert s.uow.orders.rows[(order.id,)].distributor_id == DISTRIBUTOR
    [completed] = [e for e in s.uow.events if isinstance(e, events.VanSaleCompleted)]
    assert completed.order.distributor_id == DISTRIBUTOR  # what settlements books


# ------------------------------------------------------------------- the manager's reports
def manager(distributor_id: str = DISTRIBUTOR) -> Actor:
    return Actor.of(new_id(), {"DISTRIBUTOR_MANAGER"}, distributor_id=distributor_id)


def move(who: Actor, order_id: str) -> Callable[[FakeOrdersUnitOfWork], Any]:
    return lambda u: orders_sl.update_status(
        u, NOW, who, order_id=order_id, status=S.CONFIRMED, delivered=(), reason=""
    )


def placed_for(distributor_id: str) -> Order:
    return Order.submit(header(distributor_id=distributor_id), priced(), "RUB", ALLOW, NOW)


async def test_a_distributor_manager_reports_its_distributors_orders_only() -> None:
    ours, theirs, company = placed_for(DISTRIBUTOR), placed_for(new_id()), placed_for("")
    uow = FakeOrdersUnitOfWork(clock=lambda: NOW)
    for o in (ours, theirs, company):
        uow.orders.put(o)
    boss = manager()
    confirmed = await uow.run(move(boss, ours.id))
    assert confirmed.status is S.CONFIRMED
    assert uow.orders.history[ours.id][-1].reported_by == boss.id  # recorded as its report
    for other in (theirs.id, company.id, new_id()):  # an unknown one too: nothing revealed
        await uow.refused(PermissionDenied, move(boss, other), match="order_id")
    # A manager clients gives no distributor reports nothing; an administrator everything.
    await uow.refused(PermissionDenied, move(manager(""), company.id), match="order_id")
    assert (await uow.run(move(ADMIN, theirs.id))).status is S.CONFIRMED
    await uow.refused(NotFound, move(ADMIN, new_id()), match="order_id")
