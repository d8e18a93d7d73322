"""VanService: vans, loading, sales, returns and end-of-day unloading.

CompleteVanSale and the credit check (see service_layer/van.py): validated, priced and checked
against the van's stock in a short read transaction; settlements' CheckCredit at stage
VAN_SALE is called with no transaction open; BLOCK refuses the sale (FAILED_PRECONDITION with
the reasons) and nothing is written; otherwise the stock is taken with conditional UPDATEs and
the sale written in the idempotent unit of work.

Who acts is the verified caller (`self.caller()`): a van seller on its own van only; the
scope is checked before a stored answer is looked up, so a request_id replayed on another's
van is refused too.
"""

from __future__ import annotations

from decimal import Decimal

import grpc

from fieldline.orders.v1 import van_service_pb2 as vs
from fieldline.orders.v1 import van_service_pb2_grpc as vs_grpc
from fieldline_kit.errors import DomainError, FailedPrecondition
from fieldline_kit.grpc.convert import page_size
from fieldline_orders.adapters import proto_mapping as m
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain.access import Actor
from fieldline_orders.domain.returns import ContainerInput, ReturnLineInput
from fieldline_orders.domain.values import (
    MAX_LINES,
    MAX_LIST,
    limit_items,
    optional_id,
    require_id,
)
from fieldline_orders.entrypoints.caller import OrdersServicerBase, bearer
from fieldline_orders.entrypoints.orders_api import override_of
from fieldline_orders.service_layer import van as sl
from fieldline_orders.service_layer.scope import (
    check_outlet_scope,
    readable_van,
    writable_van,
)


class VanServicer(OrdersServicerBase, vs_grpc.VanServiceServicer):
    async def _on_van(self, van_id: str) -> Actor:
        """The caller, once it is known to be allowed to act on the van (before a stored
        answer is looked up; the use case checks again in its transaction)."""
        actor = await self.caller()
        if not actor.company_wide:
            async with self.read() as uow:
                await writable_van(uow, actor, van_id)
        return actor

    async def CreateVan(
        self, request: vs.CreateVanRequest, context: grpc.aio.ServicerContext
    ) -> vs.CreateVanResponse:
        v = request.van

        async def work(uow: OrdersUnitOfWork) -> vs.CreateVanResponse:
            van = await sl.create_van(
                uow,
                self.app.clock(),
                id=v.id,
                name=v.name,
                van_seller_id=v.van_seller_id,
                currency=v.currency_code,
                distributor_id=v.distributor_id,
            )
            return vs.CreateVanResponse(van=m.van_pb(van))

        return await self.write("CreateVan", request, vs.CreateVanResponse, work)

    async def ListVans(
        self, request: vs.ListVansRequest, context: grpc.aio.ServicerContext
    ) -> vs.ListVansResponse:
        # Only the caller's vans (a distributor manager: its distributor's) unless it sees the
        # company's (domain/access.py).
        scoped = (await self.caller()).vans_filter(
            optional_id("van_seller_id", request.van_seller_id)
        )
        if scoped is None:
            return vs.ListVansResponse()
        sellers, distributor = scoped
        async with self.read() as uow:
            items, token = await uow.queries.list_vans(
                size=page_size(request.page_size),
                token=request.page_token,
                van_seller_ids=sellers,
                distributor_id=distributor,
            )
        return vs.ListVansResponse(vans=[m.van_pb(v) for v in items], next_page_token=token)

    async def GetVanStock(
        self, request: vs.GetVanStockRequest, context: grpc.aio.ServicerContext
    ) -> vs.GetVanStockResponse:
        actor = await self.caller()
        async with self.read() as uow:
            van_id, stock = await sl.van_stock(uow, actor, request.van_id)
        return m.stock_pb(van_id, stock)

    async def ListVanMovements(
        self, request: vs.ListVanMovementsRequest, context: grpc.aio.ServicerContext
    ) -> vs.ListVanMovementsResponse:
        on = m.opt_date("date", request.date)
        actor = await self.caller()
        async with self.read() as uow:
            van = await readable_van(uow, actor, request.van_id)
            items, token = await uow.queries.list_movements(
                van_id=van.id,
                on=on,
                size=page_size(request.page_size),
                token=request.page_token,
            )
        return vs.ListVanMovementsResponse(
            movements=[m.movement_pb(x) for x in items], next_page_token=token
        )

    async def LoadVan(
        self, request: vs.LoadVanRequest, context: grpc.aio.ServicerContext
    ) -> vs.LoadVanResponse:
        on = m.opt_date("date", request.date) or self.app.today()
        actor = await self._on_van(request.van_id)

        async def work(uow: OrdersUnitOfWork) -> vs.LoadVanResponse:
            van_id, stock = await sl.load_van(
                uow,
                self.app.clock(),
                actor,
                load_id=request.load_id,
                van_id=request.van_id,
                on=on,
                lines=[
                    sl.QuantityInput(ln.product_id, ln.unit, ln.quantity)
                    for ln in limit_items("lines", request.lines, MAX_LINES)
                ],
            )
            return vs.LoadVanResponse(stock=m.stock_pb(van_id, stock))

        return await self.write("LoadVan", request, vs.LoadVanResponse, work)

    async def CompleteVanSale(
        self, request: vs.CompleteVanSaleRequest, context: grpc.aio.ServicerContext
    ) -> vs.CompleteVanSaleResponse:
        actor = await self._on_van(request.van_id)
        stored = await self.answered("CompleteVanSale", request, vs.CompleteVanSaleResponse)
        if stored is not None:
            return stored
        cash, cash_currency = (
            m.money_in("cash_collected", request.cash_collected)
            if request.HasField("cash_collected")
            else (Decimal(0), "")
        )
        cmd = sl.VanSaleCommand(
            sale_id=request.sale_id,
            van_id=request.van_id,
            client_id=request.client_id,
            outlet_id=request.outlet_id,
            on=m.opt_date("date", request.date),
            lines=m.line_inputs(request.lines),
            cash_collected=cash,
            cash_currency=cash_currency,
            receipt_number=request.receipt_number,
            override_reason=override_of(
                request.HasField("credit_override"), request.credit_override.reason
            ),
            actor=actor,
            actor_token=bearer(),
            visit_id=request.visit_id,
            expected=m.expected_inputs(request.expected_promotions),
        )
        app = self.app
        async with self.read() as uow:
            plan = await sl.prepare_van_sale(
                uow,
                cmd,
                today=app.today(),
                limits=app.limits,
                dates=app.dates,
                promotions=app.promotion_terms(),
            )
        if plan.existing is not None:
            return vs.CompleteVanSaleResponse(order=m.order_pb(plan.existing))
        assert plan.credit is not None
        # No transaction is open here: the network call never holds a database lock.
        decision = await self.app.credit.check(plan.credit)
        if not decision.passes:
            raise FailedPrecondition(
                "credit: the debt policy blocks this sale: "
                + ("; ".join(decision.reasons) or "blocked")
            )

        async def work(uow: OrdersUnitOfWork) -> vs.CompleteVanSaleResponse:
            order = await sl.finish_van_sale(uow, plan, decision, self.app.clock())
            return vs.CompleteVanSaleResponse(order=m.order_pb(order))

        try:
            return await self.write("CompleteVanSale", request, vs.CompleteVanSaleResponse, work)
        except sl.SaleAlreadyCompleted as done:
            return vs.CompleteVanSaleResponse(order=m.order_pb(done.order))
        except DomainError:
            # Checked and reserved, but not sold (e.g. another sale took the last units): the
            # reservation would count against the client until it expired.
            await self.app.credit.release(plan.sale_id, plan.credit.actor_token)
            raise

    async def AcceptReturn(
        self, request: vs.AcceptReturnRequest, context: grpc.aio.ServicerContext
    ) -> vs.AcceptReturnResponse:
        on = m.opt_date("date", request.date) or self.app.today()
        actor = await self._on_van(request.van_id) if request.van_id else await self.caller()
        if actor.route_scoped:  # checked again in the use case, in its transaction
            async with self.read() as uow:
                await check_outlet_scope(
                    uow, actor, require_id("outlet_id", request.outlet_id), write=True
                )

        async def work(uow: OrdersUnitOfWork) -> vs.AcceptReturnResponse:
            goods_return = await sl.accept_return(
                uow,
                self.app.clock(),
                actor,
                return_id=request.return_id,
                van_id=request.van_id,
                client_id=request.client_id,
                outlet_id=request.outlet_id,
                order_id=request.order_id,
                on=on,
                lines=[
                    ReturnLineInput(ln.product_id, ln.unit, ln.quantity, ln.reason)
                    for ln in limit_items("lines", request.lines, MAX_LINES)
                ],
                containers=[
                    ContainerInput(c.container_type, c.quantity)
                    for c in limit_items("containers", request.containers, MAX_LIST)
                ],
                visit_id=request.visit_id,
            )
            return vs.AcceptReturnResponse(goods_return=m.goods_return_pb(goods_return))

        return await self.write("AcceptReturn", request, vs.AcceptReturnResponse, work)

    async def UnloadVan(
        self, request: vs.UnloadVanRequest, context: grpc.aio.ServicerContext
    ) -> vs.UnloadVanResponse:
        on = m.opt_date("date", request.date) or self.app.today()
        cash, currency = (
            m.money_in("cash_handed_over", request.cash_handed_over)
            if request.HasField("cash_handed_over")
            else (Decimal(0), "")
        )
        actor = await self._on_van(request.van_id)

        async def work(uow: OrdersUnitOfWork) -> vs.UnloadVanResponse:
            unloading = await sl.unload_van(
                uow,
                self.app.clock(),
                actor,
                unload_id=request.unload_id,
                van_id=request.van_id,
                on=on,
                counted=[
                    (c.product_id, c.quantity)
                    for c in limit_items("counted", request.counted, MAX_LINES)
                ],
                cash_handed_over=cash,
                cash_currency=currency,
            )
            return vs.UnloadVanResponse(unloading=m.unloading_pb(unloading))

        return await self.write("UnloadVan", request, vs.UnloadVanResponse, work)
