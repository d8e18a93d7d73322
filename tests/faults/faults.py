"""The faults the suite injects into a running system, one at a time, each followed by its
recovery: NATS paused (SIGSTOP: a hung server) and killed, each service killed in turn
(SIGKILL mid-burst; the runner's supervisor restarts it on the same port), the services'
database connections cut through the proxy. Each fault waits for the system to come back
(the process restarted and SERVING, NATS accepting connections) before the next.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from collections import Counter
from dataclasses import dataclass, field

from fieldline_dev.runner import LocalSystem, wait_serving

from .proxy import TcpProxy

RECOVERY_TIMEOUT = 60.0


@dataclass
class Injector:
    system: LocalSystem
    proxy: TcpProxy
    outage: float = 4.0  # seconds NATS stays paused, or the database cut
    injected: Counter[str] = field(default_factory=Counter)
    connections_cut: int = 0

    def schedule(self) -> list[tuple[str, object]]:
        """One round: every fault once."""
        round_: list[tuple[str, object]] = [
            ("NATS paused", self.pause_nats),
            ("NATS killed", self.kill_nats),
        ]
        for name in self.system.running:
            round_.append((f"{name} killed", lambda name=name: self.kill_service(name)))
        round_.append(("database connections cut", self.cut_database))
        return round_

    async def run(self, *, rounds: int | None, until: float, gap: float) -> None:
        """Rounds of the schedule with `gap` seconds between faults, until `rounds` are done
        or the loop time `until` passes (a fault is never started after it)."""
        loop = asyncio.get_running_loop()
        done = 0
        while rounds is None or done < rounds:
            for name, fault in self.schedule():
                await asyncio.sleep(gap)
                if loop.time() > until:
                    return
                await fault()  # type: ignore[operator]
                self.injected[name] += 1
            done += 1

    # -- the faults ---------------------------------------------------------------------------
    async def pause_nats(self) -> None:
        pid = self._nats_pid()
        os.kill(pid, signal.SIGSTOP)
        try:
            await asyncio.sleep(self.outage)
        finally:
            os.kill(pid, signal.SIGCONT)

    async def kill_nats(self) -> None:
        old = self._nats_pid()
        os.kill(old, signal.SIGKILL)
        await asyncio.to_thread(self._wait_nats_back, old)

    async def kill_service(self, name: str) -> None:
        svc = self.system.running[name]
        assert svc.process is not None
        old = svc.process.pid
        os.kill(old, signal.SIGKILL)
        await asyncio.to_thread(self._wait_service_back, name, old)

    async def cut_database(self) -> None:
        self.connections_cut += await asyncio.to_thread(self.proxy.cut)
        try:
            await asyncio.sleep(self.outage)
        finally:
            self.proxy.restore()

    # -- recovery -----------------------------------------------------------------------------
    def _nats_pid(self) -> int:
        nats = self.system.nats
        assert nats is not None and nats.process is not None
        return nats.process.pid

    def _wait_nats_back(self, old: int) -> None:
        nats = self.system.nats
        assert nats is not None
        deadline = time.monotonic() + RECOVERY_TIMEOUT
        while time.monotonic() < deadline:
            process = nats.process
            if process is not None and process.pid != old and _accepts(nats.host, nats.port):
                return
            time.sleep(0.1)
        raise TimeoutError(f"NATS not restarted within {RECOVERY_TIMEOUT:.0f}s")

    def _wait_service_back(self, name: str, old: int) -> None:
        svc = self.system.running[name]
        deadline = time.monotonic() + RECOVERY_TIMEOUT
        while time.monotonic() < deadline:
            process = svc.process
            if process is not None and process.pid != old and process.poll() is None:
                wait_serving(svc.target, deadline - time.monotonic(), process)
                return
            time.sleep(0.1)
        raise TimeoutError(f"{name} not restarted within {RECOVERY_TIMEOUT:.0f}s")


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
