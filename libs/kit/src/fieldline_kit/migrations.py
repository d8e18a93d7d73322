"""Alembic glue: every service migrates its own database with its own version table.

A service's `migrations/env.py` calls `run_env(metadata, version_table)`; the service's
`migrate` command calls `upgrade(url, script_location, version_table)`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Literal

from alembic import command, context
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from fieldline_kit.db import create_engine
from fieldline_kit.db_types import ExactDecimal


def render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Autogenerate writes an `ExactDecimal` column as the plain `sa.Numeric(p, s)` its DDL is
    on both databases, so migrations never import the kit's types."""
    if kind == "type" and isinstance(obj, ExactDecimal):
        return f"sa.Numeric(precision={obj.precision}, scale={obj.scale})"
    return False


def _configure_and_run(connection: Connection, metadata: MetaData, version_table: str) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=version_table,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str, metadata: MetaData, version_table: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_configure_and_run, metadata, version_table)
            await conn.commit()
    finally:
        await engine.dispose()


def run_env(metadata: MetaData, version_table: str) -> None:
    """Body of a service's migrations/env.py."""
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL given to Alembic")
    if context.is_offline_mode():
        context.configure(
            url=url,
            target_metadata=metadata,
            version_table=version_table,
            literal_binds=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection: Any = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection, metadata, version_table)
        return
    asyncio.run(_run_online(url, metadata, version_table))


def alembic_config(url: str, script_location: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    # '%' must be escaped in ConfigParser values (passwords can contain it).
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, script_location: Path, revision: str = "head") -> None:
    """Run from a thread without a running event loop (Alembic's env uses asyncio.run)."""
    command.upgrade(alembic_config(url, script_location), revision)


async def upgrade_async(url: str, script_location: Path, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, script_location, revision)
