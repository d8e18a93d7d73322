"""Read models fed by the clients context's events (clients, outlets, territories, schedules,
audits, employees, visits).

Written only by the `orders-clients-feed` consumer (service_layer/feed.py), read by order
validation and the recommended order. Every row stores the `aggregate_version` of the event
that last wrote it, so an older event arriving late (events are ordered per aggregate only,
and not even that across relay replicas) is ignored instead of overwriting newer state.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    text,
)

from fieldline_kit.auth.directory_table import directory_table
from fieldline_orders.adapters.orm import Qty, metadata

Id = String(36)

# A client of the clients context: its type (is a distributor id a distributor?).
feed_clients = Table(
    "feed_clients",
    metadata,
    Column("client_id", Id, primary_key=True),
    # ClientType name without the prefix: RETAIL, DISTRIBUTOR, KEY_ACCOUNT
    Column("type", String(20), nullable=False),
    # The client's aggregate version of the last event applied.
    Column("version", BigInteger, nullable=False),
)

# An outlet of the clients context: its client (order validation) and status; its card's
# channel and its territory (what promotions target).
feed_outlets = Table(
    "feed_outlets",
    metadata,
    Column("outlet_id", Id, primary_key=True),
    Column("client_id", Id, nullable=False),
    # OutletStatus name without the prefix: PENDING, ACTIVE, REJECTED, CLOSED
    Column("status", String(20), nullable=False),
    # The outlet's aggregate version of the last event applied.
    Column("version", BigInteger, nullable=False),
    # The card's channel string as written ("" none; rows from before 0018: "" until the
    # outlet's next event).
    Column("channel", String(100), nullable=False, server_default=text("''")),
    # The outlet's territory ("" none; rows from before 0018 as for the channel).
    Column("territory_id", Id, nullable=False, server_default=text("''")),
)
# Whether a client is known at all (an order naming an unknown client: NOT_FOUND client_id).
Index("ix_feed_outlets_client_id", feed_outlets.c.client_id)

# The territory tree (clients' TerritoryChanged): a promotion targeting a territory covers its
# descendants. Territories are few and never change once made; none is ever removed.
feed_territories = Table(
    "feed_territories",
    metadata,
    Column("territory_id", Id, primary_key=True),
    # "" for a root.
    Column("parent_id", Id, nullable=False),
    # The territory's aggregate version of the last event applied (1: never changed).
    Column("version", BigInteger, nullable=False),
)

# Route × outlet schedules. A removal keeps the row as a tombstone (`removed`) so that a
# late, older "put on the route" event of the same route cannot bring it back. Every kind of
# route puts its outlets in its worker's scope; only FIELD routes' schedules are visits (a PHONE
# route is a teleseller's call list: its schedule is one of calls).
feed_assignments = Table(
    "feed_assignments",
    metadata,
    Column("route_id", Id, primary_key=True),
    Column("outlet_id", Id, primary_key=True),
    Column("agent_id", Id, nullable=False),
    # Weeks between visiting weeks: 1, 2 or 4.
    Column("frequency", Integer, nullable=False),
    # Bit d set = visited on ISO weekday d (1 = Monday … 7), as in the clients context.
    Column("weekday_mask", Integer, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("removed", Boolean, nullable=False),
    # The route's aggregate version of the last event applied to this row.
    Column("version", BigInteger, nullable=False),
    # RouteKind name without the prefix: FIELD or PHONE (rows from before kinds existed: FIELD).
    Column("route_kind", String(10), nullable=False, server_default=text("'FIELD'")),
)
Index("ix_feed_assignments_agent_id", feed_assignments.c.agent_id)
Index("ix_feed_assignments_outlet_id", feed_assignments.c.outlet_id)

# The latest audit per outlet (by the device's time of it, else its submit time, then audit
# id): decides which audit's checks are in feed_shelf_counts, also when that audit had no
# must-stock checks at all.
feed_outlet_audits = Table(
    "feed_outlet_audits",
    metadata,
    Column("outlet_id", Id, primary_key=True),
    Column("audit_id", Id, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("version", BigInteger, nullable=False),
    # The device's time of the audit; NULL when not given (and for rows before 0011).
    Column("performed_at", DateTime(timezone=True), nullable=True),
)

# Must-stock checks of the outlet's latest audit. `sku` is the product SKU string as audited
# (mapped to products through products.sku when read).
feed_shelf_counts = Table(
    "feed_shelf_counts",
    metadata,
    Column("outlet_id", Id, primary_key=True),
    Column("sku", String(100), primary_key=True),
    Column("present", Boolean, nullable=False),
    Column("facings", Integer, nullable=False),
    # Units counted on the shelf; NULL when not counted.
    Column("shelf_quantity", Qty, nullable=True),
    Column("audit_id", Id, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("performed_at", DateTime(timezone=True), nullable=True),
)

# Employees' standing (active, roles) and team (supervisor): the auth check's directory.
feed_employees = directory_table(metadata, "feed_employees")

# Visits (clients' check-ins) as their latest event reported them: what a document naming one
# is checked against, and what its contact is judged with (domain/contacts.py).
feed_visits = Table(
    "feed_visits",
    metadata,
    Column("visit_id", Id, primary_key=True),
    Column("agent_id", String(64), nullable=False),
    Column("outlet_id", Id, nullable=False),
    Column("day", Date, nullable=False),
    # VisitStatus name without the prefix: IN_PROGRESS, COMPLETED, MISSED
    Column("status", String(20), nullable=False),
    # The visit's aggregate version of the last event applied.
    Column("version", BigInteger, nullable=False),
)
