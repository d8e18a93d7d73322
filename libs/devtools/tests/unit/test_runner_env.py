"""The env the local runner gives each service (nothing started): the HTTP services that sign
tokens of their own (the device gateway, the exchange) get their key, issuer, targets and data
directory; the services they call trust each key bound to its issuer."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from fieldline_dev.runner import LocalSystem, RunningService, SupervisedNats
from fieldline_dev.services import GRPC_SERVICES, SERVICES, ServiceDef
from fieldline_dev.tokens import GATEWAY_ISSUER, LOCAL_ISSUER, device_keys
from fieldline_kit.auth.issuer import TokenIssuer
from fieldline_kit.auth.jwks import JwksSource
from fieldline_kit.auth.keys import load_signing_keys
from fieldline_kit.auth.principal import Kind
from fieldline_kit.auth.verify import TokenVerifier
from fieldline_kit.errors import Unauthenticated

EXCHANGE_ISSUER = "fieldline-exchange"
BY_NAME = {d.name: d for d in SERVICES}
GATEWAY, EXCHANGE = BY_NAME["device-gateway"], BY_NAME["exchange"]


def system_at(data_dir: Path, services: tuple[ServiceDef, ...] = SERVICES) -> LocalSystem:
    """A system as `start` leaves it before starting the HTTP services: NATS known (not
    started), the gRPC services running at known ports, each service checking tokens (as each
    one's `describe` says: tests/integration/test_services.py)."""
    system = LocalSystem(data_dir, services=services, fixed_ports=False)
    system.nats = SupervisedNats(data_dir / "nats", 4222, system.lock)
    system.auth = {d.name: True for d in services}
    for d in services:
        if not d.default_http_port:
            system.running[d.name] = RunningService(d, d.default_grpc_port, 0, {})
    return system


def env_of(system: LocalSystem, d: ServiceDef) -> dict[str, str]:
    return system.service_env(d, d.default_grpc_port, d.default_grpc_port + 1000, 8765)


def test_the_services_and_their_token_issuers() -> None:
    assert [d.name for d in GRPC_SERVICES] == ["clients", "settlements", "orders"]
    assert {d.name: d.issuer for d in SERVICES if d.issuer} == {
        "device-gateway": GATEWAY_ISSUER,
        "exchange": EXCHANGE_ISSUER,
    }
    assert (EXCHANGE.module, EXCHANGE.env_prefix) == ("fieldline_exchange", "EXCHANGE")
    assert (EXCHANGE.default_http_port, EXCHANGE.default_grpc_port) == (8100, 50055)
    # Every port `./fl up` takes is its own.
    ports = [p for d in SERVICES for p in (d.default_grpc_port, d.default_grpc_port + 1000)]
    ports += [d.default_http_port for d in SERVICES if d.default_http_port]
    assert len(ports) == len(set(ports))


@pytest.mark.parametrize(
    ("service", "keys", "issuer"),
    [(GATEWAY, "device", GATEWAY_ISSUER), (EXCHANGE, "partner", EXCHANGE_ISSUER)],
    ids=["device-gateway", "exchange"],
)
def test_an_http_service_signs_with_a_key_of_its_own_under_its_issuer(
    tmp_path: Path, service: ServiceDef, keys: str, issuer: str
) -> None:
    system = system_at(tmp_path)
    env = env_of(system, service)
    p = service.env_prefix
    auth = tmp_path / "auth"
    key = auth / f"{keys}-signing-key.pem"
    assert env[f"{p}_TOKEN_SIGNING_KEYS"] == str(key)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (auth / f"{keys}-jwks.json").exists()
    assert env[f"{p}_TOKEN_ISSUER"] == issuer
    assert env[f"{p}_HTTP_HOST"] == "127.0.0.1"
    assert env[f"{p}_HTTP_PORT"] == "8765"
    assert env[f"{p}_DATA_DIR"] == str(tmp_path / service.name)
    assert env[f"{p}_DATABASE_URL"] == f"sqlite:///{tmp_path / service.name}.sqlite3"
    assert {k: v for k, v in env.items() if k.endswith("_TARGET")} == {
        f"{p}_CLIENTS_TARGET": "127.0.0.1:50051",
        f"{p}_ORDERS_TARGET": "127.0.0.1:50052",
        f"{p}_SETTLEMENTS_TARGET": "127.0.0.1:50053",
    }
    # Its own API takes the development issuer's tokens (administrators') only: never the
    # tokens it signs for the services, nor the other HTTP service's.
    assert env[f"{p}_AUTH_JWKS"] == str(auth / "jwks.json")
    assert env[f"{p}_AUTH_ISSUERS"] == LOCAL_ISSUER


def test_the_device_keys_keep_their_names(tmp_path: Path) -> None:
    system = system_at(tmp_path)
    assert env_of(system, GATEWAY)["GATEWAY_TOKEN_SIGNING_KEYS"] == str(device_keys(tmp_path))
    assert device_keys(tmp_path) == tmp_path / "auth" / "device-signing-key.pem"


def test_the_exchange_accepts_its_env(tmp_path: Path) -> None:
    from fieldline_exchange import settings
    from fieldline_kit.settings import load_settings

    system = system_at(tmp_path)
    system.token_source()  # the development key and its JWKS, as `start` makes them
    loaded = load_settings(settings.ExchangeSettings, "EXCHANGE", env_of(system, EXCHANGE))
    settings.validate(loaded)
    assert loaded.token_issuer == EXCHANGE_ISSUER
    assert (loaded.http_host, loaded.http_port) == ("127.0.0.1", 8765)


@pytest.mark.parametrize("service", GRPC_SERVICES, ids=lambda d: d.name)
def test_a_grpc_service_trusts_each_issuer_bound_to_its_key(
    tmp_path: Path, service: ServiceDef
) -> None:
    system = system_at(tmp_path)
    env = env_of(system, service)
    p, auth = service.env_prefix, tmp_path / "auth"
    assert env[f"{p}_AUTH_JWKS"] == (
        f"{auth / 'jwks.json'},"
        f"{auth / 'device-jwks.json'}#iss={GATEWAY_ISSUER},"
        f"{auth / 'partner-jwks.json'}#iss={EXCHANGE_ISSUER}"
    )
    issuers = env[f"{p}_AUTH_ISSUERS"].split(",")
    assert issuers == [LOCAL_ISSUER, GATEWAY_ISSUER, EXCHANGE_ISSUER]
    assert f"{p}_TOKEN_SIGNING_KEYS" not in env and f"{p}_HTTP_PORT" not in env

    # What the service's verifier makes of it: each key signs for its own issuer only.
    system.token_source()  # the development key's JWKS, as `start` writes it
    verifier = TokenVerifier(JwksSource.at(env[f"{p}_AUTH_JWKS"]), issuers)
    partner_key = load_signing_keys([env_of(system, EXCHANGE)["EXCHANGE_TOKEN_SIGNING_KEYS"]])
    device_key = load_signing_keys([env_of(system, GATEWAY)["GATEWAY_TOKEN_SIGNING_KEYS"]])
    partner = TokenIssuer(partner_key, EXCHANGE_ISSUER).mint("partner:p-1", Kind.PARTNER)
    assert verifier.verify(partner).subject == "partner:p-1"
    device = TokenIssuer(device_key, GATEWAY_ISSUER).mint("e-1", Kind.EMPLOYEE, ["AGENT"])
    assert verifier.verify(device).subject == "e-1"
    for key, issuer in ((partner_key, GATEWAY_ISSUER), (device_key, EXCHANGE_ISSUER)):
        forged = TokenIssuer(key, issuer).mint("e-1", Kind.EMPLOYEE, ["ADMIN"])
        with pytest.raises(Unauthenticated, match="not the one its key signs for"):
            verifier.verify(forged)


def test_a_service_trusts_only_the_token_signers_that_call_it(tmp_path: Path) -> None:
    clients = BY_NAME["clients"]
    alone = system_at(tmp_path / "alone", (clients,))
    env = env_of(alone, clients)
    assert env["CLIENTS_AUTH_JWKS"] == str(tmp_path / "alone" / "auth" / "jwks.json")
    assert env["CLIENTS_AUTH_ISSUERS"] == LOCAL_ISSUER

    with_exchange = system_at(tmp_path / "x", (*GRPC_SERVICES, EXCHANGE))
    assert env_of(with_exchange, clients)["CLIENTS_AUTH_ISSUERS"] == (
        f"{LOCAL_ISSUER},{EXCHANGE_ISSUER}"
    )
    assert not (tmp_path / "x" / "auth" / "device-signing-key.pem").exists()
