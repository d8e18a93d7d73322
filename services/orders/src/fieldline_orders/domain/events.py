"""Domain events of the orders context, mapped to published protos by adapters/event_mapper.py.

Each event carries a snapshot of the aggregate's new state (consumers keep state per aggregate
and need the whole of it). The catalog's events are about the records one upsert changed, each
with its version; a price list's carries its change rather than all its entries when the
change is small (`PRICE_LIST_EVENT_ENTRIES`), and neither otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fieldline_orders.domain.catalog import (
        ClientPrice,
        ClientPriceType,
        Discount,
        DistributorPriceType,
        PriceList,
        PriceListChanges,
        PriceListMerge,
        PriceType,
        Product,
        ProductGroup,
        Warehouse,
    )
    from fieldline_orders.domain.contacts import ContactSales
    from fieldline_orders.domain.orders import Order, OrderStatus
    from fieldline_orders.domain.promotions import Promotion
    from fieldline_orders.domain.returns import GoodsReturn
    from fieldline_orders.domain.van import Unloading, VanLoad


class Event:
    """Marker base."""


# A PriceListChanged carries the entries added, repriced and dropped when they number at most
# this many (a consumer then needs no call back); a larger change only says that the list
# changed (its entries are read with ListPriceListEntries). 5,000 entries make about 300 KB.
PRICE_LIST_EVENT_ENTRIES = 5000


@dataclass
class Announcement:
    """Events a use case records about records that are not aggregates with events of their own
    (a catalog upsert's: one event about many records). The unit of work tracks it as it
    tracks an aggregate, so the events are written to the outbox with the change."""

    events: list[Event] = field(default_factory=list)


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
class OrderAmended(Event):
    """A pre-sale order's new revision (`order.revision`), replacing `previous_revision`."""

    order: Order
    previous_revision: int


@dataclass(frozen=True)
class OrderStatusChanged(Event):
    order: Order
    previous: OrderStatus
    # DELIVERED or PARTIALLY_DELIVERED: the containers delivered, (container type, quantity)
    # summed per type, sorted by type (`orders.delivered_containers`); otherwise empty.
    delivered_containers: tuple[tuple[str, Decimal], ...] = ()


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
class ContactSalesChanged(Event):
    """A contact's figures or productivity changed (domain/contacts.py)."""

    contact_sales: ContactSales


@dataclass(frozen=True)
class VanLoaded(Event):
    load: VanLoad


@dataclass(frozen=True)
class VanUnloaded(Event):
    unloading: Unloading


# ------------------------------------------------------------------------------ catalog
@dataclass(frozen=True)
class ProductGroupsChanged(Event):
    groups: tuple[ProductGroup, ...]


@dataclass(frozen=True)
class ProductsChanged(Event):
    products: tuple[Product, ...]


@dataclass(frozen=True)
class PriceTypesChanged(Event):
    price_types: tuple[PriceType, ...]


@dataclass(frozen=True)
class PriceListChanged(Event):
    # As stored now: its header and version (the entries: all of them after a replace or a
    # creation, none after a merge, which never loads the whole list).
    price_list: PriceList
    currency_code: str  # its price type's: the currency of its prices
    # The entries added, repriced and dropped since the version before; None when there are
    # more than PRICE_LIST_EVENT_ENTRIES of them (the event then leaves them out).
    changes: PriceListChanges | None
    entry_count: int  # how many entries the list holds now

    @classmethod
    def of(
        cls, price_list: PriceList, currency_code: str, previous: PriceList | None
    ) -> PriceListChanged:
        """The event of `price_list` (with all its entries) stored after `previous` (None:
        created)."""
        return cls._small(
            price_list, currency_code, price_list.changes_since(previous), len(price_list.entries)
        )

    @classmethod
    def merged(cls, merge: PriceListMerge, currency_code: str) -> PriceListChanged:
        """The event of a merge into a stored list: exactly what it changed."""
        return cls._small(merge.price_list, currency_code, merge.changes, merge.entry_count)

    @classmethod
    def _small(
        cls, price_list: PriceList, currency_code: str, changes: PriceListChanges, count: int
    ) -> PriceListChanged:
        small = changes.size <= PRICE_LIST_EVENT_ENTRIES
        return cls(price_list, currency_code, changes if small else None, count)


@dataclass(frozen=True)
class ClientPriceTypeSet(Event):
    client_price_type: ClientPriceType
    previous_price_type_id: str  # "" when the client had none


@dataclass(frozen=True)
class PromotionChanged(Event):
    """Created, changed or stopped; or its budget became LOW, EXHAUSTED or available again
    (the version steps then too). `consumed`: its budget's, as the change left it (None: a
    promotion without a budget)."""

    promotion: Promotion
    consumed: Decimal | None = None


@dataclass(frozen=True)
class DistributorPriceTypeSet(Event):
    distributor_price_type: DistributorPriceType
    previous_price_type_id: str  # "" when it had none


@dataclass(frozen=True)
class ClientPricesChanged(Event):
    prices: tuple[ClientPrice, ...]


@dataclass(frozen=True)
class DiscountsChanged(Event):
    discounts: tuple[Discount, ...]


@dataclass(frozen=True)
class WarehousesChanged(Event):
    warehouses: tuple[Warehouse, ...]
