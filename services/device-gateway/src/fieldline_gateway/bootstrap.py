"""Composition root: builds the real adapters once and hands them to the entrypoints."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fieldline_gateway.adapters import metrics
from fieldline_gateway.adapters.blob_store import blob_store_for
from fieldline_gateway.adapters.dispatch import Dispatcher
from fieldline_gateway.adapters.employees import Employees
from fieldline_gateway.adapters.orm import employees, kit
from fieldline_gateway.adapters.peers import Peers
from fieldline_gateway.adapters.shared_scopes import SharedScopes
from fieldline_gateway.domain.limits import RateLimiter, parse_rate_limits
from fieldline_gateway.domain.window import Windows
from fieldline_gateway.service_layer.identity import Identity, IdentityPolicy
from fieldline_gateway.service_layer.photos import Photos
from fieldline_gateway.service_layer.refetch import Refetcher
from fieldline_gateway.service_layer.sync import SyncSlots
from fieldline_gateway.service_layer.uploads import UploadPolicy, Uploads
from fieldline_gateway.settings import GatewaySettings
from fieldline_kit.app import ServiceApp
from fieldline_kit.auth.directory_table import table_directory
from fieldline_kit.auth.issuer import TokenIssuer
from fieldline_kit.auth.jwks import JwksSource, JwksSources
from fieldline_kit.auth.keys import load_signing_keys, private_pem
from fieldline_kit.auth.verify import TokenVerifier
from fieldline_kit.clock import Clock, utcnow
from fieldline_kit.db import create_engine, dispose, read_session_factory
from fieldline_kit.event_mapper import EventMapper
from fieldline_kit.uow import UnitOfWork

SERVICE = "device-gateway"


class GatewayEvents(EventMapper):
    """The gateway publishes no events (v1): it has no stream of its own."""

    subject_prefix = "gateway.events.v1"


class App(ServiceApp[GatewaySettings, UnitOfWork]):
    def __init__(self, settings: GatewaySettings, *, clock: Clock = utcnow) -> None:
        super().__init__(
            settings, uow_class=UnitOfWork, tables=kit, mapper=GatewayEvents(), clock=clock
        )
        self.tz = ZoneInfo(settings.timezone)
        # Device tokens: signed with GATEWAY_TOKEN_SIGNING_KEYS (the first signs, all are
        # published), iss GATEWAY_TOKEN_ISSUER, with the `dev` claim.
        self.issuer = TokenIssuer(
            load_signing_keys(settings.token_signing_keys),
            settings.token_issuer,
            settings.auth_audience,
            clock=lambda: self.clock(),
        )
        # One verifier for both kinds of caller: the gateway's own device tokens (its keys,
        # bound to its issuer) and management tokens (GATEWAY_AUTH_JWKS / _ISSUERS).
        own = JwksSource.of(self.issuer.jwks(), issuer=settings.token_issuer)
        management = JwksSource.at(settings.auth_jwks)
        sources = management.sources if isinstance(management, JwksSources) else [management]
        self.verifier = TokenVerifier(
            JwksSources([own, *sources]),
            [settings.token_issuer, *settings.auth_issuers],
            settings.auth_audience,
        )
        # Employees as clients' events last reported them: an inactive employee's token is
        # refused, a removed role no longer counts (kept by the clients consumer).
        self.directory = table_directory(self.read_sessions, employees)
        self.peers = Peers(settings)
        self.cleanup.append(self.peers.close)
        self.employees = Employees(self.peers)
        self.identity = Identity(
            self.uow,
            self.read_uow,
            self.issuer,
            self.employees,
            self.peers.as_service,
            IdentityPolicy(
                code_lifetime=timedelta(hours=settings.activation_code_hours),
                refresh_lifetime=timedelta(days=settings.refresh_token_days),
                refresh_retry=timedelta(seconds=settings.refresh_retry_seconds),
                max_devices=settings.max_devices_per_employee,
            ),
            clock=lambda: self.clock(),
        )
        # Device syncs read through a pool of their own: a flood of syncs waits for these
        # connections (at most GATEWAY_SYNC_WAIT_SECONDS, then 503 sync-busy) and never for
        # the consumers', so the fan-out keeps up whatever the devices do.
        self.sync_engine = create_engine(settings.database_url, pool_size=settings.sync_connections)
        self.sync_sessions = read_session_factory(self.sync_engine)
        self.sync_slots = SyncSlots(settings.sync_connections, settings.sync_wait_seconds)
        self.cleanup.append(lambda: dispose(self.sync_engine))
        # The shared scopes' entries, read once per version and replica (not per agent).
        self.shared_scopes = (
            SharedScopes(settings.sync_cache_mb * 1024 * 1024) if settings.sync_cache_mb else None
        )
        self.rate_limits = parse_rate_limits(settings.rate_limits)
        self.limiter = RateLimiter(self.rate_limits)
        self.data_dir = Path(settings.data_dir)
        # Page tokens are signed so a device cannot forge a position; every replica derives
        # the same key from the device-token signing key (no further secret to manage).
        self.page_token_key = hashlib.sha256(
            b"fieldline-gateway page tokens\0" + private_pem(self.issuer.keys[0])
        ).digest()
        # Visit plans and vans, read again from the services when their triggers say.
        self.refetcher = Refetcher(
            self.uow,
            self.peers,
            today=lambda: self.clock().astimezone(self.tz).date(),
            clock=lambda: self.clock(),
        )
        # Photos: content-addressed blobs (GATEWAY_BLOB_URL, default <data_dir>/photos), for
        # the photos use case and the photo retention job.
        self.blobs = blob_store_for(settings, self.data_dir)
        # How far back each section's history stays on the devices (bulk build, window sweep).
        self.windows = Windows(order_days=settings.order_days)
        self.photos = Photos(
            self.uow,
            self.read_uow,
            self.blobs,
            max_bytes=settings.photo_max_mb * 1024 * 1024,
            clock=lambda: self.clock(),
        )
        self.uploads = Uploads(
            self.uow,
            Dispatcher(self.peers),
            UploadPolicy(
                batch_seconds=settings.batch_seconds,
                max_clock_skew=timedelta(minutes=settings.max_clock_skew_minutes),
                max_documents=settings.upload_max_documents,
                claim_stale=timedelta(seconds=settings.upload_claim_stale_seconds),
            ),
            clock=lambda: self.clock(),
        )

    def rate_limited(self, operation: str) -> None:
        metrics.RATE_LIMITED.labels(operation).inc()


def bootstrap(settings: GatewaySettings) -> App:
    return App(settings)
