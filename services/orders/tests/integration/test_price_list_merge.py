"""UpsertPriceLists with merge (SQLite, and PostgreSQL with FIELDLINE_TEST_POSTGRES_URL): a list
sent in batches is built by them, removals leave it, each request is one version with one
event of exactly what it changed, a merge of what is stored changes and announces nothing, and
a merge reads and writes only the entries of the products it names."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import grpc
from sqlalchemy import event, select

from fieldline.orders.events.v1 import events_pb2 as ev
from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.testing.helpers import expect_error, new_id
from fieldline_orders.adapters import orm
from fieldline_orders.adapters.catalog_store import ENTRIES_NAMED, ENTRIES_PROBED
from fieldline_orders.adapters.schema import kit

from .orders_harness import (
    Env,
    announced,
    count,
    dec,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    pb_date,
    prices_from,
    rub,
    world,
)

CREATED, UPDATED, UNCHANGED, REJECTED = (
    cs.UPSERT_OUTCOME_CREATED,
    cs.UPSERT_OUTCOME_UPDATED,
    cs.UPSERT_OUTCOME_UNCHANGED,
    cs.UPSERT_OUTCOME_REJECTED,
)
INVALID = grpc.StatusCode.INVALID_ARGUMENT


def tag() -> str:
    return uuid.uuid4().hex[:8]


async def new_products(env: Env, n: int) -> list[str]:
    """`n` new products' ids, sorted."""
    t, ids = tag(), []
    for first in range(0, n, 1000):
        reply = await env.orders.catalog.UpsertProducts(
            cs.UpsertProductsRequest(
                request_id=new_id(),
                products=[
                    pb.Product(
                        external_id=f"M-{t}-{k}",
                        sku=f"M-{t}-{k}",
                        name=f"Товар {k}",
                        vat_rate="20",
                        base_unit="pcs",
                        active=True,
                    )
                    for k in range(first, min(first + 1000, n))
                ],
            )
        )
        ids += [r.id for r in reply.results]
    return sorted(ids)


class PriceListOf:
    """One list (by external id) of the world's price type, sent as a merge or a replace."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.external_id = f"PL-M-{tag()}"
        self.price_type_id = world(env).price_type_id
        self.valid_to: Any = None
        self.id = ""

    def message(self, prices: dict[str, str], removed: Sequence[str] = ()) -> pb.PriceList:
        return pb.PriceList(
            external_id=self.external_id,
            price_type_id=self.price_type_id,
            valid_from=pb_date(prices_from()),
            valid_to=self.valid_to,
            entries=[pb.PriceListEntry(product_id=p, price=rub(a)) for p, a in prices.items()],
            removed_product_ids=removed,
        )

    def request(
        self,
        prices: dict[str, str],
        removed: Sequence[str] = (),
        *,
        merge: bool = True,
        request_id: str = "",
    ) -> cs.UpsertPriceListsRequest:
        return cs.UpsertPriceListsRequest(
            request_id=request_id or new_id(),
            price_lists=[self.message(prices, removed)],
            merge=merge,
        )

    async def send(
        self, prices: dict[str, str], removed: Sequence[str] = (), *, merge: bool = True
    ) -> cs.UpsertResult:
        reply = await self.env.orders.catalog.UpsertPriceLists(
            self.request(prices, removed, merge=merge)
        )
        (result,) = reply.results
        self.id = self.id or result.id
        return result

    async def entries(self) -> tuple[dict[str, Decimal], int]:
        """What ListPriceListEntries shows (every page), and the list's version."""
        cat, out, token = self.env.orders.catalog, {}, ""
        while True:
            page = await cat.ListPriceListEntries(
                cs.ListPriceListEntriesRequest(
                    price_list_id=self.id, page_size=1000, page_token=token
                )
            )
            out.update({e.product_id: dec(e.price) for e in page.entries})
            token = page.next_page_token
            if not token:
                return out, page.price_list_version

    async def header(self) -> pb.PriceList:
        """The list as ListPriceLists shows it (with its entry count)."""
        token = ""
        while True:
            page = await self.env.orders.catalog.ListPriceLists(
                cs.ListPriceListsRequest(
                    price_type_id=self.price_type_id, page_size=1000, page_token=token
                )
            )
            for pl in page.price_lists:
                if pl.id == self.id:
                    return pl
            token = page.next_page_token
            assert token, f"price list {self.id} not listed"

    def mine(self, message: ev.PriceListChanged) -> bool:
        return message.price_list.id == self.id

    async def events(self, expect: int) -> list[ev.PriceListChanged]:
        found = await announced(self.env, "PriceListChanged", self.mine, expect=expect)
        assert len(found) == expect, [f.message for f in found]
        for f in found:  # the envelope: the list at the event's version
            assert (f.envelope.aggregate_type, f.envelope.aggregate_id) == ("price_list", self.id)
            assert f.envelope.aggregate_version == f.message.price_list.version
        return [f.message for f in found]


def changed(message: ev.PriceListChanged) -> dict[str, Decimal]:
    assert all(e.price.currency_code == "RUB" for e in message.changed_entries)
    return {e.product_id: dec(e.price) for e in message.changed_entries}


def prices(ids: Sequence[str], amount: str) -> dict[str, str]:
    return dict.fromkeys(ids, amount)


async def all_published(env: Env) -> None:
    """Every event committed so far is on the stream: a new group's, written after them, has
    arrived (the relay publishes the outbox in order)."""
    reply = await env.orders.catalog.UpsertProductGroups(
        cs.UpsertProductGroupsRequest(
            request_id=new_id(), groups=[pb.ProductGroup(external_id=f"F-{tag()}", name="fence")]
        )
    )
    fence = reply.results[0].id
    await announced(env, "ProductGroupsChanged", lambda m: any(g.id == fence for g in m.groups))


async def catalog_generation(env: Env) -> int:
    async with env.app.sessions() as session:
        found = await session.execute(select(orm.catalog_state.c.generation))
        return int(found.scalar_one())


# ------------------------------------------------------------------------------ batches
async def test_batches_merged_build_a_list_and_removals_leave_it(env: Env) -> None:
    ids = await new_products(env, 1200)
    pl = PriceListOf(env)
    batches = [ids[i : i + 500] for i in range(0, 1200, 500)]  # 500, 500, 200

    assert (await pl.send(prices(batches[0], "10.00"))).outcome == CREATED
    assert (await pl.send(prices(batches[1], "11.00"))).outcome == UPDATED
    assert (await pl.send(prices(batches[2], "12.00"))).outcome == UPDATED
    entries, version = await pl.entries()
    expected = {
        **dict.fromkeys(batches[0], Decimal("10.00")),
        **dict.fromkeys(batches[1], Decimal("11.00")),
        **dict.fromkeys(batches[2], Decimal("12.00")),
    }
    assert (entries, version) == (expected, 3)  # one version per request
    assert ((await pl.header()).entry_count, (await pl.header()).version) == (1200, 3)

    # each event carries its batch (the first: a new list, all its entries) and the list's size
    found = await pl.events(3)
    assert [(m.price_list.version, m.price_list.entry_count) for m in found] == [
        (1, 500),
        (2, 1000),
        (3, 1200),
    ]
    assert all(m.entries_included and not m.removed_product_ids for m in found)
    assert [set(changed(m)) for m in found] == [set(b) for b in batches]

    # the last batch: one entry repriced, one sent as stored, two dropped, and a product the
    # list never held "dropped" (nothing happens to it)
    outside = (await new_products(env, 1))[0]
    removal = await pl.send({ids[0]: "9.99", ids[1]: "10.00"}, [ids[2], ids[700], outside])
    assert removal.outcome == UPDATED
    entries, version = await pl.entries()
    del expected[ids[2]], expected[ids[700]]
    expected[ids[0]] = Decimal("9.99")
    assert (entries, version) == (expected, 4)
    (*_, message) = await pl.events(4)
    assert (message.price_list.version, message.price_list.entry_count) == (4, 1198)
    assert message.entries_included
    assert changed(message) == {ids[0]: Decimal("9.99")}
    assert list(message.removed_product_ids) == sorted([ids[2], ids[700]])
    assert (await pl.header()).entry_count == 1198
    assert (
        await count(env, orm.price_list_entries, orm.price_list_entries.c.price_list_id == pl.id)
        == 1198
    )


async def test_a_merge_of_what_is_stored_changes_and_announces_nothing(env: Env) -> None:
    ids = await new_products(env, 3)
    pl = PriceListOf(env)
    await pl.send(prices(ids[:2], "5.00"))
    await pl.events(1)
    outbox, generation = await count(env, kit.outbox), await catalog_generation(env)
    # the same entries, a part of them, removals of what the list does not hold, nothing at all
    for entries, removed in (
        (prices(ids[:2], "5.00"), ()),
        (prices(ids[1:2], "5.00"), ()),
        ({}, [ids[2], new_id()]),
        ({}, ()),
    ):
        assert (await pl.send(entries, removed)).outcome == UNCHANGED
    assert await count(env, kit.outbox) == outbox
    assert await catalog_generation(env) == generation  # no replica's catalog cache made stale
    await all_published(env)
    await pl.events(1)
    assert await pl.entries() == (dict.fromkeys(ids[:2], Decimal("5.00")), 1)


async def test_a_header_change_by_merge_is_one_version_with_no_entry(env: Env) -> None:
    ids = await new_products(env, 2)
    pl = PriceListOf(env)
    await pl.send(prices(ids, "5.00"))
    pl.valid_to = pb_date(prices_from() + timedelta(days=90))
    assert (await pl.send({ids[0]: "6.00"})).outcome == UPDATED
    _, message = await pl.events(2)
    assert message.price_list.HasField("valid_to") and message.price_list.version == 2
    assert (changed(message), message.price_list.entry_count) == ({ids[0]: Decimal("6.00")}, 2)


# --------------------------------------------------------------------- replace, refusals
async def test_without_merge_a_list_is_still_replaced_whole(env: Env) -> None:
    ids = await new_products(env, 4)
    pl = PriceListOf(env)
    await pl.send(prices(ids[:2], "1.00"))
    await pl.send(prices(ids[2:], "2.00"))
    assert (await pl.send({ids[0]: "3.00"}, merge=False)).outcome == UPDATED
    assert await pl.entries() == ({ids[0]: Decimal("3.00")}, 3)
    *_, message = await pl.events(3)
    assert (message.price_list.entry_count, changed(message)) == (1, {ids[0]: Decimal("3.00")})
    assert list(message.removed_product_ids) == ids[1:]
    assert (await pl.send({ids[0]: "3.00"}, merge=False)).outcome == UNCHANGED
    assert (await pl.header()).entry_count == 1


async def test_removals_are_refused_without_merge_and_for_a_product_also_priced(
    env: Env,
) -> None:
    ids = await new_products(env, 2)
    pl = PriceListOf(env)
    await pl.send(prices(ids, "1.00"))
    cat = env.orders.catalog
    other = PriceListOf(env)
    request = other.request({}, [ids[0]], merge=False)
    request.price_lists.insert(0, pl.message({ids[0]: "1.00"}))
    await expect_error(
        cat.UpsertPriceLists(request),
        INVALID,
        "price_lists[1].removed_product_ids: is taken only with merge = true",
    )
    await expect_error(
        cat.UpsertPriceLists(pl.request({ids[0]: "7.00"}, [ids[1], ids[0].upper()])),
        INVALID,
        f"price_lists[0].removed_product_ids[1]: product {ids[0]} is also "
        "price_lists[0].entries[0]",
    )
    assert await pl.entries() == (dict.fromkeys(ids, Decimal("1.00")), 1)


async def test_an_unknown_product_is_refused_per_record_and_nothing_is_merged(env: Env) -> None:
    ids = await new_products(env, 2)
    pl, other = PriceListOf(env), PriceListOf(env)
    await pl.send(prices(ids, "1.00"))
    unknown = new_id()
    request = pl.request({ids[0]: "2.00", unknown: "3.00"})
    request.price_lists.append(other.message({ids[1]: "4.00"}))
    reply = await env.orders.catalog.UpsertPriceLists(request)
    assert [(r.outcome, r.error) for r in reply.results] == [
        (REJECTED, f"price_lists[0].entries[1].product_id: product {unknown} not found"),
        (
            cs.UPSERT_OUTCOME_UNSPECIFIED,
            "not applied: the batch has refused records and changed nothing",
        ),
    ]
    assert await pl.entries() == (dict.fromkeys(ids, Decimal("1.00")), 1)
    # the batch corrected, under the same request_id
    del request.price_lists[0].entries[1]
    reply = await env.orders.catalog.UpsertPriceLists(request)
    assert [r.outcome for r in reply.results] == [UPDATED, CREATED]


async def test_a_merge_sent_again_gets_its_first_answer(env: Env) -> None:
    ids = await new_products(env, 3)
    pl = PriceListOf(env)
    await pl.send(prices(ids[:2], "1.00"))
    cat = env.orders.catalog
    request = pl.request({ids[2]: "2.00"}, [ids[0]], request_id=new_id())
    first = await cat.UpsertPriceLists(request)
    assert [r.outcome for r in first.results] == [UPDATED]
    await pl.send({ids[2]: "2.50"})  # the list moves on meanwhile
    again = await cat.UpsertPriceLists(request)
    assert again == first
    assert await pl.entries() == ({ids[1]: Decimal("1.00"), ids[2]: Decimal("2.50")}, 3)
    await all_published(env)
    assert [m.price_list.version for m in await pl.events(3)] == [1, 2, 3]


# ------------------------------------------------------------------------------- rows
@contextmanager
def statements(env: Env) -> Iterator[list[tuple[str, Any]]]:
    """The SQL the orders service runs meanwhile (statement, parameters)."""
    seen: list[tuple[str, Any]] = []
    engine = env.app.engine.sync_engine

    def record(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        seen.append((" ".join(sql.split()), params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_a_merge_reads_and_writes_only_the_entries_it_names(env: Env) -> None:
    ids = await new_products(env, 1500)
    pl = PriceListOf(env)
    for i in range(0, 1500, 500):
        await pl.send(prices(ids[i : i + 500], "1.00"))
    new = await new_products(env, 3)
    with statements(env) as seen:
        reply = await pl.send(
            {ids[10]: "2.00", ids[20]: "1.00", **prices(new, "3.00")}, [ids[30], ids[40]]
        )
    assert reply.outcome == UPDATED
    on_entries = [(sql, params) for sql, params in seen if "price_list_entries" in sql]
    assert [sql.split()[0] for sql, _ in on_entries] == ["SELECT", "DELETE", "INSERT"], seen
    (read, _), (drop, dropped), (write, written) = on_entries
    # each names the list and looks its products up by the key: the 7 products named read,
    # the 2 dropped deleted, the 4 added or repriced written (the one sent as stored is not)
    assert "price_list_entries.price_list_id = " in read, read
    assert "price_list_entries.product_id" in read and "price_list_entries.product_id" in drop
    assert len(dropped) == 2 and len(written) == 4, (dropped, written)
    assert "ON CONFLICT (price_list_id, product_id)" in write
    assert not [sql for sql, _ in seen if "price_list" in sql and "count(" in sql.lower()]
    # the header's next version: not its id (SQLite would check every entry's foreign key)
    (header,) = [sql for sql, _ in seen if sql.startswith("UPDATE price_lists ")]
    assert "entry_count=" in header and "SET id=" not in header, header
    assert (await pl.header()).entry_count == 1501
    *_, message = await pl.events(4)
    assert changed(message) == {ids[10]: Decimal("2.00"), **dict.fromkeys(new, Decimal("3.00"))}
    assert list(message.removed_product_ids) == [ids[30], ids[40]]


def index_probes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The plan's nodes that read price_list_entries."""
    if plan.get("Relation Name") == "price_list_entries":
        yield plan
    for child in plan.get("Plans", []):
        yield from index_probes(child)


async def test_the_entries_a_merge_reads_are_found_by_their_key_whatever_the_statistics(
    env: Env,
) -> None:
    """What the database does with the read of a merge (the statement the repository runs),
    on a list of 3,000 entries whose table statistics are as a fresh import leaves them."""
    ids = await new_products(env, 3000)
    pl = PriceListOf(env)
    for i in range(0, 3000, 1000):
        await pl.send(prices(ids[i : i + 1000], "1.00"))
    wanted = [*ids[100:110], new_id()]
    async with env.app.sessions() as session:
        conn = await session.connection()
        if conn.dialect.name == "postgresql":
            compiled = ENTRIES_PROBED.compile(dialect=conn.dialect)
            values = compiled.construct_params({"ids": wanted, "list_id": pl.id})
            args = tuple(values[name] for name in compiled.positiontup or ())
            result = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}", args)
            (plan,) = result.scalar_one()
            probes = list(index_probes(plan["Plan"]))
            assert probes, plan
            for node in probes:  # one key lookup per product, no range of the list scanned
                assert node["Node Type"] == "Index Scan", node
                assert node["Actual Loops"] == len(wanted) and node["Actual Rows"] <= 1, node
                assert node.get("Rows Removed by Filter", 0) == 0, node
        else:
            named = ENTRIES_NAMED.compile(dialect=conn.dialect).construct_expanded_state(
                {"list_id": pl.id, "ids": wanted}
            )
            args = tuple(named.parameters[name] for name in named.positiontup or ())
            (step,) = (
                await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {named.statement}", args)
            ).all()
            assert "(price_list_id=? AND product_id=?)" in step[-1], step
        session.expunge_all()
    assert len((await pl.entries())[0]) == 3000
