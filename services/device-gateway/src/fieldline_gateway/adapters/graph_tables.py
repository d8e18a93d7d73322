"""The scope graph: the little the gateway must know of the company to compute each agent's
scopes (docs/contexts/device-gateway.md, *Memberships*). Kept from the services' events by the
consumers; every row holds the version of the event that last wrote it (the newest wins, a
removal stays as a row with `removed`), like the services' own read models.

Employees (roles, supervisor, active) are the directory's table (`orm.employees`).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, String, Table

from fieldline_gateway.adapters.orm import metadata

Id = String(64)

graph_routes = Table(
    "graph_routes",
    metadata,
    Column("route_id", Id, primary_key=True),
    Column("agent_id", Id, nullable=False, index=True),
    Column("version", BigInteger, nullable=False),
)

graph_assignments = Table(
    "graph_assignments",
    metadata,
    Column("route_id", Id, primary_key=True),
    Column("outlet_id", Id, primary_key=True),
    Column("removed", Boolean, nullable=False),
    # The route's version of the last event applied (assignments version with their route).
    Column("version", BigInteger, nullable=False),
)
Index("ix_graph_assignments_outlet_id", graph_assignments.c.outlet_id)

graph_outlets = Table(
    "graph_outlets",
    metadata,
    Column("outlet_id", Id, primary_key=True),
    Column("client_id", Id, nullable=False, index=True),
    Column("status", String(16), nullable=False),
    # The employee who proposed it in a census ("" when not proposed).
    Column("proposed_by", Id, nullable=False, index=True),
    Column("version", BigInteger, nullable=False),
)

graph_clients = Table(
    "graph_clients",
    metadata,
    Column("client_id", Id, primary_key=True),
    Column("price_type_id", Id, nullable=False, index=True),
    Column("version", BigInteger, nullable=False),
)
