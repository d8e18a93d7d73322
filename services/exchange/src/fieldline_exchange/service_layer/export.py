"""The export (docs/contexts/exchange.md, *Export*; the rules: domain/export.py).

* `record` (the `exchange-*-export` consumers): an order's, a cash payment's or an outlet's
  event into the journal.
* `Export.query` (1C's `mode=query`, `GET /v1/export/documents`): the documents the partner
  has not acknowledged (orders each read as it is now; payments and outlets as their events
  carried them), written as a CommerceML document set, and marked *sent* in the partner's next
  exchange — sent, not acknowledged: a query repeated without an acknowledgement sends them
  again, with whatever is newer.
* `Export.acknowledge` (`mode=success`, `POST /v1/export/ack`): the partner's last exchange
  (or the one it names) acknowledged; its documents are not sent again until they change.

Nothing is marked sent unless every document was read (a service out of reach fails the query),
and a query that finds nothing pending makes no exchange."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, Protocol

from prometheus_client import Counter

from fieldline_exchange.adapters.commerceml.writer import DocumentsWriter
from fieldline_exchange.adapters.export_store import ExportStore
from fieldline_exchange.domain.export import (
    KINDS,
    ORDER,
    OUTLET,
    PAYMENT,
    Acknowledged,
    Exchange,
    ExportDocument,
    JournalEntry,
    OrderDocument,
    PaymentDocument,
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
CHUNK = 500  # documents read (and held) at once by an export: EXCHANGE_EXPORT_CHUNK


class Reading(Protocol):
    async def documents(self, pending: Iterable[Pending]) -> list[ExportDocument]:
        """The pending documents, in the order given (orders unknown to orders left out)."""


class DocumentsReader(Protocol):
    def reading(self, partner_id: str) -> Reading:
        """One export's reads as the partner (what it read once, it keeps for the next chunk)."""


@dataclass(frozen=True)
class Exported:
    """A query's document set (a file the caller sends and then deletes) and its exchange."""

    path: Path
    exchange: Exchange


def journaled(
    read_uow: Callable[[], Any], kind: str
) -> Callable[[Sequence[str]], Awaitable[set[str]]]:
    """Which of some document ids the journal holds as `kind` (what Fieldline exported)."""

    async def find(document_ids: Sequence[str]) -> set[str]:
        if not document_ids:
            return set()
        async with read_uow() as uow:
            return await ExportStore(uow.session).journaled(kind, document_ids)

    return find


def _kind(document: ExportDocument) -> str:
    if isinstance(document, OrderDocument):
        return ORDER
    return PAYMENT if isinstance(document, PaymentDocument) else OUTLET


async def record(uow: Any, entry: JournalEntry, now: datetime) -> bool:
    """The event's document into the journal, inside the consumer's transaction (its inbox
    row beside it); False when it changes nothing (a redelivery, an older version)."""
    return await ExportStore(uow.session).record(entry, now)


class Export:
    def __init__(
        self,
        uow: Callable[[], Any],
        read_uow: Callable[[], Any],
        source: DocumentsReader,
        *,
        directory: Path,
        tz: tzinfo,
        clock: Callable[[], datetime],
        max_documents: int,
        currency: str = "RUB",
        chunk: int = CHUNK,
    ) -> None:
        self._uow = uow
        self._read_uow = read_uow
        self._source = source
        self._currency = currency
        self._directory = directory
        self._tz = tz
        self._clock = clock
        self._max_documents = max_documents
        self._chunk = chunk

    async def query(self, caller: PartnerCaller) -> Exported:
        async with self._read_uow() as uow:
            pending = await ExportStore(uow.session).pending(
                caller.partner_id, KINDS, self._max_documents
            )
        self._directory.mkdir(parents=True, exist_ok=True)
        path = self._directory / f"documents-{uuid.uuid4().hex}.xml"
        try:
            sent = await self._write(path, self._source.reading(caller.partner_id), pending)
            number = await self._sent(caller.partner_id, sent) if sent else 0
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        for kind, _, _ in sent:
            EXPORTED.labels(kind).inc()
        log.info(
            "documents exported",
            partner_id=caller.partner_id,
            exchange=number,
            documents=len(sent),
            pending=len(pending),
        )
        return Exported(path, Exchange(number, len(sent)))

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

    async def _write(
        self, path: Path, reading: Reading, pending: Sequence[Pending]
    ) -> list[tuple[str, int, int]]:
        """The pending documents read and written a chunk at a time, so that an export holds
        one chunk in memory whatever it sends; (kind, number, version) of each written.

        The writer lives on a thread of its own (lxml's incremental writer is used from the
        thread that opened it), while the next chunk is read on the event loop."""
        writer = DocumentsWriter(
            path, tz=self._tz, generated_at=self._clock(), currency=self._currency
        )
        sent: list[tuple[str, int, int]] = []
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-writer") as thread:
            await loop.run_in_executor(thread, writer.__enter__)
            try:
                for start in range(0, len(pending), self._chunk):
                    documents = await reading.documents(pending[start : start + self._chunk])
                    await loop.run_in_executor(thread, writer.write_all, documents)
                    sent += [(_kind(d), d.number, d.version) for d in documents]
            except BaseException as exc:
                await loop.run_in_executor(
                    thread, writer.__exit__, type(exc), exc, exc.__traceback__
                )
                raise
            await loop.run_in_executor(thread, writer.__exit__, None, None, None)
        return sent

    async def _sent(self, partner_id: str, documents: Sequence[tuple[str, int, int]]) -> int:
        """The partner's next exchange, holding each document at the version written."""
        sent = [(number, version) for _, number, version in documents]
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
