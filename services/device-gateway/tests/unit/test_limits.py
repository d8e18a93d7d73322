"""Per-device rate limits: a token bucket per operation and device."""

from __future__ import annotations

import pytest

from fieldline_gateway.domain.limits import RateLimiter, parse_rate_limits

LIMITS = "sync=30,upload=60,photo=600,refresh=10,activate=10"


def test_a_device_gets_its_burst_then_waits_for_the_refill() -> None:
    limiter = RateLimiter(parse_rate_limits(LIMITS))
    assert [limiter.take("refresh", "d-1", 0.0) for _ in range(10)] == [0.0] * 10
    wait = limiter.take("refresh", "d-1", 0.0)
    assert wait == pytest.approx(6.0)  # 10 a minute: one every 6 s
    assert limiter.take("refresh", "d-2", 0.0) == 0.0  # another device has its own bucket
    assert limiter.take("refresh", "d-1", 6.0) == 0.0  # refilled


@pytest.mark.parametrize(
    "text",
    ["sync=30", "sync=30,upload=x,photo=1,refresh=1,activate=1", "nope=1," + LIMITS, "sync=0"],
)
def test_a_bad_setting_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rate_limits(text)
