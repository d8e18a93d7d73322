"""Composition root: builds the real adapters once and hands them to the entrypoints."""

from __future__ import annotations

import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from fieldline_exchange.adapters.documents_sink import DocumentsSink
from fieldline_exchange.adapters.export_source import ExportSource
from fieldline_exchange.adapters.files import Files
from fieldline_exchange.adapters.orders_sink import OrdersSink
from fieldline_exchange.adapters.orm import kit
from fieldline_exchange.adapters.peers import Peers
from fieldline_exchange.adapters.settlements_sink import SettlementsSink
from fieldline_exchange.adapters.staff_sink import StaffSink
from fieldline_exchange.domain.export import PAYMENT
from fieldline_exchange.service_layer.commerceml_import import CommerceMLPipeline
from fieldline_exchange.service_layer.export import Export, journaled
from fieldline_exchange.service_layer.imports import Imports
from fieldline_exchange.service_layer.onec import OneC
from fieldline_exchange.service_layer.own_import import OwnFormatPipeline
from fieldline_exchange.service_layer.partners import Partners
from fieldline_exchange.settings import ExchangeSettings
from fieldline_kit.app import ServiceApp
from fieldline_kit.auth.issuer import TokenIssuer
from fieldline_kit.auth.jwks import JwksSource
from fieldline_kit.auth.keys import load_signing_keys
from fieldline_kit.auth.verify import TokenVerifier
from fieldline_kit.clock import Clock, utcnow
from fieldline_kit.event_mapper import EventMapper
from fieldline_kit.uow import UnitOfWork

SERVICE = "exchange"


class ExchangeEvents(EventMapper):
    """The exchange publishes no events (v1): what it imports, the services announce."""

    subject_prefix = "exchange.events.v1"


class App(ServiceApp[ExchangeSettings, UnitOfWork]):
    def __init__(self, settings: ExchangeSettings, *, clock: Clock = utcnow) -> None:
        super().__init__(
            settings, uow_class=UnitOfWork, tables=kit, mapper=ExchangeEvents(), clock=clock
        )
        # Partner tokens, for the services (kind partner, role SERVICE): signed with
        # EXCHANGE_TOKEN_SIGNING_KEYS under EXCHANGE_TOKEN_ISSUER, published at
        # /.well-known/jwks.json.
        self.issuer = TokenIssuer(
            load_signing_keys(settings.token_signing_keys),
            settings.token_issuer,
            settings.auth_audience,
            clock=lambda: self.clock(),
        )
        # Administrators' tokens (EXCHANGE_AUTH_JWKS / _ISSUERS): who manages partners.
        self.verifier = TokenVerifier(
            JwksSource.at(settings.auth_jwks), settings.auth_issuers, settings.auth_audience
        )
        self.data_dir = Path(settings.data_dir)
        # Temporary files (an import's id sets past their memory limit) on the data volume,
        # not in the pod's small /tmp: they grow with the files imported.
        spill = self.data_dir / "tmp"
        spill.mkdir(parents=True, exist_ok=True)
        tempfile.tempdir = str(spill)
        self.peers = Peers(settings, self.issuer)
        self.cleanup.append(self.peers.close)
        max_bytes = settings.max_file_mb * 2**20
        self.files = Files(
            self.data_dir, max_bytes=max_bytes, max_unpacked=settings.max_unpacked_mb * 2**20
        )
        orders = OrdersSink(self.peers, default_warehouse=settings.default_warehouse)
        # Import jobs: any replica claims one and works it (a background loop of `serve`).
        self.imports = Imports(
            self.uow,
            self.read_uow,
            self.files,
            {
                "commerceml": CommerceMLPipeline(
                    orders,
                    # a payment the ERP sends back that Fieldline exported is recorded already
                    DocumentsSink(self.peers, exported_payments=journaled(self.read_uow, PAYMENT)),
                    max_bytes=max_bytes,
                ),
                "fieldline": OwnFormatPipeline(SettlementsSink(self.peers), StaffSink(self.peers)),
            },
            clock=lambda: self.clock(),
            batch=settings.batch,
        )
        self.partners = Partners(
            self.uow,
            self.read_uow,
            clock=lambda: self.clock(),
            session_minutes=settings.session_minutes,
            failures_per_minute=settings.sign_in_failures_per_minute,
        )
        # The 1C exchange protocol, on the same partners, files and imports.
        self.onec = OneC(
            self.partners, self.imports, self.files, file_limit=settings.file_limit_mb * 2**20
        )
        # -- the export: the journal (the exchange-*-export consumers) and each partner's
        # exchanges (1C's query/success, /v1/export); orders and clients read as the partner.
        self.export = Export(
            self.uow,
            self.read_uow,
            ExportSource(self.peers),
            directory=self.data_dir / "exports",
            tz=ZoneInfo(settings.timezone),
            clock=lambda: self.clock(),
            max_documents=settings.export_max_documents,
            chunk=settings.export_chunk,
            currency=settings.currency,
        )


def bootstrap(settings: ExchangeSettings) -> App:
    return App(settings)
