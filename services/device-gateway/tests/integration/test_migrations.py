"""The migrations build exactly the tables the code declares (on SQLite and PostgreSQL), and
those that change existing rows change them as they say."""

from __future__ import annotations

import asyncio

from alembic import command
from sqlalchemy import MetaData, insert, inspect, select

from fieldline_gateway.adapters import orm
from fieldline_gateway.adapters.schema import metadata
from fieldline_gateway.entrypoints.main import MIGRATIONS
from fieldline_kit.db import create_engine
from fieldline_kit.migrations import alembic_config, upgrade_async
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.migrations import migration_drift, placeholder

VERSION_TABLE = "alembic_version_gateway"  # migrations/env.py


async def test_migrations_match_the_declared_schema(db_factory: DatabaseFactory) -> None:
    url = await db_factory.create()
    assert await migration_drift(url, MIGRATIONS, metadata, VERSION_TABLE) == []


async def test_0004_marks_every_device_of_a_teleseller_for_one_full_sync_and_goes_back(
    db_factory: DatabaseFactory,
) -> None:
    """Devices of employees holding TELESELLER (alone or with another role, active or not)
    get the mark that answers their next sync in full (docs/contexts/device-gateway.md,
    *Compaction, retention, resync*); the others none. The downgrade drops the column."""
    url = await db_factory.create()
    await upgrade_async(url, MIGRATIONS, "0003")
    engine = create_engine(url)
    roles = {
        "e-tele": "TELESELLER",
        "e-both": "AGENT,TELESELLER",
        "e-agent": "AGENT",
        "e-like": "TELESELLER_LEAD",  # a role merely starting with the name
        "e-none": "",
    }
    try:
        old = MetaData()
        async with engine.begin() as conn:
            await conn.run_sync(old.reflect, only=["gateway_employees", "devices"])
            people, devices = old.tables["gateway_employees"], old.tables["devices"]
            await conn.execute(
                insert(people),
                [
                    {
                        **{c.name: placeholder(c, 1, e) for c in people.c},
                        "employee_id": e,
                        "roles": r,
                    }
                    for e, r in roles.items()
                ],
            )
            rows = [
                {
                    **{c.name: placeholder(c, 1, "x") for c in devices.c},
                    "device_id": f"d-{e}-{n}",
                    "employee_id": e,
                    "status": "revoked" if n else "active",
                }
                for e in roles
                for n in range(2)
            ]
            await conn.execute(insert(devices), rows)
        await upgrade_async(url, MIGRATIONS)
        async with engine.connect() as conn:
            d = orm.devices.c
            found = dict((await conn.execute(select(d.device_id, d.resync_below))).all())
        marked = {f"d-{e}-{n}" for e in ("e-tele", "e-both") for n in range(2)}
        assert {k for k, v in found.items() if v is not None} == marked
        assert {found[k] for k in marked} == {2**63 - 1}
        await asyncio.to_thread(command.downgrade, alembic_config(url, MIGRATIONS), "0003")
        async with engine.connect() as conn:
            columns = await conn.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("devices")}
            )
        assert "resync_below" not in columns and "last_sync_mode" in columns
    finally:
        await engine.dispose()
