"""Throwaway databases for tests: SQLite files always, PostgreSQL when a URL is given.

`FIELDLINE_TEST_POSTGRES_URL` (e.g. postgresql://postgres@127.0.0.1:5432/test) selects
PostgreSQL: each call creates a fresh database `fl_test_<hex>` on that server and drops it at
the end. Without it, each call is a new SQLite file in a temporary directory.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

POSTGRES_ENV = "FIELDLINE_TEST_POSTGRES_URL"


def backend() -> str:
    return "postgresql" if os.environ.get(POSTGRES_ENV) else "sqlite"


class DatabaseFactory:
    def __init__(self, tmp_dir: Path) -> None:
        self._tmp = tmp_dir
        self._admin_url = os.environ.get(POSTGRES_ENV, "")
        self._created: list[str] = []

    @property
    def backend(self) -> str:
        return "postgresql" if self._admin_url else "sqlite"

    async def create(self) -> str:
        """Return the plain URL of a new, empty database."""
        name = f"fl_test_{uuid.uuid4().hex[:12]}"
        if not self._admin_url:
            return f"sqlite:///{self._tmp / (name + '.sqlite3')}"
        admin = make_url(self._admin_url)
        conn = await asyncpg.connect(self._dsn(admin.database or "postgres"))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self._created.append(name)
        return admin.set(database=name).render_as_string(hide_password=False)

    def _dsn(self, database: str) -> str:
        u = make_url(self._admin_url).set(drivername="postgresql", database=database)
        return u.render_as_string(hide_password=False)

    async def drop_all(self) -> None:
        if not self._created:
            return
        admin = make_url(self._admin_url)
        conn = await asyncpg.connect(self._dsn(admin.database or "postgres"))
        try:
            for name in self._created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        self._created.clear()
