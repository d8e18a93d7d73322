"""Tables of the settlements service (SQLAlchemy Core). Only this service reads or writes them.

The `feed_*` tables are read models of the clients context, written only by the
`settlements-clients-feed` consumer: the employee directory checked on every employee's call
and the outlets and routes behind the data scopes (domain/access.py).

Money is NUMERIC(18, 2) and quantities NUMERIC(18, 3) (`ExactDecimal`, fieldline_kit.db_types):
exact NUMERIC on PostgreSQL; on SQLite, which has no exact decimal type, the same columns hold
integer minor units (kopecks, thousandths), so sums stay exact on both.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
    text,
)

from fieldline_kit.auth.directory_table import directory_table
from fieldline_kit.db import new_metadata
from fieldline_kit.db_types import ExactDecimal
from fieldline_kit.tables import BigId, add_kit_tables


def Money() -> ExactDecimal:
    return ExactDecimal(18, 2)


def Quantity() -> ExactDecimal:
    return ExactDecimal(18, 3)


metadata = new_metadata()
kit = add_kit_tables(metadata)

Id = String(36)
DocId = String(64)


def Subject() -> String:
    """Who made a change: a verified token's subject (an employee id, `svc:<name>`); ''
    when unknown."""
    return String(128)


# One row per client: limit, terms; locked by everything that moves the client's debt.
client_accounts = Table(
    "client_accounts",
    metadata,
    Column("client_id", Id, primary_key=True),
    Column("credit_limit", Money(), nullable=True),
    Column("payment_terms_days", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", Subject(), nullable=False, server_default=""),
    # The credit standing as last judged (its decisions; '' never) and its version.
    Column("standing", String(200), nullable=False, server_default=""),
    Column("standing_version", Integer, nullable=False, server_default="0"),
)

# Invoices and (negative) credit notes.
invoices = Table(
    "invoices",
    metadata,
    Column("id", DocId, primary_key=True),
    Column("number", String(60), nullable=False),
    Column("client_id", Id, nullable=False),
    Column("outlet_id", String(36), nullable=False),
    Column("order_id", String(36), nullable=False),
    Column("source", String(20), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("amount", Money(), nullable=False),
    Column("open_amount", Money(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # A distributor's sale (migration 0008), "" the company's.
    Column("distributor_id", String(36), nullable=False, server_default=text("''")),
)
Index("ix_invoices_client_issue", invoices.c.client_id, invoices.c.issue_date, invoices.c.id)
Index("ix_invoices_issue", invoices.c.issue_date, invoices.c.id)
Index("ix_invoices_order", invoices.c.order_id)
# The open documents of a client (the ledger) and the aging report read only these.
Index(
    "ix_invoices_open",
    invoices.c.client_id,
    invoices.c.due_date,
    postgresql_where=invoices.c.open_amount != 0,
    sqlite_where=invoices.c.open_amount != 0,
)

payments = Table(
    "payments",
    metadata,
    Column("id", DocId, primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("client_id", Id, nullable=False),
    Column("outlet_id", String(36), nullable=False),
    Column("date", Date, nullable=False),
    Column("amount", Money(), nullable=False),
    Column("unallocated", Money(), nullable=False),
    Column("receipt_number", String(60), nullable=False),
    Column("collected_by", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", Subject(), nullable=False, server_default=""),
    # FIELD, VAN_SALE or ERP (domain/ledger.py PaymentSource).
    Column("source", String(10), nullable=False, server_default=""),
    Column("visit_id", String(36), nullable=False, server_default=""),
    # The cash handover covering it ('' on hand); set once, `WHERE handover_id = ''`.
    Column("handover_id", String(36), nullable=False, server_default=""),
)
# The registry's keyset (ListPayments) and its usual filters, each ending in the keyset.
Index("ix_payments_date", payments.c.date, payments.c.id)
Index("ix_payments_client_date_id", payments.c.client_id, payments.c.date, payments.c.id)
Index("ix_payments_collector_date", payments.c.collected_by, payments.c.date, payments.c.id)
# The payments a handover covers.
Index(
    "ix_payments_handover",
    payments.c.handover_id,
    postgresql_where=payments.c.handover_id != "",
    sqlite_where=payments.c.handover_id != "",
)
Index(
    "ix_payments_unallocated",
    payments.c.client_id,
    postgresql_where=payments.c.unallocated != 0,
    sqlite_where=payments.c.unallocated != 0,
)

# An employee's cash on hand (the sum of its CASH payments no handover covers), kept with
# each cash payment and handover; the row is locked by both, so they run one after the other.
cash_on_hand = Table(
    "cash_on_hand",
    metadata,
    Column("employee_id", String(64), primary_key=True),
    Column("total", Money(), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Cash handed over by its collector to who received it (its payments: payments.handover_id).
cash_handovers = Table(
    "cash_handovers",
    metadata,
    Column("id", Id, primary_key=True),
    Column("employee_id", String(64), nullable=False),
    Column("date", Date, nullable=False),
    Column("counted", Money(), nullable=False),
    Column("expected", Money(), nullable=False),
    Column("received_by", Subject(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_cash_handovers_date", cash_handovers.c.date, cash_handovers.c.id)
Index(
    "ix_cash_handovers_employee",
    cash_handovers.c.employee_id,
    cash_handovers.c.date,
    cash_handovers.c.id,
)

# Which credit (payment or credit note) paid how much of which invoice.
allocations = Table(
    "allocations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source_kind", String(20), nullable=False),
    Column("source_id", DocId, nullable=False, index=True),
    Column("invoice_id", DocId, nullable=False, index=True),
    Column("amount", Money(), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

credit_reservations = Table(
    "credit_reservations",
    metadata,
    Column("order_id", Id, primary_key=True),
    Column("client_id", Id, nullable=False, index=True),
    Column("amount", Money(), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Indexed for the standings sweep (the reservations that expired since it last looked).
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

# The company default has client_id '' (empty); a client's override its id.
debt_policies = Table(
    "debt_policies",
    metadata,
    Column("client_id", String(36), primary_key=True),
    Column("mode", String(10), nullable=False),
    Column("check_credit_limit", Boolean, nullable=False),
    Column("max_overdue_days", Integer, nullable=False),
    Column("stages", JSON, nullable=False),
    Column("override_roles", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", Subject(), nullable=False, server_default=""),
    # Cleared (SetDebtPolicy `clear`): in force nowhere, kept so that the version keeps stepping.
    Column("cleared", Boolean, nullable=False, server_default=false()),
)

container_deposits = Table(
    "container_deposits",
    metadata,
    Column("container_type", String(60), primary_key=True),
    Column("deposit", Money(), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", Subject(), nullable=False, server_default=""),
)

tare_balances = Table(
    "tare_balances",
    metadata,
    Column("client_id", Id, primary_key=True),
    Column("container_type", String(60), primary_key=True),
    Column("issued", Quantity(), nullable=False),
    Column("returned", Quantity(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Each document moves a container type at most once per direction.
tare_movements = Table(
    "tare_movements",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("client_id", Id, nullable=False, index=True),
    Column("outlet_id", String(36), nullable=False),
    Column("container_type", String(60), nullable=False),
    Column("document_id", DocId, nullable=False),
    Column("direction", String(10), nullable=False),
    Column("quantity", Quantity(), nullable=False),
    Column("date", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # VAN_SALE, RETURN, DELIVERY, COUNT, ERP_DOCUMENT (domain/tare.py DocumentKind); '' not
    # proved (rows from before the kind was kept).
    Column("document_kind", String(20), nullable=False, server_default=""),
    # The client's balance of the type after the movement.
    Column("balance_after", Quantity(), nullable=False, server_default="0"),
    UniqueConstraint("document_id", "container_type", "direction"),
)
# The registry's keyset (ListTareMovements), all clients' and a client's.
Index("ix_tare_movements_date", tare_movements.c.date, tare_movements.c.id)
Index(
    "ix_tare_movements_client_date",
    tare_movements.c.client_id,
    tare_movements.c.date,
    tare_movements.c.id,
)

# How far the standings sweep has come (one row, id 1): the business day of its last sweep of
# the clients with open invoices, `done` or under way (`after_client`: the last one judged);
# and up to when it has judged the clients whose reservations expired.
standing_sweeps = Table(
    "standing_sweeps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("day", Date, nullable=True),
    Column("after_client", String(36), nullable=False, server_default=""),
    Column("done", Boolean, nullable=False, server_default=false()),
    Column("expired_to", DateTime(timezone=True), nullable=True),
)

# Document numbers (VS-000001, CN-000001, INV-000001).
number_sequences = Table(
    "number_sequences",
    metadata,
    Column("name", String(20), primary_key=True),
    Column("value", BigInteger, nullable=False),
)


# ------------------------------------------------------------------ the clients feed's models
# Every row stores the aggregate version of the event that last wrote it: an older event
# arriving late is ignored instead of overwriting newer state (`fieldline_kit.repository.
# upsert_if`, newest version wins).

# Employees' standing (active, roles) and team (supervisor): the auth check's directory and a
# supervisor's scope.
feed_employees = directory_table(metadata, "feed_employees")

# An outlet of the clients context and its client.
feed_outlets = Table(
    "feed_outlets",
    metadata,
    Column("outlet_id", Id, primary_key=True),
    Column("client_id", Id, nullable=False),
    # The outlet's aggregate version of the last event applied.
    Column("version", BigInteger, nullable=False),
)
Index("ix_feed_outlets_client_id", feed_outlets.c.client_id)

# Route × outlet, and who works the route. A removal keeps the row as a tombstone (`removed`)
# so that a late, older "put on the route" event of the same route cannot bring it back.
feed_route_outlets = Table(
    "feed_route_outlets",
    metadata,
    Column("route_id", Id, primary_key=True),
    Column("outlet_id", Id, primary_key=True),
    Column("agent_id", String(64), nullable=False),
    Column("removed", Boolean, nullable=False),
    # The route's aggregate version of the last event applied to this row.
    Column("version", BigInteger, nullable=False),
)
Index("ix_feed_route_outlets_agent_id", feed_route_outlets.c.agent_id)
Index("ix_feed_route_outlets_outlet_id", feed_route_outlets.c.outlet_id)
