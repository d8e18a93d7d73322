"""Promotion budgets and their ledger (domain/budgets.py): each limited budget's row (total,
consumed) and its entries.

`states(…, lock=True)` takes the budget rows for the rest of the transaction, in promotion id
order (PostgreSQL: `SELECT … FOR UPDATE`; SQLite has one writer at a time, the kit beginning
writes with `BEGIN IMMEDIATE`, so nothing else writes meanwhile), so the check of what is left
and the write of the consumption are one step. `record` inserts entries (a unique promotion ×
order × revision × kind: one already there is skipped) and moves each budget's `consumed` by
what was inserted, relative to its value in the row (`consumed = consumed + delta`), so a
release never loses a concurrent consumption; the CHECK `consumed <= total` aborts a
transaction rather than let a bug overspend.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from fieldline_kit.bulk_insert import RowsInsert
from fieldline_kit.db import utc
from fieldline_kit.grpc.convert import decode_token, encode_token
from fieldline_kit.repository import Repository
from fieldline_orders.adapters import orm
from fieldline_orders.adapters.rows import chunks, qty
from fieldline_orders.domain.budgets import BudgetEntry, BudgetState, EntryKind, totals

_ENTRY_COLUMNS = ("promotion_id", "order_id", "revision", "kind", "delta", "created_at")
INSERT_ENTRIES = RowsInsert(
    orm.promotion_budget_entries,
    _ENTRY_COLUMNS,
    on_conflict_do_nothing=("promotion_id", "order_id", "revision", "kind"),
    returning=("promotion_id", "order_id", "revision", "kind"),
)
_b = orm.promotion_budgets
MOVE_CONSUMED = (
    update(_b)
    .where(_b.c.promotion_id == bindparam("pid"))
    .values(consumed=_b.c.consumed + bindparam("delta", type_=_b.c.consumed.type))
)


def entry_from(row: Row[Any]) -> BudgetEntry:
    return BudgetEntry(
        row.promotion_id,
        row.order_id,
        row.revision,
        EntryKind(row.kind),
        qty(row.delta),
        utc(row.created_at),
    )


async def budget_states(
    session: AsyncSession | AsyncConnection, ids: Iterable[str], *, lock: bool = False
) -> dict[str, BudgetState]:
    """The budgets of these promotions (those with a limited budget), read or locked."""
    wanted = sorted(set(ids))
    out: dict[str, BudgetState] = {}
    for part in chunks(wanted):
        stmt = (
            select(_b.c.promotion_id, _b.c.total, _b.c.consumed)
            .where(_b.c.promotion_id.in_(list(part)))
            .order_by(_b.c.promotion_id)
        )
        if lock:
            stmt = stmt.with_for_update()
        for r in await session.execute(stmt):
            out[r.promotion_id] = BudgetState(qty(r.total), qty(r.consumed))
    return out


class BudgetLedger(Repository):
    async def states(self, ids: Iterable[str], *, lock: bool = False) -> dict[str, BudgetState]:
        return await budget_states(self.session, ids, lock=lock)

    async def record(self, entries: Sequence[BudgetEntry]) -> list[BudgetEntry]:
        """Insert the entries not there yet and move each budget by them; those inserted."""
        if not entries:
            return []
        rows = [
            (e.promotion_id, e.order_id, e.revision, e.kind.value, e.delta, e.at) for e in entries
        ]
        returned = await INSERT_ENTRIES.execute(self.session, rows)
        keys = {(r[0], r[1], int(r[2]), r[3]) for r in returned}
        inserted = [
            e for e in entries if (e.promotion_id, e.order_id, e.revision, e.kind.value) in keys
        ]
        moves = totals(inserted)
        if any(moves.values()):
            await self.session.execute(
                MOVE_CONSUMED,
                [{"pid": pid, "delta": delta} for pid, delta in sorted(moves.items()) if delta],
            )
        return inserted

    async def of_order(self, order_id: str) -> list[BudgetEntry]:
        t = orm.promotion_budget_entries
        rows = await self.session.execute(
            select(t).where(t.c.order_id == order_id).order_by(t.c.id)
        )
        return [entry_from(r) for r in rows]

    async def put_totals(self, totals_by_id: dict[str, Decimal]) -> None:
        """Each budget's total (a new budget: nothing consumed)."""
        if not totals_by_id:
            return
        dialect = (await self.session.connection()).dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        for pid, total in sorted(totals_by_id.items()):
            stmt = insert(_b).values(promotion_id=pid, total=total, consumed=Decimal(0))
            await self.session.execute(
                stmt.on_conflict_do_update(index_elements=["promotion_id"], set_={"total": total})
            )

    async def page(
        self, promotion_id: str, *, size: int, token: str
    ) -> tuple[list[tuple[int, BudgetEntry]], str]:
        """The promotion's entries, oldest first."""
        t = orm.promotion_budget_entries
        after = decode_token(token)
        stmt = select(t).where(t.c.promotion_id == promotion_id).order_by(t.c.id).limit(size + 1)
        if after:
            stmt = stmt.where(t.c.id > int(after))
        rows = (await self.session.execute(stmt)).all()
        more = len(rows) > size
        rows = rows[:size]
        next_token = encode_token(str(rows[-1].id)) if more and rows else ""
        return [(r.id, entry_from(r)) for r in rows], next_token
