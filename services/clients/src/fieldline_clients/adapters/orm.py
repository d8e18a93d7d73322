"""Tables of the clients service (SQLAlchemy Core). Only this service reads or writes them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from fieldline_kit.db import new_metadata
from fieldline_kit.tables import BigId, add_kit_tables

metadata = new_metadata()
kit = add_kit_tables(metadata)

Id = String(36)

clients = Table(
    "clients",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(300), nullable=False),
    Column("name_search", String(300), nullable=False),
    Column("inn", String(12), nullable=False, index=True),
    Column("kpp", String(9), nullable=False),
    Column("type", String(20), nullable=False),
    Column("legal_address", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The ERP's id of the counterparty; '' for a client made in Fieldline.
    Column("external_id", String(64), nullable=False, server_default=""),
)
# One client per ERP id; the clients made in Fieldline ('') are not in the index. A query
# that should use it says `external_id != ''` too (SQLite uses a partial index only then).
Index(
    "ux_clients_external_id",
    clients.c.external_id,
    unique=True,
    postgresql_where=clients.c.external_id != "",
    sqlite_where=clients.c.external_id != "",
)

territories = Table(
    "territories",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(300), nullable=False),
    Column("parent_id", Id, nullable=False, index=True),
)

outlets = Table(
    "outlets",
    metadata,
    Column("id", Id, primary_key=True),
    Column("client_id", Id, ForeignKey("clients.id"), nullable=False, index=True),
    Column("name", String(300), nullable=False),
    Column("name_search", String(300), nullable=False),
    Column("address", Text, nullable=False),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("channel", String(100), nullable=False),
    Column("format", String(100), nullable=False),
    Column("outlet_class", String(100), nullable=False),
    Column("contacts", JSON, nullable=False),
    Column("working_hours", JSON, nullable=False),
    Column("custom_attributes", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("territory_id", Id, nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The whole row as a serialized fieldline.clients.v1.Outlet, written together with the
    # columns above by OutletRepository: read paths that answer with outlets (visit plan,
    # search) copy these bytes into their responses instead of rebuilding each outlet.
    Column("outlet_pb", LargeBinary, nullable=False),
)
Index("ix_outlets_lat_lon", outlets.c.lat, outlets.c.lon)

outlet_card_history = Table(
    "outlet_card_history",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("outlet_id", Id, ForeignKey("outlets.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed_by", String(64), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changes", JSON, nullable=False),
    Column("proposal_id", String(36), nullable=False),
    UniqueConstraint("outlet_id", "version"),
)

employees = Table(
    "employees",
    metadata,
    Column("id", Id, primary_key=True),
    Column("full_name", String(300), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("territory_id", String(36), nullable=False),
    # Indexed: a supervisor's data scope starts from the employees it supervises.
    Column("supervisor_id", String(36), nullable=False, index=True),
    Column("distributor_id", String(36), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    # The ERP's id of the employee; '' for an employee made in Fieldline.
    Column("external_id", String(64), nullable=False, server_default=""),
    # E.164 ('+' and at most 15 digits); '' when not known.
    Column("phone", String(16), nullable=False, server_default=""),
)
# One employee per ERP id (as ux_clients_external_id: '' left out, queries repeat `!= ''`).
Index(
    "ux_employees_external_id",
    employees.c.external_id,
    unique=True,
    postgresql_where=employees.c.external_id != "",
    sqlite_where=employees.c.external_id != "",
)

routes = Table(
    "routes",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(300), nullable=False),
    Column("territory_id", String(36), nullable=False),
    Column("agent_id", Id, ForeignKey("employees.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    # The ERP's id of the route; '' for none.
    Column("external_id", String(64), nullable=False, server_default=""),
    # RouteKind: 'field' (visited) or 'phone' (a teleseller's call list); set at creation.
    Column("kind", String(10), nullable=False, server_default="field"),
)
Index(
    "ux_routes_external_id",
    routes.c.external_id,
    unique=True,
    postgresql_where=routes.c.external_id != "",
    sqlite_where=routes.c.external_id != "",
)

# Who works a route from a day to a day (ScheduleRouteAgents): one period per route and start
# day. `routes.agent_id` follows the period in force on the service's current date.
route_agent_periods = Table(
    "route_agent_periods",
    metadata,
    Column("route_id", Id, ForeignKey("routes.id"), primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("employee_id", Id, ForeignKey("employees.id"), nullable=False),
    Column("valid_to", Date, nullable=True),  # inclusive; NULL: open-ended
)

route_assignments = Table(
    "route_assignments",
    metadata,
    Column("route_id", Id, ForeignKey("routes.id"), primary_key=True),
    Column("outlet_id", Id, ForeignKey("outlets.id"), primary_key=True),
    Column("frequency", Integer, nullable=False),
    # Bit d set = visited on ISO weekday d; lets the visit plan filter by day in SQL.
    Column("weekday_mask", Integer, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("sequence", Integer, nullable=False),
)
Index("ix_route_assignments_outlet_id", route_assignments.c.outlet_id)

visits = Table(
    "visits",
    metadata,
    Column("id", Id, primary_key=True),
    Column("agent_id", Id, nullable=False),
    Column("outlet_id", Id, nullable=False),
    Column("day", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("check_in_time", DateTime(timezone=True), nullable=True),
    Column("check_in_lat", Float, nullable=True),
    Column("check_in_lon", Float, nullable=True),
    Column("check_in_distance_m", Integer, nullable=True),
    Column("check_in_far", Boolean, nullable=False),
    Column("check_out_time", DateTime(timezone=True), nullable=True),
    Column("check_out_lat", Float, nullable=True),
    Column("check_out_lon", Float, nullable=True),
    Column("check_out_distance_m", Integer, nullable=True),
    Column("check_out_far", Boolean, nullable=False),
    Column("outcome", String(20), nullable=True),
    Column("missed_reason", Text, nullable=False),
    Column("notes", Text, nullable=False),
    Column("version", Integer, nullable=False),
)
Index("ix_visits_agent_day", visits.c.agent_id, visits.c.day)
Index("ix_visits_outlet_day", visits.c.outlet_id, visits.c.day)

questionnaires = Table(
    "questionnaires",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(300), nullable=False),
    Column("questions", JSON, nullable=False),
    Column("must_stock_skus", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("distributor_id", String(36), nullable=False, server_default=""),  # '' the company's
)

audits = Table(
    "audits",
    metadata,
    Column("id", Id, primary_key=True),
    Column("visit_id", Id, ForeignKey("visits.id"), nullable=False, index=True),
    Column("questionnaire_id", Id, ForeignKey("questionnaires.id"), nullable=False),
    Column("agent_id", Id, nullable=False, index=True),
    Column("outlet_id", Id, nullable=False, index=True),
    Column("answers", JSON, nullable=False),
    Column("must_stock", JSON, nullable=False),
    Column("competitor_prices", JSON, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("performed_at", DateTime(timezone=True), nullable=True),  # the device's time
    Column("version", Integer, nullable=False),
    Column("distributor_id", String(36), nullable=False, server_default=""),  # '' the company's
)
# A distributor's audits, in ListAudits' order (its managers' lists, the distributor_id filter).
Index("ix_audits_distributor_id", audits.c.distributor_id, audits.c.id)

proposals = Table(
    "proposals",
    metadata,
    Column("id", Id, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("proposed_by", Id, nullable=False, index=True),
    Column("outlet_id", Id, nullable=False, index=True),
    Column("client_id", Id, nullable=False),
    Column("card", JSON, nullable=False),
    Column("fields", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(36), nullable=False),
    Column("decision_reason", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("version", Integer, nullable=False),
)

# A teleseller's calls (RecordCall): never changed once recorded.
calls = Table(
    "calls",
    metadata,
    Column("id", Id, primary_key=True),
    Column("teleseller_id", Id, nullable=False),
    Column("outlet_id", Id, nullable=False),
    Column("day", Date, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),  # the device's times
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("outcome", String(20), nullable=False),
    Column("call_back_at", DateTime(timezone=True), nullable=True),
    Column("reason", Text, nullable=False),
    Column("notes", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),  # the server's time
    Column("version", Integer, nullable=False),
)
# A teleseller's calls of a day (the call plan, ListCalls); an outlet's; the call-backs a
# teleseller was asked for, by time (the call plan's call-back outlets).
Index("ix_calls_teleseller_day", calls.c.teleseller_id, calls.c.day)
Index("ix_calls_outlet_day", calls.c.outlet_id, calls.c.day)
Index("ix_calls_teleseller_call_back_at", calls.c.teleseller_id, calls.c.call_back_at)
