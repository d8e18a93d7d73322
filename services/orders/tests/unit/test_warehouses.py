"""Warehouses, the company's and distributors': the record, its upsert on the fake unit of
work (created, unchanged, updated, refused whole, announced only when changed; its
distributor must be a distributor), and the rule that an order's warehouse, when registered,
is of the order's owner."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from fieldline_kit.errors import InvalidArgument
from fieldline_orders.domain import events
from fieldline_orders.domain.catalog import Warehouse, check_warehouse_owner
from fieldline_orders.domain.feed import DISTRIBUTOR, ClientState
from fieldline_orders.domain.values import NAMESPACE
from fieldline_orders.service_layer import catalog as sl
from fieldline_orders.service_layer.catalog import BatchRefused, Outcome

from .fakes import FakeOrdersUnitOfWork
from .orders_factories import new_id


def warehouse(
    ext: str = "", distributor_id: str = "", name: str = "Склад", wid: str = ""
) -> Warehouse:
    return Warehouse.create(
        "warehouses[0]",
        id=wid,
        external_id=ext or f"W-{new_id()[:8]}",
        name=name,
        distributor_id=distributor_id,
    )


def records(*warehouses: Warehouse) -> list[tuple[str, str, object]]:
    return [(w.external_id, w.id, (lambda w=w: w)) for w in warehouses]


async def upsert(uow: FakeOrdersUnitOfWork, *warehouses: Warehouse) -> list[Outcome]:
    results = await uow.run(lambda u: sl.upsert_warehouses(u, records(*warehouses)))  # type: ignore[arg-type]
    return [r.outcome for r in results]


async def refused(uow: FakeOrdersUnitOfWork, *warehouses: Warehouse) -> list[tuple[Outcome, str]]:
    err = await uow.refused(
        BatchRefused,
        lambda u: sl.upsert_warehouses(u, records(*warehouses)),  # type: ignore[arg-type]
    )
    return [(r.outcome, r.error) for r in err.results]


async def client(uow: FakeOrdersUnitOfWork, client_type: str = DISTRIBUTOR) -> str:
    """A client the clients feed told of, of `client_type`."""
    client_id = new_id()
    await uow.feed.put_client(ClientState(client_id, client_type, 1))
    return client_id


# -------------------------------------------------------------------------------- record
def test_a_warehouse_gets_its_id_from_its_external_id_and_names_a_bad_field() -> None:
    w = warehouse("MAIN", name="  Основной склад ")
    assert w == Warehouse(
        str(uuid.uuid5(NAMESPACE, "warehouse:MAIN")), "MAIN", "Основной склад", ""
    )
    given = new_id()
    assert warehouse("MAIN", wid=given).id == given
    bad = [
        ({"external_id": " "}, r"warehouses\[0\]\.external_id: must not be empty"),
        ({"name": ""}, r"warehouses\[0\]\.name: must not be empty"),
        ({"id": "W-1"}, r"warehouses\[0\]\.id: must be a UUID"),
        ({"distributor_id": "D-1"}, r"warehouses\[0\]\.distributor_id: must be a UUID"),
    ]
    for changes, message in bad:
        fields = {"id": "", "external_id": "W", "name": "Склад", "distributor_id": ""}
        fields.update(changes)
        with pytest.raises(InvalidArgument, match=message):
            Warehouse.create("warehouses[0]", **fields)


def test_an_order_names_a_registered_warehouse_of_its_own_owner_only() -> None:
    d1, d2 = new_id(), new_id()
    ours, theirs, unknown = new_id(), new_id(), new_id()
    owners = {ours: "", theirs: d2}
    # the company's order: its own warehouses, an unregistered one, or none
    for wid in (ours, unknown, ""):
        check_warehouse_owner("warehouse_id", wid, owners, "")
    # a distributor's order: its own warehouses, an unregistered one
    check_warehouse_owner("warehouse_id", theirs, owners, d2)
    check_warehouse_owner("warehouse_id", unknown, owners, d1)
    with pytest.raises(InvalidArgument) as another:
        check_warehouse_owner("warehouse_id", theirs, owners, d1)
    assert another.value.message == f"warehouse_id: warehouse {theirs} belongs to distributor {d2}"
    with pytest.raises(InvalidArgument) as company:
        check_warehouse_owner("warehouse_id", ours, owners, d1)
    assert company.value.message == f"warehouse_id: warehouse {ours} belongs to the company"
    with pytest.raises(InvalidArgument) as not_ours:
        check_warehouse_owner("warehouse_id", theirs, owners, "")
    assert not_ours.value.message.endswith(f"belongs to distributor {d2}")


# -------------------------------------------------------------------------------- upsert
async def test_warehouses_are_created_left_alone_and_updated_and_announced_when_changed() -> None:
    uow = FakeOrdersUnitOfWork()
    d = await client(uow)
    main, theirs = warehouse("MAIN"), warehouse("D-1", distributor_id=d)
    assert await upsert(uow, main, theirs) == [Outcome.CREATED, Outcome.CREATED]
    assert uow.events == [events.WarehousesChanged((main, theirs))]
    assert await upsert(uow, main, theirs) == [Outcome.UNCHANGED, Outcome.UNCHANGED]
    assert len(uow.events) == 1  # nothing changed: nothing announced
    renamed = replace(main, name="Главный склад")
    assert await upsert(uow, renamed, theirs) == [Outcome.UPDATED, Outcome.UNCHANGED]
    assert uow.warehouses.rows[(main.id,)] == replace(renamed, version=2)
    assert uow.events[-1] == events.WarehousesChanged((replace(renamed, version=2),))
    assert uow.catalog.generation == 0  # warehouses are not in the catalog cache


async def test_a_warehouse_of_no_distributor_refuses_the_batch_naming_it() -> None:
    uow = FakeOrdersUnitOfWork()
    retailer, unknown = await client(uow, "RETAIL"), new_id()
    fine = warehouse("OK")
    results = await refused(
        uow,
        fine,
        warehouse("R", distributor_id=retailer),
        warehouse("U", distributor_id=unknown),
        warehouse("OK"),
    )
    assert results == [
        (Outcome.NOT_APPLIED, sl.NOT_APPLIED_REASON),
        (
            Outcome.REJECTED,
            f"warehouses[1].distributor_id: client {retailer} is not a distributor",
        ),
        (Outcome.REJECTED, f"warehouses[2].distributor_id: client '{unknown}' not found"),
        (Outcome.REJECTED, "warehouses[3].external_id: 'OK' is also warehouses[0]"),
    ]
    assert uow.warehouses.all() == [] and uow.events == []


async def test_a_warehouse_keeps_its_id_and_its_owner_is_judged_only_when_it_changes() -> None:
    uow = FakeOrdersUnitOfWork()
    d, other = await client(uow), await client(uow)
    w = warehouse("W", distributor_id=d)
    await upsert(uow, w)
    results = await refused(uow, replace(w, id=new_id()))
    assert results[0][1] == f"warehouses[0].id: external_id 'W' already has id {w.id}"
    # its distributor became a retailer since: the warehouse is kept, renamed as any other
    await uow.feed.put_client(ClientState(d, "RETAIL", 2))
    assert await upsert(uow, replace(w, name="Склад Д")) == [Outcome.UPDATED]
    # moving to another distributor (or to the company) is judged again
    assert await upsert(uow, replace(w, distributor_id=other)) == [Outcome.UPDATED]
    results = await refused(uow, replace(w, distributor_id=d))
    assert results[0][1] == f"warehouses[0].distributor_id: client {d} is not a distributor"
    assert await upsert(uow, replace(w, distributor_id="")) == [Outcome.UPDATED]
    assert uow.warehouses.rows[(w.id,)].version == 4
