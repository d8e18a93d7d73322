"""CommerceML 2.x in: the streaming reader and inspect (docs/contexts/exchange.md)."""

from fieldline_exchange.adapters.commerceml.inspection import inspect
from fieldline_exchange.adapters.commerceml.reader import (
    DETECTED_VERSION,
    NAMESPACES,
    Header,
    Item,
    Reading,
    Source,
    read,
)

__all__ = [
    "DETECTED_VERSION",
    "NAMESPACES",
    "Header",
    "Item",
    "Reading",
    "Source",
    "inspect",
    "read",
]
