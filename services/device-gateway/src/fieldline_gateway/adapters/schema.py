"""Every table of the device gateway on one MetaData (what migrations and tests create)."""

from fieldline_gateway.adapters import (
    fanout_tables,  # noqa: F401
    graph_tables,  # noqa: F401
    leases,  # noqa: F401
    orm,  # noqa: F401 - tables register on import
    photos_tables,  # noqa: F401
    promotions_tables,  # noqa: F401
    receipts_tables,  # noqa: F401
    refetch_tables,  # noqa: F401
)
from fieldline_gateway.adapters.orm import kit, metadata

__all__ = ["kit", "metadata"]
