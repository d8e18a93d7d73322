"""The employee directory's table, for a service that keeps it from clients' events.

One row per employee, as the last applied `EmployeeChanged` (by aggregate version) left it:
`put_standing` writes it (newest version wins, in one statement), `table_lookup` reads it for
`EmployeeDirectory` (fieldline_kit.auth.directory).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fieldline_kit.auth.directory import (
    EmployeeDirectory,
    Lookup,
    Snapshot,
    Standing,
)
from fieldline_kit.repository import put_if

ROLE_SEPARATOR = ","


def directory_table(metadata: MetaData, name: str = "auth_employees") -> Table:
    """Employees' standing, one row each, as the last applied event (by version) left it."""
    return Table(
        name,
        metadata,
        Column("employee_id", String(64), primary_key=True),
        Column("active", Boolean, nullable=False),
        # Role names (AGENT, SUPERVISOR, …) joined by commas, sorted.
        Column("roles", String(200), nullable=False),
        Column("supervisor_id", String(64), nullable=False, index=True),
        Column("territory_id", String(64), nullable=False),
        Column("distributor_id", String(64), nullable=False),
        # The employee's aggregate version of the event that wrote the row.
        Column("version", BigInteger, nullable=False),
    )


def _roles_text(roles: Iterable[str]) -> str:
    return ROLE_SEPARATOR.join(sorted(set(roles)))


def standing_of(row: Mapping[Any, Any]) -> Standing:
    """A row of the directory table (its `roles` as stored: names joined by commas)."""
    return Standing(
        active=bool(row["active"]),
        roles=frozenset(r for r in str(row["roles"]).split(ROLE_SEPARATOR) if r),
        supervisor_id=str(row["supervisor_id"]),
        territory_id=str(row["territory_id"]),
        distributor_id=str(row["distributor_id"]),
    )


async def put_standing(
    session: AsyncSession, table: Table, employee_id: str, standing: Standing, version: int
) -> bool:
    """Record the employee's standing as of `version`; False (nothing written) when the row
    already holds a newer one (events of one employee may arrive out of order)."""
    values = {
        "employee_id": employee_id,
        "active": standing.active,
        "roles": _roles_text(standing.roles),
        "supervisor_id": standing.supervisor_id,
        "territory_id": standing.territory_id,
        "distributor_id": standing.distributor_id,
        "version": version,
    }
    return await put_if(session, table, values)


async def supervised_by(session: AsyncSession, table: Table, supervisor_id: str) -> frozenset[str]:
    """The employees whose supervisor is `supervisor_id` (a supervisor's team), as last
    reported."""
    query = select(table.c.employee_id).where(table.c.supervisor_id == supervisor_id)
    return frozenset(await session.scalars(query))


def table_lookup(sessions: async_sessionmaker[AsyncSession], table: Table) -> Lookup:
    """A `Lookup` reading `table` (one primary-key read in its own short transaction)."""
    columns = (
        table.c.active,
        table.c.roles,
        table.c.supervisor_id,
        table.c.territory_id,
        table.c.distributor_id,
    )

    async def lookup(subject: str) -> Standing | None:
        async with sessions() as session:
            query = select(*columns).where(table.c.employee_id == subject)
            row = (await session.execute(query)).mappings().first()
        return None if row is None else standing_of(row)

    return lookup


def table_snapshot(sessions: async_sessionmaker[AsyncSession], table: Table) -> Snapshot:
    """A `Snapshot` reading the whole of `table`."""
    columns = [table.c.employee_id, table.c.active, table.c.roles]
    columns += [table.c.supervisor_id, table.c.territory_id, table.c.distributor_id]

    async def snapshot() -> dict[str, Standing]:
        async with sessions() as session:
            rows = (await session.execute(select(*columns))).mappings().all()
        return {str(r["employee_id"]): standing_of(r) for r in rows}

    return snapshot


def table_directory(sessions: async_sessionmaker[AsyncSession], table: Table) -> EmployeeDirectory:
    """The employee directory of a service that keeps `table` (read with `sessions`): the
    whole table in memory, refreshed every second; per-employee reads until the first."""
    return EmployeeDirectory(
        table_lookup(sessions, table),
        snapshot=table_snapshot(sessions, table),
    )
