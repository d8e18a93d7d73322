"""Employees' current standing for the auth check, read from this context's own employees.

Clients owns the employee records, so its directory is the table itself (the other services
keep a copy fed by `EmployeeChanged`): the whole of it in memory, read again every second,
per-employee reads until the first read; see fieldline_kit.auth.directory for what is checked.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fieldline_clients.adapters.orm import employees
from fieldline_clients.bootstrap import App
from fieldline_clients.domain.model import Role
from fieldline_kit.auth.directory import EmployeeDirectory, Standing

_COLUMNS = (
    employees.c.id,
    employees.c.active,
    employees.c.roles,
    employees.c.supervisor_id,
    employees.c.territory_id,
    employees.c.distributor_id,
)


def _standing(row: Any) -> Standing:
    return Standing(
        active=row.active,
        # Stored as the domain's values (agent); tokens name roles as the enum (AGENT).
        roles=frozenset(Role(r).name for r in row.roles),
        supervisor_id=row.supervisor_id,
        territory_id=row.territory_id,
        distributor_id=row.distributor_id,
    )


def employee_directory(app: App) -> EmployeeDirectory:
    async def lookup(subject: str) -> Standing | None:
        async with app.read_sessions() as session:
            query = select(*_COLUMNS).where(employees.c.id == subject)
            row = (await session.execute(query)).first()
        return None if row is None else _standing(row)

    async def snapshot() -> dict[str, Standing]:
        async with app.read_sessions() as session:
            rows = (await session.execute(select(*_COLUMNS))).all()
        return {row.id: _standing(row) for row in rows}

    return EmployeeDirectory(lookup, snapshot=snapshot)
