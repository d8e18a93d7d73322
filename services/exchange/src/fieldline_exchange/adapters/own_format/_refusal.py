"""Why a file is refused: a code from a fixed list, a message, the line, and for a file that
does not follow its schema the first few of the schema's errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# dtd-forbidden: a DOCTYPE (what stops XXE, external DTDs and entity expansion);
# bad-encoding: not UTF-8; malformed: not well-formed XML; schema-invalid: not valid against
# the schema (or the format's one rule beyond it, the uniqueness of a client's tare balances).
RefusalCode = Literal["dtd-forbidden", "bad-encoding", "malformed", "schema-invalid"]


@dataclass(frozen=True)
class LineError:
    line: int | None  # None: not located (a file too large to locate its errors)
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class Refusal:
    code: RefusalCode
    message: str
    line: int | None = None
    errors: tuple[LineError, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """The `refused` object of inspect's JSON and a job's report."""
        found: dict[str, object] = {"code": self.code, "message": self.message, "line": self.line}
        if self.errors:
            found["errors"] = [{"line": e.line, "message": e.message} for e in self.errors]
        return found


class Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        where = f" (line {refusal.line})" if refusal.line else ""
        super().__init__(f"{refusal.code}: {refusal.message}{where}")
        self.refusal = refusal
