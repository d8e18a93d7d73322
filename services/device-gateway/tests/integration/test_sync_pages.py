"""Sync pages as a device receives them (docs/sync-protocol.md, *Sync*), on a real database: the
answer's shape, full then delta, resyncs, bad cursors and page tokens, paging under writes, an
outlet leaving the route, and cursor chains read while writers commit concurrently."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline_gateway.adapters import fanout_store as store
from fieldline_gateway.adapters.fanout_store import PROTOCOL_LIMITS, FanoutItem, PageLimits
from fieldline_gateway.adapters.fanout_tables import fanout_objects
from fieldline_gateway.adapters.shared_scopes import SharedScopes
from fieldline_gateway.domain.cursor import Cursor
from fieldline_gateway.domain.membership import scopes_of
from fieldline_gateway.domain.problems import Problem
from fieldline_gateway.service_layer.sync import SyncPage, sync_page
from fieldline_kit.db import read_session_factory, session_factory
from fieldline_kit.roles import AGENT

from .store_writes import Write, write

KEY = b"the gateway's page-token key"
# The replica's cache of the shared scopes' entries the pages are read with: every test runs
# reading the store only, and with a cache so small it drops entries on nearly every fill (its
# answers must equal the store's, whatever it holds; tests/unit/test_shared_scopes.py has the
# cache's own rules).
SHARED: list[SharedScopes | None] = [None]


@pytest.fixture(autouse=True, params=["store", "tiny-cache"])
def shared_scopes(request: pytest.FixtureRequest) -> SharedScopes | None:
    cache = {"store": None, "tiny-cache": SharedScopes(max_bytes=600)}[request.param]
    SHARED[0] = cache
    return cache


TODAY = date(2026, 3, 4)


def put(*items: FanoutItem) -> Write:
    return lambda s, seq: store.put_objects(s, seq, items)


def join(agent: str, *scopes: str) -> Write:
    return lambda s, seq: store.set_memberships(s, seq, agent, set(scopes))


def item(section: str, key: str, scope: str, data: Any) -> FanoutItem:
    return FanoutItem(section, key, scope, json.dumps(data, ensure_ascii=False).encode())


async def page(
    engine: AsyncEngine,
    employee: str,
    cursor: str | None = None,
    token: str | None = None,
    *,
    now: datetime | None = None,
    limits: PageLimits = PROTOCOL_LIMITS,
    device_id: str | None = None,
) -> SyncPage:
    return await sync_page(
        read_session_factory(engine),
        employee,
        cursor,
        token,
        key=KEY,
        now=now or datetime.now(UTC),
        business_date=TODAY,
        limits=limits,
        shared=SHARED[0],
        device_id=device_id,
    )


@dataclass
class Device:
    """A device as the protocol describes it: fetch every page, then apply them at once."""

    employee: str
    cursor: str | None = None
    items: dict[tuple[str, str], tuple[str, Any]] = field(default_factory=dict)

    async def sync(
        self,
        engine: AsyncEngine,
        limits: PageLimits = PROTOCOL_LIMITS,
        between: Callable[[int], Awaitable[None]] | None = None,
    ) -> list[dict[str, Any]]:
        pages: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            answer = await page(engine, self.employee, self.cursor, token, limits=limits)
            pages.append(json.loads(answer.body))
            token = answer.next_page_token
            assert (token is None) == (answer.next_cursor is not None)
            if token is None:
                break
            if between is not None:
                await between(len(pages))
        self.apply(pages)
        return pages

    def apply(self, pages: list[dict[str, Any]]) -> None:
        first = pages[0]
        if first["mode"] == "full":
            self.items = {}
        else:
            dropped = set(first["scopes"]["removed"]) | set(first["scopes"]["reset"])
            self.items = {k: v for k, v in self.items.items() if v[0] not in dropped}
        for later in pages[1:]:
            assert later["scopes"] == {"removed": [], "reset": []}
            assert (later["mode"], later["reset"]) == (first["mode"], first["reset"])
        entries_of(pages)
        for section, entry in entries(pages):
            if entry.get("deleted"):
                self.items.pop((section, entry["key"]), None)
            else:
                self.items[(section, entry["key"])] = (entry["scope"], entry["data"])
        self.cursor = pages[-1]["nextCursor"]
        assert self.cursor is not None

    @property
    def seq(self) -> int:
        assert self.cursor is not None
        return int(self.cursor.split(".")[2])


def entries(pages: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (section, entry)
        for p in pages
        for section, section_entries in p["sections"].items()
        for entry in section_entries
    ]


def entries_of(pages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The (section, key) of every entry; each appears at most once per sync."""
    keys = [(section, entry["key"]) for section, entry in entries(pages)]
    assert len(keys) == len(set(keys)), "an item came twice in one sync"
    return keys


async def truth(engine: AsyncEngine, employee: str) -> dict[tuple[str, str], tuple[str, Any]]:
    """What the employee's device should hold now: every live object of its scopes."""
    async with session_factory(engine)() as s:
        scopes = await store.open_scopes(s, employee)
        rows = await s.execute(select(fanout_objects).where(fanout_objects.c.deleted.is_(False)))
        return {
            (r.section, r.key): (r.scope, json.loads(r.body)) for r in rows if r.scope in scopes
        }


# ------------------------------------------------------------------ the answer


async def test_a_full_answer_then_deltas(engine: AsyncEngine) -> None:
    await write(engine, join("e-1", "company", "catalog", "agent:e-1", "outlet:o-1"))
    await write(
        engine,
        put(
            item("me", "me", "agent:e-1", {"employeeId": "e-1", "fullName": "Иванов Пётр"}),
            item("outlets", "o-1", "outlet:o-1", {"id": "o-1", "card": {"name": "Ромашка"}}),
            item("products", "p-1", "catalog", {"id": "p-1"}),
        ),
    )
    now = datetime(2026, 3, 4, 6, 12, 9, 120_000, tzinfo=UTC)
    first = await page(engine, "e-1", now=now)
    body = json.loads(first.body)
    epoch = (await store_clock(engine)).epoch
    assert body == {
        "mode": "full",
        "reset": False,
        "protocol": "1.0",
        "serverTime": "2026-03-04T06:12:09.120Z",
        "businessDate": "2026-03-04",
        "scopes": {"removed": [], "reset": []},
        "sections": {
            "me": [
                {
                    "key": "me",
                    "scope": "agent:e-1",
                    "data": {"employeeId": "e-1", "fullName": "Иванов Пётр"},
                }
            ],
            "products": [{"key": "p-1", "scope": "catalog", "data": {"id": "p-1"}}],
            "outlets": [
                {
                    "key": "o-1",
                    "scope": "outlet:o-1",
                    "data": {"id": "o-1", "card": {"name": "Ромашка"}},
                }
            ],
        },
        "nextPageToken": None,
        "nextCursor": Cursor(epoch, 2).encode(),
    }
    assert (first.mode, first.reset, first.items, first.first) == ("full", False, 3, True)

    await write(engine, put(item("products", "p-1", "catalog", {"id": "p-1", "name": "new"})))
    await write(engine, put(item("products", "p-2", "catalog", {"id": "p-2"})))
    second = json.loads((await page(engine, "e-1", first.next_cursor)).body)
    assert second["mode"] == "delta" and second["reset"] is False
    assert second["sections"] == {
        "products": [
            {"key": "p-1", "scope": "catalog", "data": {"id": "p-1", "name": "new"}},
            {"key": "p-2", "scope": "catalog", "data": {"id": "p-2"}},
        ]
    }
    assert second["nextCursor"] == Cursor(epoch, 4).encode()
    # Nothing new for e-1 while others' data changes: an empty delta, the cursor moves.
    await write(engine, put(item("outlets", "o-2", "outlet:o-2", {"id": "o-2"})))
    third = json.loads((await page(engine, "e-1", second["nextCursor"])).body)
    assert (third["sections"], third["scopes"]) == ({}, {"removed": [], "reset": []})
    assert third["nextCursor"] == Cursor(epoch, 5).encode()
    fourth = json.loads((await page(engine, "e-1", third["nextCursor"])).body)
    assert fourth["sections"] == {} and fourth["nextCursor"] == third["nextCursor"]


async def store_clock(engine: AsyncEngine) -> store.ClockState:
    async with store.SyncStore(read_session_factory(engine)).snapshot() as snap:
        found = await snap.clock()
    assert found is not None
    return found


async def test_a_store_not_built_yet_is_unavailable(engine: AsyncEngine) -> None:
    with pytest.raises(Problem) as refused:
        await page(engine, "e-1")
    assert refused.value.code == "sync-unavailable" and refused.value.retry_after


# ------------------------------------------------------------------ resync and refusals


async def _agent_with_data(engine: AsyncEngine) -> Device:
    await write(engine, join("e-1", "company", "outlet:o-1"))
    await write(engine, put(item("outlets", "o-1", "outlet:o-1", {"id": "o-1"})))
    device = Device("e-1")
    await device.sync(engine)
    return device


@pytest.mark.parametrize(
    ("make_cursor", "reason"),
    [
        (lambda c: Cursor(str(uuid.uuid4()), c.seq).encode(), "store-rebuilt"),
        (lambda c: Cursor(c.epoch, c.seq + 1).encode(), "cursor-ahead"),
    ],
)
async def test_a_cursor_the_store_cannot_serve_gets_a_full_reset(
    engine: AsyncEngine, make_cursor: Callable[[store.ClockState], str], reason: str
) -> None:
    await _agent_with_data(engine)
    answer = await page(engine, "e-1", make_cursor(await store_clock(engine)))
    body = json.loads(answer.body)
    assert (body["mode"], body["reset"], body["resyncReason"]) == ("full", True, reason)
    assert [e["key"] for _, e in entries([body])] == ["o-1"]
    assert (answer.reset, answer.resync_reason) == (True, reason)


async def test_a_cursor_below_the_horizon_gets_a_full_reset(engine: AsyncEngine) -> None:
    device = await _agent_with_data(engine)
    old = device.cursor
    await write(engine, lambda s, seq: store.tombstone(s, seq, "outlets", ["o-1"]))
    await write(engine, put(item("outlets", "o-2", "outlet:o-1", {"id": "o-2"})))
    async with session_factory(engine)() as s, s.begin():
        assert (await store.compact(s, up_to_seq=device.seq + 1)).objects == 1
    body = json.loads((await page(engine, "e-1", old)).body)
    assert (body["mode"], body["reset"], body["resyncReason"]) == ("full", True, "cursor-expired")
    assert [e["key"] for _, e in entries([body])] == ["o-2"]
    # A cursor at the horizon is still served a delta.
    at_horizon = Cursor((await store_clock(engine)).epoch, device.seq + 1).encode()
    assert json.loads((await page(engine, "e-1", at_horizon)).body)["mode"] == "delta"


@pytest.mark.parametrize(
    "cursor", ["nonsense", "c1.2f7a1b.184467", "p1.abc.def", "c1." + "0" * 999]
)
async def test_a_string_that_is_no_cursor_is_refused(engine: AsyncEngine, cursor: str) -> None:
    await _agent_with_data(engine)
    with pytest.raises(Problem) as refused:
        await page(engine, "e-1", cursor)
    assert refused.value.code == "invalid-cursor"


async def _a_paged_sync(engine: AsyncEngine) -> tuple[Device, SyncPage]:
    device = await _agent_with_data(engine)
    await write(engine, put(*(item("outlets", f"x-{n}", "outlet:o-1", {"n": n}) for n in range(5))))
    first = await page(engine, "e-1", device.cursor, limits=PageLimits(max_items=2))
    assert first.next_page_token is not None
    return device, first


async def test_a_tampered_page_token_is_refused(engine: AsyncEngine) -> None:
    device, first = await _a_paged_sync(engine)
    token = first.next_page_token
    assert token is not None
    tampered = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        token[:10] + ("A" if token[10] != "A" else "B") + token[11:],
        token.rpartition(".")[0],
    ]
    for bad in tampered:
        with pytest.raises(Problem) as refused:
            await page(engine, "e-1", device.cursor, bad)
        assert refused.value.code == "invalid-request" and refused.value.field == "pageToken"
    with pytest.raises(Problem) as refused:  # another employee's token
        await page(engine, "e-2", device.cursor, token)
    assert refused.value.code == "invalid-request"
    with pytest.raises(Problem) as refused:  # with another cursor than the sync's
        await page(engine, "e-1", Cursor((await store_clock(engine)).epoch, 0).encode(), token)
    assert refused.value.code == "invalid-request" and refused.value.field == "cursor"
    assert (await page(engine, "e-1", device.cursor, token)).items == 3  # the real one: the rest


async def test_an_old_page_token_is_expired(engine: AsyncEngine) -> None:
    device, first = await _a_paged_sync(engine)
    later = datetime.now(UTC) + timedelta(minutes=61)
    with pytest.raises(Problem) as refused:
        await page(engine, "e-1", device.cursor, first.next_page_token, now=later)
    assert refused.value.code == "page-token-expired"


async def test_a_page_token_whose_data_was_compacted_is_expired(engine: AsyncEngine) -> None:
    device, first = await _a_paged_sync(engine)
    await write(engine, lambda s, seq: store.tombstone(s, seq, "outlets", ["x-0"]))
    async with session_factory(engine)() as s, s.begin():
        await store.compact(s, up_to_seq=(await store_clock(engine)).seq)
    with pytest.raises(Problem) as refused:
        await page(engine, "e-1", device.cursor, first.next_page_token)
    assert refused.value.code == "page-token-expired"
    # Starting over from the cursor works: the cursor is below the horizon now, so in full.
    again = json.loads((await page(engine, "e-1", device.cursor)).body)
    assert again["resyncReason"] == "cursor-expired"


# ------------------------------------------------------------------ a device's own horizon

EVERY_CURSOR = 2**63 - 1  # the mark migration 0004 gives telesellers' devices


async def _device_row(engine: AsyncEngine, device_id: str, resync_below: int | None) -> None:
    from fieldline_gateway.adapters.orm import devices

    moment = datetime(2026, 3, 1, tzinfo=UTC)
    async with session_factory(engine)() as s, s.begin():
        await s.execute(
            devices.insert().values(
                device_id=device_id,
                employee_id="e-1",
                status="active",
                platform="android",
                os_version="14",
                model="Pixel 8",
                installation_id=device_id,
                app_version="2.4.1",
                activated_at=moment,
                activation_request_id=device_id,
                activation_code="0" * 64,
                resync_below=resync_below,
            )
        )


async def _resynced(engine: AsyncEngine, device_id: str, answer: SyncPage) -> int | None:
    """What the sync controller does with a page: record the device's lowered horizon; the
    horizon then."""
    from fieldline_gateway.adapters.identity_store import IdentityStore

    async with session_factory(engine)() as s, s.begin():
        store_ = IdentityStore(s)
        if answer.lower_resync_below is not None:
            await store_.lower_resync_below(device_id, answer.lower_resync_below)
        return await store_.resync_below(device_id)


async def test_a_marked_device_syncs_in_full_once_whatever_its_cursor(
    engine: AsyncEngine,
) -> None:
    """A device marked by migration 0004 (a teleseller's, whose cursor lacks the sections once
    withheld from it): its next sync is a full reset (`access-changed`), also when it is
    interrupted and asked again from the old cursor; the cursor the full answer ends with gets
    deltas, and an unmarked device's cursor was never affected."""
    device = await _agent_with_data(engine)
    old = device.cursor
    await _device_row(engine, "d-marked", EVERY_CURSOR)
    await _device_row(engine, "d-other", None)
    # Another device of the same employee, unmarked: a delta as always.
    plain = await page(engine, "e-1", old, device_id="d-other")
    assert (plain.mode, plain.reset, plain.lower_resync_below) == ("delta", False, None)
    await write(engine, put(item("outlets", "o-1", "outlet:o-1", {"id": "o-1", "v": 2})))
    high = (await store_clock(engine)).seq

    full = await page(engine, "e-1", old, device_id="d-marked", limits=PageLimits(max_items=1))
    body = json.loads(full.body)
    assert (body["mode"], body["reset"], body["resyncReason"]) == ("full", True, "access-changed")
    assert (full.resync_reason, full.lower_resync_below) == ("access-changed", high)
    assert await _resynced(engine, "d-marked", full) == high
    # Interrupted (the answer lost): the old cursor is answered in full again, at a later high
    # now, which leaves the mark where the first full answer put it.
    await write(engine, put(item("outlets", "o-2", "outlet:o-1", {"id": "o-2"})))
    again = await page(engine, "e-1", old, device_id="d-marked")
    assert (again.mode, again.resync_reason, again.lower_resync_below) == (
        "full",
        "access-changed",
        None,
    )
    assert await _resynced(engine, "d-marked", again) == high
    # The device takes the whole answer: from its cursor on, deltas — once only.
    marked = Device("e-1", cursor=old)
    marked.apply([json.loads(again.body)])
    assert marked.items == await truth(engine, "e-1")
    delta = await page(engine, "e-1", marked.cursor, device_id="d-marked")
    assert (delta.mode, delta.reset, delta.lower_resync_below) == ("delta", False, None)
    # A cursor of the first full answer (at the mark) is served a delta too.
    at_mark = Cursor((await store_clock(engine)).epoch, high).encode()
    assert (await page(engine, "e-1", at_mark, device_id="d-marked")).mode == "delta"


async def test_a_marked_devices_first_full_sync_lowers_the_mark(engine: AsyncEngine) -> None:
    """A marked device syncing without a cursor (reinstalled, or the app dropped it) makes its
    one full sync then; so does a store rebuilt from nothing (its seqs start again low)."""
    await _agent_with_data(engine)
    await _device_row(engine, "d-marked", EVERY_CURSOR)
    first = await page(engine, "e-1", device_id="d-marked")
    assert (first.mode, first.reset) == ("full", False)
    high = (await store_clock(engine)).seq
    assert first.lower_resync_below == high
    assert await _resynced(engine, "d-marked", first) == high
    assert (await page(engine, "e-1", first.next_cursor, device_id="d-marked")).mode == "delta"


async def test_a_delta_paged_from_below_the_mark_is_expired(engine: AsyncEngine) -> None:
    """A delta begun from below the device's mark (by a replica of the release before, while
    the new one rolls out) cannot go on: the device starts over from its cursor, in full."""
    device, first = await _a_paged_sync(engine)
    await _device_row(engine, "d-marked", EVERY_CURSOR)
    with pytest.raises(Problem) as refused:
        await page(engine, "e-1", device.cursor, first.next_page_token, device_id="d-marked")
    assert refused.value.code == "page-token-expired"
    # An unmarked device goes on.
    await _device_row(engine, "d-other", None)
    rest = await page(engine, "e-1", device.cursor, first.next_page_token, device_id="d-other")
    assert rest.items == 3
    # A full answer's pages go on for the marked device (it is the one full sync).
    full = await page(engine, "e-1", device.cursor, device_id="d-marked", limits=PageLimits(1))
    assert full.resync_reason == "access-changed" and full.next_page_token is not None
    await _resynced(engine, "d-marked", full)
    nxt = await page(engine, "e-1", device.cursor, full.next_page_token, device_id="d-marked")
    assert nxt.mode == "full" and not nxt.first


# ------------------------------------------------------------------ paging under writes


async def test_paging_under_writes_sends_each_key_once_and_the_rest_next_time(
    engine: AsyncEngine,
) -> None:
    scopes = ["company", "outlet:o-1", "outlet:o-2"]
    await write(engine, join("e-1", *scopes))
    await write(
        engine,
        put(*(item("outlets", f"k-{n:02}", scopes[n % 3], {"n": n, "v": 0}) for n in range(30))),
        put(item("outlets", "gone-1", "company", {}), item("outlets", "gone-2", "company", {})),
    )
    await write(engine, lambda s, seq: store.tombstone(s, seq, "outlets", ["gone-1", "gone-2"]))
    device = Device("e-1")
    await device.sync(engine)
    await write(
        engine,
        put(*(item("outlets", f"k-{n:02}", scopes[n % 3], {"n": n, "v": 1}) for n in range(30))),
    )
    served_before: list[tuple[str, str]] = []

    async def meanwhile(pages_so_far: int) -> None:
        # Change keys already served and keys not served yet, add and remove some, compact
        # (nothing this sync needs: the horizon stays below its cursor).
        n = pages_so_far
        await write(
            engine,
            put(
                item("outlets", f"k-{n:02}", scopes[n % 3], {"n": n, "v": 2}),
                item("outlets", f"k-{29 - n:02}", scopes[(29 - n) % 3], {"n": 29 - n, "v": 2}),
                item("outlets", f"new-{n}", "outlet:o-1", {"n": n}),
            ),
            lambda s, seq: store.tombstone(s, seq, "outlets", [f"k-{10 + n:02}"]),
        )
        async with session_factory(engine)() as s, s.begin():
            compacted.append(await store.compact(s, up_to_seq=device.seq))

    compacted: list[store.CompactResult] = []
    start = device.seq
    pages = await device.sync(engine, PageLimits(max_items=4), between=meanwhile)
    # The tombstones before the sync's cursor went, and the horizon reached the cursor.
    assert compacted[0] == store.CompactResult(horizon=start, objects=2, intervals=0)
    assert device.seq == start + 1  # the high of the first page
    served_before = entries_of(pages)
    assert len(pages) > 5
    assert len(served_before) <= 30
    # The next delta brings everything changed meanwhile; then the device matches the store.
    nxt = await device.sync(engine, PageLimits(max_items=4))
    entries_of(nxt)
    assert device.items == await truth(engine, "e-1")
    assert json.loads((await page(engine, "e-1", device.cursor)).body)["sections"] == {}


async def test_a_full_sync_paged_under_writes(engine: AsyncEngine) -> None:
    await write(engine, join("e-1", "catalog", "outlet:o-1"))
    await write(
        engine,
        put(*(item("products", f"p-{n:02}", "catalog", {"n": n}) for n in range(20))),
        put(*(item("outlets", f"o-{n:02}", "outlet:o-1", {"n": n}) for n in range(20))),
    )
    device = Device("e-1")

    async def meanwhile(n: int) -> None:
        await write(
            engine,
            put(item("products", f"p-{n:02}", "catalog", {"n": n, "v": 2})),
            put(item("outlets", f"o-{19 - n:02}", "outlet:o-1", {"n": 19 - n, "v": 2})),
        )

    pages = await device.sync(engine, PageLimits(max_items=5), between=meanwhile)
    served = set(entries_of(pages))
    # Items rewritten before their page was read left this pass (their seq is past high).
    assert pages[0]["mode"] == "full" and len(pages) >= 5 and len(served) < 40
    nxt = await device.sync(engine)
    everything = {("products", f"p-{n:02}") for n in range(20)}
    everything |= {("outlets", f"o-{n:02}") for n in range(20)}
    assert set(entries_of(nxt)) >= everything - served
    assert device.items == await truth(engine, "e-1")


# ------------------------------------------------------------------ memberships


async def test_an_outlet_leaving_the_route_is_removed_with_its_clients_money(
    engine: AsyncEngine,
) -> None:
    graph: dict[str, Any] = {
        "routes": ["r-7"],
        "route_outlets": ["o-1", "o-2", "o-3"],
        "outlet_clients": {"o-1": "c-1", "o-2": "c-2", "o-3": "c-2"},
        "client_price_types": {"c-1": "pt-1", "c-2": "pt-1"},
    }

    def membership() -> Write:
        return join("e-1", *scopes_of("e-1", {AGENT}, **graph))

    await write(engine, membership())
    await write(
        engine,
        put(
            *(item("outlets", o, f"outlet:{o}", {"id": o}) for o in ("o-1", "o-2", "o-3")),
            *(
                item("routeOutlets", f"r-7/{o}", "route:r-7", {"outletId": o})
                for o in ("o-1", "o-2", "o-3")
            ),
            item("recommendedOrders", "o-1", "outlet:o-1", {"outletId": "o-1"}),
            item("clients", "c-1", "client:c-1", {"id": "c-1"}),
            item("clients", "c-2", "client:c-2", {"id": "c-2"}),
            item("balances", "c-1", "account:c-1", {"clientId": "c-1"}),
            item("invoices", "i-1", "account:c-1", {"id": "i-1"}),
            item("balances", "c-2", "account:c-2", {"clientId": "c-2"}),
            item("prices", "pl-1/p-1", "price_type:pt-1", {"price": "1.00"}),
        ),
    )
    device = Device("e-1")
    await device.sync(engine)
    assert len(device.items) == 13

    # RemoveRouteAssignment(o-1): the assignment's tombstone and the recomputed memberships.
    graph["route_outlets"] = ["o-2", "o-3"]
    await write(
        engine,
        lambda s, seq: store.tombstone(s, seq, "routeOutlets", ["r-7/o-1"]),
        membership(),
    )
    pages = await device.sync(engine)
    assert sorted(pages[0]["scopes"]["removed"]) == ["account:c-1", "client:c-1", "outlet:o-1"]
    assert pages[0]["scopes"]["reset"] == []
    assert entries(pages) == [
        ("routeOutlets", {"key": "r-7/o-1", "scope": "route:r-7", "deleted": True})
    ]
    assert sorted(device.items) == sorted(
        [
            ("outlets", "o-2"),
            ("outlets", "o-3"),
            ("routeOutlets", "r-7/o-2"),
            ("routeOutlets", "r-7/o-3"),
            ("clients", "c-2"),
            ("balances", "c-2"),
            ("prices", "pl-1/p-1"),
        ]
    )
    # o-2 leaves: c-2 keeps o-3, so only the outlet goes.
    graph["route_outlets"] = ["o-3"]
    await write(engine, membership())
    pages = await device.sync(engine)
    assert pages[0]["scopes"]["removed"] == ["outlet:o-2"]
    assert device.items == await truth(engine, "e-1")


async def test_a_scope_joined_is_reset_with_its_snapshot(engine: AsyncEngine) -> None:
    await write(engine, join("e-1", "company"))
    await write(
        engine,
        put(
            item("outlets", "o-5", "outlet:o-5", {"id": "o-5"}),
            item("recommendedOrders", "o-5", "outlet:o-5", {"outletId": "o-5"}),
            item("outlets", "o-6", "outlet:o-6", {"id": "o-6"}),
        ),
        lambda s, seq: store.tombstone(s, seq, "outlets", ["o-6"]),
    )
    device = Device("e-1")
    await device.sync(engine)
    assert device.items == {}
    await write(engine, join("e-1", "company", "outlet:o-5", "outlet:o-6"))
    pages = await device.sync(engine)
    assert sorted(pages[0]["scopes"]["reset"]) == ["outlet:o-5", "outlet:o-6"]
    assert sorted(entries_of(pages)) == [("outlets", "o-5"), ("recommendedOrders", "o-5")]
    assert device.items == await truth(engine, "e-1")


# ------------------------------------------------------------------ cursor chains under writers


@dataclass(frozen=True)
class Logged:
    seq: int
    section: str
    key: str
    scope: str
    data: Any  # None: removed


@dataclass
class History:
    """Every change committed, by seq, to say what a device at cursor seq `h` must hold."""

    objects: list[Logged] = field(default_factory=list)
    memberships: list[tuple[int, frozenset[str]]] = field(default_factory=list)

    def expected(self, high: int) -> dict[tuple[str, str], tuple[str, Any]]:
        scopes = max((m for m in self.memberships if m[0] <= high), key=lambda m: m[0])[1]
        state: dict[tuple[str, str], Logged] = {}
        for change in sorted(self.objects, key=lambda c: c.seq):
            if change.seq <= high:
                state[(change.section, change.key)] = change
        return {
            k: (c.scope, c.data)
            for k, c in state.items()
            if c.data is not None and c.scope in scopes
        }

    def changed_after(self, high: int) -> set[tuple[str, str]]:
        return {(c.section, c.key) for c in self.objects if c.seq > high}


async def test_a_cursor_never_skips_a_late_commit(engine: AsyncEngine) -> None:
    """Writers take the clock at random moments after they start and hold it a random time,
    so they commit out of the order they started in; devices sync (in small pages) at random
    moments. After every sync a device holds the store's state as of its cursor, except for
    keys changed after it (rewritten between two pages of the sync, such a key left the
    pass: it is the next delta's), and the last sync, with no writer left, exactly that
    state. Each key comes at most once per sync, no version twice along a chain."""
    rng = random.Random(13)
    postgres = engine.dialect.name == "postgresql"
    writers, rounds = (8, 12) if postgres else (4, 8)
    steady = ["company", "route:r-1", "outlet:o-1", "outlet:o-2"]
    toggled = "outlet:o-3"
    scopes = [*steady, toggled, "outlet:other"]
    keys = [(f"s{n % 2}", f"k-{n:02}", scopes[n % len(scopes)]) for n in range(18)]
    history = History()
    first = await write(engine, join("e-1", *steady), join("e-2", "outlet:other"))
    history.memberships.append((first, frozenset(steady)))
    done = asyncio.Event()

    async def writer(w: int) -> None:
        for r in range(rounds):
            async with session_factory(engine)() as s, s.begin():
                await asyncio.sleep(rng.random() * 0.01)  # started; the clock not taken yet
                seq = await store.advance_clock(s)
                chosen = rng.sample(keys, 3)
                changes = []
                for section, key, scope in chosen[:2]:
                    data = {"w": w, "r": r, "key": key}
                    await store.put_objects(s, seq, [item(section, key, scope, data)])
                    changes.append(Logged(seq, section, key, scope, data))
                section, key, scope = chosen[2]
                if await store.tombstone(s, seq, section, [key]):
                    changes.append(Logged(seq, section, key, scope, None))
                member = None
                if w == 0 and r % 3 == 1:
                    member = frozenset([*steady, toggled] if r % 2 else steady)
                    await store.set_memberships(s, seq, "e-1", member)
                await asyncio.sleep(rng.random() * 0.005)  # holding the clock
            history.objects.extend(changes)  # committed
            if member is not None:
                history.memberships.append((seq, member))

    seen: list[list[tuple[int, dict[tuple[str, str], tuple[str, Any]]]]] = []

    async def reader(n: int) -> None:
        device = Device("e-1")
        results: list[tuple[int, dict[tuple[str, str], tuple[str, Any]]]] = []
        seen.append(results)
        received: set[str] = set()
        while True:
            finished = done.is_set()
            await asyncio.sleep(rng.random() * 0.02)
            pages = await device.sync(engine, PageLimits(max_items=rng.choice([2, 3, 50])))
            results.append((device.seq, dict(device.items)))
            if pages[0]["mode"] == "delta":
                for section, entry in entries(pages):
                    # A steady scope's version comes once along the chain (a reset scope's
                    # snapshot may legitimately repeat what the device had before).
                    if entry["scope"] in steady and not entry.get("deleted"):
                        version = json.dumps([section, entry["key"], entry["data"]])
                        assert version not in received, f"{version} sent twice"
                        received.add(version)
            else:
                received = {json.dumps([s, k, data]) for (s, k), (_, data) in device.items.items()}
            if finished:
                return

    readers = [asyncio.create_task(reader(n)) for n in range(4)]
    await asyncio.gather(*(writer(w) for w in range(writers)))
    done.set()
    await asyncio.gather(*readers)

    high = (await store_clock(engine)).seq
    assert high == first + writers * rounds
    assert sorted({c.seq for c in history.objects}) == list(range(first + 1, high + 1))
    assert sum(len(chain) for chain in seen) > 4 * 3
    for chain in seen:
        assert chain[-1] == (high, history.expected(high))
        for cursor_seq, items in chain:
            expected = history.expected(cursor_seq)
            differ = {k for k in expected.keys() | items.keys() if expected.get(k) != items.get(k)}
            assert differ <= history.changed_after(cursor_seq), f"the device at {cursor_seq}"
    assert history.expected(high) == await truth(engine, "e-1")
