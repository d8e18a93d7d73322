"""Every table of the orders service on one MetaData (what migrations and tests create)."""

from fieldline_orders.adapters import orm, orm_feed, orm_van  # noqa: F401 - tables register on import
from fieldline_orders.adapters.orm import kit, metadata

__all__ = ["kit", "metadata"]
