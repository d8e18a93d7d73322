"""Writes of the clients feed's read models: conditional upserts, newest version wins.

Each write is one `INSERT … ON CONFLICT DO UPDATE … WHERE <stored row is older>` (PostgreSQL
and SQLite ≥ 3.35 both have it), so ordering is decided by the database row itself and not by
a read-then-write in Python: two replicas applying events of one aggregate concurrently cannot
let the older one win. `RETURNING` tells whether the event was applied.

The `put_*s` forms (a bulk load's, many records in one transaction) send the same statement
once for all the records (an executemany: the rows applied one after another, each against
the row as the ones before it left it), so they end as `put_*` of each in turn would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_kit.auth.directory import Standing
from fieldline_kit.auth.directory_table import put_standing
from fieldline_kit.repository import Repository, newer_version, put_if, upsert_if
from fieldline_orders.adapters.orm_feed import (
    feed_assignments,
    feed_clients,
    feed_employees,
    feed_outlet_audits,
    feed_outlets,
    feed_shelf_counts,
    feed_territories,
    feed_visits,
)
from fieldline_orders.adapters.rows import chunks
from fieldline_orders.domain.feed import (
    AssignmentState,
    AuditState,
    ClientState,
    EmployeeState,
    FeedRecord,
    OutletState,
    TerritoryState,
    VisitState,
)


async def _put(
    session: AsyncSession, table: Table, record: FeedRecord, newer: Any = newer_version
) -> bool:
    """One record; True if it was written."""
    return await put_if(session, table, _row(table, record), newer)


async def _put_all(
    session: AsyncSession, table: Table, records: Sequence[FeedRecord], newer: Any = newer_version
) -> None:
    """Many records, each as `_put` would write it after the ones before it."""
    if records:
        rows = [_row(table, r) for r in records]
        await session.execute(upsert_if(session, table, newer), rows)


def _row(table: Table, record: FeedRecord) -> dict[str, Any]:
    """The record's row: each column of `table` is the record's field of that name."""
    return {c.name: getattr(record, c.name) for c in table.columns}


def _count_rows(state: AuditState) -> list[dict[str, Any]]:
    return [
        {
            "outlet_id": state.outlet_id,
            "sku": c.sku,
            "present": c.present,
            "facings": c.facings,
            "shelf_quantity": c.shelf_quantity,
            "audit_id": state.audit_id,
            "submitted_at": state.submitted_at,
            "performed_at": state.performed_at,
        }
        for c in state.counts
    ]


def _later_audit(stmt: Any) -> ColumnElement[bool]:
    """The audit offered is later than the stored one: by the device's time of it (else its
    submit time), then id; the same audit by version."""
    t, new = feed_outlet_audits, stmt.excluded
    held = func.coalesce(t.c.performed_at, t.c.submitted_at)
    offered = func.coalesce(new.performed_at, new.submitted_at)
    return or_(
        held < offered,
        and_(held == offered, t.c.audit_id < new.audit_id),
        and_(t.c.audit_id == new.audit_id, t.c.version < new.version),
    )


class FeedStore(Repository):
    """The feed's read models; each put is applied only if the record is newer (True then)."""

    async def put_client(self, state: ClientState) -> bool:
        """Put the client's type if the event is newer."""
        return await _put(self.session, feed_clients, state)

    async def put_clients(self, states: Sequence[ClientState]) -> None:
        await _put_all(self.session, feed_clients, states)

    async def put_outlet(self, state: OutletState) -> bool:
        return await _put(self.session, feed_outlets, state)

    async def put_outlets(self, states: Sequence[OutletState]) -> None:
        await _put_all(self.session, feed_outlets, states)

    async def put_territory(self, state: TerritoryState) -> bool:
        """Put the territory (its parent) if the event is newer."""
        return await _put(self.session, feed_territories, state)

    async def put_territories(self, states: Sequence[TerritoryState]) -> None:
        await _put_all(self.session, feed_territories, states)

    async def put_assignment(self, state: AssignmentState) -> bool:
        """Put the route × outlet row (a removal keeps it as a tombstone) if the event is newer."""
        return await _put(self.session, feed_assignments, state)

    async def put_assignments(self, states: Sequence[AssignmentState]) -> None:
        await _put_all(self.session, feed_assignments, states)

    async def put_employee(self, state: EmployeeState) -> bool:
        standing = Standing(
            state.active,
            state.roles,
            state.supervisor_id,
            state.territory_id,
            state.distributor_id,
        )
        return await put_standing(
            self.session, feed_employees, state.employee_id, standing, state.version
        )

    async def put_employees(self, states: Sequence[EmployeeState]) -> None:
        for state in states:  # a company has hundreds of employees, not millions
            await self.put_employee(state)

    async def put_visit(self, state: VisitState) -> bool:
        """Put the visit (its agent, outlet, day, status) if the event is newer."""
        return await _put(self.session, feed_visits, state)

    async def put_visits(self, states: Sequence[VisitState]) -> None:
        await _put_all(self.session, feed_visits, states)

    async def put_audit(self, state: AuditState) -> bool:
        """Make the audit the outlet's latest (by its time, then id) and replace its checks."""
        if not await _put(self.session, feed_outlet_audits, state, _later_audit):
            return False
        await self._replace_counts([state])
        return True

    async def put_audits(self, states: Sequence[AuditState]) -> None:
        """`put_audit` of each in turn: the audits in one statement, then the checks of each
        outlet whose latest audit is now one of `states` replaced by that audit's."""
        await _put_all(self.session, feed_outlet_audits, states, _later_audit)
        t = feed_outlet_audits
        latest: dict[str, tuple[str, int]] = {}
        for chunk in chunks(sorted({s.outlet_id for s in states})):
            found = await self.session.execute(
                select(t.c.outlet_id, t.c.audit_id, t.c.version).where(t.c.outlet_id.in_(chunk))
            )
            latest.update({r.outlet_id: (r.audit_id, r.version) for r in found})
        won: dict[str, AuditState] = {}
        for s in states:
            if latest.get(s.outlet_id) == (s.audit_id, s.version):
                won.setdefault(s.outlet_id, s)  # the first: a later equal one did not win
        await self._replace_counts(list(won.values()))

    async def _replace_counts(self, audits: Sequence[AuditState]) -> None:
        """The outlets' shelf: the checks of these audits, each its outlet's latest now."""
        s = feed_shelf_counts
        for chunk in chunks([a.outlet_id for a in audits]):
            await self.session.execute(delete(s).where(s.c.outlet_id.in_(chunk)))
        rows = [row for a in audits for row in _count_rows(a)]
        if rows:
            await self.session.execute(insert(s), rows)
