"""Orders → settlements over TLS: settlements serves TLS only (SETTLEMENTS_TLS_CERT_FILE /
_KEY_FILE), orders verifies it against ORDERS_TLS_CA_FILE, tokens go as before.

A throwaway CA and a certificate for 127.0.0.1 per module, real services (the kit's harness),
real handshakes. Orders without the CA, or trusting another one, cannot reach settlements:
its credit checks fall back ("settlements unavailable"), never go in plaintext.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from fieldline.orders.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline_kit.auth.forward import BearerToken
from fieldline_kit.grpc import tls
from fieldline_kit.settings import ServiceSettings
from fieldline_kit.testing.auth import ADMIN
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats

from .orders_harness import (
    Env,
    Settlements,
    ln,
    make_world,
    new_customer,
    overdue_debt,
    set_policy,
    start_orders,
    start_settlements,
    submit,
    submit_request,
    world,
)


# ------------------------------------------------------------------ a throwaway PKI
@dataclass(frozen=True)
class Pki:
    ca: Path  # the CA's certificate: ORDERS_TLS_CA_FILE
    other_ca: Path  # a CA that signed nothing here
    cert: Path  # settlements' certificate (127.0.0.1, localhost): SETTLEMENTS_TLS_CERT_FILE
    key: Path  # its key: SETTLEMENTS_TLS_KEY_FILE


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    signer: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
    )
    if not ca:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(signer, hashes.SHA256())


def _pem(cert: x509.Certificate, file: Path) -> Path:
    file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return file


def make_pki(directory: Path) -> Pki:
    ca_key, other_key, key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = _certificate("test-ca", ca_key, _name("test-ca"), ca_key, ca=True)
    other = _certificate("other-ca", other_key, _name("other-ca"), other_key, ca=True)
    server = _certificate("settlements", key, ca.subject, ca_key, ca=False)
    key_file = directory / "settlements.key"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Pki(
        ca=_pem(ca, directory / "ca.pem"),
        other_ca=_pem(other, directory / "other-ca.pem"),
        cert=_pem(server, directory / "settlements.crt"),
        key=key_file,
    )


def trusting(ca: Path) -> grpc.ChannelCredentials:
    credentials = tls.channel_credentials(
        ServiceSettings(database_url="", nats_url="", tls_ca_file=str(ca)), "TEST"
    )
    assert credentials is not None
    return credentials


# ------------------------------------------------------------------ the services
@dataclass
class TlsEnv:
    env: Env
    pki: Pki


async def _over_tls(settlements: Settlements, ca: Path) -> None:
    """The harness's channel to settlements is plaintext, which its TLS port refuses: the
    test's calls to settlements (`settlements.api`, as ADMIN) go over TLS instead."""
    plaintext = settlements.channel
    settlements.channel = tls.open_channel(
        settlements.target,
        trusting(ca),
        interceptors=[BearerToken(settlements.tokens.source(ADMIN))],
    )
    await plaintext.close()


@pytest_asyncio.fixture(scope="module", name="tls_env")
async def tls_env_fixture(
    db_factory: DatabaseFactory,
    nats_server: EmbeddedNats,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[TlsEnv]:
    """Settlements serving TLS only, orders (plaintext port) calling it over TLS."""
    pki = make_pki(tmp_path_factory.mktemp("tls"))
    async with start_settlements(
        db_factory, nats_server.url, tls_cert_file=str(pki.cert), tls_key_file=str(pki.key)
    ) as settlements:
        await _over_tls(settlements, pki.ca)
        async with start_orders(
            db_factory, nats_server.url, settlements.target, tls_ca_file=str(pki.ca)
        ) as orders:
            e = Env(orders, settlements, orders.js)
            e.world = await make_world(e)
            yield TlsEnv(e, pki)


async def _health(channel: grpc.aio.Channel) -> int:
    reply = await health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=""), timeout=3
    )
    return int(reply.status)


# ------------------------------------------------------------------ the tests
async def test_settlements_serves_tls_only(tls_env: TlsEnv) -> None:
    target = tls_env.env.settlements.target
    async with tls.open_channel(target, trusting(tls_env.pki.ca)) as channel:
        assert await _health(channel) == health_pb2.HealthCheckResponse.SERVING
    async with tls.open_channel(target, None) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _health(channel)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_credit_checks_go_to_settlements_over_tls(tls_env: TlsEnv) -> None:
    """SubmitOrder's CheckCreditBatch (as orders, each check with its user's token) reaches
    settlements over TLS and gets its real decisions: an ALLOW, and a BLOCK for overdue debt."""
    e = tls_env.env
    w = world(e)
    fine = await new_customer(e)
    order = await submit(e, fine, submit_request(fine, [ln(w.water, "2")]))
    assert order.status == pb.ORDER_STATUS_SUBMITTED
    assert order.credit.outcome == pb.CREDIT_OUTCOME_ALLOW
    assert not order.credit.fallback

    debtor = await new_customer(e)
    await set_policy(e, debtor.client_id, spb.DEBT_POLICY_MODE_BLOCK)
    await overdue_debt(e, debtor.client_id)
    held = await submit(e, debtor, submit_request(debtor, [ln(w.water, "1")]))
    assert held.status == pb.ORDER_STATUS_CREDIT_HOLD
    assert held.credit.outcome == pb.CREDIT_OUTCOME_BLOCK
    assert not held.credit.fallback
    assert any("overdue" in r.lower() for r in held.credit.reasons)


@pytest.mark.parametrize("trust", ["no CA (plaintext)", "another CA"])
async def test_orders_not_trusting_settlements_falls_back(
    tls_env: TlsEnv, db_factory: DatabaseFactory, nats_server: EmbeddedNats, trust: str
) -> None:
    """Orders without ORDERS_TLS_CA_FILE calls in plaintext, which settlements' port refuses;
    trusting another CA, the handshake fails: either way UNAVAILABLE, i.e. the fallback."""
    ca = {} if trust.startswith("no CA") else {"tls_ca_file": str(tls_env.pki.other_ca)}
    settlements = tls_env.env.settlements
    async with start_orders(
        db_factory,
        nats_server.url,
        settlements.target,
        credit_check_timeout_seconds=1.0,
        **ca,
    ) as orders:
        e = Env(orders, settlements, orders.js)
        e.world = await make_world(e)
        c = await new_customer(e)
        order = await submit(e, c, submit_request(c, [ln(world(e).water, "1")]))
    assert order.status == pb.ORDER_STATUS_CREDIT_HOLD
    assert order.credit.outcome == pb.CREDIT_OUTCOME_BLOCK
    assert order.credit.fallback
    assert list(order.credit.reasons) == ["settlements unavailable"]


def _serve(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """`python -m fieldline_orders serve` with the TLS `variables` (nothing else reached:
    TLS is checked before the service connects to anything)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERS_")}
    env.update(
        ORDERS_DATABASE_URL=f"sqlite:///{tmp_path / 'orders.db'}",
        ORDERS_NATS_URL="nats://127.0.0.1:1",
        ORDERS_SETTLEMENTS_TARGET="127.0.0.1:1",
        **variables,
    )
    return subprocess.run(
        [sys.executable, "-m", "fieldline_orders", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_refuses_a_half_tls_configuration_naming_the_variables(
    tmp_path: Path, tls_env: TlsEnv
) -> None:
    done = _serve(tmp_path, ORDERS_TLS_CERT_FILE=str(tls_env.pki.cert))
    assert done.returncode == 2, done.stderr
    assert "ORDERS_TLS_CERT_FILE" in done.stderr and "ORDERS_TLS_KEY_FILE" in done.stderr
    assert "Traceback" not in done.stderr

    done = _serve(tmp_path, ORDERS_TLS_CA_FILE=str(tmp_path / "missing-ca.pem"))
    assert done.returncode == 2, done.stderr
    assert "ORDERS_TLS_CA_FILE: cannot read" in done.stderr
    assert "Traceback" not in done.stderr
