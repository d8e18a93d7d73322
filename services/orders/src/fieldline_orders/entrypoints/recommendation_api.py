"""GetRecommendedOrder / ListRecommendedOrders: request validation and proto mapping.

OrdersServicer delegates both RPCs here. Errors are the kit's typed errors (the gRPC
interceptor maps them): a malformed id or date is INVALID_ARGUMENT naming the field, an
outlet the clients feed has not told us of is NOT_FOUND. Without a date, the recommendation
is for today in the company's time zone (ORDERS_TIMEZONE).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from google.type import date_pb2

from fieldline.orders.v1 import orders_service_pb2 as pb
from fieldline_kit.grpc.convert import from_pb_date, pb_date
from fieldline_kit.validation import require_id
from fieldline_orders.bootstrap import App
from fieldline_orders.domain.recommendation import (
    Reason,
    RecommendedLine,
    fmt,
)
from fieldline_orders.service_layer import recommendation
from fieldline_orders.service_layer.recommendation import OutletRecommendation

REASONS = {
    Reason.SALES_HISTORY: pb.RECOMMENDATION_REASON_SALES_HISTORY,
    Reason.MUST_STOCK: pb.RECOMMENDATION_REASON_MUST_STOCK,
}


def _day(app: App, field: str, value: date_pb2.Date) -> date:
    given = from_pb_date(field, value, required=False)
    if given is not None:
        return given
    return app.clock().astimezone(ZoneInfo(app.settings.timezone)).date()


def line_pb(line: RecommendedLine) -> pb.RecommendedLine:
    e = line.explanation
    return pb.RecommendedLine(
        product_id=line.product_id,
        quantity=fmt(line.quantity),
        unit=line.unit,
        base_quantity=fmt(line.base_quantity),
        reason=REASONS[line.reason],
        explanation=pb.RecommendationExplanation(
            sold_quantity=fmt(e.sold_quantity),
            window_days=e.window_days,
            average_daily_sales=fmt(e.average_daily_sales),
            days_until_next_visit=e.days_until_next_visit,
            safety_stock=fmt(e.safety_stock),
            shelf_quantity=fmt(e.shelf_quantity) if e.shelf_quantity is not None else "",
            pack_size=fmt(e.pack_size),
            formula=e.formula,
        ),
    )


def recommendation_pb(rec: OutletRecommendation) -> pb.RecommendedOrder:
    return pb.RecommendedOrder(
        outlet_id=rec.outlet_id,
        date=pb_date(rec.day),
        lines=[line_pb(line) for line in rec.lines],
    )


async def get_recommended_order(
    app: App, request: pb.GetRecommendedOrderRequest
) -> pb.GetRecommendedOrderResponse:
    outlet_id = require_id("outlet_id", request.outlet_id)
    day = _day(app, "date", request.date)
    policy = recommendation.policy_of(app.settings)
    async with app.read_sessions() as session, session.begin():
        rec = await recommendation.for_outlet(session, policy, outlet_id, day)
    return pb.GetRecommendedOrderResponse(recommendation=recommendation_pb(rec))


async def list_recommended_orders(
    app: App, request: pb.ListRecommendedOrdersRequest
) -> pb.ListRecommendedOrdersResponse:
    agent_id = require_id("agent_id", request.agent_id)
    day = _day(app, "date", request.date)
    policy = recommendation.policy_of(app.settings)
    async with app.read_sessions() as session, session.begin():
        recs = await recommendation.for_agent(session, policy, agent_id, day)
    return pb.ListRecommendedOrdersResponse(recommendations=[recommendation_pb(r) for r in recs])
