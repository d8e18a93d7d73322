"""The registries' migrations. Revision 0006: the source of every existing payment proved from
what the rows say (a van sale's cash by its derived id, ERP by its recorder, else FIELD),
nothing handed over, each collector's cash on hand its cash payments' sum; the downgrade drops
it all again. Revision 0007: each tare movement's kind and the balance after it."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import MetaData, insert, select

from fieldline_kit.db import create_engine
from fieldline_kit.migrations import alembic_config, upgrade_async
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.helpers import new_id
from fieldline_settlements.adapters import orm
from fieldline_settlements.entrypoints.main import MIGRATIONS
from fieldline_settlements.service_layer.handlers import van_sale_payment_id

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ADMIN, AGENT, VAN_SELLER = new_id(), new_id(), new_id()


def _payment(recorded_by: str, kind: str, amount: str, collected_by: str = "") -> dict[str, Any]:
    return {
        "id": new_id(),
        "kind": kind,
        "client_id": new_id(),
        "outlet_id": "",
        "date": date(2026, 1, 5),
        "amount": Decimal(amount),
        "unallocated": Decimal(amount),
        "receipt_number": "R-1" if kind == "cash" else "",
        "collected_by": collected_by,
        "version": 1,
        "created_at": NOW,
        "recorded_by": recorded_by,
    }


async def _check(url: str) -> None:
    await upgrade_async(url, MIGRATIONS, "0005")
    order_id = new_id()
    van = _payment("", "cash", "300.00", VAN_SELLER)
    van["id"] = van_sale_payment_id(order_id)
    rows = {
        "van_sale": van,
        "service": _payment("svc:erp", "bank", "10.00"),
        "admin": _payment(ADMIN, "cash", "20.00", AGENT),
        "agent": _payment(AGENT, "cash", "30.50", AGENT),
        "unknown": _payment("", "bank", "40.00"),
    }
    engine = create_engine(url)
    try:
        old = MetaData()
        async with engine.begin() as conn:
            await conn.run_sync(old.reflect, only=["feed_employees"])
            # Through the model's tables (their money types write SQLite's integer units), with
            # the columns of revision 0005 only.
            await conn.execute(insert(orm.payments), list(rows.values()))
            await conn.execute(
                insert(orm.invoices),
                [
                    {
                        "id": order_id,
                        "number": "VS-000001",
                        "client_id": van["client_id"],
                        "outlet_id": "",
                        "order_id": order_id,
                        "source": "van_sale",
                        "issue_date": date(2026, 1, 5),
                        "due_date": date(2026, 1, 5),
                        "amount": Decimal("300.00"),
                        "open_amount": Decimal("0.00"),
                        "version": 2,
                        "created_at": NOW,
                    }
                ],
            )
            await conn.execute(
                insert(old.tables["feed_employees"]),
                [
                    {
                        "employee_id": e,
                        "active": True,
                        "roles": roles,
                        "supervisor_id": "",
                        "territory_id": "",
                        "distributor_id": "",
                        "version": 1,
                    }
                    for e, roles in ((ADMIN, "ADMIN,SUPERVISOR"), (AGENT, "AGENT"))
                ],
            )

        await upgrade_async(url, MIGRATIONS, "head")

        p = orm.payments
        async with engine.connect() as conn:
            found = {
                r.id: (r.source, r.handover_id, r.visit_id)
                for r in await conn.execute(
                    select(p.c.id, p.c.source, p.c.handover_id, p.c.visit_id)
                )
            }
            held = {
                r.employee_id: (r.total, r.version)
                for r in await conn.execute(select(orm.cash_on_hand))
            }
        assert {name: found[row["id"]] for name, row in rows.items()} == {
            "van_sale": ("van_sale", "", ""),
            "service": ("erp", "", ""),
            "admin": ("erp", "", ""),
            "agent": ("field", "", ""),
            "unknown": ("field", "", ""),
        }
        assert held == {
            VAN_SELLER: (Decimal("300.00"), 1),
            AGENT: (Decimal("50.50"), 1),
        }

        await asyncio.to_thread(command.downgrade, alembic_config(url, MIGRATIONS), "0005")
        reflected = MetaData()
        async with engine.connect() as conn:
            await conn.run_sync(reflected.reflect)
        assert "cash_on_hand" not in reflected.tables
        assert "source" not in reflected.tables["payments"].c
        await upgrade_async(url, MIGRATIONS, "head")  # and up again
    finally:
        await engine.dispose()


async def test_sqlite_backfill(tmp_path: Path) -> None:
    await _check(f"sqlite:///{tmp_path / 'settlements.sqlite3'}")


async def test_backfill_on_the_suite_backend(db_factory: DatabaseFactory) -> None:
    if db_factory.backend == "sqlite":
        pytest.skip("covered by the SQLite test above")
    await _check(await db_factory.create())


async def _check_tare(url: str) -> None:
    """Revision 0007: each movement's kind from what its document proves, and the balance
    after it as the running sum in id order."""
    await upgrade_async(url, MIGRATIONS, "0006")
    client, sale, ret = new_id(), new_id(), new_id()

    def invoice(id_: str, source: str, amount: str) -> dict[str, Any]:
        return {
            "id": id_,
            "number": f"N-{id_[:6]}",
            "client_id": client,
            "outlet_id": "",
            "order_id": "",
            "source": source,
            "issue_date": date(2026, 1, 5),
            "due_date": date(2026, 1, 5),
            "amount": Decimal(amount),
            "open_amount": Decimal(amount),
            "version": 1,
            "created_at": NOW,
        }

    def moved(document: str, ct: str, direction: str, qty: str) -> dict[str, Any]:
        return {
            "client_id": client,
            "outlet_id": "",
            "container_type": ct,
            "document_id": document,
            "direction": direction,
            "quantity": Decimal(qty),
            "date": date(2026, 1, 5),
            "created_at": NOW,
        }

    rows = [
        moved(sale, "keg", "issued", "5"),
        moved(sale, "crate", "issued", "2.5"),
        moved(ret, "keg", "returned", "2"),
        moved(new_id(), "keg", "counted", "0"),
        moved(new_id(), "keg", "issued", "1.25"),  # a count's adjustment: not proved
    ]
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(orm.invoices),
                [invoice(sale, "van_sale", "10.00"), invoice(ret, "return", "-3.00")],
            )
            # The model's table with revision 0006's columns only (quantities in SQLite's units).
            await conn.execute(insert(orm.tare_movements), rows)
        await upgrade_async(url, MIGRATIONS, "head")
        t = orm.tare_movements
        async with engine.connect() as conn:
            found = (
                await conn.execute(
                    select(t.c.container_type, t.c.document_kind, t.c.balance_after)
                    .where(t.c.client_id == client)
                    .order_by(t.c.id)
                )
            ).all()
        assert [tuple(r) for r in found] == [
            ("keg", "van_sale", Decimal("5")),
            ("crate", "van_sale", Decimal("2.5")),
            ("keg", "return", Decimal("3")),
            ("keg", "count", Decimal("3")),
            ("keg", "", Decimal("4.25")),
        ]
        await asyncio.to_thread(command.downgrade, alembic_config(url, MIGRATIONS), "0006")
        await upgrade_async(url, MIGRATIONS, "head")
    finally:
        await engine.dispose()


async def test_sqlite_tare_backfill(tmp_path: Path) -> None:
    await _check_tare(f"sqlite:///{tmp_path / 'settlements.sqlite3'}")


async def test_tare_backfill_on_the_suite_backend(db_factory: DatabaseFactory) -> None:
    if db_factory.backend == "sqlite":
        pytest.skip("covered by the SQLite test above")
    await _check_tare(await db_factory.create())
