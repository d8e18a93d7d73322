"""Composition root: builds the real adapters once and hands them to the entrypoints."""

from __future__ import annotations

from fieldline_kit.app import ServiceApp
from fieldline_kit.clock import Clock, utcnow
from fieldline_kit.uow import UnitOfWork
from fieldline_orders.adapters import orders_events  # noqa: F401 - registers the event mappers
from fieldline_orders.adapters.catalog_cache import CatalogCache
from fieldline_orders.adapters.event_mapper import to_integration
from fieldline_orders.adapters.schema import kit
from fieldline_orders.adapters.settlements_client import GrpcCreditChecker
from fieldline_orders.domain.orders import CreditChecker
from fieldline_orders.settings import OrdersSettings

SERVICE = "orders"


class App(ServiceApp[OrdersSettings, UnitOfWork]):
    def __init__(self, settings: OrdersSettings, *, clock: Clock = utcnow) -> None:
        super().__init__(
            settings, uow_class=UnitOfWork, tables=kit, mapper=to_integration, clock=clock
        )
        # Products, groups and price lists as of the catalog generation (checked on each use).
        self.catalog_cache = CatalogCache()
        # The debt-policy check: settlements over gRPC.
        checker = GrpcCreditChecker(
            settings.settlements_target,
            timeout=settings.credit_check_timeout_seconds,
            fallback=settings.credit_check_fallback,
        )
        self.credit: CreditChecker = checker
        self.cleanup.append(checker.close)


def bootstrap(settings: OrdersSettings, *, clock: Clock = utcnow) -> App:
    return App(settings, clock=clock)
