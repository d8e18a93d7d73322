"""Employees' current standing for the auth check, read from this context's own employees.

Clients owns the employee records, so its directory is the table itself (the other services
keep a copy fed by `EmployeeChanged`); see fieldline_kit.auth.directory for what is checked.
"""

from __future__ import annotations

from sqlalchemy import select

from fieldline_clients.adapters.orm import employees
from fieldline_clients.bootstrap import App
from fieldline_clients.domain.model import Role
from fieldline_kit.auth.directory import EmployeeDirectory, Standing

_COLUMNS = (
    employees.c.active,
    employees.c.roles,
    employees.c.supervisor_id,
    employees.c.territory_id,
)


def employee_directory(app: App) -> EmployeeDirectory:
    async def lookup(subject: str) -> Standing | None:
        async with app.read_sessions() as session:
            query = select(*_COLUMNS).where(employees.c.id == subject)
            row = (await session.execute(query)).first()
        if row is None:
            return None
        return Standing(
            active=row.active,
            # Stored as the domain's values (agent); tokens name roles as the enum (AGENT).
            roles=frozenset(Role(r).name for r in row.roles),
            supervisor_id=row.supervisor_id,
            territory_id=row.territory_id,
        )

    return EmployeeDirectory(lookup)
