"""Refetch jobs: what the sync store must read again from a service because no event carries
it whole (a day's visit plan, a van's stock), keyed by what to read (`plan:<agent>`,
`vans:<seller>`); and the vans' sellers, so a van's event finds whose device it concerns.
docs/contexts/device-gateway.md, *Where the data comes from*, 2."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, String, Table, Text

from fieldline_gateway.adapters.orm import metadata

refetch_jobs = Table(
    "refetch_jobs",
    metadata,
    Column("key", String(120), primary_key=True),
    # Bumped by every trigger: a job whose generation moved while it ran runs again.
    Column("generation", BigInteger, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False, index=True),
    Column("leased_until", DateTime(timezone=True), nullable=True),
    Column("lease_owner", String(64), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
)

graph_vans = Table(
    "graph_vans",
    metadata,
    Column("van_id", String(64), primary_key=True),
    Column("seller_id", String(64), nullable=False, index=True),
)
