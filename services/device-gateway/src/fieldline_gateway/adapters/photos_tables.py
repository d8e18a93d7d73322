"""The photos table (docs/contexts/device-gateway.md, *Photos*): one row per photo a device
declared, with its upload's offset, so any replica takes the next chunk. The bytes are in the
blob store (adapters/blob_store.py), named by their SHA-256; many photos may name one blob.
The SQL is in adapters/photos_store.py.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table

from fieldline_gateway.adapters.orm import Digest, Id, Moment, metadata

photos = Table(
    "photos",
    metadata,
    Column("photo_id", Id, primary_key=True),  # the device's
    Column("employee_id", String(64), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("sha256", Digest, nullable=False),  # declared, hex
    Column("size", BigInteger, nullable=False),  # declared, bytes
    Column("content_type", String(40), nullable=False),  # declared
    Column("kind", String(16), nullable=False),  # audit, visit, outlet, equipment, delivery
    Column("document_id", String(64), nullable=False),  # may not exist (yet)
    # The capture time as the device gave it: the instant (UTC) and the device's UTC offset,
    # so the answer repeats exactly what was sent.
    Column("captured_at", Moment, nullable=False),
    Column("captured_utc_offset_s", Integer, nullable=False),
    # Degrees and metres as the device measured them (not money: binary floats are exact
    # enough, and a JSON number round-trips through a double unchanged). NULL: no fix.
    Column("latitude", Float, nullable=True),
    Column("longitude", Float, nullable=True),
    Column("accuracy_m", Float, nullable=True),
    Column("offset", BigInteger, nullable=False),  # bytes received so far
    Column("status", String(16), nullable=False),  # PhotoStatus
    Column("created_at", Moment, nullable=False),  # received by the gateway
    Column("completed_at", Moment, nullable=True),
)
# A document's photos; the many photos one blob serves (blob removal checks it).
Index("ix_photos_document_id", photos.c.document_id)
Index("ix_photos_sha256", photos.c.sha256)
# The hourly job: unfinished uploads older than 7 days.
Index("ix_photos_status_created_at", photos.c.status, photos.c.created_at)
