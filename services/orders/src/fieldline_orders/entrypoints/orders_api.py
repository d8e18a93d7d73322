"""OrdersService: pre-sale orders, fulfilment status and report, recommended orders.

SubmitOrder calls are fed to the App's batcher, which runs them through the SubmitOrders use
case (service_layer/submit.py) in batches; a lone call is a batch of one. Each call carries its
own verified caller and token into the batch (the batch runs apart from the calls).
"""

from __future__ import annotations

import grpc

from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import orders_service_pb2_grpc as os_grpc
from fieldline_kit.errors import DomainError, InvalidArgument
from fieldline_kit.grpc.convert import decode_number_token, encode_token, page_size
from fieldline_kit.idempotency import IdempotentCall
from fieldline_kit.tracing import Origin
from fieldline_orders.adapters import proto_mapping as m
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain.values import (
    MAX_LINES,
    MAX_REASON,
    fmt,
    limit_items,
    limit_text,
    optional_id,
    require_id,
)
from fieldline_orders.entrypoints.caller import OrdersServicerBase, bearer
from fieldline_orders.service_layer import amend, contacts, preview, recommendation
from fieldline_orders.service_layer import orders as sl
from fieldline_orders.service_layer.scope import readable_order
from fieldline_orders.service_layer.submit import SubmitCall, SubmitCommand


def override_of(given: bool, reason: str) -> str:
    """The override reason; an override asked for without a reason is refused."""
    if not given:
        return ""
    reason = limit_text("credit_override.reason", reason, MAX_REASON)
    if not reason:
        raise InvalidArgument("credit_override.reason", "is required to override the debt policy")
    return reason


class OrdersServicer(OrdersServicerBase, os_grpc.OrdersServiceServicer):
    async def SubmitOrder(
        self, request: os_.SubmitOrderRequest, context: grpc.aio.ServicerContext
    ) -> bytes:
        """Fed to the batcher (service_layer/submit.py); the answer is the response's wire
        bytes, sent as they are."""
        cmd = await self._submit_command(request)
        # Built here, in the caller's context (its principal is in the fingerprint), not in
        # the batch worker that serves many callers.
        call = SubmitCall(cmd, IdempotentCall.of("SubmitOrder", request), Origin.here())
        return await self.app.submits.submit(call)

    async def _submit_command(self, request: os_.SubmitOrderRequest) -> SubmitCommand:
        return SubmitCommand(
            order_id=request.order_id,
            client_id=request.client_id,
            outlet_id=request.outlet_id,
            distributor_id=request.distributor_id,
            warehouse_id=request.warehouse_id,
            order_date=m.opt_date("order_date", request.order_date),
            delivery_date=m.opt_date("delivery_date", request.delivery_date),
            lines=m.line_inputs(request.lines),
            comment=request.comment,
            override_reason=override_of(
                request.HasField("credit_override"), request.credit_override.reason
            ),
            actor=await self.caller(),
            actor_token=bearer(),
            visit_id=request.visit_id,
            # UNSPECIFIED: the caller's own channel (domain/channels.py).
            channel=m.from_enum(m.ORDER_CHANNELS, request.channel, "channel"),
            call_id=request.call_id,
            credited_agent_id=request.credited_agent_id,
            expected=m.expected_inputs(request.expected_promotions),
        )

    async def GetOrder(
        self, request: os_.GetOrderRequest, context: grpc.aio.ServicerContext
    ) -> os_.GetOrderResponse:
        actor = await self.caller()
        async with self.read() as uow:
            order = await readable_order(uow, actor, request.order_id)
        return os_.GetOrderResponse(order=m.order_pb(order))

    async def ListOrders(
        self, request: os_.ListOrdersRequest, context: grpc.aio.ServicerContext
    ) -> os_.ListOrdersResponse:
        status = m.from_enum(m.ORDER_STATUSES, request.status, "status")
        channel = m.from_enum(m.ORDER_CHANNELS, request.channel, "channel")
        from_date = m.opt_date("from_date", request.from_date)
        to_date = m.opt_date("to_date", request.to_date)
        if from_date and to_date and to_date < from_date:
            raise InvalidArgument("to_date", "must not be before from_date")
        # Only the orders in the caller's scope (domain/access.py).
        scoped = (await self.caller()).orders_filter(
            optional_id("agent_id", request.agent_id),
            optional_id("distributor_id", request.distributor_id),
        )
        if scoped is None:
            return os_.ListOrdersResponse()
        agent_ids, distributor_id = scoped
        async with self.read() as uow:
            items, token = await uow.queries.list_orders(
                size=page_size(request.page_size),
                token=request.page_token,
                agent_ids=agent_ids,
                client_id=optional_id("client_id", request.client_id),
                outlet_id=optional_id("outlet_id", request.outlet_id),
                distributor_id=distributor_id,
                status=status,
                from_date=from_date,
                to_date=to_date,
                visit_id=optional_id("visit_id", request.visit_id),
                channel=channel,
                taken_by=optional_id("taken_by", request.taken_by),
            )
        return os_.ListOrdersResponse(orders=[m.order_pb(o) for o in items], next_page_token=token)

    async def UpdateOrderStatus(
        self, request: os_.UpdateOrderStatusRequest, context: grpc.aio.ServicerContext
    ) -> os_.UpdateOrderStatusResponse:
        status = m.from_enum(m.ORDER_STATUSES, request.status, "status")
        actor = await self.caller()

        async def work(uow: OrdersUnitOfWork) -> os_.UpdateOrderStatusResponse:
            order = await sl.update_status(
                uow,
                self.app.clock(),
                actor,
                order_id=request.order_id,
                status=status,
                delivered=[
                    (d.product_id, d.base_quantity)
                    for d in limit_items("delivered", request.delivered, MAX_LINES)
                ],
                reason=request.reason,
                expected_revision=request.expected_revision,
            )
            return os_.UpdateOrderStatusResponse(order=m.order_pb(order))

        return await self.write("UpdateOrderStatus", request, os_.UpdateOrderStatusResponse, work)

    async def AmendOrder(
        self, request: os_.AmendOrderRequest, context: grpc.aio.ServicerContext
    ) -> os_.AmendOrderResponse:
        """Read and price (service_layer/amend.py), ask settlements with no transaction open,
        write if the order did not change meanwhile (else ABORTED, the reservation put back)."""
        actor = await self.caller()
        stored = await self.answered("AmendOrder", request, os_.AmendOrderResponse)
        if stored is not None:
            return stored
        cmd = amend.AmendCommand(
            order_id=request.order_id,
            amendment_id=request.amendment_id,
            expected_revision=request.expected_revision,
            lines=m.line_inputs(request.lines),
            delivery_date=m.opt_date("delivery_date", request.delivery_date),
            warehouse_id=request.warehouse_id,
            comment=request.comment,
            override_reason=override_of(
                request.HasField("credit_override"), request.credit_override.reason
            ),
            actor=actor,
            actor_token=bearer(),
            expected=m.expected_inputs(request.expected_promotions),
        )
        app = self.app
        async with self.read() as uow:
            plan = await amend.prepare_amendment(
                uow,
                cmd,
                today=app.today(),
                limits=app.limits,
                dates=app.dates,
                promotions=app.promotion_terms(),
            )
        if plan.done or plan.credit is None:
            return os_.AmendOrderResponse(order=m.order_pb(plan.order))
        # No transaction is open here: the network call never holds a database lock.
        decision = await app.credit.check(plan.credit)

        async def work(uow: OrdersUnitOfWork) -> os_.AmendOrderResponse:
            order = await amend.finish_amendment(uow, plan, decision, app.clock())
            return os_.AmendOrderResponse(order=m.order_pb(order))

        try:
            return await self.write("AmendOrder", request, os_.AmendOrderResponse, work)
        except amend.AlreadyAmended as done:
            return os_.AmendOrderResponse(order=m.order_pb(done.order))
        except DomainError:
            # Checked at the new total, but not amended: the reservation follows the order as
            # it now stands.
            await amend.put_back(app.credit, app.read_uow, plan.order.id, app.today())
            raise

    async def CancelOrder(
        self, request: os_.CancelOrderRequest, context: grpc.aio.ServicerContext
    ) -> os_.CancelOrderResponse:
        actor = await self.caller()

        async def work(uow: OrdersUnitOfWork) -> os_.CancelOrderResponse:
            order = await amend.cancel_order(
                uow,
                actor,
                self.app.clock(),
                order_id=request.order_id,
                expected_revision=request.expected_revision,
                reason=request.reason,
            )
            return os_.CancelOrderResponse(order=m.order_pb(order))

        return await self.write("CancelOrder", request, os_.CancelOrderResponse, work)

    async def ListOrderRevisions(
        self, request: os_.ListOrderRevisionsRequest, context: grpc.aio.ServicerContext
    ) -> os_.ListOrderRevisionsResponse:
        """The order's revisions, oldest first (the current one last), if the caller sees it."""
        size = page_size(request.page_size)
        after = decode_number_token(request.page_token)
        actor = await self.caller()
        async with self.read() as uow:
            views, next_after = await amend.list_revisions(
                uow, actor, request.order_id, size=size, after=after
            )
        return os_.ListOrderRevisionsResponse(
            revisions=[
                m.revision_pb(v.revision, v.amended_by, v.at, v.amendment_id) for v in views
            ],
            next_page_token=encode_token(str(next_after)) if next_after is not None else "",
        )

    async def GetFulfilmentReport(
        self, request: os_.GetFulfilmentReportRequest, context: grpc.aio.ServicerContext
    ) -> os_.GetFulfilmentReportResponse:
        actor = await self.caller()
        async with self.read() as uow:
            rows = await sl.fulfilment_report(
                uow,
                actor,
                from_date=m.opt_date("from_date", request.from_date),
                to_date=m.opt_date("to_date", request.to_date),
                distributor_id=optional_id("distributor_id", request.distributor_id),
                agent_id=optional_id("agent_id", request.agent_id),
                late_after_days=request.late_after_days,
                today=self.app.today(),
                tz=self.app.tz,
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
        """The outlet's recommended order for the date (default: today, ORDERS_TIMEZONE)."""
        outlet_id = require_id("outlet_id", request.outlet_id)
        day = m.opt_date("date", request.date) or self.app.today()
        actor = await self.caller()
        async with self.read() as uow:
            rec = await recommendation.for_outlet(
                uow, actor, self.app.recommendation_policy, outlet_id, day
            )
        return os_.GetRecommendedOrderResponse(recommendation=m.recommendation_pb(rec))

    async def ListRecommendedOrders(
        self, request: os_.ListRecommendedOrdersRequest, context: grpc.aio.ServicerContext
    ) -> os_.ListRecommendedOrdersResponse:
        """The recommended orders of every active outlet on the agent's routes (empty: the
        caller's), in visiting order, for the date (default: today)."""
        agent_id = optional_id("agent_id", request.agent_id)
        day = m.opt_date("date", request.date) or self.app.today()
        actor = await self.caller()
        async with self.read() as uow:
            recs = await recommendation.for_agent(
                uow, actor, self.app.recommendation_policy, agent_id, day
            )
        return os_.ListRecommendedOrdersResponse(
            recommendations=[m.recommendation_pb(r) for r in recs]
        )

    async def GetContactSales(
        self, request: os_.GetContactSalesRequest, context: grpc.aio.ServicerContext
    ) -> os_.GetContactSalesResponse:
        """A contact's figures: the caller's own (a supervisor: its team's; ADMIN, SERVICE:
        any); another's, or one no document names, is NOT_FOUND."""
        actor = await self.caller()
        async with self.read() as uow:
            contact = await contacts.readable(uow, actor, request.contact_id)
        return os_.GetContactSalesResponse(contact_sales=m.contact_sales_pb(contact))

    async def ListContactSales(
        self, request: os_.ListContactSalesRequest, context: grpc.aio.ServicerContext
    ) -> os_.ListContactSalesResponse:
        """Contacts by day, then id, within the caller's scope."""
        from_date = m.opt_date("from_date", request.from_date)
        to_date = m.opt_date("to_date", request.to_date)
        actor = await self.caller()
        async with self.read() as uow:
            items, token = await contacts.listed(
                uow,
                actor,
                size=page_size(request.page_size),
                token=request.page_token,
                employee_id=optional_id("employee_id", request.employee_id),
                from_date=from_date,
                to_date=to_date,
            )
        return os_.ListContactSalesResponse(
            contact_sales=[m.contact_sales_pb(c) for c in items], next_page_token=token
        )

    async def PreviewOrder(
        self, request: os_.PreviewOrderRequest, context: grpc.aio.ServicerContext
    ) -> os_.PreviewOrderResponse:
        app = self.app
        cmd = preview.PreviewCommand(
            client_id=request.client_id,
            outlet_id=request.outlet_id,
            distributor_id=request.distributor_id,
            order_date=m.opt_date("order_date", request.order_date),
            lines=m.line_inputs(request.lines),
            channel=m.from_enum(m.ORDER_CHANNELS, request.channel, "channel"),
            kind=m.from_enum(m.ORDER_KINDS, request.kind, "kind"),
            actor=await self.caller(),
        )
        async with self.read() as uow:
            made = await preview.preview_order(
                uow, cmd, limits=app.limits, dates=app.dates, terms=app.promotion_terms()
            )
        return m.preview_pb(
            made.lines,
            made.promotions,
            made.currency,
            (made.net_total, made.vat_total, made.gross_total),
        )
