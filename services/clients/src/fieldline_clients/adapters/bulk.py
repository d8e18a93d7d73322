"""Rows of many new aggregates at once: the write side of a bulk load (see entrypoints/bulk_load).

Aggregates are buffered as they come and written on `flush()` in foreign-key order, each table
with one executemany of rows made by the repositories' own `to_row` (so they are the rows the
use cases would write), in a transaction of its own. No aggregate is tracked by the unit of
work, so no outbox row is written: a bulk load seeds a database nobody consumes yet.

A route is written when first flushed; the assignments added to it afterwards move its version
on, and `finish()` writes the versions it ended at.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_clients.adapters import orm
from fieldline_clients.adapters.event_mapper import ClientsEvents
from fieldline_clients.adapters.repository import ClientsUnitOfWork
from fieldline_clients.domain.fieldwork import Questionnaire
from fieldline_clients.domain.model import (
    Client,
    Employee,
    Outlet,
    Route,
    RouteAssignment,
    Territory,
)
from fieldline_kit.bulk_insert import RowsInsert
from fieldline_kit.db import analyze as analyze_tables
from fieldline_kit.db import create_engine, dispose, session_factory

Aggregate = Territory | Questionnaire | Client | Employee | Outlet | Route | RouteAssignment
# Flush order: what a row refers to is written before it.
_ORDER: tuple[type, ...] = (
    Territory,
    Questionnaire,
    Client,
    Employee,
    Outlet,
    Route,
    RouteAssignment,
)
# The tables a bulk load writes (and finds empty before it starts).
TABLES = (
    orm.territories,
    orm.questionnaires,
    orm.clients,
    orm.employees,
    orm.outlets,
    orm.outlet_card_history,
    orm.routes,
    orm.route_assignments,
)


class BulkRows:
    def __init__(self, database_url: str) -> None:
        self.engine = create_engine(database_url)
        sessions = session_factory(self.engine)
        self._uow = functools.partial(ClientsUnitOfWork, sessions, orm.kit, ClientsEvents())
        self._buffers: dict[type, list[Any]] = {kind: [] for kind in _ORDER}
        self.buffered = 0
        self._routes: list[tuple[Route, int]] = []  # every route written, at the version written

    def add(self, aggregate: Aggregate) -> None:
        self._buffers[type(aggregate)].append(aggregate)
        self.buffered += 1

    async def flush(self) -> None:
        if not self.buffered:
            return
        async with self._uow() as uow:
            for kind in _ORDER:
                for table, rows in self._rows(uow, kind, self._buffers[kind]):
                    await _insert(uow.session, table, rows)
                self._buffers[kind].clear()
            await uow.commit()
        self.buffered = 0

    def _rows(
        self, uow: ClientsUnitOfWork, kind: type, items: list[Any]
    ) -> list[tuple[Table, list[dict[str, Any]]]]:
        """The rows of the buffered aggregates of one kind, table by table."""
        if kind is Outlet:
            history = [row for o in items for row in uow.outlets.history_rows(o)]
            return [
                (orm.outlets, [uow.outlets.to_row(o) for o in items]),
                (orm.outlet_card_history, history),
            ]
        if kind is RouteAssignment:
            return [(orm.route_assignments, [uow.routes.assignment_row(a) for a in items])]
        if kind is Route:
            self._routes.extend((r, r.version) for r in items)
        repository: Any = {
            Territory: uow.territories,
            Questionnaire: uow.questionnaires,
            Client: uow.clients,
            Employee: uow.employees,
            Route: uow.routes,
        }[kind]
        return [(repository.table, [repository.to_row(x) for x in items])]

    async def finish(self, *, analyze: bool = True) -> None:
        """Flush, write the versions routes ended at, and analyze the tables loaded (the planner
        learns their sizes; `fieldline_kit.db.analyze`)."""
        await self.flush()
        moved = [
            {"key": r.id, "v": r.version} for r, written in self._routes if r.version != written
        ]
        async with self.engine.begin() as conn:
            if moved:
                t = orm.routes
                stmt = update(t).where(t.c.id == bindparam("key")).values(version=bindparam("v"))
                await conn.execute(stmt, moved)
            if analyze:
                await analyze_tables(conn, TABLES)

    async def holds_data(self) -> bool:
        async with self.engine.connect() as conn:
            for t in TABLES:
                if (await conn.execute(select(t).limit(1))).first() is not None:
                    return True
        return False

    async def counts(self) -> dict[str, int]:
        """Rows per table written by bulk loads."""
        async with self.engine.connect() as conn:
            return {
                t.name: int((await conn.execute(select(func.count()).select_from(t))).scalar_one())
                for t in TABLES
            }

    async def close(self) -> None:
        await dispose(self.engine)


async def _insert(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        spec = _rows_insert(table, tuple(rows[0]))
        await spec.execute(session, [tuple(row.values()) for row in rows])


@functools.lru_cache(maxsize=32)
def _rows_insert(table: Table, columns: tuple[str, ...]) -> RowsInsert:
    return RowsInsert(table, columns)
