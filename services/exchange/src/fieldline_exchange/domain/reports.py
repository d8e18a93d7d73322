"""What an import says of the records it left out (docs/contexts/exchange.md, *Import jobs*:
a report line per record — file line, external id, reason)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ReportLine:
    """A record left out: where in the file, which, why."""

    line: int | None
    external_id: str
    reason: str
    detail: str = ""

    def row(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "external_id": self.external_id[:255],
            "reason": self.reason,
            "detail": self.detail[:2000],
        }
