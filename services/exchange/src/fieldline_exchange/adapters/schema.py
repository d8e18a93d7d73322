"""Every table of the exchange service on one MetaData (what migrations and tests create)."""

from fieldline_exchange.adapters import orm  # noqa: F401 - tables register on import
from fieldline_exchange.adapters.orm import kit, metadata

__all__ = ["kit", "metadata"]
