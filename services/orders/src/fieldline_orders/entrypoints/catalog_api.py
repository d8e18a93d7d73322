"""CatalogService: bulk upserts from the ERP, products, prices as an order would resolve them,
and every kind of record page by page (with its version) for a consumer building its copy.

Bulk upserts are all or nothing. A batch with a refused record answers OK with a result per
record: the refused ones REJECTED with their reason, the others UNSPECIFIED with "not
applied", and nothing is written, not even the idempotency record (the corrected batch may
be sent under the same request_id). Count-only upserts (client prices, stock) answer
INVALID_ARGUMENT listing the refused records, and write nothing either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc
from google.protobuf.message import Message

from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import catalog_service_pb2_grpc as cs_grpc
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.errors import NotFound
from fieldline_kit.grpc.convert import money, page_size
from fieldline_orders.adapters import proto_mapping as m
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain.catalog import ClientPrice, PriceType, ProductGroup, StockLevel
from fieldline_orders.domain.values import (
    MAX_QUERY,
    MAX_RECORDS,
    fmt,
    limit_items,
    limit_text,
    optional_id,
    require_id,
)
from fieldline_orders.entrypoints.caller import OrdersServicerBase
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


class UpsertsServicer(OrdersServicerBase):
    """A servicer of bulk upserts keyed by external ids (the catalog's, promotions')."""

    async def _batch(
        self,
        method: str,
        request: Message,
        response_type: type[R],
        run: Callable[[OrdersUnitOfWork], Awaitable[list[RecordResult]]],
    ) -> R:
        """The upsert's results. A refused batch answers them too, but writes nothing and
        stores no answer, so the same request again is judged again."""

        async def work(uow: OrdersUnitOfWork) -> R:
            results = await run(uow)
            return response_type(results=[result_pb(r) for r in results])

        try:
            return await self.write(method, request, response_type, work)
        except BatchRefused as refused:
            return response_type(results=[result_pb(r) for r in refused.results])


class CatalogServicer(UpsertsServicer, cs_grpc.CatalogServiceServicer):
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

        groups = limit_items("groups", request.groups, MAX_RECORDS)
        records = [(g.external_id, g.id, parser(i, g)) for i, g in enumerate(groups)]
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
            (p.external_id, p.id, bind_parser(m.product_from_pb, f"products[{i}]", p))
            for i, p in enumerate(limit_items("products", request.products, MAX_RECORDS))
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
        async with self.read() as uow:
            product = await uow.products.get(require_id("product_id", request.product_id))
        return cs.GetProductResponse(product=m.product_pb(product))

    async def ListProducts(
        self, request: cs.ListProductsRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListProductsResponse:
        group_id = optional_id("group_id", request.group_id)
        size = page_size(request.page_size)
        async with self.read() as uow:
            groups = await uow.queries.group_with_descendants(group_id) if group_id else None
            items, token = await uow.queries.list_products(
                size=size,
                token=request.page_token,
                group_ids=groups,
                query=limit_text("query", request.query, MAX_QUERY),
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

        types = limit_items("price_types", request.price_types, MAX_RECORDS)
        records = [(t.external_id, t.id, parser(i, t)) for i, t in enumerate(types)]
        return await self._batch(
            "UpsertPriceTypes",
            request,
            cs.UpsertPriceTypesResponse,
            lambda uow: sl.upsert_price_types(uow, records),
        )

    async def UpsertPriceLists(
        self, request: cs.UpsertPriceListsRequest, context: grpc.aio.ServicerContext
    ) -> cs.UpsertPriceListsResponse:
        lists = limit_items("price_lists", request.price_lists, MAX_RECORDS)
        m.check_price_list_request(lists, request.merge)
        records = [
            (pl.external_id, pl.id, bind_parser(m.price_list_from_pb, f"price_lists[{i}]", pl))
            for i, pl in enumerate(lists)
        ]
        return await self._batch(
            "UpsertPriceLists",
            request,
            cs.UpsertPriceListsResponse,
            lambda uow: sl.upsert_price_lists(uow, records, merge=request.merge),
        )

    async def SetClientPriceType(
        self, request: cs.SetClientPriceTypeRequest, context: grpc.aio.ServicerContext
    ) -> cs.SetClientPriceTypeResponse:
        async def work(uow: OrdersUnitOfWork) -> cs.SetClientPriceTypeResponse:
            await sl.set_client_price_type(uow, request.client_id, request.price_type_id)
            return cs.SetClientPriceTypeResponse()

        return await self.write("SetClientPriceType", request, cs.SetClientPriceTypeResponse, work)

    async def SetDistributorPriceType(
        self, request: cs.SetDistributorPriceTypeRequest, context: grpc.aio.ServicerContext
    ) -> cs.SetDistributorPriceTypeResponse:
        async def work(uow: OrdersUnitOfWork) -> cs.SetDistributorPriceTypeResponse:
            setting = await sl.set_distributor_price_type(
                uow, request.distributor_id, request.client_id, request.price_type_id
            )
            return cs.SetDistributorPriceTypeResponse(
                distributor_price_type=m.distributor_price_type_pb(setting)
            )

        return await self.write(
            "SetDistributorPriceType", request, cs.SetDistributorPriceTypeResponse, work
        )

    async def ListDistributorPriceTypes(
        self, request: cs.ListDistributorPriceTypesRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListDistributorPriceTypesResponse:
        size = page_size(request.page_size)
        async with self.read() as uow:
            settings, token = await uow.queries.list_distributor_price_types(
                size=size,
                token=request.page_token,
                distributor_id=optional_id("distributor_id", request.distributor_id),
            )
        return cs.ListDistributorPriceTypesResponse(
            distributor_price_types=[m.distributor_price_type_pb(d) for d in settings],
            next_page_token=token,
        )

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

        prices = limit_items("prices", request.prices, MAX_RECORDS)
        parsers = [parser(i, p) for i, p in enumerate(prices)]

        async def work(uow: OrdersUnitOfWork) -> cs.UpsertClientPricesResponse:
            return cs.UpsertClientPricesResponse(count=await sl.upsert_client_prices(uow, parsers))

        return await self.write("UpsertClientPrices", request, cs.UpsertClientPricesResponse, work)

    async def UpsertDiscounts(
        self, request: cs.UpsertDiscountsRequest, context: grpc.aio.ServicerContext
    ) -> cs.UpsertDiscountsResponse:
        records = [
            (d.external_id, d.id, bind_parser(m.discount_from_pb, f"discounts[{i}]", d))
            for i, d in enumerate(limit_items("discounts", request.discounts, MAX_RECORDS))
        ]
        return await self._batch(
            "UpsertDiscounts",
            request,
            cs.UpsertDiscountsResponse,
            lambda uow: sl.upsert_discounts(uow, records),
        )

    async def UpsertWarehouses(
        self, request: cs.UpsertWarehousesRequest, context: grpc.aio.ServicerContext
    ) -> cs.UpsertWarehousesResponse:
        records = [
            (w.external_id, w.id, bind_parser(m.warehouse_from_pb, f"warehouses[{i}]", w))
            for i, w in enumerate(limit_items("warehouses", request.warehouses, MAX_RECORDS))
        ]
        return await self._batch(
            "UpsertWarehouses",
            request,
            cs.UpsertWarehousesResponse,
            lambda uow: sl.upsert_warehouses(uow, records),
        )

    async def UpsertStock(
        self, request: cs.UpsertStockRequest, context: grpc.aio.ServicerContext
    ) -> cs.UpsertStockResponse:
        def parser(i: int, s: pb.StockLevel) -> Callable[[], StockLevel]:
            return lambda: StockLevel.create(
                f"levels[{i}]", warehouse_id=s.warehouse_id, product_id=s.product_id, qty=s.quantity
            )

        levels = limit_items("levels", request.levels, MAX_RECORDS)
        parsers = [parser(i, s) for i, s in enumerate(levels)]

        async def work(uow: OrdersUnitOfWork) -> cs.UpsertStockResponse:
            return cs.UpsertStockResponse(count=await sl.upsert_stock(uow, parsers))

        return await self.write("UpsertStock", request, cs.UpsertStockResponse, work)

    async def ResolvePrices(
        self, request: cs.ResolvePricesRequest, context: grpc.aio.ServicerContext
    ) -> cs.ResolvePricesResponse:
        """Prices and discounts as an order on that date would get them (see
        `service_layer.catalog.resolve_prices`); without a date, today's."""
        on = m.opt_date("date", request.date) or self.app.today()
        actor = await self.caller()
        async with self.read() as uow:
            currency, prices = await sl.resolve_prices(
                uow,
                actor,
                request.client_id,
                on,
                list(limit_items("product_ids", request.product_ids, MAX_RECORDS)),
                request.distributor_id,
            )
        return cs.ResolvePricesResponse(
            prices=[
                cs.ResolvedPrice(
                    product_id=p.product_id,
                    unit_price=money(p.unit_price, currency),
                    price_source=p.price_source,
                    discount_percent=fmt(p.discount_percent),
                    volume_breaks=[
                        pb.VolumeBreak(min_quantity=fmt(b.min_quantity), percent=fmt(b.percent))
                        for b in p.volume_breaks
                    ],
                    stock_quantity=fmt(p.stock_quantity),
                )
                for p in prices
            ],
            currency_code=currency,
        )

    # -- every record, page by page (for a consumer's copy: the device gateway) -------------
    async def ListProductGroups(
        self, request: cs.ListProductGroupsRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListProductGroupsResponse:
        size = page_size(request.page_size)
        async with self.read() as uow:
            groups, token = await uow.queries.list_groups(size=size, token=request.page_token)
        return cs.ListProductGroupsResponse(
            groups=[m.group_pb(g) for g in groups], next_page_token=token
        )

    async def ListPriceTypes(
        self, request: cs.ListPriceTypesRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListPriceTypesResponse:
        size = page_size(request.page_size)
        async with self.read() as uow:
            types, token = await uow.queries.list_price_types(size=size, token=request.page_token)
        return cs.ListPriceTypesResponse(
            price_types=[m.price_type_pb(t) for t in types], next_page_token=token
        )

    async def ListPriceLists(
        self, request: cs.ListPriceListsRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListPriceListsResponse:
        price_type_id = optional_id("price_type_id", request.price_type_id)
        size = page_size(request.page_size)
        async with self.read() as uow:
            lists, token = await uow.queries.list_price_lists(
                size=size, token=request.page_token, price_type_id=price_type_id
            )
        return cs.ListPriceListsResponse(
            price_lists=[m.price_list_header_pb(pl, n) for pl, n in lists], next_page_token=token
        )

    async def ListPriceListEntries(
        self, request: cs.ListPriceListEntriesRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListPriceListEntriesResponse:
        price_list_id = require_id("price_list_id", request.price_list_id)
        size = page_size(request.page_size)
        async with self.read() as uow:
            page = await uow.queries.price_list_entries(
                price_list_id, size=size, token=request.page_token
            )
        if page is None:
            raise NotFound("price list", price_list_id, "price_list_id")
        return cs.ListPriceListEntriesResponse(
            entries=m.price_entries_pb(page.entries, page.currency_code),
            next_page_token=page.next_token,
            price_list_version=page.version,
        )

    async def ListClientPriceTypes(
        self, request: cs.ListClientPriceTypesRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListClientPriceTypesResponse:
        size = page_size(request.page_size)
        async with self.read() as uow:
            settings, token = await uow.queries.list_client_price_types(
                size=size, token=request.page_token
            )
        return cs.ListClientPriceTypesResponse(
            client_price_types=[m.client_price_type_pb(c) for c in settings],
            next_page_token=token,
        )

    async def ListClientPrices(
        self, request: cs.ListClientPricesRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListClientPricesResponse:
        client_id = optional_id("client_id", request.client_id)
        size = page_size(request.page_size)
        async with self.read() as uow:
            prices, token = await uow.queries.list_client_prices(
                size=size, token=request.page_token, client_id=client_id
            )
        return cs.ListClientPricesResponse(
            prices=[m.client_price_pb(p) for p in prices], next_page_token=token
        )

    async def ListDiscounts(
        self, request: cs.ListDiscountsRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListDiscountsResponse:
        size = page_size(request.page_size)
        async with self.read() as uow:
            discounts, token = await uow.queries.list_discounts(size=size, token=request.page_token)
        return cs.ListDiscountsResponse(
            discounts=[m.discount_pb(d) for d in discounts], next_page_token=token
        )

    async def ListWarehouses(
        self, request: cs.ListWarehousesRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListWarehousesResponse:
        distributor_id = optional_id("distributor_id", request.distributor_id)
        size = page_size(request.page_size)
        async with self.read() as uow:
            warehouses, token = await uow.queries.list_warehouses(
                size=size, token=request.page_token, distributor_id=distributor_id
            )
        return cs.ListWarehousesResponse(
            warehouses=[m.warehouse_pb(w) for w in warehouses], next_page_token=token
        )


T = TypeVar("T")
M = TypeVar("M")


def bind_parser(fn: Callable[[str, M], T], path: str, message: M) -> Callable[[], T]:
    """`fn(path, message)` for later: an upsert's record parsed where its errors are caught."""
    return lambda: fn(path, message)
