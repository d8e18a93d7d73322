"""Composition root: builds the real adapters once and hands them to the entrypoints."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from fieldline_kit.app import ServiceApp
from fieldline_kit.auth.directory_table import table_directory
from fieldline_kit.auth.grpc_auth import verifier_from_settings
from fieldline_kit.clock import Clock, utcnow
from fieldline_settlements.adapters import metrics, orm
from fieldline_settlements.adapters.event_mapper import SettlementsEvents
from fieldline_settlements.adapters.repository import SettlementsUnitOfWork
from fieldline_settlements.domain.policy import DebtPolicy
from fieldline_settlements.service_layer.handlers import Config
from fieldline_settlements.settings import SettlementsSettings, default_policy, delivery_tare

SERVICE = "settlements"


class App(ServiceApp[SettlementsSettings, SettlementsUnitOfWork]):
    def __init__(self, settings: SettlementsSettings, *, clock: Clock = utcnow) -> None:
        super().__init__(
            settings,
            uow_class=SettlementsUnitOfWork,
            tables=orm.kit,
            mapper=SettlementsEvents(settings.currency),
            clock=clock,
        )
        self._zone = ZoneInfo(settings.timezone)
        self.after_commit.append(metrics.committed)  # payments, as they commit
        self.config = Config(
            currency=settings.currency,
            reservation_hours=settings.reservation_hours,
            default_terms_days=settings.default_payment_terms_days,
            default_policy=default_policy(settings),
            delivery_tare=delivery_tare(settings),
        )
        # Verifies the users' tokens credit checks carry (`actor_token`); None: auth off.
        self.verifier = verifier_from_settings(settings)
        # Employees as the clients feed last reported them: the auth check admits each
        # employee's token through it (ServiceSpec.directory), and so do the `actor_token`s.
        self.directory = table_directory(self.read_sessions, orm.feed_employees)

    @property
    def currency(self) -> str:
        return self.settings.currency

    @property
    def default_policy(self) -> DebtPolicy:
        return self.config.default_policy

    def today(self) -> date:
        """The company's business day now."""
        return self.business_day(self.clock())

    def business_day(self, at: datetime) -> date:
        """The company's business day at `at`."""
        return at.astimezone(self._zone).date()


def bootstrap(settings: SettlementsSettings, *, clock: Clock = utcnow) -> App:
    return App(settings, clock=clock)
