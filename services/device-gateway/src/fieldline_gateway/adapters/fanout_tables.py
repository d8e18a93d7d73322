"""Tables of the sync store (docs/contexts/device-gateway.md, *The sync store (fan-out)*).

Objects are stored once under one scope; agents reach them through membership intervals; one
clock row hands out the change sequence (one `seq` per writing transaction, taken first, so
transactions take their `seq` in commit order). The SQL is in adapters/fanout_store.py.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
)

from fieldline_gateway.adapters.orm import metadata

Seq = BigInteger()
Section = String(40)
Key = String(255)
Scope = String(100)
AgentId = String(64)

# One row per (section, key): the latest version of the item as the device receives it.
fanout_objects = Table(
    "fanout_objects",
    metadata,
    Column("section", Section, primary_key=True),
    Column("key", Key, primary_key=True),
    Column("scope", Scope, nullable=False),
    Column("seq", Seq, nullable=False),
    # The owning service's version (NULL: an unversioned, refetch-sourced item).
    Column("source_version", BigInteger, nullable=True),
    Column("deleted", Boolean, nullable=False, default=False),
    # The item's JSON exactly as the protocol sends it; empty for a tombstone.
    Column("body", LargeBinary, nullable=False),
    Column("body_hash", String(64), nullable=False),  # SHA-256 of body, hex ("" tombstone)
    Column("changed_at", DateTime(timezone=True), nullable=False),
)
# A scope's changes after a cursor (delta step 3) and its snapshot (step 4).
Index("ix_fanout_objects_scope_seq", fanout_objects.c.scope, fanout_objects.c.seq)
# Compaction's time → seq bisection (`seq_before`), and what a transaction wrote.
Index("ix_fanout_objects_seq", fanout_objects.c.seq)
# The tombstones alone, by seq: compaction deletes (and chunks) them without walking the live
# rows below its bound (most of the store: a catalog written months ago).
Index(
    "ix_fanout_objects_tombstones",
    fanout_objects.c.seq,
    postgresql_where=fanout_objects.c.deleted.is_(True),
    sqlite_where=fanout_objects.c.deleted.is_(True),
)

# The newest seq written in each scope: a delta skips the agent's scopes with nothing new.
fanout_heads = Table(
    "fanout_heads",
    metadata,
    Column("scope", Scope, primary_key=True),
    Column("seq", Seq, nullable=False),
)
# The scopes written after a cursor: a recent cursor's delta starts from these few rows
# instead of probing the head of each of the agent's ~500 scopes.
Index("ix_fanout_heads_seq", fanout_heads.c.seq)

# One row per interval of membership: opened at added_seq, closed at removed_seq (NULL: open).
fanout_members = Table(
    "fanout_members",
    metadata,
    Column("agent_id", AgentId, primary_key=True),
    Column("scope", Scope, primary_key=True),
    Column("added_seq", Seq, primary_key=True),
    Column("removed_seq", Seq, nullable=True),
)
Index("ix_fanout_members_agent_added", fanout_members.c.agent_id, fanout_members.c.added_seq)
Index("ix_fanout_members_agent_removed", fanout_members.c.agent_id, fanout_members.c.removed_seq)
# The closed intervals, by when they closed: compaction's range (the open ones, most rows, left
# out).
Index(
    "ix_fanout_members_closed",
    fanout_members.c.removed_seq,
    postgresql_where=fanout_members.c.removed_seq.is_not(None),
    sqlite_where=fanout_members.c.removed_seq.is_not(None),
)
# Who holds a scope now (the agents an outlet's change touches).
Index(
    "ix_fanout_members_scope_open",
    fanout_members.c.scope,
    fanout_members.c.agent_id,
    postgresql_where=fanout_members.c.removed_seq.is_(None),
    sqlite_where=fanout_members.c.removed_seq.is_(None),
)

# The one clock row (id = 1): the store's epoch (a new one means every device resyncs), the
# last seq handed out, and the horizon (cursors below it can no longer be served a delta).
fanout_clock = Table(
    "fanout_clock",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("epoch", String(36), nullable=False),
    Column("seq", Seq, nullable=False),
    Column("horizon", Seq, nullable=False),
)

__all__ = ["fanout_clock", "fanout_heads", "fanout_members", "fanout_objects"]
