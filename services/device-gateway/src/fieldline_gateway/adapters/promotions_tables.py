"""What the gateway keeps to project orders' promotions (docs/contexts/device-gateway.md,
*Promotions*): the territory tree (clients' `TerritoryChanged`, and `ListTerritories` in the
bulk build), each promotion as last applied (its version, the message, the scopes it was
written under) and the outlets promotions name — so a promotion is projected again, in the
gateway's own transaction, when a territory or an outlet it depends on arrives or moves. The
SQL is in adapters/promotions_store.py.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, LargeBinary, String, Table, Text

from fieldline_gateway.adapters.orm import metadata

Id = String(64)

# A territory's parent ("" for a root). Territories never change (clients publishes one event,
# version 1); the newest version wins anyway.
graph_territories = Table(
    "graph_territories",
    metadata,
    Column("territory_id", Id, primary_key=True),
    Column("parent_id", Id, nullable=False),
    Column("version", BigInteger, nullable=False),
)

# A promotion as the gateway last projected it: orders' version (an older event is refused),
# the `Promotion` message (serialized: projected again as it is), whether it targets
# territories (a new territory re-projects those) and the `account:` clients it is written
# under, space-separated ("" and `catalog` false: none; the catalog when `catalog`).
graph_promotions = Table(
    "graph_promotions",
    metadata,
    Column("promotion_id", Id, primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("message", LargeBinary, nullable=False),
    Column("territorial", Boolean, nullable=False, index=True),
    Column("catalog", Boolean, nullable=False),
    Column("clients", Text, nullable=False),
)

# The outlets a promotion's targeting names (an outlet's client decides the promotion's
# `account:` scope): an outlet's event re-projects the promotions naming it.
graph_promotion_outlets = Table(
    "graph_promotion_outlets",
    metadata,
    Column("outlet_id", Id, primary_key=True),
    Column("promotion_id", Id, primary_key=True, index=True),
)
