"""Failed HTTP Basic sign-ins per login (docs/contexts/exchange.md, *Partners and access*):
after `limit` failures within a minute a login is refused with 429 until the oldest of them is
a minute old, its password not even checked — so guessing costs a minute per five tries and
the scrypt work of a flood stays bounded.

Kept in memory per replica, like the gateway's rate limits: no shared write per request; with
n replicas a login gets up to n × `limit` tries a minute, which still defeats guessing. A
success forgets the login's failures. At most `max_logins` logins are remembered (the least
recently failed forgotten first), so a flood of made-up logins cannot grow memory.
"""

from __future__ import annotations

from collections import OrderedDict, deque

WINDOW_SECONDS = 60.0


class FailedSignIns:
    def __init__(self, limit: int = 5, *, max_logins: int = 100_000) -> None:
        self.limit = limit
        self.max_logins = max_logins
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, login: str, now: float) -> float:
        """0 when `login` may try now; else the seconds until it may."""
        times = self._recent(login, now)
        if times is None or len(times) < self.limit:
            return 0.0
        return max(times[0] + WINDOW_SECONDS - now, 0.001)

    def failed(self, login: str, now: float) -> None:
        times = self._recent(login, now)
        if times is None:
            times = self._failures[login] = deque(maxlen=self.limit)
            while len(self._failures) > self.max_logins:
                self._failures.popitem(last=False)
        else:
            self._failures.move_to_end(login)
        times.append(now)

    def succeeded(self, login: str) -> None:
        self._failures.pop(login, None)

    def _recent(self, login: str, now: float) -> deque[float] | None:
        times = self._failures.get(login)
        if times is None:
            return None
        while times and times[0] <= now - WINDOW_SECONDS:
            times.popleft()
        return times
