"""Composition root: builds the real adapters once and hands them to the entrypoints."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from fieldline_kit.app import ServiceApp
from fieldline_kit.batching import Batcher
from fieldline_kit.clock import Clock, utcnow
from fieldline_kit.db import read_only
from fieldline_kit.grpc.tls import channel_credentials
from fieldline_orders.adapters import metrics
from fieldline_orders.adapters.catalog_cache import CatalogCache
from fieldline_orders.adapters.event_mapper import OrdersEvents
from fieldline_orders.adapters.proto_mapping import submit_response
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.adapters.schema import kit
from fieldline_orders.adapters.service_identity import service_issuer, service_token
from fieldline_orders.adapters.settlements_client import GrpcCreditChecker
from fieldline_orders.adapters.submit_reads import SubmitReader
from fieldline_orders.domain.contacts import productive_minimum
from fieldline_orders.domain.orders import CreditChecker, DateWindow
from fieldline_orders.domain.pricing import ManualDiscountLimits
from fieldline_orders.domain.recommendation import Policy
from fieldline_orders.service_layer.promoting import PromotionTerms
from fieldline_orders.service_layer.recheck import RecheckHeldOrders
from fieldline_orders.service_layer.submit import SubmitCall, SubmitOrders
from fieldline_orders.settings import (
    PREFIX,
    OrdersSettings,
    batches_in_flight,
    recheck_lease_seconds,
)

SERVICE = "orders"


class App(ServiceApp[OrdersSettings, OrdersUnitOfWork]):
    def __init__(self, settings: OrdersSettings, *, clock: Clock = utcnow) -> None:
        super().__init__(
            settings,
            uow_class=OrdersUnitOfWork,
            tables=kit,
            mapper=OrdersEvents(),
            clock=clock,
        )
        # ORDERS_PRODUCTIVE_MINIMUM: what a contact's sales must reach to be productive; every
        # unit of work judges the contacts it touches with it (`uow`).
        self.productive_minimum = productive_minimum(settings.productive_minimum)
        # New orders counted as they commit (adapters/metrics.py).
        self.after_commit.append(metrics.committed)
        # ORDERS_MAX_MANUAL_DISCOUNT: the manual discount each role may give.
        self.limits = ManualDiscountLimits.parse(settings.max_manual_discount)
        # ORDERS_TIMEZONE: the company's business day (see `today`).
        self.tz = ZoneInfo(settings.timezone)
        # ORDERS_ORDER_DATE_WINDOW_DAYS: how far from today an order's dates may be.
        self.dates = DateWindow(settings.order_date_window_days)
        # safety_days is a float setting; via str() so 2.0 stays exactly 2.0.
        # ORDERS_SHELF_COUNT_MAX_AGE_DAYS: an older audit's shelf counts are not used.
        self.recommendation_policy = Policy(
            settings.recommendation_window_days,
            Decimal(str(settings.safety_days)),
            settings.shelf_count_max_age_days,
            self.tz,
        )
        # Products, groups and price lists as of the catalog generation (checked on each use).
        self.catalog_cache = CatalogCache()
        # Orders' own identity (svc:orders) for the calls it makes as itself; None without
        # ORDERS_SERVICE_SIGNING_KEY (then auth is off: settings.validate).
        self.service_token = service_token(
            service_issuer(
                settings.service_signing_key,
                settings.service_token_issuer,
                settings.auth_audience,
            )
        )
        # The debt-policy check: settlements over gRPC, as the user or as orders; over TLS
        # with ORDERS_TLS_CA_FILE (or ORDERS_TLS_CERT_FILE: the system's roots).
        checker = GrpcCreditChecker(
            settings.settlements_target,
            timeout=settings.credit_check_timeout_seconds,
            fallback=settings.credit_check_fallback,
            clock=lambda: self.clock(),
            service_token=self.service_token,
            credentials=channel_credentials(settings, PREFIX),
        )
        self.credit: CreditChecker = checker
        self.settlements = checker  # … and what else its client offers (`on_recovery`)
        self.cleanup.append(checker.close)
        # Orders held because settlements was unreachable, judged again when it answers (run
        # by entrypoints/credit_recheck.py; `holder`: this replica in the job's lease).
        self.recheck = RecheckHeldOrders(
            credit=checker,
            uow=self.uow,
            read_uow=self.read_uow,
            clock=lambda: self.clock(),
            today=self.today,
            batch_size=settings.credit_recheck_batch,
            holder=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
            lease=timedelta(seconds=recheck_lease_seconds(settings)),
        )
        # SubmitOrder: concurrent calls coalesced into batches of the one use case.
        self.submit_orders = SubmitOrders(
            reader=SubmitReader(read_only(self.engine), self.read_sessions, self.catalog_cache),
            credit=checker,
            uow=self.uow,
            clock=lambda: self.clock(),
            today=self.today,
            limits=self.limits,
            dates=self.dates,
            respond=submit_response,
            promotion_grace_days=settings.promotion_grace_days,
        )
        self.submits: Batcher[SubmitCall, bytes] = Batcher(
            "orders.submit",
            self.submit_orders,
            max_batch=settings.submit_batch_max,
            max_in_flight=batches_in_flight(
                settings.submit_batches_in_flight, self.engine.dialect.name
            ),
        )

    def uow(self, causation_id: str = "") -> OrdersUnitOfWork:
        uow = super().uow(causation_id)
        uow.productive_minimum = self.productive_minimum
        return uow

    def today(self) -> date:
        """The company's business day now (ORDERS_TIMEZONE)."""
        return self.clock().astimezone(self.tz).date()

    def promotion_terms(self) -> PromotionTerms:
        """An order arriving now: when, the business day, the grace days of promotions."""
        now = self.clock()
        return PromotionTerms(
            now, now.astimezone(self.tz).date(), self.settings.promotion_grace_days
        )


def bootstrap(settings: OrdersSettings, *, clock: Clock = utcnow) -> App:
    return App(settings, clock=clock)
