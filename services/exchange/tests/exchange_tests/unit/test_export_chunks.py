"""An export query reads and writes its documents a chunk at a time (EXCHANGE_EXPORT_CHUNK):
what it holds is one chunk, whatever it sends, and the set it writes is the same as if it had
read everything first — every document once, in the journal's order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from lxml import etree

from fieldline_exchange.adapters.commerceml.writer import NAMESPACE
from fieldline_exchange.domain.export import ORDER, ExportDocument, Pending
from fieldline_exchange.service_layer.export import Export

from .test_commerceml_writer import ORDER as AN_ORDER


class ReadingInChunks:
    """A reading that notes the chunks asked of it; an order it was told is gone (as orders
    answers NOT_FOUND) is left out, as the real one does."""

    def __init__(self, gone: set[str]) -> None:
        self.chunks: list[list[int]] = []
        self._gone = gone

    async def documents(self, pending: Iterable[Pending]) -> list[ExportDocument]:
        asked = list(pending)
        self.chunks.append([p.number for p in asked])
        return [
            replace(AN_ORDER, order_id=p.document_id, number=p.number, version=p.version)
            for p in asked
            if p.document_id not in self._gone
        ]


def export(tmp_path: Path, chunk: int) -> Export:
    def unused() -> None:
        raise AssertionError("no database in this test")

    return Export(
        unused,
        unused,
        source=None,  # type: ignore[arg-type]
        directory=tmp_path,
        tz=ZoneInfo("Europe/Moscow"),
        clock=lambda: datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
        max_documents=100,
        chunk=chunk,
    )


async def test_documents_are_read_and_written_a_chunk_at_a_time(tmp_path: Path) -> None:
    pending = [Pending(n, ORDER, f"order-{n}", n % 3 + 1) for n in range(1, 8)]
    reading = ReadingInChunks(gone={"order-4"})
    path = tmp_path / "set.xml"

    sent = await export(tmp_path, chunk=3)._write(path, reading, pending)

    assert reading.chunks == [[1, 2, 3], [4, 5, 6], [7]]
    assert sent == [(ORDER, n, n % 3 + 1) for n in (1, 2, 3, 5, 6, 7)]
    ids = etree.parse(str(path)).getroot().findall(f"{{{NAMESPACE}}}Документ/{{{NAMESPACE}}}Ид")
    assert [i.text for i in ids] == [f"order-{n}" for n in (1, 2, 3, 5, 6, 7)]


async def test_nothing_pending_writes_an_empty_set(tmp_path: Path) -> None:
    reading = ReadingInChunks(gone=set())
    path = tmp_path / "empty.xml"
    assert await export(tmp_path, chunk=3)._write(path, reading, []) == []
    assert reading.chunks == []
    assert len(etree.parse(str(path)).getroot()) == 0
