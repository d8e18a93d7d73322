"""TLS of a service's gRPC port and of its channels to other services: three settings.

Server (`server_credentials`): `<PREFIX>_TLS_CERT_FILE` (PEM: this server's certificate,
then its chain) and `<PREFIX>_TLS_KEY_FILE` (PEM: its private key, unencrypted), mounted from
a Secret. Both set: the gRPC port serves TLS only (no plaintext on it). Neither: plaintext,
as before. One of them alone is a configuration error. No client certificates are asked
for: who calls is the bearer token, which TLS now keeps private on the wire.

Outgoing channels (`channel_credentials`), one rule for every service:

* `<PREFIX>_TLS_CA_FILE` set → TLS, the server verified against that CA bundle (PEM);
* else `<PREFIX>_TLS_CERT_FILE` set → TLS, verified against the system's roots: a service
  that serves TLS never calls in plaintext (its peers serve TLS too, and a token is never
  sent in the clear because a CA was forgotten: the call fails instead, visibly);
* else plaintext.

The target's host (`host:port`) must be a name (DNS or IP SAN) of the peer's certificate.

Every problem (a file missing, unreadable or not PEM, a key that is not the certificate's)
is a `SettingsError` naming the variable, raised at start (`check`, which `ServiceSpec.build`
runs). File contents are never logged, only paths. Certificates are read once at start:
a renewed certificate takes effect on the next (rolling) restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes

from fieldline_kit import tracing
from fieldline_kit.logging import get_logger
from fieldline_kit.settings import ServiceSettings, SettingsError, env_name

log = get_logger("fieldline.grpc.tls")

CERT_FILE, KEY_FILE, CA_FILE = "tls_cert_file", "tls_key_file", "tls_ca_file"

ChannelOptions = Sequence[tuple[str, Any]]


@dataclass(frozen=True)
class _ServerFiles:
    chain: bytes
    key: bytes
    leaf: x509.Certificate


def _read(path: str, var: str, problems: list[str]) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        problems.append(f"{var}: cannot read {path}: {exc.strerror or exc}")
        return None


def _certificates(
    path: str, var: str, problems: list[str]
) -> tuple[bytes, x509.Certificate | None]:
    """The file's bytes and its first certificate; (b"", None) and a problem if it has none."""
    data = _read(path, var, problems)
    if data is None:
        return b"", None
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        problems.append(f"{var}: {path} holds no PEM certificate")
        return b"", None
    return data, certificates[0]


def _private_key(path: str, var: str, problems: list[str]) -> tuple[bytes, PrivateKeyTypes | None]:
    data = _read(path, var, problems)
    if data is None:
        return b"", None
    try:
        return data, serialization.load_pem_private_key(data, password=None)
    except TypeError:
        problems.append(f"{var}: {path} is an encrypted key; give it unencrypted (from a Secret)")
    except (ValueError, UnsupportedAlgorithm):
        problems.append(f"{var}: {path} holds no PEM private key")
    return b"", None


def _public(key: PublicKeyTypes) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _server_files(
    settings: ServiceSettings, prefix: str, problems: list[str]
) -> _ServerFiles | None:
    cert_var, key_var = env_name(prefix, CERT_FILE), env_name(prefix, KEY_FILE)
    cert, key = settings.tls_cert_file, settings.tls_key_file
    if not cert and not key:
        return None
    if not (cert and key):
        given, missing = (cert_var, key_var) if cert else (key_var, cert_var)
        problems.append(
            f"{cert_var} and {key_var} go together (both: the gRPC port serves TLS; neither: "
            f"plaintext): {given} is set, {missing} is not"
        )
        return None
    before = len(problems)
    chain, leaf = _certificates(cert, cert_var, problems)
    key_pem, private = _private_key(key, key_var, problems)
    matches = (
        leaf is None
        or private is None
        or _public(private.public_key()) == _public(leaf.public_key())
    )
    if not matches:
        problems.append(f"{key_var}: {key} is not the private key of the certificate in {cert_var}")
    if len(problems) > before or leaf is None:
        return None
    return _ServerFiles(chain, key_pem, leaf)


def _roots(settings: ServiceSettings, prefix: str, problems: list[str]) -> bytes | None:
    if not settings.tls_ca_file:
        return None
    data, first = _certificates(settings.tls_ca_file, env_name(prefix, CA_FILE), problems)
    return data if first is not None else None


def _raise(problems: list[str]) -> None:
    if problems:
        raise SettingsError("invalid configuration: " + "; ".join(problems))


def check(settings: ServiceSettings, prefix: str) -> None:
    """Every TLS problem of the settings at once, as a SettingsError naming the variables."""
    problems: list[str] = []
    _server_files(settings, prefix, problems)
    _roots(settings, prefix, problems)
    _raise(problems)


def server_credentials(settings: ServiceSettings, prefix: str) -> grpc.ServerCredentials | None:
    """The gRPC port's TLS (certificate chain and key), or None: plaintext."""
    problems: list[str] = []
    files = _server_files(settings, prefix, problems)
    _raise(problems)
    if files is None:
        return None
    not_after = files.leaf.not_valid_after_utc
    fields = {
        "cert_file": settings.tls_cert_file,
        "key_file": settings.tls_key_file,
        "subject": files.leaf.subject.rfc4514_string(),
        "not_after": not_after.isoformat(),
    }
    if not_after < datetime.now(UTC):
        log.warning("the gRPC port's TLS certificate has expired: callers will refuse it", **fields)
    else:
        log.info("gRPC port serves TLS", **fields)
    return grpc.ssl_server_credentials([(files.key, files.chain)])


def channel_credentials(settings: ServiceSettings, prefix: str) -> grpc.ChannelCredentials | None:
    """The TLS of the service's channels to other services, or None: plaintext (the rule is
    in the module docstring)."""
    problems: list[str] = []
    roots = _roots(settings, prefix, problems)
    _raise(problems)
    if roots is not None:
        log.info("channels to other services use TLS", ca_file=settings.tls_ca_file)
        return grpc.ssl_channel_credentials(root_certificates=roots)
    if settings.tls_cert_file:
        log.info(
            "channels to other services use TLS, verified against the system's roots "
            f"({env_name(prefix, CA_FILE)} unset)"
        )
        return grpc.ssl_channel_credentials()
    return None


def open_channel(
    target: str,
    credentials: grpc.ChannelCredentials | None,
    options: ChannelOptions = (),
    interceptors: Sequence[grpc.aio.ClientInterceptor] | None = None,
) -> grpc.aio.Channel:
    """A channel to `target`: TLS with `credentials`, plaintext without. Its calls carry the
    correlation id, and the trace context while tracing is on (`tracing.client_interceptors`),
    before `interceptors`."""
    interceptors = [*tracing.client_interceptors(), *(interceptors or ())]
    if credentials is None:
        return grpc.aio.insecure_channel(target, options=options, interceptors=interceptors)
    return grpc.aio.secure_channel(target, credentials, options=options, interceptors=interceptors)
