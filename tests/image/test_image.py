"""The image, built as `./fl image` builds it and run as the chart runs it.

The one image is built with the machine's builder (fieldline_dev.image: docker, else buildah,
installed from Debian packages when missing). Every process then starts from it as the chart's
pods do: uid 10001, read-only root filesystem, a tmpfs /tmp, no capabilities, the image's own
entrypoint (python from /opt/venv) and env; with buildah that is runc on the image's mounted root
filesystem. The NATS topology job, each service's `migrate`, then every service's `serve`,
against throwaway databases on the test PostgreSQL (FIELDLINE_TEST_POSTGRES_URL; without it,
SQLite files on a mounted volume) and an embedded NATS. Each must be SERVING, serve /metrics and
exit 0 on SIGTERM. The image holds no compiler, no tests of our packages, no pip cache or pip
configuration, and no sources.

`./fl test` runs this module beside its other passes (marker `image`); it is skipped only where
no builder exists and none can be installed.
"""

from __future__ import annotations

import asyncio
import configparser
import json
import os
import shutil
import stat
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
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
from fieldline_dev.runner import free_port, wait_serving
from fieldline_dev.services import GRPC_SERVICES as SERVICES
from fieldline_dev.services import ServiceDef, access_policies
from fieldline_dev.tokens import JWKS_FILE, KEY_FILE, LOCAL_ISSUER, local_issuer
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats

pytestmark = [pytest.mark.e2e, pytest.mark.image]

# Where the chart mounts the token keys (deploy/helm/fieldline/templates/_helpers.tpl).
JWKS_DIR = "/etc/fieldline/auth/jwks"
SERVICE_KEY_DIR = "/etc/fieldline/auth/service-key"
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


def test_every_service_migrates_serves_and_stops_from_the_image(
    runtime: Runtime, tmp_path: Path
) -> None:
    nats = EmbeddedNats(tmp_path / "nats")
    nats.start_blocking()
    factory = DatabaseFactory(tmp_path)
    started: dict[str, Started] = {}
    try:
        binds = _auth_binds(tmp_path)
        database_urls: dict[str, str] = {}
        if factory.backend == "postgresql":
            for d in SERVICES:
                if d.has_database:
                    database_urls[d.name] = asyncio.run(factory.create())
        else:
            data = _owned_dir(tmp_path / "data")
            binds.append(Bind(data, DATA_DIR, writable=True))
            for d in SERVICES:
                database_urls[d.name] = f"sqlite:///{DATA_DIR}/{d.name}.sqlite3"
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

        for name, svc in started.items():
            _assert_runs_confined(runtime, name)
            metrics = _get(f"http://127.0.0.1:{svc.metrics_port}/metrics")
            assert "python_info" in metrics and "\nfieldline_" in metrics, (
                f"{name}: {metrics[:500]}"
            )

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
            f"all SERVING after {t_serving - t_migrated:.1f} s more, "
            f"SIGTERM → exit 0 in {t_stopped - t_serving:.1f} s "
            f"({factory.backend}, {', '.join(started)})"
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
        env[f"{p}_AUTH_JWKS"] = f"{JWKS_DIR}/{JWKS_FILE}"
        env[f"{p}_AUTH_ISSUERS"] = LOCAL_ISSUER
        env[f"{p}_SERVICE_SIGNING_KEY"] = f"{SERVICE_KEY_DIR}/{KEY_FILE}"
        env[f"{p}_SERVICE_TOKEN_ISSUER"] = LOCAL_ISSUER
    return env


def _auth_binds(tmp_path: Path) -> list[Bind]:
    """The development key and its JWKS (`./fl up`'s), mounted where the chart mounts them,
    readable by the image's user only, as the chart's Secret volumes with fsGroup are."""
    made = tmp_path / "keys"
    local_issuer(made)
    jwks, key = _owned_dir(tmp_path / "jwks"), _owned_dir(tmp_path / "service-key")
    for source, target, mode in ((JWKS_FILE, jwks, 0o444), (KEY_FILE, key, 0o400)):
        copied = shutil.copy(made / "auth" / source, target / source)
        _own(Path(copied), mode)
    return [Bind(jwks, JWKS_DIR), Bind(key, SERVICE_KEY_DIR)]


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


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
