"""`python -m fieldline_kit.grpc.health_check`, run as a probe runs it (a separate process, the
settings in its environment) against real kit gRPC servers, over TLS with a throwaway CA and in
plaintext. No mocks: what it reports is what the server's health service answered, or what the
connection and the TLS handshake did.

Exit codes: 0 SERVING, 1 answered not SERVING, 2 no answer (nothing listening, handshake
refused, timeout), 3 settings unusable.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import pytest_asyncio
from cryptography import x509

from fieldline_kit.grpc import health_check, tls
from fieldline_kit.grpc.server import GrpcServer, create_server
from fieldline_kit.settings import ServiceSettings
from fieldline_kit.testing.helpers import closed_port
from fieldline_kit.testing.pki import LOOPBACK, Authority, new_authority, new_server_cert

PREFIX = "KITHC"
NAME = "fieldline-kithc"  # the Service name the certificate holds (the chart's --authority)
CA_VAR, CERT_VAR, PORT_VAR = "KITHC_TLS_CA_FILE", "KITHC_TLS_CERT_FILE", "KITHC_GRPC_PORT"


@dataclass(frozen=True)
class Pki:
    ca: Authority
    other_ca: Authority  # trusted by nobody here
    cert: Path  # names NAME only (not 127.0.0.1): the check must verify it for NAME
    key: Path
    directory: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pki]:
    directory = tmp_path_factory.mktemp("health-check")
    ca, other = new_authority(directory, "hc-ca"), new_authority(directory, "hc-other-ca")
    cert, key = new_server_cert(directory, ca, "kithc", names=(x509.DNSName(NAME),))
    yield Pki(ca, other, cert, key, directory)


def _settings(**values: Any) -> ServiceSettings:
    return ServiceSettings(database_url="sqlite://", nats_url="nats://127.0.0.1:1", **values)


async def _serve(credentials: grpc.ServerCredentials | None) -> GrpcServer:
    server = await create_server(
        "health-check-test", "127.0.0.1", 0, lambda _s: [], credentials=credentials
    )
    await server.start()
    return server


@pytest_asyncio.fixture(scope="module")
async def tls_server(pki: Pki) -> AsyncIterator[GrpcServer]:
    """A kit server serving TLS with a certificate for NAME; NOT_SERVING until a test says."""
    s = _settings(tls_cert_file=str(pki.cert), tls_key_file=str(pki.key))
    server = await _serve(tls.server_credentials(s, PREFIX))
    yield server
    await server.stop(0)


@pytest_asyncio.fixture
async def plain_server() -> AsyncIterator[GrpcServer]:
    server = await _serve(None)
    yield server
    await server.stop(0)


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def line(self) -> str:
        """The one line it printed (stdout when SERVING, else stderr)."""
        out = (self.stdout + self.stderr).strip()
        assert len(out.splitlines()) == 1, out
        return out


async def probe(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run the command as an exec probe does, in its own process (the servers keep running in
    this event loop meanwhile)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(f"{PREFIX}_")}
    environ.pop("GRPC_VERBOSITY", None)  # its default (NONE) is part of what is tested
    start = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fieldline_kit.grpc.health_check",
        "--prefix",
        PREFIX,
        *args,
        env={**environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode(), time.monotonic() - start)


def _trusting(pki: Pki) -> dict[str, str]:
    return {CA_VAR: str(pki.ca.file), CERT_VAR: str(pki.cert)}


# ------------------------------------------------------------------ TLS
async def test_tls_serving_not_serving_and_draining(tls_server: GrpcServer, pki: Pki) -> None:
    args = ("--port", str(tls_server.port), "--authority", NAME)
    starting = await probe(*args, env=_trusting(pki))
    assert starting.code == health_check.NOT_SERVING
    assert starting.line.endswith("answered NOT_SERVING")
    assert f"certificate name {NAME}" in starting.line

    await tls_server.mark_serving()
    serving = await probe(*args, env=_trusting(pki))
    assert serving.code == health_check.SERVING, serving
    assert serving.stderr == ""
    assert serving.line == (
        f"127.0.0.1:{tls_server.port} (TLS, CA {pki.ca.file}, certificate name {NAME}): SERVING"
    )
    # A start-up of Python and grpc plus one call: far inside a probe's default 2 s.
    assert serving.seconds < 2.0, serving

    await tls_server.mark_not_serving()  # what a shutdown does first (GrpcServer.stop)
    draining = await probe(*args, env=_trusting(pki))
    assert draining.code == health_check.NOT_SERVING
    await tls_server.mark_serving()


async def test_the_port_comes_from_the_services_variable(tls_server: GrpcServer, pki: Pki) -> None:
    await tls_server.mark_serving()
    result = await probe(
        "--authority", NAME, env={**_trusting(pki), PORT_VAR: str(tls_server.port)}
    )
    assert result.code == health_check.SERVING, result


async def test_a_ca_that_did_not_sign_the_certificate_is_refused(
    tls_server: GrpcServer, pki: Pki
) -> None:
    await tls_server.mark_serving()
    result = await probe(
        "--port",
        str(tls_server.port),
        "--authority",
        NAME,
        env={CA_VAR: str(pki.other_ca.file), CERT_VAR: str(pki.cert)},
    )
    assert result.code == health_check.NO_ANSWER
    assert result.line.startswith(f"no answer from 127.0.0.1:{tls_server.port} (TLS, CA ")
    assert "CERTIFICATE_VERIFY_FAILED" in result.line


async def test_the_certificate_must_hold_the_authority(tls_server: GrpcServer, pki: Pki) -> None:
    """Verified for --authority, never skipped: another name fails, and so does no name (the
    certificate does not name 127.0.0.1)."""
    await tls_server.mark_serving()
    port = ("--port", str(tls_server.port))
    for args in ((*port, "--authority", "fieldline-other"), port):
        result = await probe(*args, env=_trusting(pki))
        assert result.code == health_check.NO_ANSWER, result
        assert "Hostname Verification" in result.line


async def test_without_a_ca_file_it_trusts_the_system_roots_as_the_services_channels_do(
    tls_server: GrpcServer, pki: Pki
) -> None:
    """The rule of tls.channel_credentials: own certificate, no CA file → TLS against the
    system's roots (which do not hold the test CA), never plaintext."""
    await tls_server.mark_serving()
    assert tls.channel_credentials(_settings(tls_cert_file=str(pki.cert)), PREFIX) is not None
    result = await probe(
        "--port", str(tls_server.port), "--authority", NAME, env={CERT_VAR: str(pki.cert)}
    )
    assert result.code == health_check.NO_ANSWER
    assert "system roots" in result.line and "CERTIFICATE_VERIFY_FAILED" in result.line


async def test_plaintext_at_a_tls_port_gets_no_answer(tls_server: GrpcServer) -> None:
    await tls_server.mark_serving()
    result = await probe("--port", str(tls_server.port))
    assert result.code == health_check.NO_ANSWER
    assert "(plaintext)" in result.line


async def test_nothing_listening_gets_no_answer(pki: Pki) -> None:
    port = str(closed_port())
    for env in (_trusting(pki), {}):
        result = await probe("--port", port, "--authority", NAME, env=env)
        assert result.code == health_check.NO_ANSWER
        assert result.line.startswith(f"no answer from 127.0.0.1:{port}")
        assert "Connection refused" in result.line


async def test_a_server_that_never_answers_times_out() -> None:
    """A port that accepts connections and says nothing (a hung process): no answer within
    --timeout, not a hang past the probe's own timeout."""
    connections: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        result = await probe("--port", str(port), "--timeout", "0.5")
    finally:
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()
    assert result.code == health_check.NO_ANSWER
    assert result.line == f"no answer from 127.0.0.1:{port} (plaintext) within 0.5 s"
    assert result.seconds < 2.0, result


# ------------------------------------------------------------------ plaintext
async def test_plaintext_serving_and_not_serving(plain_server: GrpcServer) -> None:
    port = ("--port", str(plain_server.port))
    result = await probe(*port)
    assert result.code == health_check.NOT_SERVING
    await plain_server.mark_serving()
    result = await probe(*port)
    assert result.code == health_check.SERVING
    assert result.line == f"127.0.0.1:{plain_server.port} (plaintext): SERVING"
    result = await probe(*port, "--service", "fieldline.nothing.v1.Nothing")
    assert result.code == health_check.NOT_SERVING
    assert "knows no health service 'fieldline.nothing.v1.Nothing'" in result.line


async def test_tls_at_a_plaintext_port_gets_no_answer(plain_server: GrpcServer, pki: Pki) -> None:
    await plain_server.mark_serving()
    result = await probe("--port", str(plain_server.port), "--authority", NAME, env=_trusting(pki))
    assert result.code == health_check.NO_ANSWER


# ------------------------------------------------------------------ unusable settings
async def test_unusable_settings_are_named(pki: Pki) -> None:
    missing = await probe(env={CA_VAR: str(pki.directory / "missing.pem")})
    assert missing.code == health_check.BAD_CONFIGURATION
    assert missing.line.startswith(f"health check not run: {CA_VAR}: cannot read ")
    garbage = pki.directory / "garbage.pem"
    garbage.write_text("not a certificate\n")
    not_pem = await probe(env={CA_VAR: str(garbage)})
    assert not_pem.code == health_check.BAD_CONFIGURATION
    assert not_pem.line == f"health check not run: {CA_VAR}: {garbage} holds no PEM certificate"
    bad_port = await probe(env={PORT_VAR: "grpc"})
    assert bad_port.code == health_check.BAD_CONFIGURATION
    assert PORT_VAR in bad_port.line
    bad_timeout = await probe("--timeout", "0")
    assert bad_timeout.code == health_check.BAD_CONFIGURATION
    assert "--timeout" in bad_timeout.line


async def test_without_authority_the_certificate_must_name_the_host_dialled(pki: Pki) -> None:
    cert, key = new_server_cert(pki.directory, pki.ca, "loopback", names=LOOPBACK)
    server = await _serve(
        tls.server_credentials(_settings(tls_cert_file=str(cert), tls_key_file=str(key)), PREFIX)
    )
    try:
        await server.mark_serving()
        result = await probe("--port", str(server.port), env=_trusting(pki))
        assert result.code == health_check.SERVING, result
    finally:
        await server.stop(0)
