"""Domain events of the orders context, mapped to published protos by adapters/event_mapper.py.

Each event carries a snapshot of the aggregate's new state (consumers keep state per aggregate
and need the whole of it).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fieldline_orders.domain.orders import Order, OrderStatus
    from fieldline_orders.domain.returns import GoodsReturn
    from fieldline_orders.domain.van import Unloading, VanLoad


class Event:
    """Marker base."""


@dataclass(frozen=True)
class OrderSubmitted(Event):
    order: Order


@dataclass(frozen=True)
class OrderHeld(Event):
    order: Order


@dataclass(frozen=True)
class OrderConfirmed(Event):
    order: Order


@dataclass(frozen=True)
class OrderStatusChanged(Event):
    order: Order
    previous: OrderStatus


@dataclass(frozen=True)
class VanSaleCompleted(Event):
    order: Order
    van_id: str
    cash_collected: Decimal
    receipt_number: str
    # (container type, quantity) summed per type, sorted by type.
    containers: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True)
class ReturnAccepted(Event):
    goods_return: GoodsReturn


@dataclass(frozen=True)
class VanLoaded(Event):
    load: VanLoad


@dataclass(frozen=True)
class VanUnloaded(Event):
    unloading: Unloading
