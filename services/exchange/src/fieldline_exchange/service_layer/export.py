"""The order export (docs/contexts/exchange.md, *Export*; the rules: domain/export.py).

* `record` (the `exchange-orders-export` consumer): an order's event into the journal.
* `Export.query` (1C's `mode=query`, `GET /v1/export/orders`): the orders the partner has not
  acknowledged, each read as it is now, written as a CommerceML document set, and marked
  *sent* in the partner's next exchange — sent, not acknowledged: a query repeated without an
  acknowledgement sends them again, with whatever is newer.
* `Export.acknowledge` (`mode=success`, `POST /v1/export/ack`): the partner's last exchange
  (or the one it names) acknowledged; its documents are not sent again until they change.

Nothing is marked sent unless every order was read (a service out of reach fails the query),
and a query that finds nothing pending makes no exchange."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, Protocol

from prometheus_client import Counter

from fieldline_exchange.adapters.commerceml.writer import OrdersWriter
from fieldline_exchange.adapters.export_store import ExportStore
from fieldline_exchange.domain.export import (
    ORDER,
    Acknowledged,
    Exchange,
    JournalEntry,
    OrderDocument,
    Pending,
)
from fieldline_exchange.domain.partners import PartnerCaller
from fieldline_kit.errors import Conflict, NotFound
from fieldline_kit.logging import get_logger

log = get_logger("fieldline.exchange.export")

EXPORTED = Counter(
    "fieldline_exchange_exported_documents_total",
    "Documents written into an export's document set (sent, not yet acknowledged)",
    ["kind"],
)
ATTEMPTS = 3  # a partner's two queries at once: the later takes the next exchange number


class OrdersReader(Protocol):
    async def orders(self, partner_id: str, pending: Iterable[Pending]) -> list[OrderDocument]:
        """The pending orders as they are now (those unknown left out)."""


@dataclass(frozen=True)
class Exported:
    """A query's document set (a file the caller sends and then deletes) and its exchange."""

    path: Path
    exchange: Exchange


async def record(uow: Any, entry: JournalEntry, now: datetime) -> bool:
    """The event's document into the journal, inside the consumer's transaction (its inbox
    row beside it); False when it changes nothing (a redelivery, an older version)."""
    return await ExportStore(uow.session).record(entry, now)


class Export:
    def __init__(
        self,
        uow: Callable[[], Any],
        read_uow: Callable[[], Any],
        orders: OrdersReader,
        *,
        directory: Path,
        tz: tzinfo,
        clock: Callable[[], datetime],
        max_documents: int,
    ) -> None:
        self._uow = uow
        self._read_uow = read_uow
        self._orders = orders
        self._directory = directory
        self._tz = tz
        self._clock = clock
        self._max_documents = max_documents

    async def query(self, caller: PartnerCaller) -> Exported:
        async with self._read_uow() as uow:
            pending = await ExportStore(uow.session).pending(
                caller.partner_id, ORDER, self._max_documents
            )
        documents = await self._orders.orders(caller.partner_id, pending) if pending else []
        self._directory.mkdir(parents=True, exist_ok=True)
        path = self._directory / f"orders-{uuid.uuid4().hex}.xml"
        try:
            await asyncio.to_thread(self._write, path, documents)
            number = await self._sent(caller.partner_id, documents) if documents else 0
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        EXPORTED.labels(ORDER).inc(len(documents))
        log.info(
            "orders exported",
            partner_id=caller.partner_id,
            exchange=number,
            documents=len(documents),
            pending=len(pending),
        )
        return Exported(path, Exchange(number, len(documents)))

    async def acknowledge(self, caller: PartnerCaller, exchange: int | None = None) -> Acknowledged:
        """The named exchange (None: the partner's last) acknowledged; NotFound for a number
        the partner never had. With none to acknowledge, `number` 0."""
        async with self._uow() as uow:
            store = ExportStore(uow.session)
            number = await store.last_exchange(caller.partner_id) if exchange is None else exchange
            if number == 0 and exchange is None:
                return Acknowledged(0, 0, None)
            done = await store.acknowledge(caller.partner_id, number, self._clock())
            if done is None:
                raise NotFound("exchange", str(number), "exchange")
            await uow.commit()
        log.info(
            "export acknowledged",
            partner_id=caller.partner_id,
            exchange=done.number,
            documents=done.documents,
        )
        return done

    def _write(self, path: Path, documents: Sequence[OrderDocument]) -> None:
        with OrdersWriter(path, tz=self._tz, generated_at=self._clock()) as writer:
            writer.write_all(documents)

    async def _sent(self, partner_id: str, documents: Sequence[OrderDocument]) -> int:
        """The partner's next exchange, holding each document at the version written."""
        sent = [(d.number, d.version) for d in documents]
        for attempt in range(ATTEMPTS):
            try:
                async with self._uow() as uow:
                    number: int = await ExportStore(uow.session).add_exchange(
                        partner_id, sent, self._clock()
                    )
                    await uow.commit()
                return number
            except Conflict:
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover
