"""Per-device rate limits: a token bucket per (operation, device), in memory, per replica.

Per replica on purpose (docs/contexts/device-gateway.md, *HTTP surface*): no shared write per
request; with n replicas a device may get up to n times its limit, which still stops a runaway
app. A global limit belongs to the ingress.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

OPERATIONS = ("sync", "upload", "photo", "refresh", "activate")
MAX_BUCKETS = 100_000


def parse_rate_limits(text: str) -> dict[str, int]:
    """`sync=30,upload=60,…` → operation → requests per minute (every operation named)."""
    limits: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in OPERATIONS:
            raise ValueError(f"{part!r}: expected operation=n, operation one of {OPERATIONS}")
        try:
            limits[name] = int(value)
        except ValueError:
            raise ValueError(f"{part!r}: n must be a whole number") from None
        if not 1 <= limits[name] <= 100_000:
            raise ValueError(f"{part!r}: n must be between 1 and 100000")
    missing = [op for op in OPERATIONS if op not in limits]
    if missing:
        raise ValueError(f"no limit for {missing}")
    return limits


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """`take(operation, key, now)` → 0 when admitted, else the seconds to wait."""

    def __init__(self, per_minute: dict[str, int]) -> None:
        self._rate = {op: n / 60.0 for op, n in per_minute.items()}
        self._burst = {op: float(n) for op, n in per_minute.items()}
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()

    def take(self, operation: str, key: str, now: float) -> float:
        rate, burst = self._rate[operation], self._burst[operation]
        bucket = self._buckets.get((operation, key))
        if bucket is None:
            bucket = self._buckets[(operation, key)] = _Bucket(burst, now)
            while len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end((operation, key))
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / rate
