"""PromotionsService (proto/fieldline/orders/v1/promotions_service.proto): the upsert, reads,
and the promotions an outlet's order may get (service_layer/promotions.py)."""

from __future__ import annotations

import grpc

from fieldline.orders.v1 import promotions_service_pb2 as ps
from fieldline.orders.v1 import promotions_service_pb2_grpc as ps_grpc
from fieldline_kit.grpc.convert import page_size
from fieldline_orders.adapters import proto_mapping as m
from fieldline_orders.adapters.promotion_mapping import promotion_from_pb, promotion_pb
from fieldline_orders.domain.values import MAX_RECORDS, limit_items
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
        return ps.GetPromotionResponse(promotion=promotion_pb(promotion))

    async def ListPromotions(
        self, request: ps.ListPromotionsRequest, context: grpc.aio.ServicerContext
    ) -> ps.ListPromotionsResponse:
        active_on = m.opt_date("active_on", request.active_on)
        size = page_size(request.page_size)
        async with self.read() as uow:
            found, token = await uow.promotions.page(
                size=size, token=request.page_token, active_on=active_on
            )
        return ps.ListPromotionsResponse(
            promotions=[promotion_pb(p) for p in found], next_page_token=token
        )

    async def ListOutletPromotions(
        self, request: ps.ListOutletPromotionsRequest, context: grpc.aio.ServicerContext
    ) -> ps.ListOutletPromotionsResponse:
        day = m.opt_date("date", request.date) or self.app.today()
        actor = await self.caller()
        async with self.read() as uow:
            found = await sl.outlet_promotions(uow, actor, request.outlet_id, day)
        return ps.ListOutletPromotionsResponse(promotions=[promotion_pb(p) for p in found])
