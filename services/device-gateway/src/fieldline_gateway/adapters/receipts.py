"""SQL of the upload receipts, on a unit of work's session.

Every decision two requests could race for (two replicas handling the same batch, a retry
while the first attempt still runs) is one statement the database decides: the claim is an
INSERT … ON CONFLICT DO NOTHING, taking over a stale claim and finishing one are UPDATEs
conditioned on the claim still being the caller's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_gateway.adapters.receipts_tables import upload_receipts
from fieldline_kit.db import utc
from fieldline_kit.repository import dialect_insert

IN_PROGRESS = "inProgress"

_r = upload_receipts.c


@dataclass(frozen=True)
class Receipt:
    employee_id: str
    document_id: str
    kind: str
    digest: str
    status: str  # IN_PROGRESS, or the final status the device was answered
    answer: bytes | None
    creates: str | None
    claim_id: str
    claimed_at: datetime

    @property
    def in_progress(self) -> bool:
        return self.status == IN_PROGRESS


@dataclass(frozen=True)
class Claim:
    """A receipt about to be written: who, which document, from which batch."""

    employee_id: str
    document_id: str
    kind: str
    digest: str
    creates: str | None
    photo_ids: Sequence[str]
    device_id: str
    batch_id: str
    created_at: datetime | None
    sent_at: datetime
    received_at: datetime
    claim_id: str


def _receipt(row: Any) -> Receipt:
    return Receipt(
        employee_id=row.employee_id,
        document_id=row.document_id,
        kind=row.kind,
        digest=row.digest,
        status=row.status,
        answer=None if row.answer is None else bytes(row.answer),
        creates=row.creates,
        claim_id=row.claim_id,
        claimed_at=utc(row.claimed_at),
    )


class Receipts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, employee_id: str, document_id: str) -> Receipt | None:
        query = select(upload_receipts).where(
            _r.employee_id == employee_id, _r.document_id == document_id
        )
        row = (await self.session.execute(query)).first()
        return None if row is None else _receipt(row)

    async def claim(
        self, claim: Claim, *, status: str = IN_PROGRESS, answer: bytes | None = None
    ) -> bool:
        """Insert the receipt as claimed (or straight as final, with `status` and `answer`);
        False when a receipt for the document exists already."""
        values = {
            "employee_id": claim.employee_id,
            "document_id": claim.document_id,
            "kind": claim.kind,
            "digest": claim.digest,
            "status": status,
            "answer": answer,
            "creates": claim.creates,
            "photo_ids": json.dumps(list(claim.photo_ids)),
            "device_id": claim.device_id,
            "batch_id": claim.batch_id,
            "created_at": claim.created_at,
            "sent_at": claim.sent_at,
            "received_at": claim.received_at,
            "claim_id": claim.claim_id,
            "claimed_at": claim.received_at,
        }
        result = await self.session.execute(
            dialect_insert(self.session, upload_receipts).values(**values).on_conflict_do_nothing()
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def take_over(
        self,
        employee_id: str,
        document_id: str,
        *,
        held_by: str,
        claim_id: str,
        now: datetime,
        batch_id: str,
        device_id: str,
    ) -> bool:
        """Take a claim whose holder died (the caller judged it stale): True when it was still
        `held_by`'s, now the caller's."""
        result = await self.session.execute(
            update(upload_receipts)
            .where(
                _r.employee_id == employee_id,
                _r.document_id == document_id,
                _r.status == IN_PROGRESS,
                _r.claim_id == held_by,
            )
            .values(claim_id=claim_id, claimed_at=now, batch_id=batch_id, device_id=device_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def finish(
        self, employee_id: str, document_id: str, claim_id: str, status: str, answer: bytes
    ) -> bool:
        """Make the caller's claim final; False when the claim is no longer its (taken over)."""
        result = await self.session.execute(
            update(upload_receipts)
            .where(
                _r.employee_id == employee_id,
                _r.document_id == document_id,
                _r.status == IN_PROGRESS,
                _r.claim_id == claim_id,
            )
            .values(status=status, answer=answer)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release(self, employee_id: str, document_id: str, claim_id: str) -> None:
        """Drop the caller's claim (the document was deferred: nothing was decided)."""
        await self.session.execute(
            delete(upload_receipts).where(
                _r.employee_id == employee_id,
                _r.document_id == document_id,
                _r.status == IN_PROGRESS,
                _r.claim_id == claim_id,
            )
        )

    async def creators(
        self, employee_id: str, entities: Iterable[str]
    ) -> list[tuple[str, str, str]]:
        """(entity, status, documentId) of the employee's receipts of documents that created
        any of `entities`, oldest first."""
        wanted = sorted(set(entities))
        if not wanted:
            return []
        query = (
            select(_r.creates, _r.status, _r.document_id)
            .where(_r.employee_id == employee_id, _r.creates.in_(wanted))
            .order_by(_r.received_at, _r.document_id)
        )
        return [(r.creates, r.status, r.document_id) for r in await self.session.execute(query)]

    async def purge(self, before: datetime) -> int:
        """Drop the receipts received before `before` (GATEWAY_RECEIPT_DAYS; a claim that old
        is long dead); their count."""
        result = await self.session.execute(delete(upload_receipts).where(_r.received_at < before))
        return int(result.rowcount)  # type: ignore[attr-defined]
