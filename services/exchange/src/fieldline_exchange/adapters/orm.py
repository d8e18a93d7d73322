"""Tables of the exchange service (SQLAlchemy Core): partners and their credentials, 1C
exchange sessions and their files, import jobs and their reports, the order export's
journal and exchanges, and the kit's tables.
docs/contexts/exchange.md, *What it owns*."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
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
Digest = String(64)  # SHA-256, hex
Moment = DateTime(timezone=True)

partners = Table(
    "partners",
    metadata,
    Column("partner_id", Id, primary_key=True),
    Column("name", String(200), nullable=False),
    # HTTP Basic: the login 1C sends, and its password's scrypt hash.
    Column("login", String(64), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("status", String(16), nullable=False),  # active, disabled
    Column("created_at", Moment, nullable=False),
    Column("created_by", String(100), nullable=False),
)

partner_keys = Table(
    "partner_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("partner_id", Id, ForeignKey("partners.partner_id"), nullable=False, index=True),
    Column("digest", Digest, nullable=False),
    Column("scopes", Text, nullable=False),  # space-separated
    Column("label", String(200), nullable=False),
    Column("created_at", Moment, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("revoked_at", Moment, nullable=True),
)

# 1C's sessions (checkauth → cookie): the cookie's hash, whose, until when.
exchange_sessions = Table(
    "exchange_sessions",
    metadata,
    Column("digest", Digest, primary_key=True),
    Column("partner_id", Id, ForeignKey("partners.partner_id"), nullable=False),
    Column("created_at", Moment, nullable=False),
    Column("expires_at", Moment, nullable=False),
)

# A file received in chunks through a session (mode=file), by its name.
session_files = Table(
    "session_files",
    metadata,
    Column("session_digest", Digest, primary_key=True),
    Column("filename", String(255), primary_key=True),
    Column("path", String(1000), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("chunks", Integer, nullable=False),
    Column("updated_at", Moment, nullable=False),
)

# An import: one file (an archive member each), its partner, where it is, what it did.
import_jobs = Table(
    "import_jobs",
    metadata,
    Column("job_id", Id, primary_key=True),
    Column("partner_id", Id, ForeignKey("partners.partner_id"), nullable=False),
    # What the credentials that sent it may import (space-separated scopes).
    Column("scopes", Text, nullable=False),
    Column("filename", String(255), nullable=False),
    Column("path", String(1000), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", Digest, nullable=False),
    Column("format", String(16), nullable=False),  # commerceml, fieldline
    Column("kind", String(32), nullable=False),  # catalog, offers, … ("" until checked)
    Column("version", String(16), nullable=False),
    Column("state", String(16), nullable=False),  # queued checking applying done refused failed
    Column("bytes_read", BigInteger, nullable=False),
    Column("batches_done", Integer, nullable=False),  # the checkpoint: batches applied
    Column("records_applied", BigInteger, nullable=False),
    Column("counts", Text, nullable=False),  # JSON: the inspect counts
    Column("refusal", Text, nullable=False),  # JSON: {code, message, line} or ""
    Column("owner", String(200), nullable=True),  # the replica working on it
    Column("lease_until", Moment, nullable=True),
    Column("created_at", Moment, nullable=False),
    Column("updated_at", Moment, nullable=False),
    Column("finished_at", Moment, nullable=True),
)
Index("ix_import_jobs_partner_created", import_jobs.c.partner_id, import_jobs.c.created_at)
Index("ix_import_jobs_partner_sha", import_jobs.c.partner_id, import_jobs.c.sha256)
Index("ix_import_jobs_state", import_jobs.c.state)

# A job's report: each record skipped or refused by a service (file, line, id, reason).
import_report = Table(
    "import_report",
    metadata,
    Column("job_id", Id, ForeignKey("import_jobs.job_id"), primary_key=True),
    Column("n", Integer, primary_key=True),
    Column("line", Integer, nullable=True),
    Column("external_id", String(255), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("detail", Text, nullable=False),
)


# ------------------------------------------------------------------ the order export
# docs/contexts/exchange.md, *Export*. The journal is the company's (every partner sees every
# order); what was sent and acknowledged is each partner's.

# One row per exported document (an order, a cash payment, an outlet) and the latest version of
# it its events announced;
# `number` is the document's number for the ERP (Номер), given when the row is made.
export_journal = Table(
    "export_journal",
    metadata,
    Column("number", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # order, payment, outlet
    Column("document_id", Id, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("occurred_at", Moment, nullable=False),  # when that version happened
    Column("recorded_at", Moment, nullable=False),  # when the row was made
    # That version's content as its event carried it (a payment's, an outlet's protobuf);
    # none for an order (read from orders as it is now when exported).
    Column("payload", LargeBinary, nullable=True),
    UniqueConstraint("kind", "document_id"),
)

# A partner's exchanges: each query makes the next (1, 2, …); `success` acknowledges it.
export_exchanges = Table(
    "export_exchanges",
    metadata,
    Column("partner_id", Id, ForeignKey("partners.partner_id"), primary_key=True),
    Column("exchange", Integer, primary_key=True),
    Column("documents", Integer, nullable=False),
    Column("created_at", Moment, nullable=False),
    Column("acknowledged_at", Moment, nullable=True),
)

# What an exchange held: each journal row at the version sent.
export_sent = Table(
    "export_sent",
    metadata,
    Column("partner_id", Id, primary_key=True),
    Column("exchange", Integer, primary_key=True),
    Column("number", BigId, ForeignKey("export_journal.number"), primary_key=True),
    Column("version", BigInteger, nullable=False),
    ForeignKeyConstraint(
        ["partner_id", "exchange"], ["export_exchanges.partner_id", "export_exchanges.exchange"]
    ),
)

# What each partner acknowledged of each journal row: a row whose version is newer is pending.
export_acks = Table(
    "export_acks",
    metadata,
    Column("partner_id", Id, ForeignKey("partners.partner_id"), primary_key=True),
    Column("number", BigId, ForeignKey("export_journal.number"), primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("exchange", Integer, nullable=False),  # the exchange that acknowledged it
)
