"""The upload receipts: per employee and document, what the device was answered
(docs/contexts/device-gateway.md, *Idempotency and receipts*).

A row is first a claim (`inProgress`, with the claiming request's `claim_id` and
`claimed_at`), then final (`accepted`, `acceptedWithWarning`, `rejected`, with the answer as
JSON); a deferred document's claim is deleted. `creates` is the id of the entity the document
made (a visit, an order, a proposed outlet), so a later document naming it finds it.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, LargeBinary, String, Table, Text

from fieldline_gateway.adapters.orm import Digest, Id, Moment, metadata

upload_receipts = Table(
    "upload_receipts",
    metadata,
    Column("employee_id", String(64), primary_key=True),
    Column("document_id", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    # SHA-256 of the document as received (keys sorted): a retry compares equal.
    Column("digest", Digest, nullable=False),
    Column("status", String(24), nullable=False),
    # The DocumentResult the device got (JSON); null while claimed.
    Column("answer", LargeBinary, nullable=True),
    Column("creates", String(64), nullable=True),
    # The photos the document expects (JSON list of photo ids).
    Column("photo_ids", Text, nullable=False, default="[]"),
    Column("device_id", String(64), nullable=False),
    Column("batch_id", String(64), nullable=False),
    Column("created_at", Moment, nullable=True),  # the device's createdAt
    Column("sent_at", Moment, nullable=False),  # the batch's sentAt
    Column("received_at", Moment, nullable=False),
    Column("claim_id", Id, nullable=False),
    Column("claimed_at", Moment, nullable=False),
)
# A document naming an entity finds what the documents that created it became.
Index("ix_upload_receipts_creates", upload_receipts.c.employee_id, upload_receipts.c.creates)
# Retention (GATEWAY_RECEIPT_DAYS): the oldest go first.
Index("ix_upload_receipts_received_at", upload_receipts.c.received_at)
