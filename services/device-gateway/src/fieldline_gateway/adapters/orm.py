"""Tables of the device gateway (SQLAlchemy Core): devices and their tokens, the employee
directory, and the kit's tables. The sync store's, the receipts' and the photos' tables are in
their own modules on the same MetaData (adapters/schema.py imports them all)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, String, Table, Text

from fieldline_kit.auth.directory_table import directory_table
from fieldline_kit.db import new_metadata
from fieldline_kit.tables import BigId, add_kit_tables

metadata = new_metadata()
kit = add_kit_tables(metadata)

Id = String(36)
Digest = String(64)  # SHA-256, hex
Moment = DateTime(timezone=True)

# Employees as clients' EmployeeChanged left them: the auth check's directory (standing,
# roles) and a supervisor's team.
employees = directory_table(metadata, "gateway_employees")

devices = Table(
    "devices",
    metadata,
    Column("device_id", Id, primary_key=True),
    Column("employee_id", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),  # DeviceStatus
    Column("revoked_reason", String(32), nullable=True),
    Column("revoked_by", String(64), nullable=True),
    Column("revoked_at", Moment, nullable=True),
    Column("platform", String(32), nullable=False),
    Column("os_version", String(32), nullable=False),
    Column("model", String(100), nullable=False),
    Column("installation_id", String(64), nullable=False),
    Column("app_version", String(32), nullable=False),
    Column("activated_at", Moment, nullable=False),
    # The activation attempt that made the device (a retry of it finds the device again).
    Column("activation_request_id", Id, nullable=False),
    Column("activation_code", Digest, nullable=False),
    Column("last_seen_at", Moment, nullable=True),
    Column("last_sync_at", Moment, nullable=True),
    Column("last_sync_mode", String(8), nullable=True),
    Column("last_upload_at", Moment, nullable=True),
    # The device's own sync horizon: a cursor of it below this seq gets a full answer (reset,
    # `access-changed`), as one below the store's horizon does; NULL: none. Set when sections
    # once withheld from its employee are sent now (a cursor does not record what was withheld
    # from it); the first page of a full answer lowers it to that answer's high, so it happens
    # once (service_layer/sync.py).
    Column("resync_below", BigInteger, nullable=True),
)
# The revoked-device set each replica keeps in memory: revocations of the last minutes.
Index("ix_devices_revoked_at", devices.c.revoked_at)

activation_codes = Table(
    "activation_codes",
    metadata,
    Column("code_digest", Digest, primary_key=True),
    Column("employee_id", String(64), nullable=False),
    Column("issued_by", String(64), nullable=False),
    Column("issued_at", Moment, nullable=False),
    Column("expires_at", Moment, nullable=False),
    Column("used_at", Moment, nullable=True),
    Column("device_id", Id, nullable=True),
    Column("request_id", Id, nullable=True),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_digest", Digest, primary_key=True),
    Column("family_id", Id, nullable=False, index=True),
    Column("device_id", Id, nullable=False, index=True),
    Column("issued_at", Moment, nullable=False),
    Column("expires_at", Moment, nullable=False),
    Column("used_at", Moment, nullable=True),
    Column("successor_digest", Digest, nullable=True),
    Column("revoked_at", Moment, nullable=True),
)

# Every management action and every reuse: who, what, when (shown by GET /v1/devices/{id}).
device_events = Table(
    "device_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("device_id", Id, nullable=False, index=True),
    Column("at", Moment, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", Text, nullable=False, default=""),
)

__all__ = ["kit", "metadata"]
