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
    upload_claim_stale_seconds: float = setting(
        "how old a document's claim must be to be taken as its holder's that died (a replica "
        "killed mid-batch); until then a retry of the document is deferred `busy`",
        default=60.0,
    )
    timezone: str = setting("the company's time zone: its business day", default="Europe/Moscow")
    data_dir: str = setting(
        "directory of the gateway's local files (photos on local disk)", default="./data/gateway"
    )
    blob_url: str = setting(
        "where photos are stored: file:///path, or s3://bucket[/prefix] on an S3-compatible "
        "store with the S3 settings (default: <data_dir>/photos)",
        default="",
    )
    s3_endpoint: str = setting(
        "with an s3:// blob URL: the S3-compatible store's address, http(s)://host[:port] "
        "(MinIO, Ceph RGW, …); empty: AWS S3",
        default="",
    )
    s3_region: str = setting(
        "with an s3:// blob URL: the bucket's region (required; MinIO's is usually us-east-1)",
        default="",
    )
    s3_access_key_id: str = setting(
        "with an s3:// blob URL: the access key id (from a Secret), set with its secret; "
        "neither: the store's own chain (AWS_* variables, web identity, instance profile)",
        default="",
        secret=True,
    )
    s3_secret_access_key: str = setting(
        "with an s3:// blob URL: the secret of that access key (from a Secret)",
        default="",
        secret=True,
    )
    photo_max_mb: int = setting("largest photo accepted, MiB", default=15)
    sync_connections: int = setting(
        "database connections of device syncs (a pool of their own, apart from the consumers' "
        "and jobs'), and so the syncs served at once; more wait, up to GATEWAY_SYNC_WAIT_SECONDS",
        default=10,
    )
    sync_wait_seconds: float = setting(
        "how long a sync waits for a free connection before 503 sync-busy with Retry-After",
        default=5.0,
    )
    sync_cache_mb: int = setting(
        "memory for the shared scopes' entries (company, catalog, price types), MiB; 0: off",
        default=256,
    )
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
    order_days: int = setting(
        "days back the devices keep final orders (by order date); the daily window sweep "
        "removes older ones (orders still in motion stay)",
        default=30,
    )
    tombstone_days: int = setting(
        "days the sync store keeps a removal (tombstone) and a closed membership interval; the "
        "hourly compaction deletes older ones, and a device whose cursor is older syncs in full",
        default=30,
    )
    receipt_days: int = setting(
        "days an upload receipt is kept (a retried batch is answered from its receipts); must "
        "be longer than GATEWAY_REFRESH_TOKEN_DAYS, the longest a device can wait and still retry",
        default=90,
    )
    photo_staging_hours: int = setting(
        "hours a photo upload may stay unfinished; then its row and staged bytes are dropped "
        "(complete photos are kept)",
        default=168,
    )


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
    if settings.blob_url.startswith("s3://"):
        from fieldline_gateway.adapters.s3_blob_store import S3Location, endpoint_problem

        try:
            S3Location.parse(settings.blob_url)
        except ValueError as exc:
            problems.append(f"{PREFIX}_BLOB_URL: {exc}")
        if not settings.s3_region:
            problems.append(f"{PREFIX}_S3_REGION: required with an s3:// {PREFIX}_BLOB_URL")
        if (wrong := endpoint_problem(settings.s3_endpoint)) is not None:
            problems.append(f"{PREFIX}_S3_ENDPOINT: {wrong}")
        if bool(settings.s3_access_key_id) != bool(settings.s3_secret_access_key):
            problems.append(
                f"{PREFIX}_S3_ACCESS_KEY_ID and {PREFIX}_S3_SECRET_ACCESS_KEY: both or neither"
            )
    elif settings.blob_url and not settings.blob_url.startswith("file://"):
        problems.append(f"{PREFIX}_BLOB_URL: file:///path or s3://bucket[/prefix]")
    bounds = {
        "rpc_timeout_seconds": (0.1, 120),
        "batch_seconds": (1, 600),
        "upload_claim_stale_seconds": (5, 3600),
        "photo_max_mb": (1, 100),
        "sync_connections": (1, 200),
        "sync_wait_seconds": (0, 60),
        "sync_cache_mb": (0, 16 * 1024),
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
    retention = {
        "order_days": (1, 365),
        "tombstone_days": (1, 365),
        "receipt_days": (1, 3650),
        "photo_staging_hours": (1, 24 * 30),
    }
    for name, (low, high) in retention.items():
        if not low <= getattr(settings, name) <= high:
            problems.append(f"{PREFIX}_{name.upper()}: must be between {low} and {high}")
    if settings.receipt_days <= settings.refresh_token_days:
        problems.append(
            f"{PREFIX}_RECEIPT_DAYS must be longer than {PREFIX}_REFRESH_TOKEN_DAYS: a device "
            "may retry a batch as long as it can refresh, and the receipts make the retry a no-op"
        )
    if problems:
        raise SettingsError("invalid configuration: " + "; ".join(problems))
