"""A free port for a process to be started (fieldline_kit.ports): below the ephemeral range."""

from __future__ import annotations

import socket

import pytest

from fieldline_kit import ports
from fieldline_kit.ports import HIGH, LOW, free_port


def test_a_free_port_is_below_the_ephemeral_range_and_bindable() -> None:
    ports = {free_port() for _ in range(20)}
    assert all(LOW <= p <= HIGH for p in ports)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", next(iter(ports))))


def test_a_port_in_use_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", free_port()))
        held.listen()
        taken = held.getsockname()[1]
        other = free_port()
        drawn = iter([taken, other])

        class Drawn:
            def randint(self, low: int, high: int) -> int:
                return next(drawn)

        monkeypatch.setattr(ports.random, "SystemRandom", Drawn)
        assert ports.free_port() == other
