"""Promotions' storage: the records (`CatalogRecords`, by external id like the catalog's) and
the reads the API and the eligibility make of them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from fieldline_kit.grpc.convert import decode_token, encode_token
from fieldline_orders.adapters import orm
from fieldline_orders.adapters.catalog_store import CatalogRecords, rows_by
from fieldline_orders.adapters.promotion_rows import promotion_from, promotion_values
from fieldline_orders.domain.promotions import Promotion


class PromotionRepository(CatalogRecords[Promotion]):
    table = orm.promotions
    entity = "promotion"

    def to_row(self, record: Promotion) -> dict[str, Any]:
        return promotion_values(record)

    def from_row(self, row: Row[Any]) -> Promotion:
        return promotion_from(row)

    async def active_on(self, day: date) -> list[Promotion]:
        """Those not stopped whose period holds `day` (few at a time: read whole)."""
        t = self.table
        rows = await self.session.execute(
            select(t).where(t.c.valid_from <= day, t.c.valid_to >= day, t.c.stopped_at.is_(None))
        )
        return [self.from_row(r) for r in rows]

    async def not_ended(self, day: date, also: Iterable[str] = ()) -> list[Promotion]:
        """`promotions_not_ended`, and those of `also` (ids: what a device expected) that
        ended earlier (judged ENDED, never given)."""
        found = await promotions_not_ended(self.session, day)
        missing = set(also) - {p.id for p in found}
        if missing:
            found += (await promotions_by_id(self.session, missing)).values()
        return found

    async def page(
        self, *, size: int, token: str, active_on: date | None
    ) -> tuple[list[Promotion], str]:
        """By id; `active_on`: only those active that day."""
        t = self.table
        after = decode_token(token)
        stmt = select(t).order_by(t.c.id).limit(size + 1)
        if after:
            stmt = stmt.where(t.c.id > after)
        if active_on is not None:
            stmt = stmt.where(
                t.c.valid_from <= active_on, t.c.valid_to >= active_on, t.c.stopped_at.is_(None)
            )
        rows = (await self.session.execute(stmt)).all()
        more = len(rows) > size
        rows = rows[:size]
        token_out = encode_token(rows[-1].id) if more and rows else ""
        return [self.from_row(r) for r in rows], token_out


async def promotions_not_ended(
    session: AsyncSession | AsyncConnection, day: date
) -> list[Promotion]:
    """Those whose period lasts to `day` or later, stopped ones included (an order may still
    get them, or expect them and be told why not): what pricing judges, by id."""
    t = orm.promotions
    rows = await session.execute(select(t).where(t.c.valid_to >= day).order_by(t.c.id))
    return [promotion_from(r) for r in rows]


async def promotions_by_id(session: AsyncSession, ids: Iterable[str]) -> dict[str, Promotion]:
    rows = await rows_by(session, orm.promotions, "id", ids)
    return {pid: promotion_from(row) for pid, row in rows.items()}
