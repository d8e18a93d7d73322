"""Every table of the device gateway on one MetaData (what migrations and tests create)."""

from fieldline_gateway.adapters import orm  # noqa: F401 - tables register on import
from fieldline_gateway.adapters.orm import kit, metadata

__all__ = ["kit", "metadata"]
