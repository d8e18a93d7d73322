"""Harness for the clients feed and recommendation tests: the orders service as `serve` runs it.

The service is started with the kit's `service_running` on a fresh database (SQLite, or
PostgreSQL with FIELDLINE_TEST_POSTGRES_URL) migrated with its own migrations, with its
`orders-clients-feed` consumer. Clients' events are published on the CLIENTS stream wrapped in
EventEnvelopes with `Nats-Msg-Id`, exactly as clients' outbox relay does.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from google.protobuf import timestamp_pb2
from google.protobuf.message import Message
from google.type import date_pb2
from sqlalchemy import insert, select

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as res
from fieldline_kit.migrations import upgrade_async
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.events import publish_event
from fieldline_kit.testing.helpers import closed_port, eventually, new_id
from fieldline_kit.testing.service import RunningService, service_running
from fieldline_orders.adapters import orm, schema
from fieldline_orders.bootstrap import App, bootstrap
from fieldline_orders.entrypoints.feed_consumer import CONSUMER
from fieldline_orders.entrypoints.main import SPEC
from fieldline_orders.settings import OrdersSettings

from .identity import orders_overrides

NOW = datetime(2024, 5, 13, 6, 0, tzinfo=UTC)  # Monday 13 May 2024, 09:00 in Moscow


@dataclass
class FeedEnv(RunningService[App]):
    """The running orders service, publishing clients' events to it."""

    # -- publishing ------------------------------------------------------------------------
    async def publish(
        self,
        message: Message,
        *,
        aggregate_type: str,
        aggregate_id: str,
        version: int,
        event_id: str | None = None,
        msg_id: str | None = None,
        occurred_at: datetime = NOW,
    ) -> str:
        """Publish one clients event as clients' relay does; returns its event id."""
        return await publish_event(
            self.js,
            "CLIENTS",
            "clients.events.v1",
            message,
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            version=version,
            event_id=event_id or "",
            msg_id=msg_id or "",
            occurred_at=occurred_at,
        )

    async def wait_processed(self, *event_ids: str, timeout: float = 30.0) -> None:
        """Until the consumer has recorded every event in its inbox (or dead-lettered it)."""
        want = set(event_ids)
        await eventually(
            lambda: self._processed(want), within=timeout, what=f"events {want} processed"
        )

    async def _processed(self, want: set[str]) -> bool:
        kit = schema.kit
        done: set[str] = set()
        async with self.app.sessions() as s:
            for table in (kit.inbox, kit.dead_letter):
                done |= set(
                    await s.scalars(
                        select(table.c.event_id).where(
                            table.c.consumer == CONSUMER, table.c.event_id.in_(want)
                        )
                    )
                )
        return done >= want

    # -- clients events ------------------------------------------------------------------------
    async def client(
        self,
        client_id: str,
        client_type: int,
        version: int,
        *,
        created: bool | None = None,
    ) -> str:
        """ClientCreated (version 1, unless `created` says) or ClientChanged of its type."""
        client = res.Client(id=client_id, name="ООО «Клиент»", type=client_type, version=version)
        message = (
            ev.ClientCreated(client=client)
            if _created(created, version)
            else ev.ClientChanged(client=client, changed_fields=["type"])
        )
        return await self.publish(
            message, aggregate_type="client", aggregate_id=client_id, version=version
        )

    async def outlet(
        self,
        outlet_id: str,
        client_id: str,
        version: int,
        status: int = res.OUTLET_STATUS_ACTIVE,
        *,
        created: bool | None = None,
        channel: str = "",
        territory_id: str = "",
    ) -> str:
        outlet = outlet_pb(outlet_id, client_id, version, status, channel, territory_id)
        message: Message
        if _created(created, version):
            message = ev.OutletCreated(outlet=outlet)
        else:
            message = ev.OutletChanged(outlet=outlet, changed_fields=["status"])
        return await self.publish(
            message, aggregate_type="outlet", aggregate_id=outlet_id, version=version
        )

    async def territory(self, territory_id: str, parent_id: str = "", version: int = 1) -> str:
        """TerritoryChanged, as clients publishes a territory created (version 1)."""
        territory = res.Territory(id=territory_id, name="Территория", parent_id=parent_id)
        return await self.publish(
            ev.TerritoryChanged(territory=territory),
            aggregate_type="territory",
            aggregate_id=territory_id,
            version=version,
        )

    async def assignment(
        self,
        route_id: str,
        outlet_id: str,
        agent_id: str,
        version: int,
        *,
        weekdays: Iterable[int] = (1,),
        frequency: int = res.VISIT_FREQUENCY_WEEKLY,
        start: date = date(2024, 1, 1),
        sequence: int = 0,
        removed: bool = False,
        route_kind: int = res.ROUTE_KIND_UNSPECIFIED,
    ) -> str:
        message = ev.RouteAssignmentChanged(
            assignment=res.RouteAssignment(
                route_id=route_id,
                outlet_id=outlet_id,
                frequency=frequency,
                weekdays=list(weekdays),
                start_date=date_pb2.Date(year=start.year, month=start.month, day=start.day),
                sequence=sequence,
                route_kind=route_kind,
            ),
            agent_id=agent_id,
            removed=removed,
        )
        return await self.publish(
            message, aggregate_type="route", aggregate_id=route_id, version=version
        )

    async def audit(
        self,
        outlet_id: str,
        submitted: datetime,
        checks: Iterable[tuple[str, bool, str]],
        *,
        audit_id: str | None = None,
        version: int = 1,
        performed: datetime | None = None,
    ) -> str:
        """An AuditSubmitted (`performed`: the device's time of it, unset when None)."""
        audit_id = audit_id or new_id()
        submit_time = timestamp_pb2.Timestamp()
        submit_time.FromDatetime(submitted)
        message = ev.AuditSubmitted(
            audit=res.Audit(
                id=audit_id,
                visit_id=new_id(),
                questionnaire_id=new_id(),
                agent_id=new_id(),
                outlet_id=outlet_id,
                must_stock=[
                    res.MustStockCheck(
                        sku=sku, present=present, facings=1 if present else 0, shelf_quantity=qty
                    )
                    for sku, present, qty in checks
                ],
                submit_time=submit_time,
            )
        )
        if performed is not None:
            message.audit.performed_at.FromDatetime(performed)
        return await self.publish(
            message, aggregate_type="audit", aggregate_id=audit_id, version=version
        )

    async def employee(
        self,
        employee_id: str,
        roles: Iterable[int],
        version: int,
        *,
        active: bool = True,
        supervisor_id: str = "",
    ) -> str:
        message = ev.EmployeeChanged(
            employee=res.Employee(
                id=employee_id,
                full_name="Петров Пётр",
                roles=list(roles),
                supervisor_id=supervisor_id,
                active=active,
                version=version,
            )
        )
        return await self.publish(
            message, aggregate_type="employee", aggregate_id=employee_id, version=version
        )

    # -- the orders service's own tables ---------------------------------------------------
    async def product(
        self,
        sku: str,
        *,
        pack_unit: str = "box",
        pack: str = "6",
        active: bool = True,
        product_id: str | None = None,
    ) -> str:
        product_id = product_id or new_id()
        async with self.app.sessions() as s, s.begin():
            await s.execute(
                insert(orm.products).values(**product_row(product_id, sku, pack_unit, pack, active))
            )
        return product_id

    async def delivered_order(
        self, outlet_id: str, day: date, lines: Iterable[tuple[str, Decimal | int]]
    ) -> str:
        order_id = new_id()
        async with self.app.sessions() as s, s.begin():
            await s.execute(insert(orm.orders).values(**order_row(order_id, outlet_id, day)))
            await s.execute(
                insert(orm.order_lines),
                [
                    line_row(order_id, n, product_id, Decimal(qty))
                    for n, (product_id, qty) in enumerate(lines, start=1)
                ],
            )
        return order_id


def outlet_pb(
    outlet_id: str,
    client_id: str,
    version: int,
    status: int,
    channel: str = "",
    territory_id: str = "",
) -> res.Outlet:
    """An outlet as clients' outlet events carry it (its card named, with `channel`)."""
    return res.Outlet(
        id=outlet_id,
        client_id=client_id,
        status=status,
        version=version,
        card=res.OutletCard(name="Магазин", channel=channel),
        territory_id=territory_id,
    )


def _created(created: bool | None, version: int) -> bool:
    """Whether an aggregate's event is its creation: as `created` says, else at version 1."""
    return created or (created is None and version == 1)


def product_row(
    product_id: str, sku: str, pack_unit: str, pack: str, active: bool
) -> dict[str, Any]:
    return {
        "id": product_id,
        "external_id": f"ext-{product_id}",
        "sku": sku,
        "name": f"Product {sku}",
        "name_search": f"product {sku}".lower(),
        "group_id": "",
        "barcodes": [],
        "vat_rate": Decimal(20),
        "base_unit": "pcs",
        "units": [
            {"code": "pcs", "name": "Штука", "ratio": "1"},
            {"code": pack_unit, "name": "Упаковка", "ratio": pack},
        ],
        "pack_unit": pack_unit,
        "container_type": "",
        "containers_per_unit": Decimal(0),
        "active": active,
        "version": 1,
    }


def order_row(
    order_id: str, outlet_id: str, day: date, *, kind: str = "pre_sale", status: str = "delivered"
) -> dict[str, Any]:
    return {
        "id": order_id,
        "kind": kind,
        "status": status,
        "client_id": new_id(),
        "outlet_id": outlet_id,
        "agent_id": new_id(),
        "distributor_id": "",
        "warehouse_id": "",
        "order_date": day,
        "delivery_date": day,
        "currency_code": "RUB",
        "net_total": Decimal(0),
        "vat_total": Decimal(0),
        "gross_total": Decimal(0),
        "credit": {},
        "comment": "",
        "status_reason": "",
        "cash_collected": Decimal(0),
        "receipt_number": "",
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
    }


def line_row(
    order_id: str, line_no: int, product_id: str, delivered: Decimal, ordered: Decimal | None = None
) -> dict[str, Any]:
    ordered = delivered if ordered is None else ordered
    return {
        "order_id": order_id,
        "line_no": line_no,
        "product_id": product_id,
        "unit": "pcs",
        "quantity": ordered,
        "base_quantity": ordered,
        "unit_price": Decimal(10),
        "price_source": "test",
        "rule_discount_percent": Decimal(0),
        "manual_discount_percent": Decimal(0),
        "net_amount": Decimal(0),
        "vat_rate": Decimal(20),
        "vat_amount": Decimal(0),
        "gross_amount": Decimal(0),
        "delivered_base_quantity": delivered,
        "container_type": "",
        "container_quantity": Decimal(0),
    }


async def create_app(database_url: str, nats_url: str, **overrides: Any) -> App:
    """The composition root alone on a migrated database (no process: handlers called directly)."""
    settings = OrdersSettings(
        database_url=database_url,
        nats_url=nats_url,
        settlements_target=f"127.0.0.1:{closed_port()}",
        grpc_host="127.0.0.1",
        grpc_port=0,
        metrics_port=0,
        **overrides,
    )
    app = bootstrap(settings, clock=lambda: NOW)
    await upgrade_async(database_url, SPEC.migrations)
    return app


@contextlib.asynccontextmanager
async def feed_env(
    db_factory: DatabaseFactory, nats_url: str, **overrides: Any
) -> AsyncIterator[FeedEnv]:
    """The orders service (no settlements: its credit checks are not exercised here)."""
    target = f"127.0.0.1:{closed_port()}"
    async with service_running(
        SPEC,
        db_factory,
        nats_url,
        harness=FeedEnv,
        settlements_target=target,
        **{**orders_overrides(), **overrides},
    ) as service:
        yield service
