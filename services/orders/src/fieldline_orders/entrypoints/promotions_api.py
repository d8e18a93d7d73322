"""PromotionsService (proto/fieldline/orders/v1/promotions_service.proto): the upsert, reads,
and the promotions an outlet's order may get (service_layer/promotions.py)."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from fieldline.orders.v1 import promotions_service_pb2 as ps
from fieldline.orders.v1 import promotions_service_pb2_grpc as ps_grpc
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.grpc.convert import page_size, set_ts
from fieldline_orders.adapters import proto_mapping as m
from fieldline_orders.adapters.promotion_mapping import promotion_from_pb, promotion_pb
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain.budgets import EntryKind
from fieldline_orders.domain.promotions import Promotion
from fieldline_orders.domain.values import MAX_RECORDS, fmt, limit_items
from fieldline_orders.entrypoints.catalog_api import UpsertsServicer, bind_parser
from fieldline_orders.service_layer import promotions as sl


class PromotionsServicer(UpsertsServicer, ps_grpc.PromotionsServiceServicer):
    async def UpsertPromotions(
        self, request: ps.UpsertPromotionsRequest, context: grpc.aio.ServicerContext
    ) -> ps.UpsertPromotionsResponse:
        sent = limit_items("promotions", request.promotions, MAX_RECORDS)
        records = [
            (p.external_id, p.id, bind_parser(promotion_from_pb, f"promotions[{i}]", p))
            for i, p in enumerate(sent)
        ]
        stops = [p.stopped for p in sent]
        now = self.app.clock()
        return await self._batch(
            "UpsertPromotions",
            request,
            ps.UpsertPromotionsResponse,
            lambda uow: sl.upsert_promotions(uow, records, stops, now),
        )

    async def GetPromotion(
        self, request: ps.GetPromotionRequest, context: grpc.aio.ServicerContext
    ) -> ps.GetPromotionResponse:
        async with self.read() as uow:
            promotion = await sl.get_promotion(uow, request.promotion_id)
            [shown] = await _shown(uow, [promotion])
        return ps.GetPromotionResponse(promotion=shown)

    async def ListPromotions(
        self, request: ps.ListPromotionsRequest, context: grpc.aio.ServicerContext
    ) -> ps.ListPromotionsResponse:
        active_on = m.opt_date("active_on", request.active_on)
        size = page_size(request.page_size)
        async with self.read() as uow:
            found, token = await uow.promotions.page(
                size=size, token=request.page_token, active_on=active_on
            )
            shown = await _shown(uow, found)
        return ps.ListPromotionsResponse(promotions=shown, next_page_token=token)

    async def ListOutletPromotions(
        self, request: ps.ListOutletPromotionsRequest, context: grpc.aio.ServicerContext
    ) -> ps.ListOutletPromotionsResponse:
        day = m.opt_date("date", request.date) or self.app.today()
        actor = await self.caller()
        async with self.read() as uow:
            found = await sl.outlet_promotions(uow, actor, request.outlet_id, day)
            shown = await _shown(uow, found)
        return ps.ListOutletPromotionsResponse(promotions=shown)

    async def ListPromotionBudgetEntries(
        self, request: ps.ListPromotionBudgetEntriesRequest, context: grpc.aio.ServicerContext
    ) -> ps.ListPromotionBudgetEntriesResponse:
        size = page_size(request.page_size)
        async with self.read() as uow:
            promotion = await sl.get_promotion(uow, request.promotion_id)
            found, token = await uow.budgets.page(promotion.id, size=size, token=request.page_token)
        out = ps.ListPromotionBudgetEntriesResponse(next_page_token=token)
        for _, e in found:
            item = out.entries.add(
                order_id=e.order_id,
                revision=e.revision,
                kind=ENTRY_KINDS[e.kind],
                delta=fmt(e.delta),
            )
            set_ts(item.create_time, e.at)
        return out


ENTRY_KINDS = {
    EntryKind.CONSUMED: ps.BUDGET_ENTRY_KIND_CONSUMED,
    EntryKind.RELEASED: ps.BUDGET_ENTRY_KIND_RELEASED,
}


async def _shown(uow: OrdersUnitOfWork, promotions: Sequence[Promotion]) -> list[pb.Promotion]:
    """The promotions with what their budgets' ledgers say was consumed."""
    budgets = await uow.budgets.states(p.id for p in promotions if p.budget.limited)
    return [
        promotion_pb(p, budgets[p.id].consumed if p.id in budgets else None) for p in promotions
    ]
