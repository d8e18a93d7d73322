"""OrdersService: pre-sale orders, fulfilment status and report, recommended orders.

SubmitOrder and the credit check (see service_layer/orders.py and entrypoints/submit_batch.py):
concurrent calls are batched; each batch is validated and priced in one short read
transaction, settlements' CheckCreditBatch is called with no transaction open, and the orders
are written with their decisions in one idempotent unit of work. A retry under the same
request_id is answered from the stored response before settlements is asked again; under
another request_id, the existing order is returned (re-checked only if it is on CREDIT_HOLD).
"""

from __future__ import annotations

from functools import cached_property

import grpc

from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import orders_service_pb2_grpc as os_grpc
from fieldline_kit.errors import InvalidArgument, NotFound
from fieldline_kit.grpc.convert import page_size
from fieldline_kit.idempotency import fingerprint, request_key
from fieldline_kit.logging import correlation_id
from fieldline_kit.uow import UnitOfWork
from fieldline_orders.adapters import proto_mapping as m
from fieldline_orders.adapters import queries
from fieldline_orders.domain.orders import CreditDecision
from fieldline_orders.domain.values import fmt, optional_id, require_id
from fieldline_orders.entrypoints.base import Base
from fieldline_orders.entrypoints.submit_batch import SubmitBatches, SubmitCall
from fieldline_orders.service_layer import orders as sl


def override_of(given: bool, reason: str) -> str:
    """The override reason; an override asked for without a reason is refused."""
    if not given:
        return ""
    reason = reason.strip()
    if not reason:
        raise InvalidArgument("credit_override.reason", "is required to override the debt policy")
    return reason


class OrdersServicer(Base, os_grpc.OrdersServiceServicer):
    async def SubmitOrder(
        self, request: os_.SubmitOrderRequest, context: grpc.aio.ServicerContext
    ) -> os_.SubmitOrderResponse | bytes:
        # bytes: the response serialized already (submit_batch.py), sent as it is.
        key = request_key("SubmitOrder", request.request_id)
        call = SubmitCall(
            request=request,
            cmd=self._submit_command(request),
            key=key,
            digest=fingerprint(request) if key else "",
            correlation=correlation_id.get(),
        )
        return await self.submits.submit(call)

    @cached_property
    def submits(self) -> SubmitBatches:
        return SubmitBatches(
            self.app,
            credit=lambda: self.credit,
            today=self.today,
            limits=self.limits,
            submit_one=self.submit_one,
            finish_one=self.finish_one,
        )

    def _submit_command(self, request: os_.SubmitOrderRequest) -> sl.SubmitCommand:
        actor_id, roles = m.actor_of(request.actor)
        return sl.SubmitCommand(
            order_id=request.order_id,
            client_id=request.client_id,
            outlet_id=request.outlet_id,
            distributor_id=request.distributor_id,
            warehouse_id=request.warehouse_id,
            order_date=m.opt_date("order_date", request.order_date),
            delivery_date=m.opt_date("delivery_date", request.delivery_date),
            lines=m.line_inputs(request.lines),
            comment=request.comment,
            actor_id=actor_id,
            actor_roles=roles,
            override_reason=override_of(
                request.HasField("credit_override"), request.credit_override.reason
            ),
        )

    async def submit_one(self, call: SubmitCall) -> os_.SubmitOrderResponse:
        """One submit on its own: what a batch leaves to this path (see submit_batch.py)."""
        async with self._read() as session:
            stored = await self._stored(
                session, "SubmitOrder", call.request, os_.SubmitOrderResponse
            )
            if stored is not None:
                return stored
            plan = await sl.prepare_submit(
                session, call.cmd, today=self.today(), limits=self.limits
            )
        # No transaction is open here: the network call never holds a database lock.
        decision = await self.credit.check(plan.credit) if plan.credit is not None else None
        return await self.finish_one(call, plan, decision)

    async def finish_one(
        self, call: SubmitCall, plan: sl.SubmitPlan, decision: CreditDecision | None
    ) -> os_.SubmitOrderResponse:
        """The write step of one prepared submit, in its own idempotent unit of work."""

        async def work(uow: UnitOfWork) -> os_.SubmitOrderResponse:
            order = await sl.finish_submit(uow, plan, decision, self.app.clock())
            return os_.SubmitOrderResponse(order=m.order_pb(order))

        return await self._write("SubmitOrder", call.request, os_.SubmitOrderResponse, work)

    async def GetOrder(
        self, request: os_.GetOrderRequest, context: grpc.aio.ServicerContext
    ) -> os_.GetOrderResponse:
        order_id = require_id("order_id", request.order_id)
        async with self._read() as session:
            order = await queries.get_order(session, order_id)
        if order is None:
            raise NotFound("order", order_id, "order_id")
        return os_.GetOrderResponse(order=m.order_pb(order))

    async def ListOrders(
        self, request: os_.ListOrdersRequest, context: grpc.aio.ServicerContext
    ) -> os_.ListOrdersResponse:
        status = m.from_enum(m.ORDER_STATUSES, request.status, "status")
        from_date = m.opt_date("from_date", request.from_date)
        to_date = m.opt_date("to_date", request.to_date)
        if from_date and to_date and to_date < from_date:
            raise InvalidArgument("to_date", "must not be before from_date")
        async with self._read() as session:
            items, token = await queries.list_orders(
                session,
                size=page_size(request.page_size),
                token=request.page_token,
                agent_id=optional_id("agent_id", request.agent_id),
                client_id=optional_id("client_id", request.client_id),
                outlet_id=optional_id("outlet_id", request.outlet_id),
                distributor_id=optional_id("distributor_id", request.distributor_id),
                status=status,
                from_date=from_date,
                to_date=to_date,
            )
        return os_.ListOrdersResponse(orders=[m.order_pb(o) for o in items], next_page_token=token)

    async def UpdateOrderStatus(
        self, request: os_.UpdateOrderStatusRequest, context: grpc.aio.ServicerContext
    ) -> os_.UpdateOrderStatusResponse:
        status = m.from_enum(m.ORDER_STATUSES, request.status, "status")

        async def work(uow: UnitOfWork) -> os_.UpdateOrderStatusResponse:
            order = await sl.update_status(
                uow,
                self.app.clock(),
                order_id=request.order_id,
                status=status,
                delivered=[(d.product_id, d.base_quantity) for d in request.delivered],
                reason=request.reason,
                reported_by=request.reported_by,
            )
            return os_.UpdateOrderStatusResponse(order=m.order_pb(order))

        return await self._write("UpdateOrderStatus", request, os_.UpdateOrderStatusResponse, work)

    async def GetFulfilmentReport(
        self, request: os_.GetFulfilmentReportRequest, context: grpc.aio.ServicerContext
    ) -> os_.GetFulfilmentReportResponse:
        async with self._read() as session:
            rows = await sl.fulfilment_report(
                session,
                from_date=m.opt_date("from_date", request.from_date),
                to_date=m.opt_date("to_date", request.to_date),
                distributor_id=optional_id("distributor_id", request.distributor_id),
                agent_id=optional_id("agent_id", request.agent_id),
                late_after_days=request.late_after_days,
                today=self.today(),
                tz=self.tz,
            )
        return os_.GetFulfilmentReportResponse(
            rows=[
                os_.FulfilmentRow(
                    dimension=r.dimension,
                    key=r.key,
                    orders=r.orders,
                    ordered_quantity=fmt(r.ordered),
                    delivered_quantity=fmt(r.delivered),
                    fill_rate_percent=str(r.fill_rate_percent),
                    late_orders=r.late_orders,
                    unfulfilled_orders=r.unfulfilled_orders,
                    late_order_ids=r.late_order_ids,
                )
                for r in rows
            ]
        )

    async def GetRecommendedOrder(
        self, request: os_.GetRecommendedOrderRequest, context: grpc.aio.ServicerContext
    ) -> os_.GetRecommendedOrderResponse:
        from fieldline_orders.entrypoints import recommendation_api

        return await recommendation_api.get_recommended_order(self.app, request)

    async def ListRecommendedOrders(
        self, request: os_.ListRecommendedOrdersRequest, context: grpc.aio.ServicerContext
    ) -> os_.ListRecommendedOrdersResponse:
        from fieldline_orders.entrypoints import recommendation_api

        return await recommendation_api.list_recommended_orders(self.app, request)
