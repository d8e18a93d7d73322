"""The HTTP exchange protocol 1C speaks with a site (docs/contexts/exchange.md, *The 1C
exchange protocol*): checkauth opens a session; init says what the server takes; file sends a
file in chunks, appended in the session; import starts the file's import (an archive's members
each their own) and then answers its progress until it is done; what 1C is answered is plain
text, its first line `success`, `progress` or `failure`.

The order export (`type=sale&mode=query|success`) is `service_layer/export.py`'s: query
answers the CommerceML document set itself, success acknowledges the partner's last
exchange."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldline_exchange.adapters.files import Files, clean_name, is_zip
from fieldline_exchange.domain.records import TOO_LARGE, Refusal
from fieldline_exchange.service_layer.imports import Imports
from fieldline_exchange.service_layer.partners import ExchangeSession, Partners

COOKIE = "flx_session"


@dataclass(frozen=True)
class Answer:
    """What 1C reads: the lines of a plain-text answer."""

    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def success(*more: str) -> Answer:
    return Answer(("success", *more))


def progress(what: str) -> Answer:
    return Answer(("progress", what))


def failure(why: str) -> Answer:
    return Answer(("failure", why))


class OneC:
    def __init__(
        self, partners: Partners, imports: Imports, files: Files, *, file_limit: int
    ) -> None:
        self._partners = partners
        self._imports = imports
        self._files = files
        self.file_limit = file_limit

    def session_dir(self, session: ExchangeSession) -> Path:
        return self._files.root / "sessions" / session.digest

    async def checkauth(self, login: str, password: str) -> tuple[Answer, str]:
        caller = await self._partners.by_basic(login, password)
        cookie = await self._partners.open_session(caller)
        return success(COOKIE, cookie), cookie

    def init(self) -> Answer:
        return Answer(("zip=yes", f"file_limit={self.file_limit}"))

    async def file(
        self, session: ExchangeSession, filename: str, pieces: AsyncIterable[bytes]
    ) -> Answer:
        """A chunk of `filename`, appended to what the session received of it before."""
        name = clean_name(filename)
        if not name:
            return failure("filename: required")
        target = self.session_dir(session) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        size = target.stat().st_size if target.exists() else 0
        with target.open("ab") as out:
            async for piece in pieces:
                size += len(piece)
                if size > self._files.max_bytes:
                    out.close()
                    target.unlink(missing_ok=True)
                    return failure(f"{name}: {TOO_LARGE}: larger than the server takes")
                out.write(piece)
        return success()

    async def import_file(self, session: ExchangeSession, filename: str) -> Answer:
        """Start the file's import on the first call, then say how it goes."""
        name = clean_name(filename)
        job = await self._imports.of_session(session.caller, name, session.started)
        if job is None:
            try:
                job = await self._start(session, name)
            except Refusal as refused:
                return failure(f"{name}: {refused.code}: {refused.message}")
            if job is None:
                return failure(f"{name}: no such file in this session (send it with mode=file)")
        return _state(job)

    async def _start(self, session: ExchangeSession, name: str) -> Mapping[Any, Any] | None:
        received = self.session_dir(session) / name
        if received.exists():
            stored = await asyncio.to_thread(self._files.adopt, name, received)
            jobs = await self._imports.submit(session.caller, stored)
            return jobs[0] if jobs else None
        # 1C with zip=yes sends one archive and then imports its files by their names.
        for archive in sorted(self.session_dir(session).glob("*")):
            if archive.is_file() and is_zip(archive):
                stored = await asyncio.to_thread(self._files.adopt, archive.name, archive)
                jobs = await self._imports.submit(session.caller, stored)
                archive.unlink()  # unpacked: its members are jobs now
                for job in jobs:
                    if job["filename"] == name:
                        return job
        return None


def _state(job: Mapping[Any, Any]) -> Answer:
    state = job["state"]
    if state == "done":
        return success()
    if state in ("refused", "failed"):
        refusal = json.loads(job["refusal"] or "{}")
        return failure(
            f"{job['filename']}: {refusal.get('code', state)}: {refusal.get('message', '')}"
        )
    counts = json.loads(job["counts"] or "{}")
    total = sum(v for v in counts.values() if isinstance(v, int))
    if state == "applying" and total:
        return progress(f"{job['filename']}: applied {job['records_applied']} of {total}")
    return progress(f"{job['filename']}: {state}")
