"""Composition root: builds the real adapters once and hands them to the entrypoints."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from fieldline_clients.adapters import metrics, orm
from fieldline_clients.adapters.event_mapper import ClientsEvents
from fieldline_clients.adapters.plan_cache import PlanCache
from fieldline_clients.adapters.repository import ClientsUnitOfWork
from fieldline_clients.settings import ClientsSettings
from fieldline_kit.app import ServiceApp
from fieldline_kit.clock import Clock, utcnow

SERVICE = "clients"


class App(ServiceApp[ClientsSettings, ClientsUnitOfWork]):
    def __init__(self, settings: ClientsSettings, *, clock: Clock = utcnow) -> None:
        super().__init__(
            settings,
            uow_class=ClientsUnitOfWork,
            tables=orm.kit,
            mapper=ClientsEvents(),
            clock=clock,
        )
        self.plan_cache = PlanCache(
            settings.plan_cache_seconds,
            max_entries=settings.plan_cache_entries,
            max_bytes=settings.plan_cache_megabytes * 1024 * 1024,
        )
        if self.plan_cache.enabled:  # stale cached plans go with the commit that changed them
            self.after_commit.append(self.plan_cache.committed)
        self.after_commit.append(metrics.committed)  # visits and audits, as they commit
        self.zone = ZoneInfo(settings.timezone)  # the company's (CLIENTS_TIMEZONE)

    def today(self) -> date:
        """The company's current date (CLIENTS_TIMEZONE): the day agent periods are in force."""
        return self.clock().astimezone(self.zone).date()


def bootstrap(settings: ClientsSettings, *, clock: Clock = utcnow) -> App:
    return App(settings, clock=clock)
