"""PromotionsService (issue 15, increment 9; docs/contexts/sales-gaps.md 3.7), over real gRPC,
NATS and databases.

* UpsertPromotions: created, unchanged (nothing announced), updated (the next version),
  stopped; `PromotionChanged` for each change; a batch with any refused record changes nothing
  and names each bad field, unknown products and groups, and targeted clients that are not
  distributors;
* GetPromotion, ListPromotions (pages, `active_on`);
* ListOutletPromotions: the outlet's channel and territory (with its ancestors) from the
  clients feed, the period and the stop; an outlet outside the caller's routes is NOT_FOUND.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import grpc

from fieldline.orders.events.v1 import events_pb2 as ev
from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import promotions_service_pb2 as ps
from fieldline.orders.v1 import promotions_service_pb2_grpc as ps_grpc
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.helpers import expect_error, new_id
from fieldline_orders.domain.feed import OutletState, TerritoryState

from .identity import agent
from .orders_harness import (
    Env,
    a_client_of_type,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    new_customer,
    pb_date,
    today,
    world,
)


def promotions(env: Env, as_: Caller | None = None) -> ps_grpc.PromotionsServiceStub:
    return env.orders.stub(ps_grpc.PromotionsServiceStub, as_=as_)


def spring(env: Env, **kw: Any) -> pb.Promotion:
    """5 % off water this month, stackable, for every order."""
    values: dict[str, Any] = {
        "external_id": f"SPRING-{new_id()[:8]}",
        "name": "Весна −5 %",
        "valid_from": pb_date(today() - timedelta(days=3)),
        "valid_to": pb_date(today() + timedelta(days=27)),
        "currency_code": "RUB",
        "product_ids": [world(env).water.id],
        "percent_off": pb.PercentOff(percent="5"),
        "combinability": pb.PROMOTION_COMBINABILITY_STACKABLE,
    }
    values.update(kw)
    return pb.Promotion(**values)


async def upsert(env: Env, *records: pb.Promotion) -> list[cs.UpsertResult]:
    reply = await promotions(env).UpsertPromotions(
        ps.UpsertPromotionsRequest(request_id=new_id(), promotions=list(records))
    )
    return list(reply.results)


async def get(env: Env, promotion_id: str) -> pb.Promotion:
    reply = await promotions(env).GetPromotion(ps.GetPromotionRequest(promotion_id=promotion_id))
    return reply.promotion


# ------------------------------------------------------------------------------- upserts
async def test_a_promotion_is_created_kept_changed_and_stopped(env: Env) -> None:
    w = world(env)
    record = spring(
        env,
        free_goods=pb.FreeGoods(
            buy_quantity="2", free_product_id=w.water.id, free_quantity="1", repeat=True
        ),
        budget=pb.PromotionBudget(kind=pb.PROMOTION_BUDGET_KIND_UNITS, total="50"),
    )
    [created] = await upsert(env, record)
    assert (created.outcome, created.error) == (cs.UPSERT_OUTCOME_CREATED, "")
    stored = await get(env, created.id)
    assert (stored.version, stored.WhichOneof("mechanic"), stored.free_goods.repeat) == (
        1,
        "free_goods",
        True,
    )
    assert (stored.budget.total, stored.budget.consumed) == ("50", "0")
    [same] = await upsert(env, record)
    assert same.outcome == cs.UPSERT_OUTCOME_UNCHANGED
    record.name = "Весна: 2+1"
    [changed] = await upsert(env, record)
    assert changed.outcome == cs.UPSERT_OUTCOME_UPDATED
    record.stopped = True
    [stopped] = await upsert(env, record)
    assert stopped.outcome == cs.UPSERT_OUTCOME_UPDATED
    now = await get(env, created.id)
    assert (now.version, now.stopped, now.HasField("stop_time")) == (3, True, True)
    events = await published(env.js, "ORDERS", about(created.id), expect=3, settle=0.3)
    versions = [e.message.promotion.version for e in events]
    assert versions == [1, 2, 3]
    assert all(isinstance(e.message, ev.PromotionChanged) for e in events)


async def test_a_batch_with_a_bad_record_changes_nothing_and_names_each_field(env: Env) -> None:
    w = world(env)
    retail = await a_client_of_type(env, "RETAIL")
    good = spring(env)
    bad = [
        spring(env, percent_off=pb.PercentOff(percent="120")),
        spring(env, product_ids=[new_id()]),
        spring(env, group_ids=[new_id()]),
        spring(env, targeting=pb.PromotionTargeting(distributor_ids=[retail])),
        spring(env, valid_to=pb_date(today() - timedelta(days=30))),
        spring(
            env,
            gift=pb.Gift(min_gross="1000", gift_product_id=new_id(), gift_quantity="1"),
            product_ids=[w.water.id],
        ),
    ]
    results = await upsert(env, good, *bad)
    assert results[0].outcome == cs.UPSERT_OUTCOME_UNSPECIFIED  # valid, not applied
    errors = [r.error for r in results[1:]]
    assert [r.outcome for r in results[1:]] == [cs.UPSERT_OUTCOME_REJECTED] * len(bad)
    assert errors[0].startswith("promotions[1].percent_off.percent: must be at most 100")
    assert errors[1].startswith("promotions[2].product_ids: product ")
    assert errors[2].startswith("promotions[3].group_ids: product group ")
    assert errors[3] == (
        f"promotions[4].targeting.distributor_ids: client {retail} is not a distributor"
    )
    assert errors[4].startswith("promotions[5].valid_to: must not be before valid_from")
    assert errors[5].startswith("promotions[6].gift.gift_product_id: product ")
    await expect_error(
        promotions(env).GetPromotion(ps.GetPromotionRequest(promotion_id=results[0].id)),
        grpc.StatusCode.NOT_FOUND,
        "promotion_id",
    )


async def test_list_pages_and_active_on(env: Env) -> None:
    first = [
        spring(env, external_id=f"LIST-{new_id()[:8]}"),
        spring(env, external_id=f"LIST-{new_id()[:8]}"),
    ]
    future = spring(
        env,
        external_id=f"LATER-{new_id()[:8]}",
        valid_from=pb_date(today() + timedelta(days=60)),
        valid_to=pb_date(today() + timedelta(days=90)),
    )
    made = await upsert(env, *first, future)
    ids = {r.id for r in made}
    seen: list[str] = []
    token = ""
    while True:
        page = await promotions(env).ListPromotions(
            ps.ListPromotionsRequest(page_size=1, page_token=token)
        )
        seen += [p.id for p in page.promotions]
        token = page.next_page_token
        if not token:
            break
    assert ids <= set(seen) and seen == sorted(seen)
    active = await promotions(env).ListPromotions(
        ps.ListPromotionsRequest(active_on=pb_date(today()), page_size=1000)
    )
    active_ids = {p.id for p in active.promotions}
    assert {made[0].id, made[1].id} <= active_ids and made[2].id not in active_ids


# ---------------------------------------------------------------------------- an outlet's
async def test_an_outlet_gets_the_promotions_its_channel_and_territory_match(env: Env) -> None:
    c = await new_customer(env)
    region, city = new_id(), new_id()
    async with env.app.uow() as uow:
        await uow.feed.put_territory(TerritoryState(region, "", 1))
        await uow.feed.put_territory(TerritoryState(city, region, 1))
        await uow.feed.put_outlet(
            OutletState(c.outlet_id, c.client_id, "ACTIVE", 2, channel="HoReCa", territory_id=city)
        )
        await uow.commit()
    tag = new_id()[:8]
    horeca = spring(
        env,
        external_id=f"HORECA-{tag}",
        targeting=pb.PromotionTargeting(outlet_channels=["HoReCa"], territory_ids=[region]),
    )
    retail = spring(
        env,
        external_id=f"RETAIL-{tag}",
        targeting=pb.PromotionTargeting(outlet_channels=["Retail"]),
    )
    phone_only = spring(
        env,
        external_id=f"PHONE-{tag}",
        targeting=pb.PromotionTargeting(order_channels=[pb.ORDER_CHANNEL_PHONE]),
    )
    ended = spring(
        env,
        external_id=f"ENDED-{tag}",
        valid_from=pb_date(today() - timedelta(days=30)),
        valid_to=pb_date(today() - timedelta(days=1)),
    )
    made = {r.external_id: r.id for r in await upsert(env, horeca, retail, phone_only, ended)}

    reply = await promotions(env, c.agent).ListOutletPromotions(
        ps.ListOutletPromotionsRequest(outlet_id=c.outlet_id)
    )
    offered = {p.id for p in reply.promotions}
    assert made[f"HORECA-{tag}"] in offered and made[f"PHONE-{tag}"] in offered
    assert made[f"RETAIL-{tag}"] not in offered and made[f"ENDED-{tag}"] not in offered
    # On a past day the ended one was on.
    past = await promotions(env, c.agent).ListOutletPromotions(
        ps.ListOutletPromotionsRequest(
            outlet_id=c.outlet_id, date=pb_date(today() - timedelta(days=2))
        )
    )
    assert made[f"ENDED-{tag}"] in {p.id for p in past.promotions}
    # Another agent's outlet is not found; an unknown outlet neither.
    await expect_error(
        promotions(env, agent()).ListOutletPromotions(
            ps.ListOutletPromotionsRequest(outlet_id=c.outlet_id)
        ),
        grpc.StatusCode.NOT_FOUND,
        "outlet_id",
    )
    await expect_error(
        promotions(env).ListOutletPromotions(ps.ListOutletPromotionsRequest(outlet_id=new_id())),
        grpc.StatusCode.NOT_FOUND,
        "outlet_id",
    )
