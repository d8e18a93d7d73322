"""CommerceML 2.x imports (docs/contexts/exchange.md, *Import jobs*): the `Pipeline` of the
`commerceml` format — the check pass (the reader's counts and skips, then references the file
makes to products neither in it nor in orders: refused), the file's records in batches in file
order (groups parents first), and each batch to its owning service.

What no service keeps is read and counted, not sent: properties (orders keeps no product
properties in v1; their values are read with the products) and warehouses (orders keys stock
by the warehouse's external id). An offer of a variant (`product#variant`) that orders does
not know yet, of a product it does know (or that the file brings), becomes a product of its
own first: the variant is what an agent orders."""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from fieldline_exchange.adapters.commerceml import read
from fieldline_exchange.adapters.id_sets import IdSet
from fieldline_exchange.domain.records import (
    UNKNOWN_REFERENCE,
    Counterparty,
    Counts,
    Document,
    Group,
    Offer,
    PriceType,
    Product,
    Property,
    Refusal,
    Skip,
    Warehouse,
)
from fieldline_exchange.domain.reports import ReportLine
from fieldline_exchange.domain.request_ids import sub_request_id
from fieldline_exchange.service_layer.imports import Batch, Checked, Job

GROUPS, PRODUCTS, PRICE_TYPES, OFFERS = "groups", "products", "price_types", "offers"
PRUNE = "prune"
DOCUMENTS, COUNTERPARTIES = "documents", "counterparties"
# Records no service keeps (read and counted only).
_NOT_SENT = (Property, Warehouse)
_KIND = {
    Group: GROUPS,
    Product: PRODUCTS,
    PriceType: PRICE_TYPES,
    Offer: OFFERS,
    Document: DOCUMENTS,
    Counterparty: COUNTERPARTIES,
}
UNSUPPORTED_KIND = "not-supported-yet"
NOT_ALLOWED = "not-allowed"
# The scope a file of each kind needs (docs/contexts/exchange.md, *Partners and access*).
KIND_SCOPES = {
    "catalog": "catalog:import",
    "offers": "offers:import",
    "documents": "documents:import",
    "counterparties": "counterparties:import",
}
_SHOWN = 5  # unknown references named in a refusal's message
MAX_WANTED = 10_000  # unknown references kept (with their lines) by the check pass


class Catalog(Protocol):
    """What the pipeline needs of orders."""

    async def product_external_ids(self, partner_id: str) -> IdSet: ...

    async def price_type_external_ids(self, partner_id: str) -> set[str]: ...

    async def groups(self, partner_id: str, records: Any, request_id: str) -> list[ReportLine]: ...

    async def products(
        self, partner_id: str, records: Any, request_id: str, basics: Any = None
    ) -> list[ReportLine]: ...

    async def product_basics(self, partner_id: str, external_id: str) -> Any: ...

    async def price_types(
        self, partner_id: str, records: Any, request_id: str
    ) -> list[ReportLine]: ...

    async def offers(self, partner_id: str, records: Any, request_id: str) -> list[ReportLine]: ...

    async def prune(self, partner_id: str, offered: Any, request_id: str) -> list[ReportLine]: ...


class Documents(Protocol):
    """What the pipeline needs of clients, orders and settlements for documents."""

    async def counterparties(
        self, partner_id: str, records: Any, request_id: str
    ) -> list[ReportLine]: ...

    async def documents(
        self, partner_id: str, records: Any, request_id: str
    ) -> list[ReportLine]: ...


@dataclass
class _Known:
    """What orders held when a job's run began (products by external id, price types), and
    the products the run has added since."""

    products: IdSet
    price_types: set[str]


class CommerceMLPipeline:
    def __init__(
        self, catalog: Catalog, documents: Documents, *, max_bytes: int | None = None
    ) -> None:
        self._catalog = catalog
        self._documents = documents
        self._max_bytes = max_bytes
        # What orders held when the job under way began (one job at a time per replica: a
        # new job's check reads it afresh, so nothing outlives its job).
        self._known: dict[str, _Known] = {}

    async def _known_of(self, job: Job) -> _Known:
        known = self._known.get(job.job_id)
        if known is None:
            self._known.clear()
            partner = job.partner.partner_id
            known = self._known[job.job_id] = _Known(
                await self._catalog.product_external_ids(partner),
                await self._catalog.price_type_external_ids(partner),
            )
        return known

    # ------------------------------------------------------------------ the check pass
    async def check(self, job: Job) -> Checked:
        self._known.pop(job.job_id, None)  # a new run reads orders afresh
        known = await self._known_of(job)
        return await asyncio.to_thread(self._check, job, known)

    def _check(self, job: Job, known: _Known) -> Checked:
        reading = read(job.path, known_price_types=known.price_types, max_bytes=self._max_bytes)
        counts = Counts(file=job.path.name)
        defined = IdSet()
        # An offer's product the file has not brought (yet) nor orders held: a file brings its
        # products before its offers, so these are normally none — checked again at the end.
        # A file of nothing but unknown offers keeps the first MAX_WANTED, counts the rest.
        wanted: dict[str, int] = {}
        beyond = 0
        for item in reading:
            counts.add(item)
            if isinstance(item, Product):
                defined.include(item.id)  # (the reader refuses a duplicate)
            elif isinstance(item, Offer) and not _resolves(item.id, defined, known.products):
                if len(wanted) < MAX_WANTED or item.id in wanted:
                    wanted.setdefault(item.id, item.line)
                else:
                    beyond += 1
            # A document's lines are what the ERP says it holds (a status, an invoice's
            # amount come from the document itself): nothing in them must resolve, and
            # Bitrix writes a delivery line (`ORDER_DELIVERY`) no catalog holds.
        header = reading.header
        assert header is not None
        scope = KIND_SCOPES.get(header.kind)
        if scope is not None and not job.partner.may(scope):
            raise Refusal(NOT_ALLOWED, f"these credentials may not import {header.kind} ({scope})")
        unknown = sorted(
            (line, pid)
            for pid, line in wanted.items()
            if not _resolves(pid, defined, known.products)
        )
        defined.close()
        if unknown:
            total = len(unknown) + beyond
            named = ", ".join(pid for _, pid in unknown[:_SHOWN])
            more = f" and {total - _SHOWN} more" if total > _SHOWN else ""
            raise Refusal(
                UNKNOWN_REFERENCE,
                f"{total} products are neither in the file nor known: {named}{more} "
                "(send the catalog first)",
                unknown[0][0],
            )
        data = counts.to_json()
        return Checked(
            kind=header.kind,
            version=header.version,
            counts={k: v for k, v in data.items() if isinstance(v, int)},
            skipped=[_skipped(s) for s in counts.skipped],
        )

    # ------------------------------------------------------------------ batches
    def batches(self, job: Job, size: int) -> Generator[Batch, None, None]:
        reading = read(job.path, max_bytes=self._max_bytes)
        offered: dict[str, IdSet] = {}  # price type → the offers priced in it
        n = 0
        for n, (kind, records) in enumerate(_runs(_noting(reading, offered), size)):
            yield Batch(n, kind, records)
        if reading.offers_changes_only is False and offered:
            # A full package: its prices are the lists' whole content, so what the lists
            # hold of offers the file no longer makes goes, once every batch is in.
            yield Batch(n + 1, PRUNE, sorted(offered.items()), counted=False)

    async def apply(self, job: Job, batch: Batch, request_id: str) -> list[ReportLine]:
        partner = job.partner.partner_id
        match batch.kind:
            case "groups":
                return await self._catalog.groups(partner, batch.records, request_id)
            case "products":
                known = await self._known_of(job)
                refused = await self._catalog.products(partner, batch.records, request_id)
                known.products.update(p.id for p in batch.records)
                return refused
            case "price_types":
                return await self._catalog.price_types(partner, batch.records, request_id)
            case "offers":
                return await self._offers(job, batch, request_id)
            case "prune":
                return await self._catalog.prune(partner, batch.records, request_id)
            case "counterparties":
                return await self._documents.counterparties(partner, batch.records, request_id)
            case "documents":
                return await self._documents.documents(partner, batch.records, request_id)
        return [
            ReportLine(r.line or None, r.id, UNSUPPORTED_KIND, f"{batch.kind} are not imported yet")
            for r in batch.records
        ]

    async def _offers(self, job: Job, batch: Batch, request_id: str) -> list[ReportLine]:
        partner = job.partner.partner_id
        known = await self._known_of(job)
        variants = [
            _variant_product(o) for o in batch.records if "#" in o.id and o.id not in known.products
        ]
        refused: list[ReportLine] = []
        if variants:
            basics = {}
            for base in {_base(v.id) for v in variants}:
                found = await self._catalog.product_basics(partner, base)
                if found is not None:
                    basics[base] = found
            refused = await self._catalog.products(
                partner,
                variants,
                sub_request_id(request_id, "variants"),
                {v.id: basics[_base(v.id)] for v in variants if _base(v.id) in basics},
            )
            known.products.update(p.id for p in variants)
        gone = {line.external_id for line in refused}
        offers = [o for o in batch.records if o.id not in gone]
        return refused + await self._catalog.offers(partner, offers, request_id)

    def forget(self, job_id: str) -> None:
        self._known.pop(job_id, None)


def _base(product_id: str) -> str:
    return product_id.partition("#")[0]


def _variant_product(offer: Offer) -> Product:
    """A variant offered before the catalog named it: a product of its own, its name the
    offer's (which 1C writes with the characteristics)."""
    return Product(
        id=offer.id,
        name=offer.name or offer.id,
        article="",
        unit="",
        barcodes=(),
        vat_rate=None,
        group_ids=(),
        property_values=offer.property_values,
        requisites=(),
        variant_of=_base(offer.id),
        characteristics=offer.characteristics,
        line=offer.line,
    )


def _noting(items: Iterable[Any], offered: dict[str, IdSet]) -> Iterator[Any]:
    """`items` as they are, noting each offer under the price types it is priced in."""
    for item in items:
        if isinstance(item, Offer):
            for price in item.prices:
                priced = offered.get(price.price_type_id)
                if priced is None:
                    priced = offered[price.price_type_id] = IdSet()
                priced.include(item.id)
        yield item


def _resolves(product: str, *sets: IdSet) -> bool:
    """Whether an offer's product (or a variant's base product) is in one of `sets`."""
    if any(product in s for s in sets):
        return True
    base = _base(product)
    return base != product and any(base in s for s in sets)


def _skipped(skip: Skip) -> ReportLine:
    return ReportLine(skip.line or None, skip.id, skip.reason, skip.detail)


def _runs(items: Iterable[Any], size: int) -> Iterator[tuple[str, list[Any]]]:
    """Consecutive records of one kind, `size` at a time (skips and what no service keeps
    left out); a run of groups is sent parents first."""
    kind, run = "", list[Any]()
    for item in items:
        if isinstance(item, (Skip, *_NOT_SENT)):
            continue
        this = _KIND[type(item)]
        if this != kind or (len(run) >= size and kind != GROUPS):
            if run:
                yield from _cut(kind, run, size)
            kind, run = this, []
        run.append(item)
    if run:
        yield from _cut(kind, run, size)


def _cut(kind: str, run: list[Any], size: int) -> Iterator[tuple[str, list[Any]]]:
    if kind == GROUPS:
        run = _parents_first(run)
    for start in range(0, len(run), size):
        yield kind, run[start : start + size]


def _parents_first(groups: list[Group]) -> list[Group]:
    """Groups ordered so that each comes after its parent (when the parent is among them)."""
    by_id = {g.id: g for g in groups}
    placed: set[str] = set()
    ordered: list[Group] = []

    def place(group: Group, trail: frozenset[str]) -> None:
        if group.id in placed or group.id in trail:
            return
        parent = by_id.get(group.parent_id or "")
        if parent is not None:
            place(parent, trail | {group.id})
        placed.add(group.id)
        ordered.append(group)

    for group in groups:
        place(group, frozenset())
    return ordered
