"""CommerceML's catalog and offers into orders (docs/contexts/exchange.md, *Import jobs*: the
table of commands): groups, products and price types upserted by external id; offers' prices
merged into one price list per price type, their stock rows upserted. Calls go as the partner.

A record orders refuses (its result REJECTED, naming it) becomes a report line and its batch is
sent again without it (orders applies a batch whole or not at all); ids of records written
before are orders' documented derivation (`fieldline_kit.external_ids`)."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import grpc
from google.type import date_pb2

from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline_exchange.adapters.id_sets import IdSet
from fieldline_exchange.adapters.peers import Peers
from fieldline_exchange.domain.records import Group, Offer, PriceType, Product
from fieldline_exchange.domain.reports import ReportLine
from fieldline_exchange.domain.request_ids import sub_request_id
from fieldline_kit.errors import Unavailable
from fieldline_kit.external_ids import (
    PRICE_LIST,
    PRICE_TYPE,
    PRODUCT,
    PRODUCT_GROUP,
    WAREHOUSE,
    orders_catalog_id,
)
from fieldline_kit.grpc.convert import money
from fieldline_kit.validation import MAX_RECORDS

T = TypeVar("T")
REFUSED = "refused-by-service"
MAX_ROUNDS = 3  # a batch sent again without its refused records at most this often
LIST_PAGE = 1000
PRUNE_BATCH = 500
# An ERP's price list holds until the ERP changes it: open-started (a date before any order).
LIST_VALID_FROM = date_pb2.Date(year=2000, month=1, day=1)
_INDEX = re.compile(r"^\w+\[(\d+)\]")
_ENTRY = re.compile(r"\.entries\[(\d+)\]")


@functools.lru_cache(maxsize=65536)
def product_id(external_id: str) -> str:
    """The product orders keeps for the ERP's id (cached: an offer names it once per price
    and per warehouse row)."""
    return orders_catalog_id(PRODUCT, external_id)


def price_list_key(price_type_external_id: str) -> str:
    """The external id of the price list an ERP's price type's prices go into (one each)."""
    return f"{price_type_external_id}"


class OrdersSink:
    def __init__(self, peers: Peers, *, default_warehouse: str) -> None:
        self._peers = peers
        self._default_warehouse = default_warehouse

    # ------------------------------------------------------------------ what orders knows
    async def product_external_ids(self, partner_id: str) -> IdSet:
        """Every product's external id in orders (paged through ListProducts; a set bounded in
        memory however big the catalog)."""
        found = IdSet()
        token = ""
        while True:
            reply = await self._peers.call(
                partner_id,
                self._peers.catalog.ListProducts,
                cs.ListProductsRequest(page_size=LIST_PAGE, page_token=token),
            )
            found.update(p.external_id for p in reply.products if p.external_id)
            token = reply.next_page_token
            if not token:
                return found

    async def price_type_external_ids(self, partner_id: str) -> set[str]:
        found: set[str] = set()
        token = ""
        while True:
            reply = await self._peers.call(
                partner_id,
                self._peers.catalog.ListPriceTypes,
                cs.ListPriceTypesRequest(page_size=LIST_PAGE, page_token=token),
            )
            found.update(p.external_id for p in reply.price_types if p.external_id)
            token = reply.next_page_token
            if not token:
                return found

    async def product_basics(self, partner_id: str, external_id: str) -> dict[str, Any] | None:
        """What a variant takes from its product: group, unit, VAT rate, SKU (None: unknown)."""
        try:
            reply = await self._peers.call(
                partner_id,
                self._peers.catalog.GetProduct,
                cs.GetProductRequest(product_id=product_id(external_id)),
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise
        p = reply.product
        return {"group_id": p.group_id, "unit": p.base_unit, "vat_rate": p.vat_rate, "sku": p.sku}

    # ------------------------------------------------------------------ upserts
    async def groups(
        self, partner_id: str, records: Sequence[Group], request_id: str
    ) -> list[ReportLine]:
        def message(g: Group) -> opb.ProductGroup:
            parent = orders_catalog_id(PRODUCT_GROUP, g.parent_id) if g.parent_id else ""
            return opb.ProductGroup(external_id=g.id, name=g.name[:200], parent_id=parent)

        return await self._upsert(
            partner_id,
            records,
            request_id,
            lambda batch: cs.UpsertProductGroupsRequest(groups=[message(g) for g in batch]),
            self._peers.catalog.UpsertProductGroups,
        )

    async def products(
        self,
        partner_id: str,
        records: Sequence[Product],
        request_id: str,
        basics: dict[str, dict[str, Any]] | None = None,
    ) -> list[ReportLine]:
        """Upsert `records`; `basics` by product: what a variant takes from its product
        (`product_basics`)."""
        inherited = basics or {}

        def message(p: Product) -> opb.Product:
            base = inherited.get(p.id, {})
            group = orders_catalog_id(PRODUCT_GROUP, p.group_ids[0]) if p.group_ids else ""
            vat = "" if p.vat_rate is None else _plain(p.vat_rate)
            return opb.Product(
                external_id=p.id,
                # orders wants an SKU: the article, else the ERP's id
                sku=(p.article or p.id)[:100],
                name=p.name[:500],
                group_id=group or base.get("group_id", ""),
                barcodes=list(p.barcodes),
                # No rate stated (1C writes one; "Без НДС" reads as none): 0 %.
                vat_rate=vat or base.get("vat_rate", "") or "0",
                base_unit=p.unit[:20] or base.get("unit", "") or "pcs",
                active=True,
            )

        return await self._upsert(
            partner_id,
            records,
            request_id,
            lambda batch: cs.UpsertProductsRequest(products=[message(p) for p in batch]),
            self._peers.catalog.UpsertProducts,
        )

    async def price_types(
        self, partner_id: str, records: Sequence[PriceType], request_id: str
    ) -> list[ReportLine]:
        def message(t: PriceType) -> opb.PriceType:
            return opb.PriceType(
                external_id=t.id,
                name=t.name[:200],
                currency_code=t.currency or "RUB",
                vat_included=True,
            )

        return await self._upsert(
            partner_id,
            records,
            request_id,
            lambda batch: cs.UpsertPriceTypesRequest(price_types=[message(t) for t in batch]),
            self._peers.catalog.UpsertPriceTypes,
        )

    async def offers(
        self, partner_id: str, records: Sequence[Offer], request_id: str
    ) -> list[ReportLine]:
        """The offers' prices merged into their price types' lists, then their stock rows."""
        refused = await self._prices(partner_id, records, sub_request_id(request_id, "prices"))
        gone = {line.external_id for line in refused}
        refused += await self._stock(
            partner_id,
            [o for o in records if o.id not in gone],
            sub_request_id(request_id, "stock"),
        )
        return refused

    async def prune(
        self, partner_id: str, offered: Sequence[tuple[str, IdSet]], request_id: str
    ) -> list[ReportLine]:
        """Each price type's list without the products a full package no longer prices:
        the list's entries read, the rest removed in merges of `PRUNE_BATCH`."""
        for type_id, offers in offered:
            keep = IdSet(product_id(o) for o in offers)
            list_id = orders_catalog_id(PRICE_LIST, price_list_key(type_id))
            stale: list[str] = []
            token = ""
            while True:
                reply = await self._peers.call(
                    partner_id,
                    self._peers.catalog.ListPriceListEntries,
                    cs.ListPriceListEntriesRequest(
                        price_list_id=list_id, page_size=LIST_PAGE, page_token=token
                    ),
                )
                stale += [e.product_id for e in reply.entries if e.product_id not in keep]
                token = reply.next_page_token
                if not token:
                    break
            keep.close()
            for start in range(0, len(stale), PRUNE_BATCH):
                await self._peers.call(
                    partner_id,
                    self._peers.catalog.UpsertPriceLists,
                    cs.UpsertPriceListsRequest(
                        request_id=sub_request_id(request_id, f"{type_id} {start}"),
                        merge=True,
                        price_lists=[
                            opb.PriceList(
                                external_id=price_list_key(type_id),
                                price_type_id=orders_catalog_id(PRICE_TYPE, type_id),
                                valid_from=LIST_VALID_FROM,
                                removed_product_ids=stale[start : start + PRUNE_BATCH],
                            )
                        ],
                    ),
                )
        return []

    async def _prices(
        self, partner_id: str, offers: Sequence[Offer], request_id: str
    ) -> list[ReportLine]:
        refused: list[ReportLine] = []
        live = [o for o in offers if o.prices]
        for round_ in range(MAX_ROUNDS):
            if not live:
                break
            by_type: dict[str, list[tuple[Offer, opb.PriceListEntry]]] = defaultdict(list)
            for offer in live:
                for price in offer.prices:
                    entry = opb.PriceListEntry(
                        product_id=product_id(offer.id),
                        price=money(price.amount, price.currency or "RUB"),
                    )
                    by_type[price.price_type_id].append((offer, entry))
            lists = [
                opb.PriceList(
                    external_id=price_list_key(type_id),
                    price_type_id=orders_catalog_id(PRICE_TYPE, type_id),
                    valid_from=LIST_VALID_FROM,
                    entries=[entry for _, entry in entries],
                )
                for type_id, entries in by_type.items()
            ]
            reply = await self._peers.call(
                partner_id,
                self._peers.catalog.UpsertPriceLists,
                cs.UpsertPriceListsRequest(
                    request_id=_round(request_id, round_), price_lists=lists, merge=True
                ),
            )
            bad: dict[str, str] = {}
            for result, entries in zip(reply.results, by_type.values(), strict=True):
                if result.outcome != cs.UPSERT_OUTCOME_REJECTED:
                    continue
                found = _ENTRY.search(result.error)
                if found is not None and int(found.group(1)) < len(entries):
                    bad[entries[int(found.group(1))][0].id] = result.error
                else:  # the list itself: every offer priced in it
                    bad.update({o.id: result.error for o, _ in entries})
            if not bad:
                break
            refused += [_line(o, bad[o.id]) for o in live if o.id in bad]
            live = [o for o in live if o.id not in bad]
        return refused

    async def _stock(
        self, partner_id: str, offers: Sequence[Offer], request_id: str
    ) -> list[ReportLine]:
        """The offers' stock rows, at most MAX_RECORDS a call (what orders' UpsertStock
        takes: a batch of 500 offers in 3 warehouses is 1,500 rows); an offer's rows are never
        split between calls. The first call keeps the batch's request id."""
        parts: list[list[tuple[Offer, tuple[str, Decimal]]]] = [[]]
        for offer in offers:
            rows = [(offer, row) for row in _summed(offer.stock)]
            if parts[-1] and len(parts[-1]) + len(rows) > MAX_RECORDS:
                parts.append([])
            parts[-1] += rows
        refused: list[ReportLine] = []
        for n, part in enumerate(parts):
            rid = request_id if n == 0 else sub_request_id(request_id, f"part {n}")
            refused += await self._stock_part(partner_id, part, rid)
        return refused

    async def _stock_part(
        self, partner_id: str, rows: list[tuple[Offer, tuple[str, Decimal]]], request_id: str
    ) -> list[ReportLine]:
        refused: list[ReportLine] = []
        for round_ in range(MAX_ROUNDS):
            if not rows:
                break
            levels = [
                opb.StockLevel(
                    warehouse_id=orders_catalog_id(WAREHOUSE, warehouse or self._default_warehouse),
                    product_id=product_id(offer.id),
                    quantity=_plain(quantity),
                )
                for offer, (warehouse, quantity) in rows
            ]
            try:
                await self._peers.call(
                    partner_id,
                    self._peers.catalog.UpsertStock,
                    cs.UpsertStockRequest(request_id=_round(request_id, round_), levels=levels),
                )
                break
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.INVALID_ARGUMENT:
                    raise
                named = {int(i) for i in re.findall(r"levels\[(\d+)\]", exc.details() or "")}
                if not named:
                    raise
                bad = {rows[i][0].id for i in named if i < len(rows)}
                refused += [
                    _line(o, exc.details() or "")
                    for o in {r[0].id: r[0] for r in rows}.values()
                    if o.id in bad
                ]
                rows = [r for r in rows if r[0].id not in bad]
        return refused

    # ------------------------------------------------------------------ plumbing
    async def _upsert(
        self,
        partner_id: str,
        records: Sequence[Any],
        request_id: str,
        build: Callable[[Sequence[Any]], Any],
        rpc: Callable[..., Awaitable[Any]],
    ) -> list[ReportLine]:
        """Send `records`, again without those refused, until none is (or MAX_ROUNDS)."""
        refused: list[ReportLine] = []
        live = list(records)
        for round_ in range(MAX_ROUNDS):
            if not live:
                break
            request = build(live)
            request.request_id = _round(request_id, round_)
            reply = await self._peers.call(partner_id, rpc, request)
            bad = {
                i: r.error
                for i, r in enumerate(reply.results)
                if r.outcome == cs.UPSERT_OUTCOME_REJECTED
            }
            if not bad:
                break
            refused += [_line(live[i], error) for i, error in bad.items()]
            live = [r for i, r in enumerate(live) if i not in bad]
        return refused


def _round(request_id: str, round_: int) -> str:
    """The request id of a batch's `round_`th sending (0: the batch as read)."""
    return request_id if round_ == 0 else sub_request_id(request_id, f"round {round_}")


def _line(record: Any, error: str) -> ReportLine:
    return ReportLine(getattr(record, "line", None) or None, record.id, REFUSED, error)


def _plain(value: Decimal) -> str:
    """A decimal as orders reads it: no exponent, no trailing zeros past the point."""
    text = format(value.normalize(), "f")
    return text


def _summed(rows: Iterable[Any]) -> list[tuple[str, Decimal]]:
    """Stock per warehouse (a file naming the same warehouse twice for an offer: summed)."""
    total: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        total[row.warehouse_id] += row.quantity
    return list(total.items())


__all__ = ["OrdersSink", "Unavailable", "price_list_key", "product_id"]
