"""Keep the local runner's child processes alive, the way Kubernetes' restart policy would.

A thread polls every watched process (which also reaps it: no `<defunct>` children), says at
once which one ended, how (exit code or signal) and the last lines of its log, and restarts
one that died on its own (non-zero exit, killed by a signal other than SIGTERM/SIGINT) after
an exponential backoff. A process stopped on purpose (exit 0, SIGTERM, SIGINT: someone asked
it to stop) or no longer *wanted* (the runner or a test stopped it) is left down. One that
keeps crashing is given up on, loudly, and the others keep running.

Generic on purpose: it knows processes by name through `Supervised`, and restarts them with
the callback it is given, under the lock the owner takes when it changes its processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

# Ends that mean "asked to stop": a clean exit, or the signals a stop request sends.
CLEAN_EXITS = frozenset({0, -signal.SIGTERM, -signal.SIGINT})
LOG_TAIL_LINES = 10


@dataclass(frozen=True)
class RestartPolicy:
    """When a process that died on its own is restarted, and when it is given up on.

    Delays double from `first_delay` up to `max_delay`; a process that stayed up
    `stable_after` seconds starts again from `first_delay` when it next crashes. A crash after
    `max_restarts` restarts within `window` seconds is a crash loop: given up on.
    """

    first_delay: float = 0.5
    max_delay: float = 30.0
    stable_after: float = 30.0
    max_restarts: int = 5
    window: float = 60.0

    def delay(self, failures: int) -> float:
        return min(self.first_delay * 2**failures, self.max_delay)


class Supervised(Protocol):
    """What the supervisor reads of a process it watches."""

    @property
    def name(self) -> str: ...
    @property
    def wanted(self) -> bool: ...  # False once stopped on purpose: leave it down
    @property
    def process(self) -> subprocess.Popen[bytes] | None: ...
    @property
    def log_path(self) -> Path | None: ...


@dataclass
class _Record:
    """The supervisor's memory of one watched name."""

    process: subprocess.Popen[bytes]
    started: float
    failures: int = 0  # crashes since it last stayed up `stable_after`: the backoff exponent
    restarts: deque[float] = field(default_factory=deque)  # when, within the crash-loop window
    restart_at: float | None = None
    settled: bool = False  # its end is handled: left down, or given up on


class Supervisor:
    """Watches `units()` every `interval` seconds on a thread, restarting with `restart(name)`.

    `lock` is held for each round, restarts included; the owner holds it too while it starts
    or stops processes, so the supervisor never sees a half-made change. A process it did not
    start itself (the first start, a manual restart) is watched afresh, with a clean history.
    """

    def __init__(
        self,
        units: Callable[[], Iterable[Supervised]],
        restart: Callable[[str], subprocess.Popen[bytes]],
        lock: threading.RLock,
        *,
        policy: RestartPolicy,
        report: Callable[[str], None],
        interval: float = 0.2,
    ) -> None:
        self.units = units
        self.restart = restart
        self.lock = lock
        self.policy = policy
        self.report = report
        self.interval = interval
        self.records: dict[str, _Record] = {}
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fl-supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop supervising: nothing is restarted once this returns; processes stay as they are."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            with self.lock:
                try:
                    self.check(time.monotonic())
                except Exception as exc:  # keep supervising whatever one round hit
                    self.report(f"supervisor: {exc!r}")

    def check(self, now: float) -> None:
        """One round: notice ends, restart what is due, forget what was stopped on purpose."""
        for unit in list(self.units()):
            if self._stopping.is_set():
                return
            rec = self.records.get(unit.name)
            if not unit.wanted:
                self.records.pop(unit.name, None)
                continue
            current = unit.process
            if current is not None and (rec is None or rec.process is not current):
                if rec is not None and not rec.settled and rec.restart_at is None:
                    self._replaced(unit.name, rec.process, current)
                rec = self.records[unit.name] = _Record(current, now)
            if rec is None or rec.settled:
                continue
            if rec.restart_at is not None:
                if now >= rec.restart_at:
                    self._restart(unit, rec, now)
                continue
            code = rec.process.poll()  # reaps it
            if code is None:
                if rec.failures and now - rec.started >= self.policy.stable_after:
                    rec.failures = 0
                continue
            self._ended(unit, rec, code, now)

    def _replaced(
        self, name: str, old: subprocess.Popen[bytes], new: subprocess.Popen[bytes]
    ) -> None:
        """Someone started `name` again before a round noticed the old one's end: say both."""
        code = old.poll()
        if code is not None:
            self.report(
                f"supervisor: {name} (pid {old.pid}) {how_it_ended(code)}; "
                f"started again by hand (pid {new.pid})"
            )

    def _ended(self, unit: Supervised, rec: _Record, code: int, now: float) -> None:
        up = now - rec.started
        self.report(
            f"supervisor: {unit.name} (pid {rec.process.pid}) {how_it_ended(code)} "
            f"after {up:.1f}s{log_tail(unit.log_path)}"
        )
        if code in CLEAN_EXITS:
            self.report(f"supervisor: {unit.name} was stopped on purpose; not restarting it")
            rec.settled = True
            return
        if up >= self.policy.stable_after:
            rec.failures = 0
        self._schedule(unit, rec, now)

    def _schedule(self, unit: Supervised, rec: _Record, now: float) -> None:
        """Restart after the backoff, unless it has crashed too often lately."""
        p = self.policy
        while rec.restarts and now - rec.restarts[0] > p.window:
            rec.restarts.popleft()
        if len(rec.restarts) >= p.max_restarts:
            where = f" (log: {unit.log_path})" if unit.log_path else ""
            self.report(
                f"supervisor: !!! {unit.name} crashed again after {len(rec.restarts)} restarts "
                f"within {p.window:.0f}s: GIVEN UP ON, it stays down{where}; the other "
                "processes keep running. Fix the cause, then start ./fl up again."
            )
            rec.settled = True
            return
        delay = p.delay(rec.failures)
        rec.failures += 1
        rec.restart_at = now + delay
        self.report(f"supervisor: restarting {unit.name} in {delay:.1f}s")

    def _restart(self, unit: Supervised, rec: _Record, now: float) -> None:
        rec.restart_at = None
        rec.restarts.append(now)
        try:
            process = self.restart(unit.name)
        except Exception as exc:  # a failed restart counts as another crash
            self.report(f"supervisor: restarting {unit.name} failed: {exc}")
            self._schedule(unit, rec, now)
            return
        rec.process, rec.started = process, now
        self.report(
            f"supervisor: {unit.name} restarted (pid {process.pid}; "
            f"{len(rec.restarts)} restart(s) within {self.policy.window:.0f}s)"
        )


def how_it_ended(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def log_tail(path: Path | None, lines: int = LOG_TAIL_LINES) -> str:
    """'; last lines of <path>:' and those lines, indented; '' when there is no log to show."""
    if path is None:
        return ""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16_384))
            text = f.read().decode(errors="replace")
    except OSError:
        return ""
    tail = [line.rstrip() for line in text.splitlines()[-lines:]]
    if not tail:
        return f"; its log {path} is empty"
    return f"; last lines of {path}:\n" + "\n".join(f"    | {line}" for line in tail)
