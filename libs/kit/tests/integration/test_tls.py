"""TLS on a real kit gRPC server (fieldline_kit.grpc.tls): a throwaway CA and server certificate
per module, real handshakes, no mocks.

The port serves TLS only: a client trusting the CA gets SERVING, a plaintext client or one
trusting another CA gets UNAVAILABLE. A half or broken configuration stops start-up with a
SettingsError naming the variables.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from grpc_health.v1 import health_pb2, health_pb2_grpc

from fieldline_kit.grpc import tls
from fieldline_kit.grpc.server import GrpcServer, create_server
from fieldline_kit.service import ServiceProcess, ServiceSpec
from fieldline_kit.settings import ServiceSettings, SettingsError, load_settings
from fieldline_kit.testing.pki import Authority, new_authority, new_server_cert

PREFIX = "KITTEST"
CERT_VAR, KEY_VAR, CA_VAR = "KITTEST_TLS_CERT_FILE", "KITTEST_TLS_KEY_FILE", "KITTEST_TLS_CA_FILE"


# ------------------------------------------------------------------ a throwaway PKI
@dataclass(frozen=True)
class Pki:
    directory: Path
    ca: Authority
    other_ca: Authority  # trusted by nobody here
    cert: Path
    key: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pki]:
    directory = tmp_path_factory.mktemp("tls")
    ca, other = new_authority(directory, "fieldline-test-ca"), new_authority(directory, "other-ca")
    cert, key = new_server_cert(directory, ca)
    yield Pki(directory, ca, other, cert, key)


def settings(**values: Any) -> ServiceSettings:
    return ServiceSettings(database_url="sqlite://", nats_url="nats://127.0.0.1:1", **values)


# ------------------------------------------------------------------ a server
async def _serve(credentials: grpc.ServerCredentials | None) -> GrpcServer:
    server = await create_server("tls-test", "127.0.0.1", 0, lambda _s: [], credentials=credentials)
    await server.start()
    await server.mark_serving()
    return server


@pytest_asyncio.fixture(scope="module")
async def tls_server(pki: Pki) -> AsyncIterator[str]:
    """A kit server serving TLS with the module's certificate: its target."""
    server = await _serve(
        tls.server_credentials(
            settings(tls_cert_file=str(pki.cert), tls_key_file=str(pki.key)), "X"
        )
    )
    yield f"127.0.0.1:{server.port}"
    await server.stop(0)


async def health(channel: grpc.aio.Channel, timeout: float = 5.0) -> int:
    reply = await health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=""), timeout=timeout
    )
    return int(reply.status)


async def refused(channel: grpc.aio.Channel, why: str = "") -> None:
    """A health check on `channel` fails with UNAVAILABLE (and `why` in its details)."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await health(channel, timeout=3.0)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert why in (caught.value.details() or ""), caught.value.details()


# BoringSSL's reasons, in the details of the UNAVAILABLE a failed handshake ends in.
UNTRUSTED = "CERTIFICATE_VERIFY_FAILED"
NOT_TLS = "WRONG_VERSION_NUMBER"  # a TLS client at a plaintext port


# ------------------------------------------------------------------ handshakes
async def test_a_client_trusting_the_ca_gets_serving(tls_server: str, pki: Pki) -> None:
    credentials = tls.channel_credentials(settings(tls_ca_file=str(pki.ca.file)), PREFIX)
    assert credentials is not None
    async with tls.open_channel(tls_server, credentials) as channel:
        assert await health(channel) == health_pb2.HealthCheckResponse.SERVING
    # …by name too (the certificate's DNS name)
    port = tls_server.rsplit(":", 1)[1]
    async with tls.open_channel(f"localhost:{port}", credentials) as channel:
        assert await health(channel) == health_pb2.HealthCheckResponse.SERVING


async def test_the_port_serves_no_plaintext(tls_server: str) -> None:
    async with tls.open_channel(tls_server, None) as channel:
        await refused(channel)


async def test_a_client_trusting_another_ca_is_refused(tls_server: str, pki: Pki) -> None:
    credentials = tls.channel_credentials(settings(tls_ca_file=str(pki.other_ca.file)), PREFIX)
    async with tls.open_channel(tls_server, credentials) as channel:
        await refused(channel, UNTRUSTED)


async def test_a_certificate_not_naming_the_target_is_refused(pki: Pki) -> None:
    """The host of the target must be a name of the certificate: one of the trusted CA for
    another host only is refused at 127.0.0.1."""
    cert, key = new_server_cert(
        pki.directory, pki.ca, "elsewhere", names=(x509.DNSName("elsewhere.example"),)
    )
    server = await _serve(
        tls.server_credentials(settings(tls_cert_file=str(cert), tls_key_file=str(key)), PREFIX)
    )
    credentials = tls.channel_credentials(settings(tls_ca_file=str(pki.ca.file)), PREFIX)
    try:
        async with tls.open_channel(f"127.0.0.1:{server.port}", credentials) as channel:
            await refused(channel, "Hostname Verification")
    finally:
        await server.stop(0)


async def test_a_service_process_serves_tls_from_its_settings(pki: Pki) -> None:
    """ServiceProcess (what `serve` runs) binds its port with the settings' certificate."""
    s = settings(
        grpc_host="127.0.0.1",
        grpc_port=0,
        metrics_port=0,
        drain_delay_seconds=0.0,
        tls_cert_file=str(pki.cert),
        tls_key_file=str(pki.key),
    )
    process = ServiceProcess(
        name="tls-test",
        settings=s,
        register=lambda _s: [],
        server_credentials=tls.server_credentials(s, PREFIX),
    )
    task = asyncio.create_task(process.run(install_signal_handlers=False))
    try:
        await asyncio.wait_for(process.ready.wait(), 10)
        target = f"127.0.0.1:{process.grpc_port}"
        trusting = tls.channel_credentials(settings(tls_ca_file=str(pki.ca.file)), PREFIX)
        async with tls.open_channel(target, trusting) as channel:
            assert await health(channel) == health_pb2.HealthCheckResponse.SERVING
        async with tls.open_channel(target, None) as channel:
            await refused(channel)
    finally:
        process.stop_requested.set()
        await asyncio.wait_for(task, 10)


# ------------------------------------------------------------------ the outgoing rule
async def test_without_any_tls_setting_everything_is_plaintext() -> None:
    s = settings()
    assert tls.server_credentials(s, PREFIX) is None
    assert tls.channel_credentials(s, PREFIX) is None
    tls.check(s, PREFIX)
    server = await _serve(None)
    try:
        async with tls.open_channel(f"127.0.0.1:{server.port}", None) as channel:
            assert await health(channel) == health_pb2.HealthCheckResponse.SERVING
    finally:
        await server.stop(0)


async def test_a_service_serving_tls_calls_over_tls_even_without_a_ca(
    tls_server: str, pki: Pki
) -> None:
    """Own certificate, no CA file: the channel is TLS against the system's roots, never
    plaintext. So it reaches no plaintext server, and no server whose CA the system does not
    trust (the test CA)."""
    s = settings(tls_cert_file=str(pki.cert), tls_key_file=str(pki.key))
    credentials = tls.channel_credentials(s, PREFIX)
    assert credentials is not None
    async with tls.open_channel(tls_server, credentials) as channel:
        await refused(channel, UNTRUSTED)
    plaintext = await _serve(None)
    try:
        async with tls.open_channel(f"127.0.0.1:{plaintext.port}", credentials) as channel:
            await refused(channel, NOT_TLS)
        async with tls.open_channel(f"127.0.0.1:{plaintext.port}", None) as channel:
            assert await health(channel) == health_pb2.HealthCheckResponse.SERVING
    finally:
        await plaintext.stop(0)


# ------------------------------------------------------------------ configuration errors
def test_the_variables_are_named_after_the_prefix(pki: Pki) -> None:
    loaded = load_settings(
        ServiceSettings,
        PREFIX,
        {
            "KITTEST_DATABASE_URL": "sqlite://",
            "KITTEST_NATS_URL": "nats://127.0.0.1:1",
            CERT_VAR: str(pki.cert),
            KEY_VAR: str(pki.key),
            CA_VAR: str(pki.ca.file),
        },
    )
    assert (loaded.tls_cert_file, loaded.tls_key_file, loaded.tls_ca_file) == (
        str(pki.cert),
        str(pki.key),
        str(pki.ca.file),
    )
    tls.check(loaded, PREFIX)
    assert tls.server_credentials(loaded, PREFIX) is not None


@pytest.mark.parametrize("given", ["cert", "key"])
def test_cert_and_key_go_together(pki: Pki, given: str) -> None:
    s = settings(**{f"tls_{given}_file": str(getattr(pki, given))})
    for fn in (tls.check, tls.server_credentials):
        with pytest.raises(SettingsError) as caught:
            fn(s, PREFIX)
        message = str(caught.value)
        assert CERT_VAR in message and KEY_VAR in message
        assert f"KITTEST_TLS_{given.upper()}_FILE is set" in message


def _garbage(pki: Pki, name: str) -> Path:
    file = pki.directory / name
    file.write_text("not a PEM file\n")
    return file


def test_a_cert_that_is_not_pem_is_named(pki: Pki) -> None:
    s = settings(tls_cert_file=str(_garbage(pki, "bad.crt")), tls_key_file=str(pki.key))
    with pytest.raises(SettingsError, match=f"{CERT_VAR}: .*bad.crt holds no PEM certificate"):
        tls.server_credentials(s, PREFIX)


def test_a_key_that_is_not_pem_is_named(pki: Pki) -> None:
    s = settings(tls_cert_file=str(pki.cert), tls_key_file=str(_garbage(pki, "bad.key")))
    with pytest.raises(SettingsError, match=f"{KEY_VAR}: .*bad.key holds no PEM private key"):
        tls.server_credentials(s, PREFIX)


def test_a_missing_file_is_named(pki: Pki) -> None:
    s = settings(tls_cert_file=str(pki.cert), tls_key_file=str(pki.directory / "missing.key"))
    with pytest.raises(SettingsError, match=f"{KEY_VAR}: cannot read .*missing.key"):
        tls.server_credentials(s, PREFIX)


def test_a_key_of_another_certificate_is_refused(pki: Pki) -> None:
    _, other_key = new_server_cert(pki.directory, pki.ca, "another")
    s = settings(tls_cert_file=str(pki.cert), tls_key_file=str(other_key))
    with pytest.raises(SettingsError, match=f"{KEY_VAR}: .* is not the private key .*{CERT_VAR}"):
        tls.server_credentials(s, PREFIX)


def test_an_encrypted_key_is_refused(pki: Pki) -> None:
    key = serialization.load_pem_private_key(pki.key.read_bytes(), password=None)
    encrypted = pki.directory / "encrypted.key"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    s = settings(tls_cert_file=str(pki.cert), tls_key_file=str(encrypted))
    with pytest.raises(SettingsError, match=f"{KEY_VAR}: .*encrypted"):
        tls.server_credentials(s, PREFIX)


def test_a_ca_file_that_is_not_pem_is_named(pki: Pki) -> None:
    s = settings(tls_ca_file=str(_garbage(pki, "bad-ca.pem")))
    with pytest.raises(SettingsError, match=f"{CA_VAR}: .*bad-ca.pem holds no PEM certificate"):
        tls.channel_credentials(s, PREFIX)


def test_check_reports_every_problem_at_once_and_never_the_contents(pki: Pki) -> None:
    s = settings(
        tls_cert_file=str(pki.cert),
        tls_key_file=str(_garbage(pki, "bad2.key")),
        tls_ca_file=str(pki.directory / "missing-ca.pem"),
    )
    with pytest.raises(SettingsError) as caught:
        tls.check(s, PREFIX)
    message = str(caught.value)
    assert KEY_VAR in message and CA_VAR in message
    assert "not a PEM file" not in message
    assert "BEGIN" not in message


async def test_a_service_refuses_to_start_on_a_bad_tls_setting(pki: Pki) -> None:
    """`ServiceSpec.build` (what `serve` and the test harness run) checks TLS before it builds
    anything: a SettingsError, which `main` prints and exits 2 on."""

    def bootstrap(_settings: ServiceSettings) -> Any:
        pytest.fail("bootstrap ran despite a broken TLS configuration")

    spec: ServiceSpec[ServiceSettings, Any] = ServiceSpec(
        name="tls-test",
        settings=ServiceSettings,
        prefix=PREFIX,
        migrations=Path("."),
        bootstrap=bootstrap,
        servicers=lambda _app: lambda _s: [],
    )
    for broken in (
        settings(tls_cert_file=str(pki.cert)),
        settings(tls_ca_file=str(_garbage(pki, "bad3.pem"))),
        dataclasses.replace(settings(), tls_key_file=str(pki.key)),
    ):
        with pytest.raises(SettingsError, match="KITTEST_TLS_"):
            await spec.build(broken)
