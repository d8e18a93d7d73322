"""Domain events → published integration events (fieldline.orders.events.v1).

Mappers register per domain event type with `@map_event.register` in the module that owns the
event (orders_events.py, van_events.py); `bootstrap` imports those modules.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import singledispatch

from fieldline_kit.uow import IntegrationEvent

SUBJECT_PREFIX = "orders.events.v1"
STREAM = "ORDERS"


@singledispatch
def map_event(event: object) -> IntegrationEvent:
    raise TypeError(f"no integration event for {type(event).__name__}")


def integration_event(
    aggregate_type: str, aggregate_id: str, version: int, message: object
) -> IntegrationEvent:
    return IntegrationEvent(
        f"{SUBJECT_PREFIX}.{type(message).__name__}",
        message,  # type: ignore[arg-type]
        aggregate_type,
        aggregate_id,
        version,
    )


def to_integration(event: object) -> Iterator[IntegrationEvent]:
    yield map_event(event)
