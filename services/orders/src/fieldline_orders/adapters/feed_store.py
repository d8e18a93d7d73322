"""Writes of the clients feed's read models: conditional upserts, newest version wins.

Each write is one `INSERT … ON CONFLICT DO UPDATE … WHERE <stored row is older>` (PostgreSQL
and SQLite ≥ 3.35 both have it), so ordering is decided by the database row itself and not by
a read-then-write in Python: two replicas applying events of one aggregate concurrently cannot
let the older one win. `RETURNING` tells whether the event was applied.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, and_, delete, insert, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_kit.repository import Repository
from fieldline_orders.adapters.orm_feed import (
    feed_assignments,
    feed_outlet_audits,
    feed_outlets,
    feed_shelf_counts,
)
from fieldline_orders.domain.feed import AssignmentState, AuditState, OutletState


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


def _later_audit(stmt: Any) -> ColumnElement[bool]:
    t, new = feed_outlet_audits, stmt.excluded
    return or_(
        t.c.submitted_at < new.submitted_at,
        and_(t.c.submitted_at == new.submitted_at, t.c.audit_id < new.audit_id),
        and_(t.c.audit_id == new.audit_id, t.c.version < new.version),
    )


class FeedStore(Repository):
    """The feed's read models; each put is applied only if the record is newer (True then)."""

    async def put_outlet(self, state: OutletState) -> bool:
        t = feed_outlets
        return await _upsert_if(
            self.session,
            t,
            {
                "outlet_id": state.outlet_id,
                "client_id": state.client_id,
                "status": state.status,
                "version": state.version,
            },
            lambda stmt: t.c.version < stmt.excluded.version,
        )

    async def put_assignment(self, state: AssignmentState) -> bool:
        """Put the route × outlet row (a removal keeps it as a tombstone) if the event is newer."""
        t = feed_assignments
        return await _upsert_if(
            self.session,
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

    async def put_audit(self, state: AuditState) -> bool:
        """Make the audit the outlet's latest (by submit time, then id) and replace its checks."""
        won = await _upsert_if(
            self.session,
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
        await self.session.execute(delete(s).where(s.c.outlet_id == state.outlet_id))
        if state.counts:
            await self.session.execute(
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
