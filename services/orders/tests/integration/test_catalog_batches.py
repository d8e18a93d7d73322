"""How a catalog batch is written (SQLite, and PostgreSQL with FIELDLINE_TEST_POSTGRES_URL): the
new records of a batch in one INSERT, the changed ones updated each by its version, the ones
as stored not written at all; stock levels likewise (read in one statement, the new ones
inserted and the changed ones updated each in one statement executed for all their rows)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select

from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.testing.helpers import new_id
from fieldline_orders.adapters import orm
from fieldline_orders.adapters.catalog_store import STOCK_LISTED, STOCK_PROBED, GroupRepository
from fieldline_orders.domain.catalog import ProductGroup, StockLevel

from .orders_harness import (
    Env,
    announced,
    dec,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    pb_date,
    prices_from,
    rub,
    world,
)

CREATED, UPDATED, UNCHANGED = (
    cs.UPSERT_OUTCOME_CREATED,
    cs.UPSERT_OUTCOME_UPDATED,
    cs.UPSERT_OUTCOME_UNCHANGED,
)


def tag() -> str:
    return uuid.uuid4().hex[:8]


@contextmanager
def statements(env: Env) -> Iterator[list[tuple[str, Any]]]:
    """The SQL the orders service runs meanwhile (statement, the parameters of each row it
    was executed for: one set, or one per row of an executemany)."""
    seen: list[tuple[str, Any]] = []
    engine = env.app.engine.sync_engine

    def record(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        seen.append((" ".join(sql.split()), list(params) if many else [params]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def verb(sql: str) -> str:
    """SELECT, INSERT, UPDATE, … (a query led by a WITH: SELECT)."""
    first = sql.split()[0]
    return "SELECT" if first == "WITH" else first


def on_table(seen: list[tuple[str, Any]], table: str) -> list[tuple[str, Any]]:
    """The statements that read or write `table` (by name: not its prefix of another's)."""
    return [(sql, params) for sql, params in seen if f" {table} " in f" {sql} ".replace(",", " ")]


# --------------------------------------------------------------------------------- stock
async def stored_stock(env: Env, *warehouses: str) -> dict[tuple[str, str], Decimal]:
    t = orm.stock_levels
    async with env.app.sessions() as s:
        rows = await s.execute(select(t).where(t.c.warehouse_id.in_(warehouses)))
        return {(r.warehouse_id, r.product_id): Decimal(r.quantity) for r in rows}


async def test_a_stock_batch_writes_only_the_levels_that_change(env: Env) -> None:
    w, cat = world(env), env.orders.catalog
    beer, water, chips = w.beer.id, w.water.id, w.chips.id
    north, south = new_id(), new_id()

    async def upsert(*levels: tuple[str, str, str]) -> int:
        reply = await cat.UpsertStock(
            cs.UpsertStockRequest(
                request_id=new_id(),
                levels=[
                    pb.StockLevel(warehouse_id=wh, product_id=p, quantity=q) for wh, p, q in levels
                ],
            )
        )
        return int(reply.count)

    assert await upsert((north, beer, "10"), (north, water, "5"), (north, chips, "1")) == 3
    batch = (
        (south, water, "0"),  # new
        (north, beer, "10.000"),  # as stored (the same quantity written otherwise)
        (north, water, "6.5"),  # changed
        (south, beer, "3"),  # new
        (north, chips, "1"),  # as stored
    )
    with statements(env) as seen:
        assert await upsert(*batch) == 5
    on_stock = on_table(seen, "stock_levels")
    assert [verb(sql) for sql, _ in on_stock] == ["SELECT", "INSERT", "UPDATE"], on_stock
    _, (insert, inserted), (_, updated) = on_stock
    assert "ON CONFLICT (warehouse_id, product_id)" in insert, insert
    # the two new levels in one INSERT, the one changed in one UPDATE; nothing else written
    assert len(inserted) == 2 and len(updated) == 1, (inserted, updated)
    assert await stored_stock(env, north, south) == {
        (north, beer): Decimal(10),
        (north, water): Decimal("6.5"),
        (north, chips): Decimal(1),
        (south, water): Decimal(0),
        (south, beer): Decimal(3),
    }

    with statements(env) as seen:  # all as stored: read, nothing written
        assert await upsert(*batch) == 5
    assert [verb(sql) for sql, _ in on_table(seen, "stock_levels")] == ["SELECT"], seen


async def test_a_level_stored_meanwhile_by_another_writer_is_overwritten(env: Env) -> None:
    """A level read as absent and then inserted by a concurrent batch first: the later write
    wins (levels carry no version), no unique-key violation."""
    if env.app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes one writer at a time (BEGIN IMMEDIATE): no such race")
    w, warehouse = world(env), new_id()
    key = (warehouse, w.beer.id)
    async with env.app.uow() as first:
        assert await first.catalog.stock_at([key]) == {}
        async with env.app.uow() as second:
            assert await second.catalog.stock_at([key]) == {}
            await second.catalog.put_stock_levels([StockLevel(*key, Decimal(5))], [])
            await second.commit()
        await first.catalog.put_stock_levels([StockLevel(*key, Decimal(7))], [])
        await first.commit()
    assert await stored_stock(env, warehouse) == {key: Decimal(7)}


async def test_stock_levels_are_read_by_their_key_whatever_the_statistics(env: Env) -> None:
    """What the database does with the read of a stock batch (the statement CatalogStore
    runs), on a table of 3,000 levels whose statistics are as a fresh import leaves them."""
    w = world(env)
    warehouses = [new_id() for _ in range(3)]
    products = [w.beer.id, w.water.id, w.chips.id]
    for warehouse in warehouses:  # (3 products × 3 warehouses, plus a thousand other keys)
        await env.orders.catalog.UpsertStock(
            cs.UpsertStockRequest(
                request_id=new_id(),
                levels=[
                    pb.StockLevel(warehouse_id=warehouse, product_id=p, quantity="1")
                    for p in products
                ],
            )
        )
    async with env.app.sessions() as session:
        await session.execute(
            orm.stock_levels.insert(),
            [
                {"warehouse_id": new_id(), "product_id": w.beer.id, "quantity": Decimal(2)}
                for _ in range(3000)
            ],
        )
        await session.commit()
    wanted = [(warehouses[0], w.beer.id), (warehouses[1], w.water.id), (new_id(), w.chips.id)]
    async with env.app.sessions() as session:
        conn = await session.connection()
        if conn.dialect.name == "postgresql":
            compiled = STOCK_PROBED.compile(dialect=conn.dialect)
            values = compiled.construct_params(
                {"ws": [k for k, _ in wanted], "ps": [p for _, p in wanted]}
            )
            args = tuple(values[name] for name in compiled.positiontup or ())
            result = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}", args)
            (plan,) = result.scalar_one()
            probes = list(nodes_on(plan["Plan"], "stock_levels"))
            assert probes, plan
            for node in probes:  # one key lookup per level wanted, no scan of the table
                assert node["Node Type"] in ("Index Scan", "Index Only Scan"), node
                assert node["Actual Loops"] == len(wanted) and node["Actual Rows"] <= 1, node
                assert node.get("Rows Removed by Filter", 0) == 0, node
        else:
            compiled = STOCK_LISTED.compile(dialect=conn.dialect)
            args = (json.dumps(wanted),)
            plan = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", args)).all()
            on_stock = [step[-1] for step in plan if "stock_levels" in step[-1]]
            assert on_stock == [
                "SEARCH stock_levels USING INDEX sqlite_autoindex_stock_levels_1 "
                "(warehouse_id=? AND product_id=?)"
            ], plan


def nodes_on(plan: dict[str, Any], table: str) -> Iterator[dict[str, Any]]:
    """The plan's nodes that read `table`."""
    if plan.get("Relation Name") == table:
        yield plan
    for child in plan.get("Plans", []):
        yield from nodes_on(child, table)


# ------------------------------------------------------------------------------ products
def product(t: str, k: int, name: str = "") -> pb.Product:
    return pb.Product(
        external_id=f"B-{t}-{k}",
        sku=f"B-{t}-{k}",
        name=name or f"Товар {k}",
        vat_rate="20",
        base_unit="pcs",
        active=True,
    )


async def test_a_products_batch_adds_the_new_in_one_insert_and_updates_the_changed(
    env: Env,
) -> None:
    t, cat = tag(), env.orders.catalog

    async def upsert(*products: pb.Product) -> list[cs.UpsertResult]:
        reply = await cat.UpsertProducts(
            cs.UpsertProductsRequest(request_id=new_id(), products=list(products))
        )
        return list(reply.results)

    first = await upsert(product(t, 0), product(t, 1))
    assert [r.outcome for r in first] == [CREATED, CREATED]
    kept, renamed = (r.id for r in first)
    batch = (
        product(t, 2),  # new
        product(t, 0),  # as stored
        product(t, 1, "Переименован"),  # changed
        product(t, 3),  # new
    )
    with statements(env) as seen:
        results = await upsert(*batch)
    assert [(r.external_id, r.outcome) for r in results] == [
        (f"B-{t}-2", CREATED),
        (f"B-{t}-0", UNCHANGED),
        (f"B-{t}-1", UPDATED),
        (f"B-{t}-3", CREATED),
    ]
    assert results[1].id == kept and results[2].id == renamed
    writes = [(sql, p) for sql, p in on_table(seen, "products") if verb(sql) != "SELECT"]
    assert [verb(sql) for sql, _ in writes] == ["INSERT", "UPDATE"], writes
    (_, inserted), (update, _) = writes
    assert len(inserted) == 2, inserted  # both new products, one statement
    assert "version" in update.split("WHERE", 1)[1], update  # the update checks the version

    # as stored: each product's content and version
    for r, name, version in (
        (results[0], "Товар 2", 1),
        (results[1], "Товар 0", 1),
        (results[2], "Переименован", 2),
        (results[3], "Товар 3", 1),
    ):
        shown = (await cat.GetProduct(cs.GetProductRequest(product_id=r.id))).product
        assert (shown.external_id, shown.name, shown.version) == (r.external_id, name, version)

    # one event of the batch: the products written, in the batch's order, as stored now
    ids = {r.id for r in results}
    found = await announced(
        env,
        "ProductsChanged",
        lambda m: any(p.id in ids for p in m.products),
        expect=2,
    )
    assert len(found) == 2
    assert [(p.id, p.name, p.version) for p in found[1].message.products] == [
        (results[0].id, "Товар 2", 1),
        (renamed, "Переименован", 2),
        (results[3].id, "Товар 3", 1),
    ]


# --------------------------------------------------------------------------- price lists
async def test_a_price_list_batch_adds_new_lists_with_their_entries(env: Env) -> None:
    w, t, cat = world(env), tag(), env.orders.catalog

    def price_list(k: int, *entries: tuple[str, str]) -> pb.PriceList:
        return pb.PriceList(
            external_id=f"PLB-{t}-{k}",
            price_type_id=w.price_type_id,
            valid_from=pb_date(prices_from()),
            entries=[pb.PriceListEntry(product_id=p, price=rub(a)) for p, a in entries],
        )

    async def upsert(*lists: pb.PriceList) -> list[cs.UpsertResult]:
        reply = await cat.UpsertPriceLists(
            cs.UpsertPriceListsRequest(request_id=new_id(), price_lists=list(lists))
        )
        return list(reply.results)

    (replaced,) = await upsert(price_list(0, (w.beer.id, "1.00")))
    results = await upsert(
        price_list(1, (w.beer.id, "2.00"), (w.water.id, "3.00")),
        price_list(0, (w.water.id, "4.00")),
        price_list(2),
        price_list(3, (w.chips.id, "5.00")),
    )
    assert [r.outcome for r in results] == [CREATED, UPDATED, CREATED, CREATED]
    assert results[1].id == replaced.id

    async def entries(list_id: str) -> tuple[dict[str, Decimal], int]:
        page = await cat.ListPriceListEntries(
            cs.ListPriceListEntriesRequest(price_list_id=list_id, page_size=100)
        )
        return {e.product_id: dec(e.price) for e in page.entries}, int(page.price_list_version)

    assert [await entries(r.id) for r in results] == [
        ({w.beer.id: Decimal(2), w.water.id: Decimal(3)}, 1),
        ({w.water.id: Decimal(4)}, 2),
        ({}, 1),
        ({w.chips.id: Decimal(5)}, 1),
    ]


# ------------------------------------------------------------------------- the repository
async def test_add_many_adds_each_through_an_add_that_writes_more_than_the_row(
    env: Env,
) -> None:
    """A repository whose `add` does more than insert the row, without an `add_many` of its
    own, has its `add` called for each record (none is written without it)."""
    added: list[str] = []

    class Noting(GroupRepository):
        async def add(self, aggregate: ProductGroup) -> None:
            await super().add(aggregate)
            added.append(aggregate.id)

    t = tag()
    groups = [ProductGroup(new_id(), f"N-{t}-{k}", f"Группа {k}", "") for k in range(3)]
    async with env.app.uow() as uow:
        repository = Noting(uow)
        await repository.add_many(groups)
        assert [repository.loaded_version(g) for g in groups] == [1, 1, 1]
        await uow.commit()
    assert added == [g.id for g in groups]
    async with env.app.uow() as uow:
        found = await uow.groups.by_external_id(g.external_id for g in groups)
    assert {g.external_id: g for g in groups} == found
