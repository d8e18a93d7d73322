"""The migrations build exactly the tables the code declares (on SQLite and PostgreSQL), and
those that change existing rows change them as they say."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from alembic import command
from sqlalchemy import MetaData, insert, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline_clients.adapters import orm
from fieldline_clients.adapters.orm import metadata
from fieldline_clients.entrypoints.main import MIGRATIONS
from fieldline_kit.db import create_engine
from fieldline_kit.migrations import alembic_config, upgrade_async
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.migrations import migration_drift, placeholder


async def test_migrations_match_the_declared_schema(db_factory: DatabaseFactory) -> None:
    url = await db_factory.create()
    assert await migration_drift(url, MIGRATIONS, metadata, "alembic_version_clients") == []


async def test_0004_gives_existing_clients_an_empty_external_id_and_goes_back(
    db_factory: DatabaseFactory,
) -> None:
    """Clients written before revision 0004 get external_id '' (many of them: the unique index
    leaves '' out); the downgrade drops the column and its index again."""
    url = await db_factory.create()
    await upgrade_async(url, MIGRATIONS, "0003")
    engine = create_engine(url)
    try:
        await old_rows(engine, "clients", "c")
        await upgrade_async(url, MIGRATIONS)
        async with engine.connect() as conn:
            found = await conn.execute(select(orm.clients.c.id, orm.clients.c.external_id))
            assert sorted(found.all()) == [("c-0", ""), ("c-1", "")]
        await asyncio.to_thread(command.downgrade, alembic_config(url, MIGRATIONS), "0003")
        async with engine.connect() as conn:
            columns = await conn.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("clients")}
            )
            assert "external_id" not in columns and "inn" in columns
    finally:
        await engine.dispose()


async def old_rows(engine: AsyncEngine, table: str, prefix: str) -> None:
    """Rows `<prefix>-0` and `<prefix>-1` of `table`, written with the columns the database has
    now (an older revision's)."""
    old = MetaData()
    async with engine.begin() as conn:
        await conn.run_sync(old.reflect, only=[table])
        columns = old.tables[table].c
        rows = [{c.name: placeholder(c, 1, f"{prefix}-{n}") for c in columns} for n in range(2)]
        await conn.execute(insert(old.tables[table]), rows)


async def old_employees_and_routes(engine: AsyncEngine) -> None:
    """Employees e-0, e-1 and routes r-0, r-1 of e-0, written with the columns the database has
    now (an older revision's)."""
    old = MetaData()
    async with engine.begin() as conn:
        await conn.run_sync(old.reflect, only=["employees", "routes"])
        employees, routes = old.tables["employees"], old.tables["routes"]
        await conn.execute(
            insert(employees),
            [{c.name: placeholder(c, 1, f"e-{n}") for c in employees.c} for n in range(2)],
        )
        route_rows = [
            {**{c.name: placeholder(c, 1, f"r-{n}") for c in routes.c}, "agent_id": "e-0"}
            for n in range(2)
        ]
        await conn.execute(insert(routes), route_rows)


async def test_0005_and_0006_give_existing_employees_and_routes_no_erp_ids_and_go_back(
    db_factory: DatabaseFactory,
) -> None:
    """Employees and routes written before revisions 0005/0006 get external_id '' (many of
    them: the unique indexes leave '' out) and employees an empty phone; no route has agent
    periods, so each keeps its agent. The downgrade drops them again."""
    url = await db_factory.create()
    await upgrade_async(url, MIGRATIONS, "0004")
    engine = create_engine(url)
    try:
        await old_employees_and_routes(engine)
        await upgrade_async(url, MIGRATIONS)
        async with engine.connect() as conn:
            e = orm.employees
            found = await conn.execute(select(e.c.id, e.c.external_id, e.c.phone))
            assert sorted(found.all()) == [("e-0", "", ""), ("e-1", "", "")]
            r = orm.routes
            found = await conn.execute(select(r.c.id, r.c.agent_id, r.c.external_id))
            assert sorted(found.all()) == [("r-0", "e-0", ""), ("r-1", "e-0", "")]
            periods = await conn.execute(select(orm.route_agent_periods))
            assert periods.all() == []
        async with engine.begin() as conn:  # a period, which the downgrade drops
            await conn.execute(
                insert(orm.route_agent_periods).values(
                    route_id="r-0", valid_from=date(2026, 12, 1), employee_id="e-1"
                )
            )
        await asyncio.to_thread(command.downgrade, alembic_config(url, MIGRATIONS), "0004")
        async with engine.connect() as conn:

            def shape(sync: Any) -> tuple[set[str], set[str], bool]:
                inspector = inspect(sync)
                return (
                    {c["name"] for c in inspector.get_columns("employees")},
                    {c["name"] for c in inspector.get_columns("routes")},
                    inspector.has_table("route_agent_periods"),
                )

            employee_columns, route_columns, has_periods = await conn.run_sync(shape)
            assert not {"external_id", "phone"} & employee_columns and "roles" in employee_columns
            assert "external_id" not in route_columns and "agent_id" in route_columns
            assert not has_periods
    finally:
        await engine.dispose()


async def test_0007_makes_existing_routes_field_routes_and_goes_back(
    db_factory: DatabaseFactory,
) -> None:
    """Routes written before revision 0007 are FIELD routes (visited, as they always were);
    calls start empty. The downgrade drops both again."""
    url = await db_factory.create()
    await upgrade_async(url, MIGRATIONS, "0006")
    engine = create_engine(url)
    try:
        await old_employees_and_routes(engine)
        await upgrade_async(url, MIGRATIONS)
        async with engine.connect() as conn:
            r = orm.routes
            found = await conn.execute(select(r.c.id, r.c.kind))
            assert sorted(found.all()) == [("r-0", "field"), ("r-1", "field")]
            assert (await conn.execute(select(orm.calls))).all() == []
        await asyncio.to_thread(command.downgrade, alembic_config(url, MIGRATIONS), "0006")
        async with engine.connect() as conn:

            def shape(sync: Any) -> tuple[set[str], bool]:
                inspector = inspect(sync)
                columns = {c["name"] for c in inspector.get_columns("routes")}
                return columns, inspector.has_table("calls")

            route_columns, has_calls = await conn.run_sync(shape)
            assert "kind" not in route_columns and "external_id" in route_columns
            assert not has_calls
    finally:
        await engine.dispose()


async def test_0008_makes_existing_questionnaires_the_companys_and_goes_back(
    db_factory: DatabaseFactory,
) -> None:
    """Questionnaires written before revision 0008 are the company's (distributor ''); the
    downgrade drops the questionnaires' and audits' distributor and the audits' index again."""
    url = await db_factory.create()
    await upgrade_async(url, MIGRATIONS, "0007")
    engine = create_engine(url)
    try:
        await old_rows(engine, "questionnaires", "q")
        await upgrade_async(url, MIGRATIONS)
        async with engine.connect() as conn:
            q = orm.questionnaires
            found = await conn.execute(select(q.c.id, q.c.distributor_id))
            assert sorted(found.all()) == [("q-0", ""), ("q-1", "")]
        await asyncio.to_thread(command.downgrade, alembic_config(url, MIGRATIONS), "0007")
        async with engine.connect() as conn:

            def shape(sync: Any) -> tuple[set[str], set[str], set[str]]:
                inspector = inspect(sync)
                return (
                    {c["name"] for c in inspector.get_columns("questionnaires")},
                    {c["name"] for c in inspector.get_columns("audits")},
                    {i["name"] for i in inspector.get_indexes("audits")},
                )

            questionnaire_columns, audit_columns, audit_indexes = await conn.run_sync(shape)
            assert "distributor_id" not in questionnaire_columns and "name" in questionnaire_columns
            assert "distributor_id" not in audit_columns and "performed_at" in audit_columns
            assert "ix_audits_distributor_id" not in audit_indexes
    finally:
        await engine.dispose()
