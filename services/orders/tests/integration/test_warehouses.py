"""Warehouses over gRPC, on a real database and NATS: UpsertWarehouses (ids from external ids,
versions, all or nothing with every bad field named, a distributor that must be one, announced
only when something changed), ListWarehouses (by id, page by page, by distributor; ADMIN and
SERVICE only), an owner's warehouse ids, and the owner rule on SubmitOrder and AmendOrder: a
registered warehouse of another owner than the order's is refused, naming it; an unregistered
one is taken as before."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest

from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.testing.auth import service_caller
from fieldline_kit.testing.helpers import expect_error, new_id
from fieldline_orders.adapters import orm
from fieldline_orders.adapters.schema import kit
from fieldline_orders.domain.values import NAMESPACE

from .identity import agent
from .orders_harness import (
    Customer,
    Env,
    a_client_of_type,
    announced,
    count,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    ln,
    new_customer,
    new_distributor,
    submit,
    submit_request,
    world,
)

CREATED, UPDATED, UNCHANGED, REJECTED, NOT_APPLIED = (
    cs.UPSERT_OUTCOME_CREATED,
    cs.UPSERT_OUTCOME_UPDATED,
    cs.UPSERT_OUTCOME_UNCHANGED,
    cs.UPSERT_OUTCOME_REJECTED,
    cs.UPSERT_OUTCOME_UNSPECIFIED,
)
INVALID = grpc.StatusCode.INVALID_ARGUMENT


def tag() -> str:
    return uuid.uuid4().hex[:8]


def warehouse(ext: str, distributor_id: str = "", **kw: Any) -> pb.Warehouse:
    return pb.Warehouse(
        external_id=ext, name=kw.pop("name", f"Склад {ext}"), distributor_id=distributor_id, **kw
    )


async def upsert(env: Env, *warehouses: pb.Warehouse, request_id: str = "") -> Any:
    return await env.orders.catalog.UpsertWarehouses(
        cs.UpsertWarehousesRequest(request_id=request_id or new_id(), warehouses=list(warehouses))
    )


async def registered(env: Env, *warehouses: pb.Warehouse) -> list[str]:
    """The warehouses upserted (created), their ids."""
    reply = await upsert(env, *warehouses)
    assert {r.outcome for r in reply.results} == {CREATED}, reply
    return [r.id for r in reply.results]


async def every_page(env: Env, distributor_id: str = "", size: int = 2) -> list[pb.Warehouse]:
    out: list[pb.Warehouse] = []
    token = ""
    while True:
        reply = await env.orders.catalog.ListWarehouses(
            cs.ListWarehousesRequest(
                page_size=size, page_token=token, distributor_id=distributor_id
            )
        )
        assert len(reply.warehouses) <= size
        out += reply.warehouses
        token = reply.next_page_token
        if not token:
            return out
        assert len(reply.warehouses) == size  # only the last page is short


# -------------------------------------------------------------------------------- upsert
async def test_warehouses_are_upserted_versioned_and_announced_only_when_changed(
    env: Env,
) -> None:
    t, d = tag(), await new_distributor(env)
    main, theirs = warehouse(f"MAIN-{t}"), warehouse(f"D-{t}", d)
    first = await upsert(env, main, theirs)
    assert [r.outcome for r in first.results] == [CREATED, CREATED]
    ids = [r.id for r in first.results]
    assert ids == [
        str(uuid.uuid5(NAMESPACE, f"warehouse:{ext}")) for ext in (f"MAIN-{t}", f"D-{t}")
    ]

    def mine(message: Any) -> bool:
        return any(w.id in ids for w in message.warehouses)

    (created,) = await announced(env, "WarehousesChanged", mine)
    assert [
        (w.id, w.external_id, w.distributor_id, w.version) for w in created.message.warehouses
    ] == [
        (ids[0], f"MAIN-{t}", "", 1),
        (ids[1], f"D-{t}", d, 1),
    ]
    envelope = created.envelope
    assert (envelope.aggregate_type, envelope.aggregate_id, envelope.aggregate_version) == (
        "catalog",
        "warehouses",
        0,
    )

    outbox = await count(env, kit.outbox)
    again = await upsert(env, main, theirs)
    assert [r.outcome for r in again.results] == [UNCHANGED, UNCHANGED]
    assert [r.id for r in again.results] == ids
    assert await count(env, kit.outbox) == outbox  # nothing changed: nothing announced

    renamed = warehouse(f"MAIN-{t}", name="Главный склад")
    request_id = new_id()
    changed = await upsert(env, renamed, theirs, request_id=request_id)
    assert [r.outcome for r in changed.results] == [UPDATED, UNCHANGED]
    # the same request again: its stored answer, nothing written twice
    assert await upsert(env, renamed, theirs, request_id=request_id) == changed
    found = await announced(env, "WarehousesChanged", mine, expect=2)
    assert len(found) == 2
    assert [(w.id, w.name, w.version) for w in found[1].message.warehouses] == [
        (ids[0], "Главный склад", 2)
    ]
    listed = {w.id: w for w in await every_page(env, size=1000)}
    assert (listed[ids[0]].name, listed[ids[0]].version) == ("Главный склад", 2)
    assert listed[ids[1]] == pb.Warehouse(
        id=ids[1], external_id=f"D-{t}", name=f"Склад D-{t}", distributor_id=d, version=1
    )


async def test_a_batch_with_a_bad_record_is_refused_whole_each_field_named(env: Env) -> None:
    t = tag()
    retailer, unknown = await a_client_of_type(env, "RETAIL"), new_id()
    before = await count(env, orm.warehouses)
    taken = (await registered(env, warehouse(f"T-{t}")))[0]
    request_id = new_id()
    reply = await upsert(
        env,
        warehouse(f"OK-{t}"),
        warehouse(" "),
        warehouse(f"N-{t}", name=" "),
        warehouse(f"I-{t}", id="W-1"),
        warehouse(f"B-{t}", "D-1"),
        warehouse(f"U-{t}", unknown),
        warehouse(f"R-{t}", retailer),
        warehouse(f"OK-{t}"),
        warehouse(f"X-{t}", id=taken),
        request_id=request_id,
    )
    results = [(r.outcome, r.error) for r in reply.results]
    assert results[0] == (NOT_APPLIED, results[0][1]) and "not applied" in results[0][1]
    assert [o for o, _ in results[1:]] == [REJECTED] * 8
    assert [e for _, e in results[1:]] == [
        "warehouses[1].external_id: must not be empty",
        "warehouses[2].name: must not be empty",
        results[3][1],
        results[4][1],
        f"warehouses[5].distributor_id: client '{unknown}' not found",
        f"warehouses[6].distributor_id: client {retailer} is not a distributor",
        f"warehouses[7].external_id: 'OK-{t}' is also warehouses[0]",
        f"warehouses[8].id: {taken} already belongs to external_id 'T-{t}'",
    ]
    assert results[3][1].startswith("warehouses[3].id: ")
    assert results[4][1].startswith("warehouses[4].distributor_id: ")
    assert await count(env, orm.warehouses) == before + 1  # only the one registered before
    # nothing stored for the request either: the corrected batch goes through under its id
    fixed = await upsert(env, warehouse(f"OK-{t}"), request_id=request_id)
    assert [r.outcome for r in fixed.results] == [CREATED]
    await expect_error(upsert(env), INVALID, "warehouses", "at least one record")


# ---------------------------------------------------------------------------------- list
async def test_warehouses_are_listed_by_id_page_by_page_and_by_distributor(env: Env) -> None:
    t = tag()
    d, other = (
        await new_distributor(env),
        await new_distributor(env),
    )
    theirs = await registered(env, *(warehouse(f"D-{t}-{n}", d) for n in range(3)))
    await registered(env, warehouse(f"O-{t}", other), warehouse(f"C-{t}"))
    listed = await every_page(env, d)
    assert [w.id for w in listed] == sorted(theirs)
    assert all(w.distributor_id == d and w.version == 1 for w in listed)
    everything = await every_page(env, size=3)
    ids = [w.id for w in everything]
    assert ids == sorted(set(ids)) and set(theirs) <= set(ids)
    assert {w.distributor_id for w in everything} >= {"", d, other}
    assert (
        list(
            (
                await env.orders.catalog.ListWarehouses(
                    cs.ListWarehousesRequest(distributor_id=new_id())
                )
            ).warehouses
        )
        == []
    )

    cat = env.orders.catalog
    await expect_error(
        cat.ListWarehouses(cs.ListWarehousesRequest(distributor_id="D-1")),
        INVALID,
        "distributor_id",
    )
    await expect_error(
        cat.ListWarehouses(cs.ListWarehousesRequest(page_size=-1)), INVALID, "page_size"
    )
    await expect_error(
        cat.ListWarehouses(cs.ListWarehousesRequest(page_token="not a token!")),
        INVALID,
        "page_token",
    )


@pytest.mark.parametrize("name", ["UpsertWarehouses", "ListWarehouses"])
async def test_only_services_and_administrators_upsert_and_list_warehouses(
    env: Env, name: str
) -> None:
    request: Any = (
        cs.UpsertWarehousesRequest(request_id=new_id(), warehouses=[warehouse(f"P-{tag()}")])
        if name == "UpsertWarehouses"
        else cs.ListWarehousesRequest()
    )
    before = await count(env, orm.warehouses)
    await expect_error(
        getattr(env.orders.catalog_as(agent()), name)(request), grpc.StatusCode.PERMISSION_DENIED
    )
    assert await count(env, orm.warehouses) == before
    await getattr(env.orders.catalog_as(service_caller("exchange")), name)(request)


# ------------------------------------------------------------------- orders' warehouses
async def test_an_order_naming_another_owners_registered_warehouse_is_refused(
    env: Env,
) -> None:
    w, t = world(env), tag()
    d1, d2 = await new_distributor(env), await new_distributor(env)
    ours, mine, theirs = await registered(
        env, warehouse(f"C-{t}"), warehouse(f"D1-{t}", d1), warehouse(f"D2-{t}", d2)
    )
    c = await new_customer(env)

    async def refused(warehouse_id: str, distributor_id: str, owner: str) -> None:
        request = submit_request(
            c, [ln(w.water, "1")], warehouse_id=warehouse_id, distributor_id=distributor_id
        )
        await expect_error(
            submit(env, c, request),
            INVALID,
            f"warehouse_id: warehouse {warehouse_id} belongs to {owner}",
        )
        assert await count(env, orm.orders, orm.orders.c.id == request.order_id) == 0

    async def taken(warehouse_id: str, distributor_id: str) -> None:
        request = submit_request(
            c, [ln(w.water, "1")], warehouse_id=warehouse_id, distributor_id=distributor_id
        )
        order = await submit(env, c, request)
        assert (order.warehouse_id, order.distributor_id) == (warehouse_id, distributor_id)

    # another distributor's, named: for the company's order and for a distributor's
    await refused(theirs, "", f"distributor {d2}")
    await refused(theirs, d1, f"distributor {d2}")
    # the company's own, with a distributor's order
    await refused(ours, d1, "the company")
    # its owner's own; one never registered, as before
    await taken(ours, "")
    await taken(mine, d1)
    await taken(new_id(), "")
    await taken(new_id(), d1)


async def test_an_amendment_naming_another_owners_registered_warehouse_is_refused(
    env: Env,
) -> None:
    w, t = world(env), tag()
    d = await new_distributor(env)
    ours, theirs = await registered(env, warehouse(f"C-{t}"), warehouse(f"D-{t}", d))
    c: Customer = await new_customer(env)
    order = await submit(env, c, submit_request(c, [ln(w.water, "2")]))
    orders = env.orders.orders_as(c.agent)

    def amendment(warehouse_id: str, revision: int) -> os_.AmendOrderRequest:
        return os_.AmendOrderRequest(
            request_id=new_id(),
            order_id=order.id,
            amendment_id=new_id(),
            expected_revision=revision,
            lines=[ln(w.water, "3")],
            warehouse_id=warehouse_id,
        )

    await expect_error(
        orders.AmendOrder(amendment(theirs, 1)),
        INVALID,
        f"warehouse_id: warehouse {theirs} belongs to distributor {d}",
    )
    assert await count(env, orm.order_revisions, orm.order_revisions.c.order_id == order.id) == 0
    amended = (await orders.AmendOrder(amendment(ours, 1))).order
    assert (amended.revision, amended.warehouse_id) == (2, ours)
    unregistered = new_id()
    amended = (await orders.AmendOrder(amendment(unregistered, 2))).order
    assert (amended.revision, amended.warehouse_id) == (3, unregistered)

    # a distributor's order: the company's warehouse is another owner's
    placed = await submit(env, c, submit_request(c, [ln(w.water, "1")], distributor_id=d))
    await expect_error(
        orders.AmendOrder(
            os_.AmendOrderRequest(
                request_id=new_id(),
                order_id=placed.id,
                amendment_id=new_id(),
                expected_revision=1,
                lines=[ln(w.water, "1")],
                warehouse_id=ours,
            )
        ),
        INVALID,
        f"warehouse_id: warehouse {ours} belongs to the company",
    )
