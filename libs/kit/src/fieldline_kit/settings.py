"""Typed, frozen settings read from environment variables with a per-service prefix.

A settings class is a frozen dataclass. Each field may carry `setting(...)` metadata:
a docstring, whether it is a secret (never printed), and whether it is required. A required
field has no default; a missing one stops start-up with an error naming the variable.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

T = TypeVar("T")

_MISSING = dataclasses.MISSING


class SettingsError(Exception):
    """Raised when the environment does not describe a valid configuration."""


def setting(
    doc: str, *, default: Any = _MISSING, secret: bool = False
) -> Any:  # returns a dataclasses.Field, typed Any so it can stand as a default
    """Declare a settings field. Without `default` the variable is required."""
    metadata = {"doc": doc, "secret": secret}
    if default is _MISSING:
        return dataclasses.field(metadata=metadata, repr=not secret)
    return dataclasses.field(default=default, metadata=metadata, repr=not secret)


def env_name(prefix: str, field_name: str) -> str:
    return f"{prefix}_{field_name}".upper()


def _convert(raw: str, target: Any, var: str) -> Any:
    origin = typing.get_origin(target)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(target) if a is not type(None)]
        if raw == "":
            return None
        return _convert(raw, inner[0], var)
    if target is bool:
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{var}: expected a boolean (true/false), got {raw!r}")
    if target in (int, float, Decimal):
        try:
            return target(raw)
        except (ValueError, ArithmeticError) as exc:
            raise SettingsError(f"{var}: expected {target.__name__}, got {raw!r}") from exc
    if origin is tuple:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def load_settings(cls: type[T], prefix: str, environ: Mapping[str, str] | None = None) -> T:
    """Build `cls` from `environ` (default: os.environ); report every problem at once."""
    env = os.environ if environ is None else environ
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    problems: list[str] = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        var = env_name(prefix, f.name)
        raw = env.get(var)
        if raw is None or (raw == "" and f.default is _MISSING):
            if f.default is _MISSING and f.default_factory is _MISSING:
                problems.append(f"{var} is required ({f.metadata.get('doc', f.name)})")
            continue
        try:
            values[f.name] = _convert(raw, hints[f.name], var)
        except SettingsError as exc:
            problems.append(str(exc))
    if problems:
        raise SettingsError("invalid configuration: " + "; ".join(problems))
    return cls(**values)


def describe(settings: Any) -> dict[str, Any]:
    """Settings as a dict safe to log: secrets are masked."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        out[f.name] = "***" if f.metadata.get("secret") else value
    return out


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServiceSettings:
    """What every gRPC service needs. Services subclass this and add their own fields."""

    database_url: str = setting(
        "SQLAlchemy URL of the service's own database (postgresql://… or sqlite:///path)",
        secret=True,
    )
    nats_url: str = setting("NATS server URL(s), comma-separated, e.g. nats://127.0.0.1:4222")
    grpc_host: str = setting("address the gRPC server binds", default="0.0.0.0")  # noqa: S104
    grpc_port: int = setting("gRPC port (0 picks a free port)", default=50051)
    metrics_port: int = setting("Prometheus /metrics HTTP port (0 picks a free port)", default=9464)
    log_level: str = setting("log level: debug, info, warning, error", default="info")
    log_format: str = setting("log format: json or console", default="json")
    shutdown_grace_seconds: float = setting(
        "how long in-flight RPCs may run after SIGTERM", default=20.0
    )
    drain_delay_seconds: float = setting(
        "after SIGTERM, how long health reports NOT_SERVING while new RPCs are still served, "
        "so load balancers stop routing here before the server closes",
        default=2.0,
    )
    outbox_poll_seconds: float = setting("outbox relay poll interval", default=0.5)
    outbox_min_pass_seconds: float = setting(
        "least time between the starts of two outbox relay passes woken by commits: under load "
        "a pass takes the events of several commits (0: a pass per commit)",
        default=0.05,
    )
    run_relay: bool = setting("run the outbox relay in this process", default=True)
    run_consumers: bool = setting("run the NATS consumers in this process", default=True)
    auth_jwks: str = setting(
        "where the keys that sign tokens are: JWKS files or https:// URLs (the OpenID "
        "provider's certs), comma-separated, all keys accepted. Every RPC but health and "
        "reflection needs a valid bearer token and an access rule; required for a service "
        "with an access policy",
        default="",
    )
    auth_issuers: tuple[str, ...] = setting(
        "token issuers (iss) accepted, comma-separated; required with auth_jwks", default=()
    )
    auth_audience: str = setting("the audience (aud) tokens must name", default="fieldline")
    tls_cert_file: str = setting(
        "PEM file (from a Secret): the certificate the gRPC port presents, then its chain. "
        "With tls_key_file the port serves TLS only; neither set: plaintext "
        "(fieldline_kit.grpc.tls)",
        default="",
    )
    tls_key_file: str = setting(
        "PEM file (from a Secret): the unencrypted private key of tls_cert_file's certificate; "
        "set both or neither",
        default="",
    )
    tls_ca_file: str = setting(
        "PEM file: the CA certificates the servers this service calls are verified against. "
        "Set: its channels to other services use TLS; unset: TLS against the system's roots "
        "if tls_cert_file is set, else plaintext",
        default="",
    )
