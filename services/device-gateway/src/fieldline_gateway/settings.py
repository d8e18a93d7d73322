"""Configuration of the device gateway: env vars prefixed GATEWAY_ (and the Fieldline issuer's
FIELDLINE_TOKEN_SIGNING_KEYS for device tokens). docs/contexts/device-gateway.md, *Settings*."""

from __future__ import annotations

from dataclasses import dataclass

from fieldline_kit.http_service import HttpServiceSettings
from fieldline_kit.settings import SettingsError, setting

PREFIX = "GATEWAY"


@dataclass(frozen=True, kw_only=True)
class GatewaySettings(HttpServiceSettings):
    token_signing_keys: tuple[str, ...] = setting(
        "PEM files (Ed25519 or P-256 private keys, from a Secret) the gateway signs device "
        "tokens with, comma-separated: the first signs, all are published at "
        "/.well-known/jwks.json. No default",
    )
    token_issuer: str = setting("the `iss` of device tokens", default="fieldline-gateway")
    service_signing_key: str = setting(
        "PEM file the gateway signs its own service tokens with (svc:gateway, role SERVICE, "
        "5 minutes) for the calls it makes as itself; its public half in the JWKS the services "
        "trust. No default",
    )
    service_token_issuer: str = setting(
        "the `iss` of the gateway's service tokens", default="fieldline-gateway-service"
    )
    clients_target: str = setting("gRPC address of the clients service, host:port")
    orders_target: str = setting("gRPC address of the orders service, host:port")
    settlements_target: str = setting("gRPC address of the settlements service, host:port")
    rpc_timeout_seconds: float = setting("deadline of each call to a service", default=10.0)
    batch_seconds: float = setting(
        "time budget of one upload batch; documents left when it is spent are deferred",
        default=30.0,
    )
    timezone: str = setting("the company's time zone: its business day", default="Europe/Moscow")
    data_dir: str = setting(
        "directory of the gateway's local files (photos on local disk)", default="./data/gateway"
    )
    blob_url: str = setting(
        "where photos are stored: file:///path (default: <data_dir>/photos)", default=""
    )
    photo_max_mb: int = setting("largest photo accepted, MiB", default=15)
    activation_code_hours: int = setting("how long an activation code is valid", default=24)
    refresh_token_days: int = setting("how long a refresh token is valid", default=30)
    refresh_retry_seconds: int = setting(
        "how long a spent refresh token may be presented again (its answer was lost) without "
        "counting as reuse, while its successor is unused",
        default=60,
    )
    max_devices_per_employee: int = setting("active devices an employee may hold", default=2)
    max_clock_skew_minutes: int = setting(
        "how far after the server's time a document's device time may be", default=60
    )
    upload_max_documents: int = setting("most documents in one upload batch", default=200)
    min_app_version: str = setting(
        "apps older than this get 426 app-version-unsupported (unset: any)", default=""
    )
    rate_limits: str = setting(
        "per-device requests per minute, per replica: operation=n,…",
        default="sync=30,upload=60,photo=600,refresh=10,activate=10",
    )
    compression: str = setting("response compression: gzip or brotli", default="gzip")


def validate(settings: GatewaySettings) -> None:
    """Refuse at start-up a configuration the gateway could not honour, naming the variable."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from fieldline_gateway.domain.limits import parse_rate_limits
    from fieldline_kit.auth.keys import InvalidKey, load_signing_keys

    problems: list[str] = []
    if not settings.token_signing_keys:
        problems.append(f"{PREFIX}_TOKEN_SIGNING_KEYS: required (device tokens are signed)")
    else:
        try:
            load_signing_keys(settings.token_signing_keys)
        except (InvalidKey, OSError) as exc:
            problems.append(f"{PREFIX}_TOKEN_SIGNING_KEYS: {exc}")
    if not settings.service_signing_key:
        problems.append(f"{PREFIX}_SERVICE_SIGNING_KEY: required (the gateway's own identity)")
    else:
        try:
            load_signing_keys([settings.service_signing_key])
        except (InvalidKey, OSError) as exc:
            problems.append(f"{PREFIX}_SERVICE_SIGNING_KEY: {exc}")
    if not settings.auth_jwks:
        problems.append(
            f"{PREFIX}_AUTH_JWKS: required (the keys of management callers' tokens: the back "
            "office's OpenID provider, ./fl token)"
        )
    if not settings.auth_issuers:
        problems.append(f"{PREFIX}_AUTH_ISSUERS: required with {PREFIX}_AUTH_JWKS")
    if settings.token_issuer in settings.auth_issuers:
        problems.append(
            f"{PREFIX}_AUTH_ISSUERS must not name {PREFIX}_TOKEN_ISSUER: the gateway's own "
            "tokens are checked against its own keys only"
        )
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{PREFIX}_TIMEZONE: unknown time zone {settings.timezone!r}")
    try:
        parse_rate_limits(settings.rate_limits)
    except ValueError as exc:
        problems.append(f"{PREFIX}_RATE_LIMITS: {exc}")
    if settings.compression not in ("gzip", "brotli"):
        problems.append(f"{PREFIX}_COMPRESSION: gzip or brotli")
    if settings.blob_url and not settings.blob_url.startswith("file://"):
        problems.append(f"{PREFIX}_BLOB_URL: only file:// is supported")
    bounds = {
        "rpc_timeout_seconds": (0.1, 120),
        "batch_seconds": (1, 600),
        "photo_max_mb": (1, 100),
        "activation_code_hours": (1, 24 * 14),
        "refresh_token_days": (1, 365),
        "refresh_retry_seconds": (0, 600),
        "max_devices_per_employee": (1, 10),
        "max_clock_skew_minutes": (0, 24 * 60),
        "upload_max_documents": (1, 1000),
    }
    for name, (low, high) in bounds.items():
        if not low <= getattr(settings, name) <= high:
            problems.append(f"{PREFIX}_{name.upper()}: must be between {low} and {high}")
    if problems:
        raise SettingsError("invalid configuration: " + "; ".join(problems))
