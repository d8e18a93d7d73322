"""Failed sign-ins per login: five a minute, then refused until the oldest is a minute old."""

from __future__ import annotations

from fieldline_exchange.domain.sign_ins import FailedSignIns


def test_the_sixth_try_waits_until_the_oldest_failure_is_a_minute_old() -> None:
    guard = FailedSignIns(5)
    for second in range(5):
        assert guard.wait("erp", 100.0 + second) == 0
        guard.failed("erp", 100.0 + second)
    assert guard.wait("erp", 110.0) == 50.0
    assert guard.wait("other", 110.0) == 0
    assert guard.wait("erp", 160.0) == 0  # the first failure aged out: one more try
    guard.failed("erp", 160.0)
    assert guard.wait("erp", 160.5) == 0.5


def test_a_success_forgets_the_failures() -> None:
    guard = FailedSignIns(2)
    guard.failed("erp", 0.0)
    guard.succeeded("erp")
    guard.failed("erp", 1.0)
    assert guard.wait("erp", 2.0) == 0


def test_memory_is_bounded_by_the_logins_remembered() -> None:
    guard = FailedSignIns(1, max_logins=3)
    for n in range(10):
        guard.failed(f"made-up-{n}", 0.0)
    assert guard.wait("made-up-9", 1.0) > 0
    assert guard.wait("made-up-0", 1.0) == 0  # forgotten first
