"""The image, built as `./fl image` builds it and run as the chart runs it.

The one image is built with the machine's builder (fieldline_dev.image: docker, else buildah,
installed from Debian packages when missing). Every process then starts from it as the chart's
pods do: uid 10001, read-only root filesystem, a tmpfs /tmp, no capabilities, the image's own
entrypoint (python from /opt/venv) and env; with buildah that is runc on the image's mounted root
filesystem. The NATS topology job, each service's `migrate`, then every service's `serve`,
against throwaway databases on the test PostgreSQL (FIELDLINE_TEST_POSTGRES_URL; without it,
SQLite files on a mounted volume) and an embedded NATS. Each must be SERVING, serve /metrics and
exit 0 on SIGTERM. Once they are, the device gateway (HTTP) migrates and serves from the image
too, with its device-token and service keys mounted as the chart mounts them, its data directory
on a writable volume and the services trusting its keys: /readyz and /livez answer, /metrics
has its series, a sync without a token is refused 401 as a problem, the OpenAPI document is
served, its first build of the sync store calls the three services as itself, and it exits 0
on SIGTERM. Then the exchange (HTTP) migrates and serves from the image, with its
partner-token key mounted as the chart mounts it, its data directory on a writable volume and
the services trusting its key bound to its issuer: /readyz answers, /metrics has its series,
its JWKS is the mounted key's, and a partner an administrator makes imports a small CommerceML
catalog into orders (as that partner: the services accept its token), then it exits 0 on
SIGTERM. The image holds no compiler, no tests of our packages, no pip cache or pip
configuration, and no sources.

`./fl test` runs this module beside its other passes (marker `image`); it is skipped only where
no builder exists and none can be installed.
"""

from __future__ import annotations

import asyncio
import base64
import configparser
import json
import os
import shutil
import stat
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fieldline_dev.image import (
    APP_UID,
    DEFAULT_TAG,
    Bind,
    Built,
    ImageError,
    NoBuilder,
    Runtime,
    build_image,
    find_builder,
    machine_pip_settings,
)
from fieldline_dev.runner import free_port, wait_http_ready, wait_serving
from fieldline_dev.services import GRPC_SERVICES as SERVICES
from fieldline_dev.services import SERVICES as ALL_SERVICES
from fieldline_dev.services import ServiceDef, access_policies
from fieldline_dev.tokens import (
    GATEWAY_ISSUER,
    JWKS_FILE,
    KEY_FILE,
    LOCAL_ISSUER,
    employee_token,
    local_issuer,
)
from fieldline_kit.auth.keys import EDDSA, generate_signing_key, jwks_document, private_pem
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats

pytestmark = [pytest.mark.e2e, pytest.mark.image]

# The HTTP services, started after the gRPC services they call: the device gateway, the exchange.
GATEWAY = next(d for d in ALL_SERVICES if d.name == "device-gateway")
EXCHANGE = next(d for d in ALL_SERVICES if d.name == "exchange")
# Where the chart mounts the token keys (deploy/helm/fieldline/templates/_helpers.tpl).
JWKS_DIR = "/etc/fieldline/auth/jwks"
SERVICE_KEY_DIR = "/etc/fieldline/auth/service-key"
# The gateway's device-token keys (deviceTokens), in the gateway only.
DEVICE_KEY_DIR = "/etc/fieldline/auth/device-keys"
# The public JWKS of a caller's service tokens and of its devices' tokens, in every service it
# calls (dependsOn), each bound to the caller's issuer (`#iss=`).
CALLER_SERVICE_JWKS_DIR = "/etc/fieldline/auth/services/{caller}"
CALLER_DEVICE_JWKS_DIR = "/etc/fieldline/auth/device-tokens/{caller}"
# The gateway's serviceTokens.issuer in the chart's values (its deviceTokens.issuer is
# GATEWAY_ISSUER); the two keys are distinct, each bound to its own issuer.
GATEWAY_SERVICE_ISSUER = "fieldline-gateway-service"
# The gateway's storage.mountPath (an emptyDir or a claim in the chart): GATEWAY_DATA_DIR.
GATEWAY_DATA_DIR = "/var/lib/fieldline/gateway"
# The exchange's partner-token keys (partnerTokens), in the exchange only; their public JWKS in
# every service it calls, bound to its issuer; its storage.mountPath.
PARTNER_KEY_DIR = "/etc/fieldline/auth/partner-keys"
CALLER_PARTNER_JWKS_DIR = "/etc/fieldline/auth/partner-tokens/{caller}"
EXCHANGE_ISSUER = "fieldline-exchange"
EXCHANGE_DATA_DIR = "/var/lib/fieldline/exchange"
# A volume for SQLite files when no PostgreSQL is given (the root filesystem is read-only).
DATA_DIR = "/var/lib/fieldline"
READY_TIMEOUT = 90.0
# SIGTERM → exit: the drain delay (2 s) and shutdown grace (20 s) by default, within the
# chart's terminationGracePeriodSeconds (30).
STOP_TIMEOUT = 30.0

# Run inside the image as root (to see into /root), read-only like everything else.
CONTENTS_PROBE = r"""
import json, os, shutil, sys, sysconfig
from pathlib import Path
site = Path(sysconfig.get_paths()["purelib"])
ours = [p for p in site.iterdir() if p.name.startswith("fieldline")]
compilers = {shutil.which(c) for c in ("gcc", "cc", "c++", "g++", "clang", "tcc", "ld")}
compilers |= {str(p) for d in ("/usr/bin", "/usr/local/bin") for p in Path(d).glob("*-gcc*")}
print(json.dumps({
    "executable": sys.executable,
    "version": sys.version.split()[0],
    "ours": sorted(p.name for p in ours if p.suffix != ".dist-info"),
    "compilers": sorted(c for c in compilers if c),
    "tests": sorted(
        str(p) for d in ours if d.is_dir() for p in d.rglob("*")
        if p.name in ("tests", "conftest.py") or p.name.startswith("test_")
    ),
    "present": [p for p in (
        "/root/.cache", "/etc/pip.conf", "/etc/xdg/pip", "/root/.config/pip", "/root/.pip",
        "/run/secrets", "/src",
    ) if os.path.lexists(p)],
}))
"""


def test_the_build_gets_the_machines_pip_settings_but_no_local_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("the machine's CA bundle\n")
    conf = tmp_path / "pip.conf"
    conf.write_text(
        "[global]\nretries = 7\nfind-links = /opt/wheels\ncache-dir = /var/cache/pip\n"
        "[install]\nuser = true\n"
    )
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    monkeypatch.setenv("PIP_RETRIES", "97531")  # a variable wins over every file, as in pip
    monkeypatch.setenv("PIP_CERT", str(ca))
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    out = tmp_path / "out"
    out.mkdir()

    settings = machine_pip_settings(out)

    assert settings.conf is not None and settings.ca == ca
    assert stat.S_IMODE(settings.conf.stat().st_mode) == 0o600
    written = configparser.ConfigParser(interpolation=None)
    written.read(settings.conf)
    assert written["global"]["retries"] == "97531"
    assert written["global"]["cert"] == "/run/secrets/pip-ca.crt"
    assert not written.has_option("global", "find-links")
    assert not written.has_option("global", "cache-dir")
    assert not written.has_option("install", "user")
    assert "97531" not in settings.describe(), "values are never printed, names only"
    assert "retries" in settings.describe()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    try:
        builder = find_builder()
    except NoBuilder as exc:
        pytest.skip(f"no image builder here and none can be installed: {exc}")
    log_path = tmp_path_factory.mktemp("build") / "build.log"
    with log_path.open("w") as log:
        try:
            result = build_image(builder, DEFAULT_TAG, out=log)
        except ImageError as exc:
            pytest.fail(f"{exc}\n--- build log (tail) ---\n{_tail(log_path, 60)}")
    print(f"\n{result.describe()}")
    return result


@pytest.fixture(scope="module")
def runtime(built: Built) -> Iterator[Runtime]:
    with built.builder.runtime(built.tag) as started:
        yield started


def test_the_image_holds_the_venv_and_nothing_of_the_build(built: Built, runtime: Runtime) -> None:
    assert runtime.config.user == f"{APP_UID}:{APP_UID}"
    code, output = runtime.run("contents", ["-c", CONTENTS_PROBE], {}, uid=0)
    assert code == 0, output
    found = json.loads(output.strip().splitlines()[-1])
    print(f"image: {built.size}, Python {found['version']}, {', '.join(found['ours'])}")
    assert found["executable"].startswith("/opt/venv/"), found
    assert {"fieldline_kit", "fieldline_clients"} <= set(found["ours"]), found
    assert found["compilers"] == [], "compilers in the image"
    assert found["tests"] == [], "tests of our packages in the image"
    assert found["present"] == [], "pip cache, pip configuration or sources in the image"


@dataclass
class Started:
    definition: ServiceDef
    grpc_port: int
    metrics_port: int
    process: subprocess.Popen[bytes]
    log: Path
    http_port: int = 0  # an HTTP service's (it serves no gRPC)


def test_every_service_migrates_serves_and_stops_from_the_image(
    runtime: Runtime, tmp_path: Path
) -> None:
    nats = EmbeddedNats(tmp_path / "nats")
    nats.start_blocking()
    factory = DatabaseFactory(tmp_path)
    started: dict[str, Started] = {}
    try:
        keys = _auth_binds(tmp_path)
        # The data volume (SQLite only), mounted in the migrations too.
        volumes: list[Bind] = []
        database_urls: dict[str, str] = {}
        if factory.backend == "postgresql":
            for d in (*SERVICES, GATEWAY, EXCHANGE):
                if d.has_database:
                    database_urls[d.name] = asyncio.run(factory.create())
        else:
            data = _owned_dir(tmp_path / "data")
            volumes.append(Bind(data, DATA_DIR, writable=True))
            for d in (*SERVICES, GATEWAY, EXCHANGE):
                database_urls[d.name] = f"sqlite:///{DATA_DIR}/{d.name}.sqlite3"
        binds = [*keys.services, *volumes]
        gateway_data = _owned_dir(tmp_path / "gateway-data")
        gateway_binds = [
            *keys.gateway,
            *volumes,
            Bind(gateway_data, GATEWAY_DATA_DIR, writable=True),
        ]
        exchange_binds = [
            *keys.exchange,
            *volumes,
            Bind(_owned_dir(tmp_path / "exchange-data"), EXCHANGE_DATA_DIR, writable=True),
        ]
        checks_tokens = access_policies(SERVICES)

        t0 = time.monotonic()
        topology = ["-m", "fieldline_kit.messaging.topology", "apply"]
        code, output = runtime.run("topology", topology, {"FIELDLINE_NATS_URL": nats.url})
        assert code == 0, f"topology apply failed:\n{output[-3000:]}"
        for d in SERVICES:
            ports = free_port(), free_port()
            env = _service_env(d, nats.url, ports, database_urls, checks_tokens[d.name], started)
            if d.has_database:
                code, output = runtime.run(
                    f"{d.name}-migrate", ["-m", d.module, "migrate"], env, binds
                )
                assert code == 0, f"{d.name} migrate failed:\n{output[-3000:]}"
            log = tmp_path / f"{d.name}.log"
            with log.open("wb") as out:
                process = runtime.start(d.name, ["-m", d.module, "serve"], env, binds, out)
            started[d.name] = Started(d, *ports, process, log)
        t_migrated = time.monotonic()
        for svc in started.values():
            try:
                wait_serving(f"127.0.0.1:{svc.grpc_port}", READY_TIMEOUT, svc.process)
            except (RuntimeError, TimeoutError) as exc:
                pytest.fail(f"{svc.definition.name}: {exc}\n{_tail(svc.log)}")
        t_serving = time.monotonic()

        gateway_env = _gateway_env(nats.url, (free_port(), free_port()), database_urls, started)
        gateway = _start_http(runtime, GATEWAY, tmp_path, gateway_env, volumes, gateway_binds)
        started[GATEWAY.name] = gateway
        t_gateway_started = time.monotonic()
        try:
            wait_http_ready(gateway.http_port, READY_TIMEOUT, gateway.process)
        except (RuntimeError, TimeoutError) as exc:
            pytest.fail(f"{GATEWAY.name}: {exc}\n{_tail(gateway.log)}")
        t_gateway_ready = time.monotonic()

        for name, svc in started.items():
            _assert_runs_confined(runtime, name)
            metrics = _get(f"http://127.0.0.1:{svc.metrics_port}/metrics")
            assert "python_info" in metrics and "\nfieldline_" in metrics, (
                f"{name}: {metrics[:500]}"
            )
        _assert_gateway_answers(gateway, keys.device_jwks)
        _wait_bulk_build(gateway)
        t_checked = time.monotonic()

        exchange_env = _exchange_env(nats.url, (free_port(), free_port()), database_urls, started)
        exchange = _start_http(runtime, EXCHANGE, tmp_path, exchange_env, volumes, exchange_binds)
        started[EXCHANGE.name] = exchange
        try:
            wait_http_ready(exchange.http_port, READY_TIMEOUT, exchange.process)
        except (RuntimeError, TimeoutError) as exc:
            pytest.fail(f"{EXCHANGE.name}: {exc}\n{_tail(exchange.log)}")
        _assert_runs_confined(runtime, EXCHANGE.name)
        _assert_exchange_imports(exchange, keys.partner_jwks, tmp_path / "keys")
        t_exchange = time.monotonic()

        for name in started:
            runtime.signal(name, "TERM")
        for name, svc in started.items():
            try:
                code = svc.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pytest.fail(f"{name} still running {STOP_TIMEOUT:.0f} s after SIGTERM")
            assert code == 0, f"{name} exited with {code} on SIGTERM:\n{_tail(svc.log)}"
        t_stopped = time.monotonic()
        print(
            f"from the image: topology + migrate + start {t_migrated - t0:.1f} s, "
            f"all SERVING after {t_serving - t_migrated:.1f} s more; {GATEWAY.name} migrate + "
            f"start {t_gateway_started - t_serving:.1f} s, /readyz 200 after "
            f"{t_gateway_ready - t_gateway_started:.1f} s more, its checks and first bulk build "
            f"{t_checked - t_gateway_ready:.1f} s; {EXCHANGE.name} migrate + start + an import "
            f"{t_exchange - t_checked:.1f} s; SIGTERM → exit 0 in "
            f"{t_stopped - t_exchange:.1f} s ({factory.backend}, {', '.join(started)})"
        )
    finally:
        for name, svc in started.items():
            if svc.process.poll() is None:
                runtime.remove(name)
                svc.process.wait()
        nats.stop_blocking()
        asyncio.run(factory.drop_all())


def _service_env(
    d: ServiceDef,
    nats_url: str,
    ports: tuple[int, int],
    database_urls: dict[str, str],
    checks_tokens: bool,
    started: dict[str, Started],
) -> dict[str, str]:
    """A service's env as the chart gives it (deploy/helm/fieldline: ConfigMap + Secrets)."""
    p = d.env_prefix
    env = {
        f"{p}_NATS_URL": nats_url,
        f"{p}_GRPC_HOST": "127.0.0.1",  # the host's network: stay off its other interfaces
        f"{p}_GRPC_PORT": str(ports[0]),
        f"{p}_METRICS_PORT": str(ports[1]),
    }
    if d.has_database:
        env[f"{p}_DATABASE_URL"] = database_urls[d.name]
    for dep in d.depends_on:
        env[f"{p}_{dep.upper().replace('-', '_')}_TARGET"] = f"127.0.0.1:{started[dep].grpc_port}"
    if checks_tokens:
        jwks, issuers = [f"{JWKS_DIR}/{JWKS_FILE}"], [LOCAL_ISSUER]
        if d.name in GATEWAY.depends_on:
            # The gateway's service tokens and its devices' tokens, each key bound to its
            # issuer, as the chart's `fieldline.identity` lists them for a service it calls.
            for directory, issuer in (
                (CALLER_SERVICE_JWKS_DIR, GATEWAY_SERVICE_ISSUER),
                (CALLER_DEVICE_JWKS_DIR, GATEWAY_ISSUER),
            ):
                jwks.append(f"{directory.format(caller=GATEWAY.name)}/{JWKS_FILE}#iss={issuer}")
                issuers.append(issuer)
        if d.name in EXCHANGE.depends_on:  # the exchange's partner tokens, likewise
            directory = CALLER_PARTNER_JWKS_DIR.format(caller=EXCHANGE.name)
            jwks.append(f"{directory}/{JWKS_FILE}#iss={EXCHANGE_ISSUER}")
            issuers.append(EXCHANGE_ISSUER)
        env[f"{p}_AUTH_JWKS"] = ",".join(jwks)
        env[f"{p}_AUTH_ISSUERS"] = ",".join(issuers)
        env[f"{p}_SERVICE_SIGNING_KEY"] = f"{SERVICE_KEY_DIR}/{KEY_FILE}"
        env[f"{p}_SERVICE_TOKEN_ISSUER"] = LOCAL_ISSUER
    return env


def _gateway_env(
    nats_url: str,
    ports: tuple[int, int],
    database_urls: dict[str, str],
    started: dict[str, Started],
) -> tuple[dict[str, str], dict[str, str]]:
    """The gateway's env as the chart gives it: the migration hook's (its ConfigMap's plain
    part and its DSN Secret: no keys, no storage), and its pods' (also identity and storage).
    `GATEWAY_HTTP_HOST` is 127.0.0.1 (the chart's default 0.0.0.0 would open it on the host's
    other interfaces); its metrics server binds the same address."""
    p = GATEWAY.env_prefix
    hook = _http_hook_env(GATEWAY, nats_url, ports, database_urls, started)
    serve = {
        **hook,
        f"{p}_AUTH_JWKS": f"{JWKS_DIR}/{JWKS_FILE}",
        f"{p}_AUTH_ISSUERS": LOCAL_ISSUER,
        f"{p}_SERVICE_SIGNING_KEY": f"{SERVICE_KEY_DIR}/{KEY_FILE}",
        f"{p}_SERVICE_TOKEN_ISSUER": GATEWAY_SERVICE_ISSUER,
        f"{p}_TOKEN_SIGNING_KEYS": f"{DEVICE_KEY_DIR}/{KEY_FILE}",
        f"{p}_TOKEN_ISSUER": GATEWAY_ISSUER,
        f"{p}_DATA_DIR": GATEWAY_DATA_DIR,
        f"{p}_BLOB_URL": f"file://{GATEWAY_DATA_DIR}/photos",
    }
    return hook, serve


def _http_hook_env(
    d: ServiceDef,
    nats_url: str,
    ports: tuple[int, int],
    database_urls: dict[str, str],
    started: dict[str, Started],
) -> dict[str, str]:
    """An HTTP service's ConfigMap's plain part and its DSN Secret (what its hook gets)."""
    p = d.env_prefix
    hook = {
        f"{p}_NATS_URL": nats_url,
        f"{p}_HTTP_HOST": "127.0.0.1",
        f"{p}_HTTP_PORT": str(ports[0]),
        f"{p}_METRICS_PORT": str(ports[1]),
        f"{p}_DATABASE_URL": database_urls[d.name],
    }
    for dep in d.depends_on:
        hook[f"{p}_{dep.upper().replace('-', '_')}_TARGET"] = f"127.0.0.1:{started[dep].grpc_port}"
    return hook


def _exchange_env(
    nats_url: str,
    ports: tuple[int, int],
    database_urls: dict[str, str],
    started: dict[str, Started],
) -> tuple[dict[str, str], dict[str, str]]:
    """The exchange's env as the chart gives it: its hook's, and its pods' (administrators'
    tokens from the provider, its partner-token key, its data directory)."""
    p = EXCHANGE.env_prefix
    hook = _http_hook_env(EXCHANGE, nats_url, ports, database_urls, started)
    serve = {
        **hook,
        f"{p}_AUTH_JWKS": f"{JWKS_DIR}/{JWKS_FILE}",
        f"{p}_AUTH_ISSUERS": LOCAL_ISSUER,
        f"{p}_TOKEN_SIGNING_KEYS": f"{PARTNER_KEY_DIR}/{KEY_FILE}",
        f"{p}_TOKEN_ISSUER": EXCHANGE_ISSUER,
        f"{p}_DATA_DIR": EXCHANGE_DATA_DIR,
    }
    return hook, serve


def _start_http(
    runtime: Runtime,
    d: ServiceDef,
    tmp_path: Path,
    env: tuple[dict[str, str], dict[str, str]],
    volumes: list[Bind],
    binds: list[Bind],
) -> Started:
    """An HTTP service: `migrate` as the chart's hook runs it (its env, no Secret or storage
    mounted; the SQLite volume, if any), then `serve` with the pods' env, keys and volumes."""
    hook_env, serve_env = env
    code, output = runtime.run(f"{d.name}-migrate", ["-m", d.module, "migrate"], hook_env, volumes)
    assert code == 0, f"{d.name} migrate failed:\n{output[-3000:]}"
    log = tmp_path / f"{d.name}.log"
    with log.open("wb") as out:
        process = runtime.start(d.name, ["-m", d.module, "serve"], serve_env, binds, out)
    p = d.env_prefix
    metrics_port, http_port = int(serve_env[f"{p}_METRICS_PORT"]), int(serve_env[f"{p}_HTTP_PORT"])
    return Started(d, 0, metrics_port, process, log, http_port=http_port)


def _assert_gateway_answers(gateway: Started, device_jwks: Path) -> None:
    """Its probes, metrics, a refused sync, its OpenAPI document and its device-token JWKS."""
    base = f"http://127.0.0.1:{gateway.http_port}"
    for probe in ("/readyz", "/livez"):
        status, _, body = _http(base + probe)
        assert status == 200, f"{probe}: {status} {body[:300]}"
    metrics = _get(f"http://127.0.0.1:{gateway.metrics_port}/metrics")
    assert "\nfieldline_gateway_" in metrics, f"no fieldline_gateway_ series: {metrics[:500]}"
    status, content_type, body = _http(base + "/v1/sync")
    assert status == 401, f"/v1/sync without a token: {status} {body[:300]}"
    assert content_type.startswith("application/problem+json"), content_type
    problem = json.loads(body)
    assert problem["status"] == 401 and problem["code"] == "unauthenticated", problem
    status, content_type, body = _http(base + "/schema/openapi.json")
    assert status == 200 and content_type.startswith("application/"), (status, content_type)
    assert "/v1/sync" in json.loads(body)["paths"], body[:300]
    # The mounted device key, loaded: the JWKS it publishes is the one the services trust.
    status, _, body = _http(base + "/.well-known/jwks.json")
    assert status == 200, f"/.well-known/jwks.json: {status} {body[:300]}"
    served = {k["kid"] for k in json.loads(body)["keys"]}
    assert served == {k["kid"] for k in json.loads(device_jwks.read_text())["keys"]}, body


def _wait_bulk_build(gateway: Started) -> None:
    """Its first build of the sync store (on a store never built) lists the three services as
    the gateway itself: they accept its service tokens (the bound JWKS) or it says why."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        text = gateway.log.read_text(errors="replace")
        if "bulk build finished" in text:
            return
        if "bulk build failed" in text or gateway.process.poll() is not None:
            pytest.fail(f"{GATEWAY.name}'s bulk build:\n{_tail(gateway.log)}")
        time.sleep(0.2)
    pytest.fail(f"{GATEWAY.name}: no bulk build after {READY_TIMEOUT:.0f} s\n{_tail(gateway.log)}")


def _assert_exchange_imports(exchange: Started, partner_jwks: Path, keys: Path) -> None:
    """Its probes, metrics and JWKS; then an administrator (a provider's token) makes a
    partner, and the partner's catalog (HTTP Basic, as 1C sends it) is imported into orders
    under the partner's token: orders accepts the mounted key bound to the exchange's issuer."""
    base = f"http://127.0.0.1:{exchange.http_port}"
    for probe in ("/readyz", "/livez"):
        status, _, body = _http(base + probe)
        assert status == 200, f"{probe}: {status} {body[:300]}"
    metrics = _get(f"http://127.0.0.1:{exchange.metrics_port}/metrics")
    assert "\nfieldline_exchange_" in metrics, f"no fieldline_exchange_ series: {metrics[:500]}"
    status, _, body = _http(base + "/.well-known/jwks.json")
    assert status == 200, f"/.well-known/jwks.json: {status} {body[:300]}"
    served = {k["kid"] for k in json.loads(body)["keys"]}
    assert served == {k["kid"] for k in json.loads(partner_jwks.read_text())["keys"]}, body

    admin = employee_token(keys, "admin-1", ["ADMIN"])
    login = f"erp-{uuid.uuid4().hex[:8]}"
    status, _, body = _http(
        base + "/v1/partners",
        {"name": "1C", "login": login},
        {"Authorization": f"Bearer {admin}"},
    )
    assert status == 201, f"POST /v1/partners: {status} {body[:300]}"
    password = json.loads(body)["password"]
    basic = base64.b64encode(f"{login}:{password}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}"}
    status, _, body = _http(base + "/v1/imports?filename=import.xml", _CATALOG, headers)
    assert status == 202, f"POST /v1/imports: {status} {body[:300]}"
    [job] = json.loads(body)["imports"]
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        status, _, body = _http(f"{base}/v1/imports/{job['importId']}", None, headers)
        found = json.loads(body)
        if found.get("state") in ("done", "refused", "failed"):
            break
        time.sleep(0.2)
    assert found.get("state") == "done" and found["recordsApplied"] == 3, (
        f"{found}\n{_tail(exchange.log)}"
    )


_CATALOG = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_210" ВерсияСхемы="2.10" '
    'ДатаФормирования="2026-12-07T10:00:00">'
    "<Классификатор><Ид>c</Ид><Наименование>К</Наименование><Группы><Группа>"
    "<Ид>image-g1</Ид><Наименование>Напитки</Наименование></Группа></Группы></Классификатор>"
    '<Каталог СодержитТолькоИзменения="false"><Ид>k</Ид><ИдКлассификатора>c</ИдКлассификатора>'
    "<Наименование>Каталог</Наименование><Товары>"
    + "".join(
        f"<Товар><Ид>image-p{n}</Ид><Наименование>Сок {n}</Наименование>"
        '<БазоваяЕдиница Код="796">шт</БазоваяЕдиница><Группы><Ид>image-g1</Ид></Группы>'
        "<СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование><Ставка>20</Ставка>"
        "</СтавкаНалога></СтавкиНалогов></Товар>"
        for n in (1, 2)
    )
    + "</Товары></Каталог></КоммерческаяИнформация>"
).encode()


@dataclass
class AuthBinds:
    """The key directories, each mounted read-only where the chart mounts its Secret."""

    services: list[Bind] = field(default_factory=list)
    gateway: list[Bind] = field(default_factory=list)
    exchange: list[Bind] = field(default_factory=list)
    device_jwks: Path = Path()
    partner_jwks: Path = Path()


def _auth_binds(tmp_path: Path) -> AuthBinds:
    """The development key and its JWKS (`./fl up`'s) for the services, and the gateway's own
    two keys (device tokens, its service tokens) with their public JWKS in the services it
    calls: readable by the image's user only, as the chart's Secret volumes with fsGroup are."""
    made = tmp_path / "keys"
    local_issuer(made)
    jwks, key = _owned_dir(tmp_path / "jwks"), _owned_dir(tmp_path / "service-key")
    for source, target, mode in ((JWKS_FILE, jwks, 0o444), (KEY_FILE, key, 0o400)):
        copied = shutil.copy(made / "auth" / source, target / source)
        _own(Path(copied), mode)
    binds = AuthBinds(services=[Bind(jwks, JWKS_DIR), Bind(key, SERVICE_KEY_DIR)])
    binds.gateway.append(Bind(jwks, JWKS_DIR))
    for name, key_dir, jwks_dir in (
        ("gateway-service", SERVICE_KEY_DIR, CALLER_SERVICE_JWKS_DIR),
        ("gateway-device", DEVICE_KEY_DIR, CALLER_DEVICE_JWKS_DIR),
    ):
        private, public = _key_pair(tmp_path / f"{name}-key", tmp_path / f"{name}-jwks")
        binds.gateway.append(Bind(private, key_dir))
        binds.services.append(Bind(public, jwks_dir.format(caller=GATEWAY.name)))
        if key_dir == DEVICE_KEY_DIR:
            binds.device_jwks = public / JWKS_FILE
    # The exchange's partner-token key: its own; administrators' tokens are the provider's.
    private, public = _key_pair(tmp_path / "partner-key", tmp_path / "partner-jwks")
    binds.exchange += [Bind(jwks, JWKS_DIR), Bind(private, PARTNER_KEY_DIR)]
    binds.services.append(Bind(public, CALLER_PARTNER_JWKS_DIR.format(caller=EXCHANGE.name)))
    binds.partner_jwks = public / JWKS_FILE
    return binds


def _key_pair(key_dir: Path, jwks_dir: Path) -> tuple[Path, Path]:
    """A new Ed25519 key (`KEY_FILE`) and its public JWKS (`JWKS_FILE`), each in a directory of
    its own, as an operator makes them for the chart's Secrets (`python -m fieldline_gateway
    jwks KEY.pem`)."""
    signing = generate_signing_key(EDDSA)
    private, public = _owned_dir(key_dir), _owned_dir(jwks_dir)
    (private / KEY_FILE).write_bytes(private_pem(signing))
    _own(private / KEY_FILE, 0o400)
    (public / JWKS_FILE).write_text(json.dumps(jwks_document([signing])))
    _own(public / JWKS_FILE, 0o444)
    return private, public


def _owned_dir(path: Path) -> Path:
    path.mkdir()
    _own(path, 0o755)
    return path


def _own(path: Path, mode: int) -> None:
    if os.geteuid() == 0:
        os.chown(path, APP_UID, APP_UID)
    else:  # docker without root: the container's user must still read it
        mode |= 0o444
    path.chmod(mode)


def _assert_runs_confined(runtime: Runtime, name: str) -> None:
    """The service's process, seen from the host: uid 10001, its root mounted read-only."""
    pid = runtime.pid(name)
    status = Path(f"/proc/{pid}/status").read_text()
    uids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
    assert set(uids) == {str(APP_UID)}, f"{name} runs as {uids}"
    mounts = Path(f"/proc/{pid}/mountinfo").read_text().splitlines()
    root = next(line.split() for line in mounts if line.split()[4] == "/")
    assert "ro" in root[5].split(","), f"{name}'s root is mounted {root[5]}"


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
        return body.decode()


def _http(
    url: str, payload: dict[str, str] | bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """Status, Content-Type and body of `GET url` (with `payload`: a POST of it, a dict as
    JSON), an error status included."""
    data = json.dumps(payload).encode() if isinstance(payload, dict) else payload
    request = urllib.request.Request(url, data=data, headers=headers or {})
    if isinstance(payload, dict):
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return (
                response.status,
                response.headers.get("content-type", ""),
                response.read().decode(),
            )
    except urllib.error.HTTPError as error:
        with error:
            body = error.read().decode(errors="replace")
            return error.code, error.headers.get("content-type", ""), body


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
