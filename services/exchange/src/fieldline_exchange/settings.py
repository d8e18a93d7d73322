"""Configuration of the exchange service: env vars prefixed EXCHANGE_.
docs/contexts/exchange.md, *Settings*."""

from __future__ import annotations

from dataclasses import dataclass

from fieldline_kit.http_service import HttpServiceSettings
from fieldline_kit.settings import SettingsError, setting

PREFIX = "EXCHANGE"


@dataclass(frozen=True, kw_only=True)
class ExchangeSettings(HttpServiceSettings):
    token_signing_keys: tuple[str, ...] = setting(
        "PEM files (Ed25519 or P-256 private keys, from a Secret) the exchange signs partner "
        "tokens with (the services trust them by issuer), comma-separated: the first signs, "
        "all are published at /.well-known/jwks.json. No default",
    )
    token_issuer: str = setting("the `iss` of partner tokens", default="fieldline-exchange")
    clients_target: str = setting("gRPC address of the clients service, host:port")
    orders_target: str = setting("gRPC address of the orders service, host:port")
    settlements_target: str = setting("gRPC address of the settlements service, host:port")
    rpc_timeout_seconds: float = setting("deadline of each call to a service", default=30.0)
    data_dir: str = setting(
        "directory of uploaded files and unpacked archives", default="./data/exchange"
    )
    max_file_mb: int = setting("largest file accepted, MiB", default=200)
    max_unpacked_mb: int = setting("most an archive may unpack to, MiB", default=1000)
    file_limit_mb: int = setting(
        "the chunk size the 1C protocol's init announces (file_limit), MiB", default=100
    )
    batch: int = setting("records per command sent to a service", default=500)
    default_warehouse: str = setting(
        "the warehouse external id of stock given without one", default="main"
    )
    session_minutes: int = setting("how long a 1C exchange session lives", default=60)
    sign_in_failures_per_minute: int = setting(
        "failed HTTP Basic sign-ins a login may make in a minute before it gets 429 (per replica)",
        default=5,
    )
    imports_worker: bool = setting(
        "whether this replica works import jobs (false: it only takes files and answers; "
        "the others import them)",
        default=True,
    )
    # -- the order export (docs/contexts/exchange.md, *Export*)
    timezone: str = setting(
        "the company's time zone: the local dates and times written into exported documents",
        default="Europe/Moscow",
    )
    currency: str = setting(
        "the company's currency (ISO 4217): written on exported documents that carry no money "
        "of their own (an outlet's)",
        default="RUB",
    )
    export_max_documents: int = setting(
        "most documents one export query sends (the rest: the next query's, once this one "
        "is acknowledged)",
        default=5000,
    )
    export_chunk: int = setting(
        "documents an export query reads and writes at a time (what it holds in memory)",
        default=500,
    )


def validate(settings: ExchangeSettings) -> None:
    """Refuse at start-up a configuration the exchange could not honour, naming the variable."""
    from fieldline_kit.auth.keys import InvalidKey, load_signing_keys

    problems: list[str] = []
    if not settings.token_signing_keys:
        problems.append(f"{PREFIX}_TOKEN_SIGNING_KEYS: required (partner tokens are signed)")
    else:
        try:
            load_signing_keys(settings.token_signing_keys)
        except (InvalidKey, OSError) as exc:
            problems.append(f"{PREFIX}_TOKEN_SIGNING_KEYS: {exc}")
    if not settings.auth_jwks:
        problems.append(
            f"{PREFIX}_AUTH_JWKS: required (the keys of administrators' tokens: the back "
            "office's OpenID provider, ./fl token)"
        )
    if not settings.auth_issuers:
        problems.append(f"{PREFIX}_AUTH_ISSUERS: required with {PREFIX}_AUTH_JWKS")
    if settings.token_issuer in settings.auth_issuers:
        problems.append(
            f"{PREFIX}_AUTH_ISSUERS must not name {PREFIX}_TOKEN_ISSUER: partner tokens are "
            "for the services, not for this service's own API"
        )
    bounds = {
        "rpc_timeout_seconds": (0.1, 600),
        "max_file_mb": (1, 4096),
        "max_unpacked_mb": (1, 16384),
        "file_limit_mb": (1, 1024),
        "batch": (1, 5000),
        "session_minutes": (1, 24 * 60),
        "sign_in_failures_per_minute": (1, 1000),
    }
    for name, (low, high) in bounds.items():
        if not low <= getattr(settings, name) <= high:
            problems.append(f"{PREFIX}_{name.upper()}: must be between {low} and {high}")
    if settings.max_unpacked_mb < settings.max_file_mb:
        problems.append(f"{PREFIX}_MAX_UNPACKED_MB: at least {PREFIX}_MAX_FILE_MB")
    problems.extend(_export_problems(settings))
    if problems:
        raise SettingsError("invalid configuration: " + "; ".join(problems))


# -- the order export
def _export_problems(settings: ExchangeSettings) -> list[str]:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    problems: list[str] = []
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{PREFIX}_TIMEZONE: unknown time zone {settings.timezone!r}")
    if not (
        len(settings.currency) == 3 and settings.currency.isascii() and settings.currency.isupper()
    ):
        problems.append(f"{PREFIX}_CURRENCY: an ISO 4217 code, three capital letters")
    if not 1 <= settings.export_max_documents <= 100_000:
        problems.append(f"{PREFIX}_EXPORT_MAX_DOCUMENTS: must be between 1 and 100000")
    if not 1 <= settings.export_chunk <= 10_000:
        problems.append(f"{PREFIX}_EXPORT_CHUNK: must be between 1 and 10000")
    return problems
