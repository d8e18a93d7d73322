"""A free TCP port for a process about to be started on it (a service, a NATS server).

A port picked by binding port 0 comes from the kernel's ephemeral range, the same range every
outgoing connection and every other `bind(0)` of the machine draws from: between the pick and
the new process's own bind another process may take it (CI runs two test passes side by side,
each starting services, so this happened). Ports are therefore drawn at random *below* the
ephemeral range (Linux: 32768 and up), where the kernel hands out none by itself, and checked
free by a bind; only when none is found there is the ephemeral range used.
"""

from __future__ import annotations

import random
import socket

# Below Linux's default ephemeral range (32768–60999) and above the well-known services.
LOW, HIGH = 20000, 32767
ATTEMPTS = 200


def _bindable(port: int, host: str) -> bool:
    """Nothing listens on (nor holds) host:port right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port free now, outside the kernel's ephemeral range when one is found there."""
    rng = random.SystemRandom()
    for _ in range(ATTEMPTS):
        port = rng.randint(LOW, HIGH)
        if _bindable(port, host):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        found: int = s.getsockname()[1]
        return found
