"""Bad input over gRPC (issue 10): refused as INVALID_ARGUMENT or NOT_FOUND naming the field,
never INTERNAL, and nothing written, nothing reserved in settlements."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import grpc

from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import van_service_pb2 as vs
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.grpc.convert import encode_token
from fieldline_kit.testing.helpers import expect_error, new_id
from fieldline_kit.validation import MAX_LINES, MAX_QUERY, MAX_TEXT
from fieldline_orders.adapters import orm
from fieldline_orders.adapters.schema import kit

from .identity import van_seller
from .orders_harness import (
    Customer,
    Env,
    count,
    dec,
    env_fixture,  # noqa: F401 - the `env` fixture
    ln,
    new_customer,
    pb_date,
    submit_request,
    supervisor_of,
    today,
    world,
)

INVALID = grpc.StatusCode.INVALID_ARGUMENT


async def written(env: Env, c: Customer) -> tuple[int, int, Decimal]:
    """Orders, outbox rows, and what settlements holds reserved for the customer."""
    balance = await env.settlements.api.GetBalance(ss.GetBalanceRequest(client_id=c.client_id))
    return (
        await count(env, orm.orders),
        await count(env, kit.outbox),
        dec(balance.balance.reserved),
    )


async def refused(
    env: Env, c: Customer, request: os_.SubmitOrderRequest, code: grpc.StatusCode, needle: str
) -> None:
    """SubmitOrder refuses `request` with `code` naming the field; nothing written anywhere."""
    before = await written(env, c)
    await expect_error(env.orders.orders_as(c.agent).SubmitOrder(request), code, needle)
    assert await written(env, c) == before


# ------------------------------------------------------------------------------- decimals
async def test_a_quantity_or_discount_too_large_for_any_arithmetic_names_its_field(
    env: Env,
) -> None:
    """ "1e1000000" overflowed the decimal context (decimal.Overflow: INTERNAL)."""
    w, c = world(env), await new_customer(env)
    for line, field in (
        (ln(w.water, "1e1000000"), "lines[0].quantity"),
        (ln(w.water, "-1e1000000"), "lines[0].quantity"),
        (ln(w.water, "1", manual="1e1000000"), "lines[0].manual_discount_percent"),
    ):
        request = submit_request(c, [line])
        await refused(env, c, request, INVALID, f"{field}: is too large")
    await refused(
        env, c, submit_request(c, [ln(w.water, "1e-1000000")]), INVALID, "lines[0].quantity"
    )


async def test_a_van_sale_quantity_too_large_names_its_field(env: Env) -> None:
    seller = van_seller()
    w, c = world(env), await new_customer(env, seller=seller)
    van = (
        await env.orders.vans.CreateVan(
            vs.CreateVanRequest(
                request_id=new_id(),
                van=vs.Van(id=new_id(), name="ГАЗель", van_seller_id=seller.subject),
            )
        )
    ).van
    await env.orders.vans.LoadVan(
        vs.LoadVanRequest(
            request_id=new_id(),
            load_id=new_id(),
            van_id=van.id,
            lines=[vs.QuantityLine(product_id=w.water.id, quantity="5")],
        )
    )
    sale = vs.CompleteVanSaleRequest(
        request_id=new_id(),
        sale_id=new_id(),
        van_id=van.id,
        client_id=c.client_id,
        outlet_id=c.outlet_id,
        lines=[ln(w.water, "1e1000000")],
    )
    before = await written(env, c)
    vans = env.orders.vans_as(seller)
    await expect_error(vans.CompleteVanSale(sale), INVALID, "lines[0].quantity: is too large")
    sale.lines[0].quantity = "1"
    sale.date.CopyFrom(pb_date(today() + timedelta(days=4000)))
    await expect_error(vans.CompleteVanSale(sale), INVALID, "date: must be within")
    sale.ClearField("date")
    sale.receipt_number = "R" * 101  # refused before settlements is asked
    await expect_error(
        vans.CompleteVanSale(sale),
        INVALID,
        "receipt_number: must be at most 100 characters",
    )
    assert await written(env, c) == before


async def test_only_ascii_digits_make_a_quantity(env: Env) -> None:
    """Python's Decimal reads "１２" (full-width digits) as 12; a quantity is ASCII digits."""
    w, c = world(env), await new_customer(env)
    for text in ("１２", "١٢", "1_2", "NaN", " "):
        await refused(env, c, submit_request(c, [ln(w.water, text)]), INVALID, "lines[0].quantity")


# ------------------------------------------------------------------------------- who, where
async def test_an_unknown_client_is_not_found_naming_client_id(env: Env) -> None:
    """It answered "outlet_id: belongs to another client"; the outlet is right, the client is
    unknown. A known client naming another's outlet still gets that answer."""
    w, c = world(env), await new_customer(env)
    other = await new_customer(env, seller=c.agent)  # another client on the same route
    unknown = new_id()
    request = submit_request(c, [ln(w.water, "1")])
    request.client_id = unknown
    await refused(
        env, c, request, grpc.StatusCode.NOT_FOUND, f"client_id: client '{unknown}' not found"
    )
    request = submit_request(c, [ln(w.water, "1")])
    request.client_id = other.client_id
    await refused(env, c, request, INVALID, "outlet_id: belongs to another client")


async def test_the_manual_discount_is_bounded_by_the_tokens_roles(env: Env) -> None:
    """SUPERVISOR in the token: its 15% manual discount (ORDERS_MAX_MANUAL_DISCOUNT) applies;
    AGENT: 5%, more is refused."""
    w, c = world(env), await new_customer(env)
    request = submit_request(c, [ln(w.water, "1", manual="15")])
    boss = await supervisor_of(env, c.agent)  # its team's outlets are in its scope
    order = (await env.orders.orders_as(boss).SubmitOrder(request)).order
    assert order.lines[0].manual_discount_percent == "15"
    assert order.agent_id != c.agent.subject  # the supervisor's own order
    request = submit_request(c, [ln(w.water, "1", manual="15")])
    await refused(env, c, request, grpc.StatusCode.PERMISSION_DENIED, "allowed to AGENT")


# ---------------------------------------------------------------------------------- dates
async def test_order_dates_far_from_today_are_refused_before_reserving_credit(
    env: Env,
) -> None:
    """Dates up to 9999-12-31 were accepted and reserved credit; ORDERS_ORDER_DATE_WINDOW_DAYS
    (90 by default) bounds them either way."""
    w, c = world(env), await new_customer(env)
    window = env.app.dates.days
    for field, day in (
        ("order_date", today() + timedelta(days=window + 1)),
        ("order_date", today() - timedelta(days=window + 1)),
        ("delivery_date", today().replace(year=9999, month=12, day=31)),
    ):
        request = submit_request(c, [ln(w.water, "1")], **{field: pb_date(day)})
        await refused(env, c, request, INVALID, f"{field}: must be within {window} days")
    edge = submit_request(
        c, [ln(w.water, "1")], delivery_date=pb_date(today() + timedelta(days=window))
    )
    await env.orders.orders_as(c.agent).SubmitOrder(edge)  # the window's last day is within


async def test_a_recommended_order_for_either_end_of_the_calendar_is_answered(env: Env) -> None:
    """Its sales window before the date and its next visit after it stay within the calendar
    (a visit would be after 9999-12-31: none planned, the fallback applies)."""
    c = await new_customer(env)
    for day in (date.min, date.max):
        reply = await env.orders.orders_as(c.agent).GetRecommendedOrder(
            os_.GetRecommendedOrderRequest(outlet_id=c.outlet_id, date=pb_date(day))
        )
        assert reply.recommendation.outlet_id == c.outlet_id


# ------------------------------------------------------------------------- request_id, sizes
async def test_a_submission_without_a_request_id_is_refused_and_writes_nothing(
    env: Env,
) -> None:
    w, c = world(env), await new_customer(env)
    request = submit_request(c, [ln(w.water, "1")])
    request.ClearField("request_id")
    await refused(env, c, request, INVALID, "request_id: is required")
    assert await count(env, orm.orders, orm.orders.c.id == request.order_id) == 0


async def test_texts_and_lists_of_a_submission_are_bounded(env: Env) -> None:
    w, c = world(env), await new_customer(env)
    cases = [
        ({"comment": "я" * (MAX_TEXT + 1)}, f"comment: must be at most {MAX_TEXT} characters"),
        (
            {"credit_override": os_.CreditOverride(reason="я" * 1001)},
            "credit_override.reason: must be at most 1000 characters",
        ),
    ]
    for fields, needle in cases:
        await refused(env, c, submit_request(c, [ln(w.water, "1")], **fields), INVALID, needle)
    many = [ln(w.water, "1")] * (MAX_LINES + 1)
    await refused(
        env, c, submit_request(c, many), INVALID, f"lines: must have at most {MAX_LINES} items"
    )


async def test_reads_bound_their_texts_tokens_and_figures(env: Env) -> None:
    await expect_error(
        env.orders.catalog.ListProducts(cs.ListProductsRequest(query="я" * 50_001)),
        INVALID,
        f"query: must be at most {MAX_QUERY} characters",
    )
    await expect_error(
        env.orders.catalog.ResolvePrices(
            cs.ResolvePricesRequest(client_id=new_id(), product_ids=[new_id()] * 1001)
        ),
        INVALID,
        "product_ids: must have at most 1000 items",
    )
    van = (
        await env.orders.vans.CreateVan(
            vs.CreateVanRequest(
                request_id=new_id(), van=vs.Van(id=new_id(), name="ГАЗель", van_seller_id=new_id())
            )
        )
    ).van
    for raw in ("99999999999999999999", "-1", "１２"):
        await expect_error(
            env.orders.vans.ListVanMovements(
                vs.ListVanMovementsRequest(van_id=van.id, page_token=encode_token(raw))
            ),
            INVALID,
            "page_token: is not a token this service issued",
        )
    await expect_error(
        env.orders.orders.GetFulfilmentReport(
            os_.GetFulfilmentReportRequest(late_after_days=2**31 - 1)
        ),
        INVALID,
        "late_after_days: must be within",
    )
