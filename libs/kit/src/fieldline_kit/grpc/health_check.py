"""Check a kit gRPC server's health, for Kubernetes `exec` probes (and people).

    python -m fieldline_kit.grpc.health_check --prefix ORDERS [--port 50051]
        [--authority fieldline-orders] [--timeout 1] [--service NAME] [--host 127.0.0.1]

Calls `grpc.health.v1.Health/Check` (service `--service`, default "": the server's overall
status, what the kubelet's own `grpc:` probe asks) on `--host` (127.0.0.1) at `--port`
(default `<PREFIX>_GRPC_PORT`, else 50051), within `--timeout` seconds, and exits with

* 0: SERVING (one line on stdout);
* 1: the server answered, but not SERVING (NOT_SERVING while it starts and once a shutdown
  began, SERVICE_UNKNOWN, ...);
* 2: no answer: nothing listening, the TLS handshake failed (the certificate not trusted or
  not naming `--authority`, plaintext against TLS or the reverse), or the timeout passed;
* 3: the arguments or TLS settings cannot be used (a CA file unreadable, or not PEM);

with one line on stderr saying why otherwise.

TLS, by the rule of the service's own channels to other services
(`fieldline_kit.grpc.tls.channel_credentials`), from the same variables of the container's
environment: `<PREFIX>_TLS_CA_FILE` set → TLS, the server verified against that CA bundle;
else `<PREFIX>_TLS_CERT_FILE` set (the port serves TLS) → TLS against the system's roots;
else plaintext. The certificate is verified for `--authority`, a DNS name it holds (the
chart gives the service's Service name, `<release>-<service>`), though the check dials
127.0.0.1: gRPC's `grpc.ssl_target_name_override`, and the call's `:authority`. Without
`--authority` the certificate must name the host dialled (an IP SAN 127.0.0.1).

A probe starts this every few seconds, in the service's container and within its CPU and
memory limits, so it imports grpc and the health stubs only (a run: about 0.15 s of CPU,
40 MB), not the kit's `tls` module, whose imports (cryptography, structlog, OpenTelemetry
through `tracing`) would make it 0.7 s and 75 MB. Its rule is restated in `_credentials`; the
tests hold both to the same servers (libs/kit/tests/integration/test_health_check.py). gRPC's
own log lines are silenced (`GRPC_VERBOSITY=NONE` unless set) to keep the output to one line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

if __name__ == "__main__":
    # Before grpc is imported: its core would print a failed handshake on lines of its own.
    # (Only as a command: imported, it leaves the process's environment alone.)
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from fieldline_kit.settings import env_name  # the settings' variable names; stdlib only

SERVING, NOT_SERVING, NO_ANSWER, BAD_CONFIGURATION = 0, 1, 2, 3
DEFAULT_PORT = 50051
DEFAULT_TIMEOUT_SECONDS = 1.0

_PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"


class ConfigurationError(Exception):
    """The TLS settings or arguments cannot be used (exit 3)."""


@dataclass(frozen=True)
class Transport:
    credentials: grpc.ChannelCredentials | None  # None: plaintext
    description: str  # for the messages: "plaintext", "TLS (CA /etc/.../ca.crt)", ...


def _credentials(prefix: str, environ: Mapping[str, str]) -> Transport:
    """The service's channel TLS from its variables (the rule of tls.channel_credentials)."""
    ca_var, cert_var = env_name(prefix, "tls_ca_file"), env_name(prefix, "tls_cert_file")
    ca_file = environ.get(ca_var, "")
    if ca_file:
        try:
            roots = Path(ca_file).read_bytes()
        except OSError as exc:
            raise ConfigurationError(
                f"{ca_var}: cannot read {ca_file}: {exc.strerror or exc}"
            ) from None
        if _PEM_CERTIFICATE not in roots:
            raise ConfigurationError(f"{ca_var}: {ca_file} holds no PEM certificate")
        return Transport(
            grpc.ssl_channel_credentials(root_certificates=roots), f"TLS, CA {ca_file}"
        )
    if environ.get(cert_var, ""):
        return Transport(grpc.ssl_channel_credentials(), f"TLS, system roots ({ca_var} unset)")
    return Transport(None, "plaintext")


def _port(prefix: str, environ: Mapping[str, str]) -> int:
    var = env_name(prefix, "grpc_port")
    raw = environ.get(var, "")
    if not raw:
        return DEFAULT_PORT
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{var}: expected a port number, got {raw!r}") from None


def check(
    *,
    prefix: str,
    host: str = "127.0.0.1",
    port: int | None = None,
    authority: str = "",
    service: str = "",
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    environ: Mapping[str, str] | None = None,
) -> tuple[int, str]:
    """(exit code, the one line to print) of one health check; see the module docstring."""
    env = os.environ if environ is None else environ
    try:
        transport = _credentials(prefix, env)
        port = _port(prefix, env) if port is None else port
    except ConfigurationError as exc:
        return BAD_CONFIGURATION, f"health check not run: {exc}"
    target = f"{host}:{port}"
    where = f"{target} ({transport.description}"
    where += f", certificate name {authority})" if authority and transport.credentials else ")"
    options: list[tuple[str, Any]] = [
        # 127.0.0.1 never goes through an HTTP proxy the container's environment may name
        ("grpc.enable_http_proxy", 0),
        ("grpc.enable_retries", 0),
    ]
    if authority:
        options.append(("grpc.default_authority", authority))
        if transport.credentials is not None:
            options.append(("grpc.ssl_target_name_override", authority))
    if transport.credentials is None:
        channel = grpc.insecure_channel(target, options=options)
    else:
        channel = grpc.secure_channel(target, transport.credentials, options=options)
    try:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=timeout
        )
    except grpc.RpcError as exc:
        code = exc.code() if isinstance(exc, grpc.Call) else grpc.StatusCode.UNKNOWN
        details = exc.details() if isinstance(exc, grpc.Call) else str(exc)
        if code is grpc.StatusCode.DEADLINE_EXCEEDED:
            return NO_ANSWER, f"no answer from {where} within {timeout:g} s"
        if code is grpc.StatusCode.NOT_FOUND:  # the health servicer's SERVICE_UNKNOWN
            return NOT_SERVING, f"{where} knows no health service {service!r}"
        reason = " ".join((details or "").split())
        return NO_ANSWER, f"no answer from {where}: {code.name}: {reason}"
    finally:
        channel.close()
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    named = f" for service {service!r}" if service else ""
    if reply.status == health_pb2.HealthCheckResponse.SERVING:
        return SERVING, f"{where}: SERVING{named}"
    return NOT_SERVING, f"{where} answered {status}{named}"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(BAD_CONFIGURATION, f"{self.prog}: {message}\n")


def _positive(raw: str) -> float:
    value = float(raw)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {raw}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(
        prog="python -m fieldline_kit.grpc.health_check",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--prefix",
        required=True,
        help="the service's variable prefix (ORDERS): <PREFIX>_TLS_* and <PREFIX>_GRPC_PORT",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address dialled (127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=None, help=f"default <PREFIX>_GRPC_PORT, else {DEFAULT_PORT}"
    )
    parser.add_argument(
        "--authority",
        default="",
        help="DNS name the server's certificate must hold (the Service's name), "
        "checked instead of the host dialled",
    )
    parser.add_argument(
        "--service", default="", help='health service to ask ("": the overall status)'
    )
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=DEFAULT_TIMEOUT_SECONDS,
        help=f"seconds for the whole check, connection included ({DEFAULT_TIMEOUT_SECONDS:g})",
    )
    args = parser.parse_args(argv)
    code, line = check(
        prefix=args.prefix,
        host=args.host,
        port=args.port,
        authority=args.authority,
        service=args.service,
        timeout=args.timeout,
    )
    print(line, file=sys.stdout if code == SERVING else sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
