"""CatalogService: bulk upserts from the ERP, products, prices as an order would resolve them.

Bulk upserts are all or nothing. A batch with a refused record answers OK with a result per
record: the refused ones REJECTED with their reason, the others UNSPECIFIED with "not
applied", and nothing is written, not even the idempotency record (the corrected batch may
be sent under the same request_id). Count-only upserts (client prices, stock) answer
INVALID_ARGUMENT listing the refused records, and write nothing either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TypeVar

import grpc
from google.protobuf.message import Message

from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import catalog_service_pb2_grpc as cs_grpc
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.errors import FailedPrecondition, NotFound
from fieldline_kit.grpc.convert import money, page_size
from fieldline_kit.uow import UnitOfWork
from fieldline_orders.adapters import proto_mapping as m
from fieldline_orders.adapters import queries
from fieldline_orders.adapters.catalog_store import load_price_book
from fieldline_orders.domain.catalog import ClientPrice, PriceType, ProductGroup, StockLevel
from fieldline_orders.domain.values import fmt, optional_id, require_id
from fieldline_orders.entrypoints.base import Base
from fieldline_orders.service_layer import catalog as sl
from fieldline_orders.service_layer.catalog import BatchRefused, Outcome, RecordResult

R = TypeVar("R", bound=Message)

OUTCOMES = {
    Outcome.CREATED: cs.UPSERT_OUTCOME_CREATED,
    Outcome.UPDATED: cs.UPSERT_OUTCOME_UPDATED,
    Outcome.UNCHANGED: cs.UPSERT_OUTCOME_UNCHANGED,
    Outcome.REJECTED: cs.UPSERT_OUTCOME_REJECTED,
    Outcome.NOT_APPLIED: cs.UPSERT_OUTCOME_UNSPECIFIED,
}


def result_pb(r: RecordResult) -> cs.UpsertResult:
    return cs.UpsertResult(
        external_id=r.external_id, id=r.id, outcome=OUTCOMES[r.outcome], error=r.error
    )


class CatalogServicer(Base, cs_grpc.CatalogServiceServicer):
    async def _batch(
        self,
        method: str,
        request: Message,
        response_type: type[R],
        run: Callable[[UnitOfWork], Awaitable[list[RecordResult]]],
    ) -> R:
        async def work(uow: UnitOfWork) -> R:
            results = await run(uow)
            return response_type(results=[result_pb(r) for r in results])

        try:
            return await self._write(method, request, response_type, work)
        except BatchRefused as refused:
            return response_type(results=[result_pb(r) for r in refused.results])

    async def UpsertProductGroups(
        self, request: cs.UpsertProductGroupsRequest, context: grpc.aio.ServicerContext
    ) -> cs.UpsertProductGroupsResponse:
        def parser(i: int, g: pb.ProductGroup) -> Callable[[], ProductGroup]:
            return lambda: ProductGroup.create(
                f"groups[{i}]",
                id=g.id,
                external_id=g.external_id,
                name=g.name,
                parent_id=g.parent_id,
            )

        records = [(g.external_id, g.id, parser(i, g)) for i, g in enumerate(request.groups)]
        return await self._batch(
            "UpsertProductGroups",
            request,
            cs.UpsertProductGroupsResponse,
            lambda uow: sl.upsert_groups(uow, records),
        )

    async def UpsertProducts(
        self, request: cs.UpsertProductsRequest, context: grpc.aio.ServicerContext
    ) -> cs.UpsertProductsResponse:
        records = [
            (p.external_id, p.id, _bind(m.product_from_pb, f"products[{i}]", p))
            for i, p in enumerate(request.products)
        ]
        return await self._batch(
            "UpsertProducts",
            request,
            cs.UpsertProductsResponse,
            lambda uow: sl.upsert_products(uow, records),
        )

    async def GetProduct(
        self, request: cs.GetProductRequest, context: grpc.aio.ServicerContext
    ) -> cs.GetProductResponse:
        pid = require_id("product_id", request.product_id)
        async with self._read() as session:
            product = await queries.get_product(session, pid)
        if product is None:
            raise NotFound("product", pid, "product_id")
        return cs.GetProductResponse(product=m.product_pb(product))

    async def ListProducts(
        self, request: cs.ListProductsRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListProductsResponse:
        group_id = optional_id("group_id", request.group_id)
        size = page_size(request.page_size)
        async with self._read() as session:
            groups = await queries.group_with_descendants(session, group_id) if group_id else None
            items, token = await queries.list_products(
                session,
                size=size,
                token=request.page_token,
                group_ids=groups,
                query=request.query.strip(),
            )
        return cs.ListProductsResponse(
            products=[m.product_pb(p) for p in items], next_page_token=token
        )

    async def UpsertPriceTypes(
        self, request: cs.UpsertPriceTypesRequest, context: grpc.aio.ServicerContext
    ) -> cs.UpsertPriceTypesResponse:
        def parser(i: int, t: pb.PriceType) -> Callable[[], PriceType]:
            return lambda: PriceType.create(
                f"price_types[{i}]",
                id=t.id,
                external_id=t.external_id,
                name=t.name,
                currency=t.currency_code,
                vat_included=t.vat_included,
            )

        records = [(t.external_id, t.id, parser(i, t)) for i, t in enumerate(request.price_types)]
        return await self._batch(
            "UpsertPriceTypes",
            request,
            cs.UpsertPriceTypesResponse,
            lambda uow: sl.upsert_price_types(uow, records),
        )

    async def UpsertPriceLists(
        self, request: cs.UpsertPriceListsRequest, context: grpc.aio.ServicerContext
    ) -> cs.UpsertPriceListsResponse:
        records = [
            (pl.external_id, pl.id, _bind(m.price_list_from_pb, f"price_lists[{i}]", pl))
            for i, pl in enumerate(request.price_lists)
        ]
        return await self._batch(
            "UpsertPriceLists",
            request,
            cs.UpsertPriceListsResponse,
            lambda uow: sl.upsert_price_lists(uow, records),
        )

    async def SetClientPriceType(
        self, request: cs.SetClientPriceTypeRequest, context: grpc.aio.ServicerContext
    ) -> cs.SetClientPriceTypeResponse:
        async def work(uow: UnitOfWork) -> cs.SetClientPriceTypeResponse:
            await sl.set_client_price_type(uow, request.client_id, request.price_type_id)
            return cs.SetClientPriceTypeResponse()

        return await self._write("SetClientPriceType", request, cs.SetClientPriceTypeResponse, work)

    async def UpsertClientPrices(
        self, request: cs.UpsertClientPricesRequest, context: grpc.aio.ServicerContext
    ) -> cs.UpsertClientPricesResponse:
        def parser(i: int, p: pb.ClientPrice) -> Callable[[], ClientPrice]:
            def parse() -> ClientPrice:
                path = f"prices[{i}]"
                amount, currency = m.money_in(f"{path}.price", p.price)
                return ClientPrice.create(
                    path,
                    client_id=p.client_id,
                    product_id=p.product_id,
                    price=amount,
                    currency=currency,
                    valid_from=m.opt_date(f"{path}.valid_from", p.valid_from),
                    valid_to=m.opt_date(f"{path}.valid_to", p.valid_to),
                )

            return parse

        parsers = [parser(i, p) for i, p in enumerate(request.prices)]

        async def work(uow: UnitOfWork) -> cs.UpsertClientPricesResponse:
            return cs.UpsertClientPricesResponse(count=await sl.upsert_client_prices(uow, parsers))

        return await self._write("UpsertClientPrices", request, cs.UpsertClientPricesResponse, work)

    async def UpsertDiscounts(
        self, request: cs.UpsertDiscountsRequest, context: grpc.aio.ServicerContext
    ) -> cs.UpsertDiscountsResponse:
        records = [
            (d.external_id, d.id, _bind(m.discount_from_pb, f"discounts[{i}]", d))
            for i, d in enumerate(request.discounts)
        ]
        return await self._batch(
            "UpsertDiscounts",
            request,
            cs.UpsertDiscountsResponse,
            lambda uow: sl.upsert_discounts(uow, records),
        )

    async def UpsertStock(
        self, request: cs.UpsertStockRequest, context: grpc.aio.ServicerContext
    ) -> cs.UpsertStockResponse:
        def parser(i: int, s: pb.StockLevel) -> Callable[[], StockLevel]:
            return lambda: StockLevel.create(
                f"levels[{i}]", warehouse_id=s.warehouse_id, product_id=s.product_id, qty=s.quantity
            )

        parsers = [parser(i, s) for i, s in enumerate(request.levels)]

        async def work(uow: UnitOfWork) -> cs.UpsertStockResponse:
            return cs.UpsertStockResponse(count=await sl.upsert_stock(uow, parsers))

        return await self._write("UpsertStock", request, cs.UpsertStockResponse, work)

    async def ResolvePrices(
        self, request: cs.ResolvePricesRequest, context: grpc.aio.ServicerContext
    ) -> cs.ResolvePricesResponse:
        """Prices and discounts as an order on that date would get them.

        `discount_percent` is what a line of any size gets; `volume_breaks` lists the base
        quantities from which the best applicable discount grows, with the percent from there.
        Named products without a price are FAILED_PRECONDITION; with no names, every active
        product that has a price.
        """
        client_id = require_id("client_id", request.client_id)
        on = m.opt_date("date", request.date) or self.today()
        named = [require_id(f"product_ids[{i}]", p) for i, p in enumerate(request.product_ids)]
        async with self._read() as session:
            book = await load_price_book(session, client_id, on, named or None)
            for i, pid in enumerate(named):
                if pid not in book.products:
                    raise NotFound("product", pid, f"product_ids[{i}]")
            currency = book.currency
            stock = await queries.stock_totals(session, book.products)
        out: list[cs.ResolvedPrice] = []
        order = named or sorted(book.products)
        for i, pid in enumerate(order):
            product = book.products[pid]
            try:
                price = book.unit_price(f"product_ids[{i}]", product)
            except FailedPrecondition:
                if named:
                    raise
                continue
            base = book.discount(product, Decimal(0))
            thresholds = sorted(
                {b.min_quantity for d in book.discounts for b in d.volume_breaks if d.valid_on(on)}
            )
            breaks: list[pb.VolumeBreak] = []
            last = base.percent
            for t in thresholds:
                pct = book.discount(product, t).percent
                if pct > last:
                    breaks.append(pb.VolumeBreak(min_quantity=fmt(t), percent=fmt(pct)))
                    last = pct
            out.append(
                cs.ResolvedPrice(
                    product_id=pid,
                    unit_price=money(price.unit_price, currency),
                    price_source=price.source,
                    discount_percent=fmt(base.percent),
                    volume_breaks=breaks,
                    stock_quantity=fmt(stock.get(pid, Decimal(0))),
                )
            )
        return cs.ResolvePricesResponse(prices=out, currency_code=currency)


T = TypeVar("T")
M = TypeVar("M")


def _bind(fn: Callable[[str, M], T], path: str, message: M) -> Callable[[], T]:
    return lambda: fn(path, message)
