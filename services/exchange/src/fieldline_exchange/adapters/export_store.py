"""The export journal and the partners' exchanges in the exchange's database
(docs/contexts/exchange.md, *Export*; the rules: domain/export.py).

A journal row is made by the first event of its document (the row's number is the document's
number for the ERP) and raised by a newer version only; two replicas making the same row at
once collide on its unique key and the loser's event is delivered again, finding the row. An
acknowledgement raises a partner's acknowledged versions, never lowers them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_exchange.adapters.orm import (
    export_acks,
    export_exchanges,
    export_journal,
    export_sent,
)
from fieldline_exchange.domain.export import Acknowledged, JournalEntry, Pending, newer
from fieldline_kit.errors import Conflict
from fieldline_kit.repository import upsert_if

_j = export_journal.c
_x = export_exchanges.c
_s = export_sent.c
_a = export_acks.c
CHUNK = 500  # rows per statement of a bulk write


class ExportStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ------------------------------------------------------------------ the journal
    async def record(self, entry: JournalEntry, now: datetime) -> bool:
        """The entry into the journal: a new row, or the row raised to a newer version; False
        when it changes nothing (the row holds that version or a newer one, or there is no row
        and the entry is `known_only`)."""
        found = (
            await self.session.execute(
                select(_j.number, _j.version).where(
                    _j.kind == entry.kind, _j.document_id == entry.document_id
                )
            )
        ).first()
        if found is None and entry.known_only:
            return False
        if found is None:
            await self.session.execute(
                insert(export_journal).values(
                    kind=entry.kind,
                    document_id=entry.document_id,
                    version=entry.version,
                    occurred_at=entry.occurred_at,
                    recorded_at=now,
                    payload=entry.payload or None,
                )
            )
            return True
        if not newer(entry.version, found.version):
            return False
        raised = await self.session.execute(
            update(export_journal)
            .where(_j.number == found.number, _j.version < entry.version)
            .values(
                version=entry.version,
                occurred_at=entry.occurred_at,
                payload=entry.payload or None,
            )
        )
        return bool(raised.rowcount)  # type: ignore[attr-defined]

    async def pending(self, partner_id: str, kinds: Sequence[str], limit: int) -> list[Pending]:
        """The journal rows of `kinds` the partner has not acknowledged at their version, by
        number (the oldest first), at most `limit`."""
        acked = export_acks.alias("acked")
        query = (
            select(_j.number, _j.kind, _j.document_id, _j.version, _j.payload)
            .select_from(
                export_journal.outerjoin(
                    acked, (acked.c.partner_id == partner_id) & (acked.c.number == _j.number)
                )
            )
            .where(_j.kind.in_(kinds), or_(acked.c.version.is_(None), acked.c.version < _j.version))
            .order_by(_j.number)
            .limit(limit)
        )
        rows = (await self.session.execute(query)).all()
        return [Pending(r.number, r.kind, r.document_id, r.version, r.payload or b"") for r in rows]

    async def journaled(self, kind: str, document_ids: Sequence[str]) -> set[str]:
        """Which of `document_ids` the journal holds as `kind` (a payment the ERP sends back is
        one Fieldline exported)."""
        found: set[str] = set()
        for start in range(0, len(document_ids), CHUNK):
            rows = await self.session.execute(
                select(_j.document_id).where(
                    _j.kind == kind, _j.document_id.in_(document_ids[start : start + CHUNK])
                )
            )
            found.update(r.document_id for r in rows)
        return found

    # ------------------------------------------------------------------ exchanges
    async def last_exchange(self, partner_id: str) -> int:
        """The number of the partner's latest exchange (0: none yet)."""
        found = await self.session.scalar(
            select(func.max(_x.exchange)).where(_x.partner_id == partner_id)
        )
        return int(found or 0)

    async def add_exchange(
        self, partner_id: str, sent: Sequence[tuple[int, int]], now: datetime
    ) -> int:
        """A new exchange of the partner holding `sent` ((journal number, version) each): its
        number. Conflict when another query of the partner took that number first."""
        number = await self.last_exchange(partner_id) + 1
        try:
            await self.session.execute(
                insert(export_exchanges).values(
                    partner_id=partner_id,
                    exchange=number,
                    documents=len(sent),
                    created_at=now,
                    acknowledged_at=None,
                )
            )
        except IntegrityError:
            raise Conflict(
                f"exchange {number} of partner {partner_id} was made by another query"
            ) from None
        rows = [
            {"partner_id": partner_id, "exchange": number, "number": n, "version": v}
            for n, v in sent
        ]
        for start in range(0, len(rows), CHUNK):
            await self.session.execute(insert(export_sent), rows[start : start + CHUNK])
        return number

    async def acknowledge(
        self, partner_id: str, exchange: int, now: datetime
    ) -> Acknowledged | None:
        """The partner's exchange acknowledged: each of its documents acknowledged at the
        version sent (a newer acknowledgement stays). None when the partner has no such
        exchange; an exchange acknowledged before is answered as it was."""
        found = (
            await self.session.execute(
                select(_x.documents, _x.acknowledged_at).where(
                    _x.partner_id == partner_id, _x.exchange == exchange
                )
            )
        ).first()
        if found is None:
            return None
        if found.acknowledged_at is not None:
            return Acknowledged(exchange, found.documents, found.acknowledged_at)
        sent = (
            await self.session.execute(
                select(_s.number, _s.version).where(
                    _s.partner_id == partner_id, _s.exchange == exchange
                )
            )
        ).all()
        rows = [
            {
                "partner_id": partner_id,
                "number": r.number,
                "version": r.version,
                "exchange": exchange,
            }
            for r in sent
        ]
        raise_if_newer = upsert_if(
            self.session, export_acks, lambda stmt: _a.version < stmt.excluded.version
        )
        for start in range(0, len(rows), CHUNK):
            await self.session.execute(raise_if_newer.values(rows[start : start + CHUNK]))
        await self.session.execute(
            update(export_exchanges)
            .where(_x.partner_id == partner_id, _x.exchange == exchange)
            .values(acknowledged_at=now)
        )
        return Acknowledged(exchange, found.documents, now)
