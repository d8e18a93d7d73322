"""The orders-clients-feed consumer over real NATS: read models, ordering, duplicates, poison."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal

import pytest_asyncio
from sqlalchemy import func, select

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as res
from fieldline_kit.metrics import CONSUMER_PROCESSED
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.helpers import new_id
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_orders.adapters import schema
from fieldline_orders.adapters.orm_feed import (
    feed_assignments,
    feed_outlet_audits,
    feed_outlets,
    feed_shelf_counts,
    feed_territories,
)
from fieldline_orders.domain.feed import OutletState
from fieldline_orders.entrypoints.feed_consumer import CONSUMER

from .feed_harness import NOW, FeedEnv, feed_env


@pytest_asyncio.fixture(scope="module")
async def env(db_factory: DatabaseFactory, nats_server: EmbeddedNats) -> AsyncIterator[FeedEnv]:
    async with feed_env(db_factory, nats_server.url) as e:
        yield e


def processed(outcome: str) -> float:
    return CONSUMER_PROCESSED.labels(CONSUMER, outcome)._value.get()


async def row(env: FeedEnv, table, *where):  # type: ignore[no-untyped-def]
    async with env.app.sessions() as s:
        return (await s.execute(select(table).where(*where))).first()


# ---------------------------------------------------------------------------------- outlets
async def test_outlet_events_feed_the_outlet_read_model(env: FeedEnv) -> None:
    outlet_id, client_id = new_id(), new_id()
    await env.wait_processed(await env.outlet(outlet_id, client_id, 1))
    async with env.app.read_uow() as uow:
        assert await uow.feed_reads.outlet_client(outlet_id) == client_id
        assert await uow.feed_reads.outlet_client(new_id()) is None
    closed = await env.outlet(outlet_id, client_id, 2, res.OUTLET_STATUS_CLOSED)
    await env.wait_processed(closed)
    r = await row(env, feed_outlets, feed_outlets.c.outlet_id == outlet_id)
    assert (r.client_id, r.status, r.version) == (client_id, "CLOSED", 2)


async def test_an_outlets_channel_and_territory_are_kept_and_changed(env: FeedEnv) -> None:
    outlet_id, client_id, north, south = new_id(), new_id(), new_id(), new_id()
    created = await env.outlet(outlet_id, client_id, 1, channel="HoReCa", territory_id=north)
    await env.wait_processed(created)
    async with env.app.read_uow() as uow:
        targeting = await uow.feed_reads.outlet_targeting(outlet_id)
        assert targeting == (outlet_id, client_id, "HoReCa", north)
        assert await uow.feed_reads.outlet_targeting(new_id()) is None
    # Its card and territory changed (v3), then a late v2: the newest stays. The channel is
    # kept as written (no trimming, no case folding): promotions name it as the card does.
    ids = [
        await env.outlet(outlet_id, client_id, 3, channel=" Retail  ", territory_id=south),
        await env.outlet(outlet_id, client_id, 2, channel="Kiosk", territory_id=north),
    ]
    await env.wait_processed(*ids)
    r = await row(env, feed_outlets, feed_outlets.c.outlet_id == outlet_id)
    assert (r.channel, r.territory_id, r.version) == (" Retail  ", south, 3)
    # A change to no channel and no territory is kept too.
    await env.wait_processed(await env.outlet(outlet_id, client_id, 4))
    async with env.app.read_uow() as uow:
        targeting = await uow.feed_reads.outlet_targeting(outlet_id)
        assert targeting == (outlet_id, client_id, "", "")
        assert (await uow.feed_reads.get_outlet(outlet_id)) == OutletState(
            outlet_id, client_id, "ACTIVE", 4
        )


async def test_the_territory_tree_is_built_from_territory_events(env: FeedEnv) -> None:
    country, region, city, town = new_id(), new_id(), new_id(), new_id()
    # Children may arrive before their parents (events of different aggregates).
    ids = [
        await env.territory(city, region),
        await env.territory(town, region),
        await env.territory(region, country),
        await env.territory(country),
    ]
    await env.wait_processed(*ids)
    # The same territory again (a re-publish at its one version) changes nothing.
    await env.wait_processed(await env.territory(city, new_id()))
    r = await row(env, feed_territories, feed_territories.c.territory_id == city)
    assert (r.parent_id, r.version) == (region, 1)
    async with env.app.read_uow() as uow:
        parents = await uow.feed_reads.territory_parents()
    # The whole table (other tests' territories too): these four as sent.
    assert {t: parents[t] for t in (country, region, city, town)} == {
        country: "",
        region: country,
        city: region,
        town: region,
    }


async def test_a_territory_without_an_id_is_dead_lettered(env: FeedEnv) -> None:
    dead = processed("dead_lettered")
    bad = await env.publish(
        ev.TerritoryChanged(territory=res.Territory(name="Без id")),
        aggregate_type="territory",
        aggregate_id="",
        version=1,
    )
    await env.wait_processed(bad)
    assert processed("dead_lettered") == dead + 1


async def test_an_older_outlet_event_arriving_late_is_ignored(env: FeedEnv) -> None:
    outlet_id, client_id = new_id(), new_id()
    # v3 (closed) overtakes v2 (active), e.g. published by two relay replicas
    ids = [
        await env.outlet(outlet_id, client_id, 1),
        await env.outlet(outlet_id, client_id, 3, res.OUTLET_STATUS_CLOSED),
        await env.outlet(outlet_id, client_id, 2, res.OUTLET_STATUS_ACTIVE),
    ]
    await env.wait_processed(*ids)
    r = await row(env, feed_outlets, feed_outlets.c.outlet_id == outlet_id)
    assert (r.status, r.version) == ("CLOSED", 3)
    # OutletCreated arriving after a change (cross-aggregate reordering) changes nothing either
    await env.wait_processed(await env.outlet(outlet_id, client_id, 1, created=True))
    r = await row(env, feed_outlets, feed_outlets.c.outlet_id == outlet_id)
    assert (r.status, r.version) == ("CLOSED", 3)


async def test_a_redelivered_event_is_applied_once(env: FeedEnv) -> None:
    outlet_id, client_id = new_id(), new_id()
    first = await env.outlet(outlet_id, client_id, 1)
    await env.wait_processed(first)
    duplicates = processed("duplicate")
    # Same Nats-Msg-Id within the duplicate window: JetStream itself drops it.
    ack = await env.js.publish(
        "clients.events.v1.OutletCreated",
        b"ignored",
        stream="CLIENTS",
        headers={"Nats-Msg-Id": first},
    )
    assert ack.duplicate
    # The same event again under another message id (a relay re-publish after the window):
    # a second stream message with the same event_id, absorbed by the inbox.
    outlet = res.Outlet(id=outlet_id, client_id=client_id, status=res.OUTLET_STATUS_ACTIVE)
    again = await env.publish(
        ev.OutletCreated(outlet=outlet),
        aggregate_type="outlet",
        aggregate_id=outlet_id,
        version=1,
        event_id=first,
        msg_id=f"{first}-again",
    )
    assert again == first
    marker = await env.outlet(new_id(), client_id, 1)  # published after: processed after
    await env.wait_processed(marker)
    assert processed("duplicate") == duplicates + 1
    async with env.app.sessions() as s:
        inbox = schema.kit.inbox
        count = await s.scalar(
            select(func.count()).where(inbox.c.consumer == CONSUMER, inbox.c.event_id == first)
        )
    assert count == 1


async def test_events_without_a_handler_are_skipped(env: FeedEnv) -> None:
    skipped = processed("skipped")
    questionnaire = res.Questionnaire(id=new_id(), name="Полка", version=1)
    event_id = await env.publish(
        ev.QuestionnaireChanged(questionnaire=questionnaire),
        aggregate_type="questionnaire",
        aggregate_id=questionnaire.id,
        version=1,
    )
    await env.wait_processed(event_id)
    assert processed("skipped") == skipped + 1


# -------------------------------------------------------------------------------- schedules
async def test_route_assignment_events_in_route_version_order(env: FeedEnv) -> None:
    route_id, outlet_id, agent_id = new_id(), new_id(), new_id()
    other_outlet = new_id()

    def key(oid: str):  # type: ignore[no-untyped-def]
        return (feed_assignments.c.route_id == route_id, feed_assignments.c.outlet_id == oid)

    ids = [
        await env.assignment(route_id, outlet_id, agent_id, 2, weekdays=[1, 4], sequence=3),
        # v3 is about another outlet of the same route: no effect on this row
        await env.assignment(route_id, other_outlet, agent_id, 3, weekdays=[2]),
        # v5 (every 2 weeks on Friday) overtakes v4 (Wednesday)
        await env.assignment(
            route_id,
            outlet_id,
            agent_id,
            5,
            weekdays=[5],
            frequency=res.VISIT_FREQUENCY_EVERY_2_WEEKS,
            start=date(2024, 5, 6),
        ),
        await env.assignment(route_id, outlet_id, agent_id, 4, weekdays=[3]),
    ]
    await env.wait_processed(*ids)
    r = await row(env, feed_assignments, *key(outlet_id))
    assert (r.agent_id, r.frequency, r.weekday_mask, r.start_date, r.version) == (
        agent_id,
        2,
        1 << 5,
        date(2024, 5, 6),
        5,
    )
    assert r.removed is False
    async with env.app.read_uow() as uow:
        route = await uow.feed_reads.agent_outlets(agent_id)
    assert sorted(route.outlet_ids) == sorted([outlet_id, other_outlet])
    assert [(sc.frequency, sc.weekdays) for sc in route.schedules[outlet_id]] == [
        (2, frozenset({5}))
    ]

    # Removed at v6; an older "put on" (v5 re-published by a lagging replica) cannot revive it.
    ids = [
        await env.assignment(route_id, outlet_id, agent_id, 6, removed=True),
        await env.assignment(route_id, outlet_id, agent_id, 5, weekdays=[1]),
    ]
    await env.wait_processed(*ids)
    r = await row(env, feed_assignments, *key(outlet_id))
    assert (r.removed, r.version) == (True, 6)
    async with env.app.read_uow() as uow:
        route = await uow.feed_reads.agent_outlets(agent_id)
        assert route.outlet_ids == [other_outlet]
        assert await uow.feed_reads.outlet_schedules(outlet_id) == []
    # Put back on the route later (v7)
    await env.wait_processed(await env.assignment(route_id, outlet_id, agent_id, 7))
    r = await row(env, feed_assignments, *key(outlet_id))
    assert (r.removed, r.version, r.weekday_mask) == (False, 7, 1 << 1)


async def test_a_schedule_that_cannot_be_used_is_dead_lettered(env: FeedEnv) -> None:
    dead = processed("dead_lettered")
    route_id, outlet_id = new_id(), new_id()
    bad = await env.assignment(route_id, outlet_id, new_id(), 1, weekdays=[])
    good = await env.assignment(route_id, new_id(), new_id(), 2)
    await env.wait_processed(bad, good)
    assert processed("dead_lettered") == dead + 1
    dl = schema.kit.dead_letter
    r = await row(env, dl, dl.c.consumer == CONSUMER, dl.c.event_id == bad)
    assert "weekdays" in r.error
    assert await row(env, feed_assignments, feed_assignments.c.outlet_id == outlet_id) is None


# ----------------------------------------------------------------------------------- audits
async def test_the_latest_audit_by_submit_time_wins(env: FeedEnv) -> None:
    outlet_id = new_id()
    first, second, older = new_id(), new_id(), new_id()
    t = NOW - timedelta(days=3)
    ids = [
        await env.audit(outlet_id, t, [("SKU-A", True, "7"), ("SKU-B", False, "")], audit_id=first),
        await env.audit(
            outlet_id,
            t + timedelta(days=1),
            [("SKU-A", True, "2.5"), ("SKU-C", False, "0")],
            audit_id=second,
        ),
        # submitted before `second` but arriving after it
        await env.audit(outlet_id, t + timedelta(hours=1), [("SKU-D", False, "")], audit_id=older),
    ]
    await env.wait_processed(*ids)
    latest = await row(env, feed_outlet_audits, feed_outlet_audits.c.outlet_id == outlet_id)
    assert latest.audit_id == second
    async with env.app.read_uow() as uow:
        checks = (await uow.feed_reads.shelf_checks([outlet_id]))[outlet_id]
        rows = (
            await uow.session.execute(
                select(feed_shelf_counts.c.audit_id).where(
                    feed_shelf_counts.c.outlet_id == outlet_id
                )
            )
        ).all()
    assert sorted((c.sku, c.present, c.quantity) for c in checks) == [
        ("SKU-A", True, Decimal("2.5")),
        ("SKU-C", False, Decimal(0)),
    ]
    assert {r.audit_id for r in rows} == {second}

    # A later audit without any must-stock check empties the outlet's checks.
    await env.wait_processed(await env.audit(outlet_id, t + timedelta(days=2), []))
    async with env.app.read_uow() as uow:
        assert await uow.feed_reads.shelf_checks([outlet_id]) == {}


async def test_a_shelf_quantity_not_counted_is_null(env: FeedEnv) -> None:
    outlet_id = new_id()
    await env.wait_processed(await env.audit(outlet_id, NOW, [("SKU-A", False, "")]))
    r = await row(env, feed_shelf_counts, feed_shelf_counts.c.outlet_id == outlet_id)
    assert (r.sku, r.present, r.shelf_quantity) == ("SKU-A", False, None)
