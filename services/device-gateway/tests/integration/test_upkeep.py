"""The upkeep jobs on a real database (SQLite, and PostgreSQL with FIELDLINE_TEST_POSTGRES_URL)
and the local-disk blob store (docs/contexts/device-gateway.md, *Compaction, retention,
resync*): compaction deletes old tombstones and closed intervals and raises the horizon, so an
older cursor is answered in full with a reset; the window sweep tombstones exactly the items out
of their window and a second sweep takes no seq, alone or racing another; old receipts go,
newer ones stay; stale photo uploads lose their rows and staged bytes, complete photos stay;
the loops run each job once per period across replicas, by the job leases."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from google.protobuf import timestamp_pb2
from google.type import date_pb2
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as tpb
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline_gateway.adapters import fanout_store as store
from fieldline_gateway.adapters import leases, upkeep_store
from fieldline_gateway.adapters import projections_clients as pc
from fieldline_gateway.adapters import projections_orders as po
from fieldline_gateway.adapters import projections_promotions as pp
from fieldline_gateway.adapters import projections_settlements as ps
from fieldline_gateway.adapters.blob_store import DiskBlobStore
from fieldline_gateway.adapters.fanout_tables import fanout_members, fanout_objects
from fieldline_gateway.adapters.photos_store import PhotosStore
from fieldline_gateway.adapters.photos_tables import photos
from fieldline_gateway.adapters.projections import Item, item
from fieldline_gateway.adapters.receipts import Claim, Receipts
from fieldline_gateway.adapters.receipts_tables import upload_receipts
from fieldline_gateway.adapters.schema import kit
from fieldline_gateway.domain.photos import Photo, PhotoStatus
from fieldline_gateway.service_layer.fanout import fanout_items
from fieldline_gateway.service_layer.sync import sync_page
from fieldline_gateway.service_layer.upkeep import (
    COMPACTION,
    JOBS,
    PHOTO_RETENTION,
    RECEIPT_RETENTION,
    WINDOW_SWEEP,
    LeaseLost,
    Stopped,
    Turn,
    Upkeep,
    UpkeepPolicy,
)
from fieldline_kit.db import read_session_factory, session_factory
from fieldline_kit.uow import UnitOfWork

from .store_writes import Write, write

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
TODAY = date(2026, 3, 4)
KEY = b"the gateway's page-token key"


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def upkeep_on(
    engine: AsyncEngine, blobs: DiskBlobStore, clock: Clock, *, holder: str = "", **options: Any
) -> Upkeep:
    sessions = session_factory(engine)
    reads = read_session_factory(engine)

    def no_events(_event: Any) -> list[Any]:
        return []

    return Upkeep(
        lambda: UnitOfWork(sessions, kit, no_events),
        lambda: UnitOfWork(reads, kit, no_events, read_only=True),
        blobs,
        UpkeepPolicy(),
        clock=clock,
        tz=MOSCOW,
        holder=holder,
        **options,
    )


@pytest.fixture
def blobs(tmp_path: Path) -> DiskBlobStore:
    return DiskBlobStore(tmp_path / "photos")


def put(items: Iterable[Item], *, at: datetime = NOW) -> Write:
    rows = fanout_items(items)
    return lambda s, seq: store.put_objects(s, seq, rows, now=at)


def join(agent: str, *scopes: str) -> Write:
    return lambda s, seq: store.set_memberships(s, seq, agent, set(scopes))


def remove(section: str, *keys: str, at: datetime = NOW) -> Write:
    return lambda s, seq: store.tombstone(s, seq, section, keys, now=at)


async def clock_of(engine: AsyncEngine) -> store.ClockState:
    async with session_factory(engine)() as session:
        found = await store.read_clock(session)
    assert found is not None
    return found


async def count(engine: AsyncEngine, table: Any, *where: Any) -> int:
    async with engine.connect() as conn:
        query = select(func.count()).select_from(table).where(*where)
        return int((await conn.execute(query)).scalar_one())


async def objects(engine: AsyncEngine) -> dict[tuple[str, str], tuple[int, bool]]:
    """(section, key) → (seq, deleted) of every stored object."""
    async with engine.connect() as conn:
        query = select(
            fanout_objects.c.section, fanout_objects.c.key, fanout_objects.c.seq
        ).add_columns(fanout_objects.c.deleted)
        rows = await conn.execute(query)
        return {(r.section, r.key): (int(r.seq), bool(r.deleted)) for r in rows}


def removed_by(job: str) -> float:
    value = REGISTRY.get_sample_value("fieldline_gateway_upkeep_removed_total", {"job": job})
    assert value is not None  # every job's series exists from the start
    return value


async def sync(engine: AsyncEngine, agent: str, cursor: str | None) -> dict[str, Any]:
    page = await sync_page(
        read_session_factory(engine), agent, cursor, None, key=KEY, now=NOW, business_date=TODAY
    )
    assert page.next_page_token is None  # one page: these tests are small
    return dict(json.loads(page.body))


# ------------------------------------------------------------------ items, as projected


def pb_day(day: date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def pb_time(moment: datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(moment)
    return out


def ago(days: int, today: date = TODAY) -> date:
    return today - timedelta(days=days)


def order(order_id: str, agent: str, status: opb.OrderStatus.ValueType, day: date) -> Item:
    [found] = po.order_items(
        opb.Order(id=order_id, agent_id=agent, status=status, order_date=pb_day(day), version=1)
    )
    return found


def phone_order(order_id: str, taker: str, agent: str, day: date) -> list[Item]:
    """A delivered phone order `taker` took for `agent`: its two copies."""
    return po.order_items(
        opb.Order(
            id=order_id,
            agent_id=agent,
            taken_by=taker,
            channel=opb.ORDER_CHANNEL_PHONE,
            status=opb.ORDER_STATUS_DELIVERED,
            order_date=pb_day(day),
            version=1,
        )
    )


def visit(visit_id: str, agent: str, day: date) -> Item:
    return pc.visit_item(
        cpb.Visit(id=visit_id, agent_id=agent, date=pb_day(day), status=cpb.VISIT_STATUS_COMPLETED)
    )


def contact(visit_id: str, agent: str, day: date) -> Item:
    return po.contact_sales_item(
        opb.ContactSales(
            contact_id=visit_id,
            kind=opb.CONTACT_KIND_VISIT,
            employee_id=agent,
            date=pb_day(day),
            orders=1,
            productive=True,
            version=2,
        )
    )


def proposal(
    proposal_id: str, agent: str, status: cpb.ProposalStatus.ValueType, decided: date | None
) -> Item:
    """A proposal `decided` at 10:00 in Moscow on that day (None: undecided, made long ago)."""
    made = cpb.Proposal(id=proposal_id, proposed_by=agent, status=status)
    if decided is None:
        made.create_time.CopyFrom(pb_time(datetime(2025, 1, 1, tzinfo=UTC)))
    else:
        moment = datetime.combine(decided, datetime.min.time(), MOSCOW) + timedelta(hours=10)
        made.create_time.CopyFrom(pb_time(moment - timedelta(days=3)))
        made.decide_time.CopyFrom(pb_time(moment))
    return pc.proposal_item(made)


def plan_day(agent: str, day: date) -> Item:
    return pc.visit_plan_item(tpb.GetVisitPlanResponse(agent_id=agent, date=pb_day(day)))


def collection(payment_id: str, agent: str, day: date) -> Item:
    made = ps.collection_item(
        spb.Payment(
            id=payment_id,
            kind=spb.PAYMENT_KIND_CASH,
            client_id="c-1",
            collected_by=agent,
            date=pb_day(day),
        )
    )
    assert made is not None
    return made


def promotion(promotion_id: str, ended: date) -> Item:
    """A catalog-wide promotion that ended on `ended`."""
    [made] = pp.promotion_items(
        opb.Promotion(
            id=promotion_id,
            name="Весна",
            valid_from=pb_day(ended - timedelta(days=30)),
            valid_to=pb_day(ended),
            percent_off=opb.PercentOff(percent="5"),
            version=1,
        ),
        version=1,
        outlet_clients={},
        territory_parents={},
    )
    return made


def history() -> tuple[list[Item], set[tuple[str, str]]]:
    """Two agents' history around the windows of TODAY, and the (section, key) out of them."""
    items = [
        order("o-final-31", "a-1", opb.ORDER_STATUS_DELIVERED, ago(31)),  # out
        order("o-final-30", "a-1", opb.ORDER_STATUS_DELIVERED, ago(30)),  # the window's first day
        order("o-open-100", "a-1", opb.ORDER_STATUS_SHIPPED, ago(100)),  # in motion: stays
        order("o-cancelled-60", "a-2", opb.ORDER_STATUS_CANCELLED, ago(60)),  # out
        # a-1 took it by phone for a-2: out, both copies (a-1's `taken:` one, a-2's)
        *phone_order("o-phone-40", "a-1", "a-2", ago(40)),
        *phone_order("o-phone-2", "a-1", "a-2", ago(2)),  # both stay
        visit("v-15", "a-1", ago(15)),  # out
        visit("v-14", "a-1", ago(14)),
        visit("v-0", "a-1", TODAY),
        contact("v-15", "a-1", ago(15)),  # out: its figures leave with the visit
        contact("v-14", "a-1", ago(14)),
        proposal("pr-approved-31", "a-1", cpb.PROPOSAL_STATUS_APPROVED, ago(31)),  # out
        proposal("pr-pending", "a-1", cpb.PROPOSAL_STATUS_PENDING, None),  # pending: stays
        proposal("pr-rejected-5", "a-1", cpb.PROPOSAL_STATUS_REJECTED, ago(5)),
        plan_day("a-1", ago(1)),  # out
        plan_day("a-1", TODAY),
        plan_day("a-1", TODAY + timedelta(days=3)),
        collection("pay-8", "a-1", ago(8)),  # out
        collection("pay-7", "a-1", ago(7)),
        promotion("pm-ended-2", ago(2)),  # out: past its end and the grace day
        promotion("pm-ended-1", ago(1)),  # its grace day: stays
        # not swept: another agent-scope section, and an account's old invoice
        item("vans", "van-1", "agent:a-1", 0, {"id": "van-1", "date": ago(400).isoformat()}),
        item("invoices", "i-1", "account:c-1", 0, {"id": "i-1", "issueDate": "2020-01-01"}),
    ]
    out = {
        ("orders", "o-final-31"),
        ("orders", "o-cancelled-60"),
        ("orders", "o-phone-40"),
        ("orders", "taken:o-phone-40"),
        ("visits", "v-15"),
        ("contactSales", "v-15"),
        ("proposals", "pr-approved-31"),
        ("visitPlans", f"a-1/{ago(1).isoformat()}"),
        ("collections", "pay-8"),
        ("promotions", "pm-ended-2"),
    }
    return items, out


# ------------------------------------------------------------------ compaction


async def test_compaction_deletes_old_tombstones_raises_the_horizon_and_an_older_cursor_resyncs(
    engine: AsyncEngine, blobs: DiskBlobStore
) -> None:
    old = NOW - timedelta(days=40)
    await write(
        engine,
        join("a-1", "agent:a-1", "route:r-1"),
        put([visit(f"v-{n}", "a-1", ago(n)) for n in range(3)], at=old),
    )
    before = (await sync(engine, "a-1", None))["nextCursor"]
    # 35 days ago: v-0 removed and route:r-1 left; yesterday: v-1 removed.
    gone_at = await write(
        engine, remove("visits", "v-0", at=NOW - timedelta(days=35)), join("a-1", "agent:a-1")
    )
    await write(engine, remove("visits", "v-1", at=NOW - timedelta(days=1)))
    after = (await sync(engine, "a-1", None))["nextCursor"]
    high = (await clock_of(engine)).seq
    counted = removed_by(COMPACTION)

    upkeep = upkeep_on(engine, blobs, Clock())
    assert await upkeep.compact() == 2  # v-0's tombstone and the closed route:r-1 interval

    state = await clock_of(engine)
    assert (state.horizon, state.seq) == (gone_at, high)  # compaction takes no seq
    assert await objects(engine) == {
        ("visits", "v-1"): (high, True),  # 1 day old: kept
        ("visits", "v-2"): (1, False),
    }
    assert await count(engine, fanout_members) == 1  # the open agent:a-1 interval
    assert removed_by(COMPACTION) == counted + 2
    # A cursor below the horizon gets a full answer with reset; one above it a delta.
    answer = await sync(engine, "a-1", before)
    assert (answer["mode"], answer["reset"], answer["resyncReason"]) == (
        "full",
        True,
        "cursor-expired",
    )
    assert [e["key"] for e in answer["sections"]["visits"]] == ["v-2"]
    assert (await sync(engine, "a-1", after))["mode"] == "delta"
    # Again: nothing left to delete, nothing moves.
    assert await upkeep.compact() == 0
    assert await clock_of(engine) == state


async def test_compaction_goes_a_chunk_of_tombstones_at_a_time(
    engine: AsyncEngine, blobs: DiskBlobStore
) -> None:
    old = NOW - timedelta(days=40)
    await write(engine, put([visit(f"v-{n}", "a-1", ago(n)) for n in range(7)], at=old))
    seqs = [await write(engine, remove("visits", f"v-{n}", at=old)) for n in range(7)]
    await write(engine, put([visit("v-young", "a-1", TODAY)]), remove("visits", "v-young"))
    upkeep = upkeep_on(engine, blobs, Clock(), compaction_chunk=3)
    assert await upkeep.compact() == 7  # 3 + 3 + 1, the young tombstone kept
    assert (await clock_of(engine)).horizon == seqs[-1]
    assert set(await objects(engine)) == {("visits", "v-young")}


async def test_compaction_of_a_store_never_written_does_nothing(
    engine: AsyncEngine, blobs: DiskBlobStore
) -> None:
    assert await upkeep_on(engine, blobs, Clock()).compact() == 0


# ------------------------------------------------------------------ the window sweep


async def test_the_window_sweep_tombstones_exactly_what_left_the_window_once(
    engine: AsyncEngine, blobs: DiskBlobStore
) -> None:
    items, out = history()
    await write(engine, join("a-1", "agent:a-1"), join("a-2", "agent:a-2"), put(items))
    cursor = (await sync(engine, "a-1", None))["nextCursor"]
    stored = await objects(engine)
    high = (await clock_of(engine)).seq
    counted = removed_by(WINDOW_SWEEP)

    upkeep = upkeep_on(engine, blobs, Clock())
    assert await upkeep.sweep_window() == len(out)

    swept = await objects(engine)
    assert {k for k, (_seq, deleted) in swept.items() if deleted} == out
    assert {k: v for k, v in swept.items() if k not in out} == {
        k: v for k, v in stored.items() if k not in out
    }  # everything else untouched
    # One transaction per section with something to remove, the clock first in each.
    state = await clock_of(engine)
    assert state.seq == high + len({section for section, _ in out})
    assert all(high < swept[k][0] <= state.seq for k in out)
    assert removed_by(WINDOW_SWEEP) == counted + len(out)
    # The device is told: its delta removes a-1's seven, nothing of a-2's.
    delta = await sync(engine, "a-1", cursor)
    assert delta["mode"] == "delta"
    told = {(s, e["key"]) for s, entries in delta["sections"].items() for e in entries}
    # (a-2's orders; the promotion is the catalog's, which this store's a-1 does not hold)
    assert told == out - {
        ("orders", "o-cancelled-60"),
        ("orders", "o-phone-40"),
        ("promotions", "pm-ended-2"),
    }
    assert all(e["deleted"] for entries in delta["sections"].values() for e in entries)

    # A second sweep the same day changes nothing and takes no seq.
    assert await upkeep.sweep_window() == 0
    assert await clock_of(engine) == state
    assert await objects(engine) == swept


async def test_the_next_business_day_sweeps_what_crossed_the_edge(
    engine: AsyncEngine, blobs: DiskBlobStore
) -> None:
    items, out = history()
    await write(engine, put(items))
    clock = Clock()
    upkeep = upkeep_on(engine, blobs, clock)
    assert await upkeep.sweep_window() == len(out)
    # 23:30 in Moscow is still today; 00:30 is tomorrow.
    clock.now = datetime(2026, 3, 4, 20, 30, tzinfo=UTC)
    assert await upkeep.sweep_window() == 0
    clock.now = datetime(2026, 3, 4, 21, 30, tzinfo=UTC)
    assert upkeep.today() == TODAY + timedelta(days=1)
    assert await upkeep.sweep_window() == 6
    crossed = {k for k, (_s, deleted) in (await objects(engine)).items() if deleted} - out
    assert crossed == {
        ("orders", "o-final-30"),
        ("visits", "v-14"),
        ("contactSales", "v-14"),
        ("visitPlans", f"a-1/{TODAY.isoformat()}"),
        ("collections", "pay-7"),
        ("promotions", "pm-ended-1"),  # its grace day over
    }


async def test_the_window_sweep_reads_by_pages_and_writes_by_chunks(
    engine: AsyncEngine, blobs: DiskBlobStore
) -> None:
    await write(
        engine,
        put([visit(f"v-old-{n:02}", "a-1", ago(20)) for n in range(11)]),
        put([visit(f"v-new-{n:02}", "a-1", TODAY) for n in range(6)]),
    )
    high = (await clock_of(engine)).seq
    upkeep = upkeep_on(engine, blobs, Clock(), scan_page=4, sweep_chunk=3)
    assert await upkeep.sweep_window() == 11
    assert (await clock_of(engine)).seq == high + 4  # 3 + 3 + 3 + 2
    deleted = {k for (_s, k), (_seq, d) in (await objects(engine)).items() if d}
    assert deleted == {f"v-old-{n:02}" for n in range(11)}


async def test_two_sweeps_at_once_remove_each_item_once(
    engine: AsyncEngine, blobs: DiskBlobStore
) -> None:
    items, out = history()
    await write(engine, put(items))
    high = (await clock_of(engine)).seq
    # Two replicas, no lease between them: the clock's lock and the check under it decide.
    first = upkeep_on(engine, blobs, Clock(), holder="replica-1")
    second = upkeep_on(engine, blobs, Clock(), holder="replica-2")
    counts = await asyncio.gather(first.sweep_window(), second.sweep_window())
    assert sum(counts) == len(out)
    assert (await clock_of(engine)).seq == high + len({section for section, _ in out})
    assert {k for k, (_s, deleted) in (await objects(engine)).items() if deleted} == out


# ------------------------------------------------------------------ receipts


def claim(document_id: str, received_at: datetime) -> Claim:
    return Claim(
        employee_id="a-1",
        document_id=document_id,
        kind="visitCheckIn",
        digest="0" * 64,
        creates=None,
        photo_ids=(),
        device_id="d-1",
        batch_id="b-1",
        created_at=received_at,
        sent_at=received_at,
        received_at=received_at,
        claim_id="claim-1",
    )


async def test_receipts_older_than_the_retention_go_newer_ones_stay(
    engine: AsyncEngine, blobs: DiskBlobStore
) -> None:
    ages = {"doc-100-claimed": 100, "doc-91": 91, "doc-90": 90, "doc-89": 89, "doc-0": 0}
    async with session_factory(engine)() as session, session.begin():
        receipts = Receipts(session)
        for document_id, days in ages.items():
            moment = NOW - timedelta(days=days)
            if document_id.endswith("claimed"):  # a claim whose holder died long ago
                assert await receipts.claim(claim(document_id, moment))
            else:
                assert await receipts.claim(
                    claim(document_id, moment), status="accepted", answer=b"{}"
                )
    upkeep = upkeep_on(engine, blobs, Clock())
    assert await upkeep.purge_receipts() == 2
    async with engine.connect() as conn:
        left = set((await conn.execute(select(upload_receipts.c.document_id))).scalars())
    assert left == {"doc-90", "doc-89", "doc-0"}
    assert await upkeep.purge_receipts() == 0


# ------------------------------------------------------------------ photos


def photo(photo_id: str, *, created: datetime, status: PhotoStatus, offset: int) -> Photo:
    return Photo(
        photo_id=photo_id,
        employee_id="a-1",
        device_id="d-1",
        sha256="ab" * 32,
        size=8,
        content_type="image/jpeg",
        kind="audit",
        document_id="doc-1",
        captured_at=created,
        location=None,
        offset=offset,
        status=status,
        created_at=created,
        completed_at=created if status is PhotoStatus.COMPLETE else None,
    )


async def test_stale_uploads_lose_their_rows_and_bytes_complete_photos_stay(
    engine: AsyncEngine, blobs: DiskBlobStore
) -> None:
    week_ago = NOW - timedelta(days=7, minutes=1)
    rows = [
        photo("stale-half", created=week_ago, status=PhotoStatus.UPLOADING, offset=4),
        photo("stale-empty", created=week_ago, status=PhotoStatus.UPLOADING, offset=0),
        photo("fresh", created=NOW - timedelta(hours=1), status=PhotoStatus.UPLOADING, offset=4),
        photo("done", created=NOW - timedelta(days=60), status=PhotoStatus.COMPLETE, offset=8),
    ]
    async with session_factory(engine)() as session, session.begin():
        for row in rows:
            assert await PhotosStore(session).add(row)
    await blobs.stage("stale-half", 0, b"\xff\xd8\xff\xe0")
    await blobs.stage("fresh", 0, b"\xff\xd8\xff\xe0")
    blob = blobs.blob_path("ab" * 32)
    blob.parent.mkdir(parents=True)
    blob.write_bytes(b"\xff\xd8\xff\xe0" * 2)
    counted = removed_by(PHOTO_RETENTION)

    upkeep = upkeep_on(engine, blobs, Clock())
    assert await upkeep.drop_stale_photos() == 2

    async with engine.connect() as conn:
        left = set((await conn.execute(select(photos.c.photo_id))).scalars())
    assert left == {"fresh", "done"}
    assert not blobs.staging_path("stale-half").exists()
    assert (blobs.staging_path("fresh") / "000000000000").exists()
    assert blob.read_bytes() == b"\xff\xd8\xff\xe0" * 2  # the complete photo's blob
    assert removed_by(PHOTO_RETENTION) == counted + 2
    assert await upkeep.drop_stale_photos() == 0


async def test_an_upload_moved_after_it_was_read_keeps_its_row(engine: AsyncEngine) -> None:
    before = NOW - timedelta(days=7)
    async with session_factory(engine)() as session, session.begin():
        await PhotosStore(session).add(
            photo("moving", created=NOW - timedelta(days=8), status=PhotoStatus.UPLOADING, offset=0)
        )
    async with session_factory(engine)() as session, session.begin():
        [stale] = await upkeep_store.stale_uploads(session, before, after=None, limit=10)
        assert await PhotosStore(session).advance("moving", 0, 4)  # a chunk came meanwhile
        assert not await upkeep_store.drop_upload(session, stale, before)
    assert await count(engine, photos) == 1


# ------------------------------------------------------------------ the loops and the leases


async def test_a_due_job_runs_on_one_replica_once_per_period(
    engine: AsyncEngine, blobs: DiskBlobStore
) -> None:
    items, out = history()
    await write(engine, put(items))
    clock = Clock()
    first = upkeep_on(engine, blobs, clock, holder="replica-1")
    second = upkeep_on(engine, blobs, clock, holder="replica-2")
    ran = await asyncio.gather(first.run_due(WINDOW_SWEEP), second.run_due(WINDOW_SWEEP))
    assert sorted(ran, key=lambda n: -1 if n is None else n) == [None, len(out)]
    async with session_factory(engine)() as session:
        assert await leases.finished_at(session, WINDOW_SWEEP) == NOW
        assert await leases.holder_of(session, WINDOW_SWEEP, now=NOW) is None  # released
    # Later the same business day: not due; the next day: due again.
    clock.now = NOW + timedelta(hours=11)
    assert await second.run_due(WINDOW_SWEEP) is None
    clock.now = NOW + timedelta(hours=13)
    assert await second.run_due(WINDOW_SWEEP) == 6
    # Hourly jobs: once an hour.
    assert await first.run_due(COMPACTION) == 0
    clock.now += timedelta(minutes=59)
    assert await second.run_due(COMPACTION) is None
    clock.now += timedelta(minutes=1)
    assert await second.run_due(COMPACTION) == 0


async def test_a_job_whose_lease_another_replica_holds_waits(
    engine: AsyncEngine, blobs: DiskBlobStore
) -> None:
    async with session_factory(engine)() as session, session.begin():
        assert await leases.take(
            session, RECEIPT_RETENTION, "elsewhere", now=NOW, until=NOW + timedelta(minutes=5)
        )
    clock = Clock()
    upkeep = upkeep_on(engine, blobs, clock)
    assert await upkeep.run_due(RECEIPT_RETENTION) is None
    clock.now = NOW + timedelta(minutes=6)  # the holder died: its lease ran out
    assert await upkeep.run_due(RECEIPT_RETENTION) == 0


async def test_the_loops_run_every_job_until_stopped(
    engine: AsyncEngine, blobs: DiskBlobStore
) -> None:
    await write(engine, put([visit("v-old", "a-1", ago(20))]))
    upkeep = upkeep_on(engine, blobs, Clock(), poll_seconds=0.05)
    loops = upkeep.loops()
    assert len(loops) == len(JOBS)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(loop(stop)) for loop in loops]

    async def all_finished() -> bool:
        async with session_factory(engine)() as session:
            return all([await leases.finished_at(session, job) == NOW for job in JOBS])

    try:
        for _ in range(200):
            if await all_finished():
                break
            await asyncio.sleep(0.05)
        assert await all_finished()
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert (await objects(engine))[("visits", "v-old")][1] is True


async def test_a_run_stops_between_chunks_when_its_lease_is_lost_or_the_process_stops() -> None:
    answers = [True, False]
    renewals: list[bool] = []

    async def renew() -> bool:
        renewals.append(answers.pop(0))
        return renewals[-1]

    turn = Turn(COMPACTION, renew=renew, renew_every=timedelta(0))
    await turn.keep()
    with pytest.raises(LeaseLost):
        await turn.keep()
    assert renewals == [True, False]
    seldom = Turn(COMPACTION, renew=renew, renew_every=timedelta(minutes=1))
    await seldom.keep()  # just taken: not renewed yet
    assert renewals == [True, False]
    stop = asyncio.Event()
    stop.set()
    with pytest.raises(Stopped):
        await Turn(COMPACTION, stop=stop).keep()


def test_every_job_has_its_series() -> None:
    for job in JOBS:
        assert removed_by(job) >= 0
