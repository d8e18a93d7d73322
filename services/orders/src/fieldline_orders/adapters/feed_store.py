"""Writes of the clients feed's read models: conditional upserts, newest version wins.

Each write is one `INSERT … ON CONFLICT DO UPDATE … WHERE <stored row is older>` (PostgreSQL
and SQLite ≥ 3.35 both have it), so ordering is decided by the database row itself and not by
a read-then-write in Python: two replicas applying events of one aggregate concurrently cannot
let the older one win. `RETURNING` tells whether the event was applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, delete, insert, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_orders.adapters.orm_feed import (
    feed_assignments,
    feed_outlet_audits,
    feed_outlets,
    feed_shelf_counts,
)


@dataclass(frozen=True)
class OutletState:
    outlet_id: str
    client_id: str
    status: str
    version: int


@dataclass(frozen=True)
class AssignmentState:
    route_id: str
    outlet_id: str
    agent_id: str
    frequency: int
    weekday_mask: int
    start_date: date
    sequence: int
    removed: bool
    version: int


@dataclass(frozen=True)
class ShelfCount:
    sku: str
    present: bool
    facings: int
    shelf_quantity: Decimal | None


@dataclass(frozen=True)
class AuditState:
    audit_id: str
    outlet_id: str
    submitted_at: datetime
    version: int
    counts: Sequence[ShelfCount]


async def _upsert_if(
    session: AsyncSession,
    table: Table,
    values: dict[str, Any],
    newer: Any,
) -> bool:
    """Insert `values`, or overwrite the row with the same key when `newer(stmt)` holds."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table).values(**values)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values)
    else:  # pragma: no cover - the kit supports exactly these two
        raise RuntimeError(f"unsupported database dialect {dialect!r}")
    keys = [c.name for c in table.primary_key.columns]
    stmt = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={name: stmt.excluded[name] for name in values if name not in keys},
        where=newer(stmt),
    ).returning(*table.primary_key.columns)
    return (await session.execute(stmt)).first() is not None


async def put_outlet(session: AsyncSession, state: OutletState) -> bool:
    t = feed_outlets
    return await _upsert_if(
        session,
        t,
        {
            "outlet_id": state.outlet_id,
            "client_id": state.client_id,
            "status": state.status,
            "version": state.version,
        },
        lambda stmt: t.c.version < stmt.excluded.version,
    )


async def put_assignment(session: AsyncSession, state: AssignmentState) -> bool:
    """Put the route × outlet row (a removal keeps it as a tombstone) if the event is newer."""
    t = feed_assignments
    return await _upsert_if(
        session,
        t,
        {
            "route_id": state.route_id,
            "outlet_id": state.outlet_id,
            "agent_id": state.agent_id,
            "frequency": state.frequency,
            "weekday_mask": state.weekday_mask,
            "start_date": state.start_date,
            "sequence": state.sequence,
            "removed": state.removed,
            "version": state.version,
        },
        lambda stmt: t.c.version < stmt.excluded.version,
    )


def _later_audit(stmt: Any) -> ColumnElement[bool]:
    t, new = feed_outlet_audits, stmt.excluded
    return or_(
        t.c.submitted_at < new.submitted_at,
        and_(t.c.submitted_at == new.submitted_at, t.c.audit_id < new.audit_id),
        and_(t.c.audit_id == new.audit_id, t.c.version < new.version),
    )


async def put_audit(session: AsyncSession, state: AuditState) -> bool:
    """Make the audit the outlet's latest (by submit time, then id) and replace its checks."""
    won = await _upsert_if(
        session,
        feed_outlet_audits,
        {
            "outlet_id": state.outlet_id,
            "audit_id": state.audit_id,
            "submitted_at": state.submitted_at,
            "version": state.version,
        },
        _later_audit,
    )
    if not won:
        return False
    s = feed_shelf_counts
    await session.execute(delete(s).where(s.c.outlet_id == state.outlet_id))
    if state.counts:
        await session.execute(
            insert(s),
            [
                {
                    "outlet_id": state.outlet_id,
                    "sku": c.sku,
                    "present": c.present,
                    "facings": c.facings,
                    "shelf_quantity": c.shelf_quantity,
                    "audit_id": state.audit_id,
                    "submitted_at": state.submitted_at,
                }
                for c in state.counts
            ],
        )
    return True
