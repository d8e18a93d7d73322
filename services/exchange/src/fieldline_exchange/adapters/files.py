"""Uploaded files on the exchange's disk (`EXCHANGE_DATA_DIR`): received in pieces while
hashed and measured, kept under their SHA-256, and archives unpacked member by member within
the limits (docs/contexts/exchange.md, *Reading CommerceML*: too-large, zip-bomb).

    incoming/<uuid>.part        bytes being received
    files/<sha256>              a received file, or an archive's member, once
"""

from __future__ import annotations

import hashlib
import os
import uuid
import zipfile
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fieldline_exchange.domain.records import TOO_LARGE, ZIP_BOMB, Refusal

ZIP_MAGIC = b"PK\x03\x04"
MAX_RATIO = 200  # an archive member unpacking to more than 200× its packed size is a bomb
_PIECE = 1024 * 1024


@dataclass(frozen=True)
class Stored:
    """A file kept on disk: its name as sent, where it is, how big, its SHA-256."""

    filename: str
    path: Path
    size: int
    sha256: str


class Files:
    def __init__(self, root: Path, *, max_bytes: int, max_unpacked: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.max_unpacked = max_unpacked

    async def receive(self, filename: str, pieces: AsyncIterable[bytes]) -> Stored:
        """Keep the bytes of `pieces` (refused past `max_bytes`: too-large, nothing kept)."""
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        part = incoming / f"{uuid.uuid4().hex}.part"
        digest = hashlib.sha256()
        size = 0
        try:
            with part.open("wb") as out:
                async for piece in pieces:
                    size += len(piece)
                    if size > self.max_bytes:
                        raise Refusal(TOO_LARGE, f"larger than {self.max_bytes // 2**20} MiB")
                    digest.update(piece)
                    out.write(piece)
                out.flush()
                os.fsync(out.fileno())
            return self._keep(part, clean_name(filename), size, digest.hexdigest())
        finally:
            part.unlink(missing_ok=True)

    def adopt(self, filename: str, path: Path) -> Stored:
        """Keep a file assembled elsewhere under the data dir (a 1C session's chunks)."""
        digest = hashlib.sha256()
        size = 0
        with path.open("rb") as source:
            while piece := source.read(_PIECE):
                digest.update(piece)
                size += len(piece)
        if size > self.max_bytes:
            raise Refusal(TOO_LARGE, f"larger than {self.max_bytes // 2**20} MiB")
        return self._keep(path, clean_name(filename), size, digest.hexdigest(), move=False)

    def _keep(self, source: Path, name: str, size: int, sha256: str, move: bool = True) -> Stored:
        target = self.root / "files" / sha256
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            if move:
                source.replace(target)
            else:
                temporary = target.with_name(f".{sha256}.{uuid.uuid4().hex}.tmp")
                with source.open("rb") as src, temporary.open("wb") as out:
                    while piece := src.read(_PIECE):
                        out.write(piece)
                temporary.replace(target)
        return Stored(name, target, size, sha256)

    def unpack(self, archive: Stored) -> list[Stored]:
        """The archive's files, in archive order (directories and hidden entries left out);
        refused as a whole (nothing kept) past `max_unpacked` in all or `MAX_RATIO` in a
        member, or when it is no readable archive."""
        kept: list[Stored] = []
        try:
            with zipfile.ZipFile(archive.path) as zipped:
                members = [m for m in zipped.infolist() if not m.is_dir()]
                declared = sum(m.file_size for m in members)
                if declared > self.max_unpacked:
                    raise Refusal(
                        ZIP_BOMB, f"unpacks to more than {self.max_unpacked // 2**20} MiB"
                    )
                total = 0
                for member in members:
                    name = clean_name(member.filename)
                    if not name or name.startswith("."):
                        continue
                    stored, total = self._member(zipped, member, name, total)
                    kept.append(stored)
        except zipfile.BadZipFile as exc:
            raise Refusal("malformed", f"not a readable zip archive: {exc}") from None
        except Refusal:
            for stored in kept:
                stored.path.unlink(missing_ok=True)
            raise
        return kept

    def _member(
        self, zipped: zipfile.ZipFile, member: zipfile.ZipInfo, name: str, total: int
    ) -> tuple[Stored, int]:
        """One member unpacked while counted: the declared sizes may lie, the bytes do not."""
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        part = incoming / f"{uuid.uuid4().hex}.part"
        digest = hashlib.sha256()
        size = 0
        limit = max(member.compress_size, 1) * MAX_RATIO
        try:
            with zipped.open(member) as source, part.open("wb") as out:
                while piece := source.read(_PIECE):
                    size += len(piece)
                    total += len(piece)
                    if size > limit and size > _PIECE:  # small members are never bombs
                        raise Refusal(ZIP_BOMB, f"{name}: compressed more than {MAX_RATIO}:1")
                    if total > self.max_unpacked or size > self.max_bytes:
                        raise Refusal(
                            ZIP_BOMB, f"unpacks to more than {self.max_unpacked // 2**20} MiB"
                        )
                    digest.update(piece)
                    out.write(piece)
            return self._keep(part, name, size, digest.hexdigest()), total
        finally:
            part.unlink(missing_ok=True)


def clean_name(filename: str) -> str:
    """The file's own name (no directories, no path tricks), at most 255 characters."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    return name[:255]


def is_zip(path: Path) -> bool:
    with path.open("rb") as source:
        return source.read(4) == ZIP_MAGIC
