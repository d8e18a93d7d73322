"""Where photo bytes live: a port (`BlobStore`) and its local-disk adapter (`DiskBlobStore`,
`GATEWAY_BLOB_URL=file:///…`, default `<data_dir>/photos`). docs/contexts/device-gateway.md,
*Photos*.

    staging/<photoId>/<offset>               a chunk as received (its offset, 12 digits)
    staging/<photoId>/assembled-<token>      the chunks joined, while the hash is judged
    sha256/<2>/<2>/<hash>                    a finished blob, stored once per content

Every file appears whole or not at all (written to a temporary name, fsynced, renamed), so
a replica killed mid-write leaves no torn chunk or blob. Chunks are keyed by their offset;
the database's offset says which were accepted, and the hash checked at the end is the
arbiter of what was joined (a stray chunk from a raced retry can only make that upload fail
its checksum and start again, never corrupt another photo).

The other adapter is any S3-compatible store (`GATEWAY_BLOB_URL=s3://bucket/prefix`,
`GATEWAY_S3_*`; adapters/s3_blob_store.py), with the same keys and answers: `stage` =
PutObject, `assemble` = a multipart upload of the chunks read in order while hashing,
`promote` = CopyObject to the content key (or nothing when it exists) and `drop_staged` =
deleting the prefix. Several replicas on local disk need a shared volume; on S3 they share
the bucket.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import uuid
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlparse

if TYPE_CHECKING:
    from fieldline_gateway.settings import GatewaySettings

READ_BYTES = 256 * 1024
_PHOTO_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_OFFSET_DIGITS = 12


@dataclass(frozen=True)
class Assembled:
    """A photo's staged chunks joined into one staged object: what they hash to, how many
    bytes they hold, their first bytes (for the image check), and the handle to promote it
    by. `whole` is False when the chunks did not join into exactly the size asked (a gap, or
    the staging dropped meanwhile): the upload must start again."""

    photo_id: str
    token: str
    sha256: str
    size: int
    head: bytes
    whole: bool


class BlobStore(Protocol):
    async def stage(self, photo_id: str, offset: int, data: bytes) -> None:
        """Keep a chunk of a photo's upload (replacing one staged at that offset)."""

    async def assemble(self, photo_id: str, size: int, head_bytes: int) -> Assembled:
        """Join the staged chunks from offset 0 up to `size`, hashing as they are read."""

    async def promote(self, assembled: Assembled) -> bool:
        """Make the assembled object the blob of its hash (once: an existing blob is kept);
        False when the assembled object is gone (a concurrent reset of the upload dropped
        it)."""

    async def drop_staged(self, photo_id: str) -> None:
        """Forget every staged chunk and assembled object of a photo."""

    async def size_of(self, sha256: str) -> int | None:
        """The stored blob's size, or None when there is no blob with that hash."""

    def read(self, sha256: str) -> AsyncGenerator[bytes, None]:
        """The blob's bytes, in pieces."""


class DiskBlobStore:
    """The store on a local (or shared) file system under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # ------------------------------------------------------------------ paths
    def staging_path(self, photo_id: str) -> Path:
        if not _PHOTO_ID.match(photo_id):
            raise ValueError(f"not a photo id: {photo_id!r}")
        return self.root / "staging" / photo_id

    def blob_path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def _assembled(self, photo_id: str, token: str) -> Path:
        if not _TOKEN.match(token):
            raise ValueError(f"not a token: {token!r}")
        return self.staging_path(photo_id) / f"assembled-{token}"

    # ------------------------------------------------------------------ the port
    async def stage(self, photo_id: str, offset: int, data: bytes) -> None:
        if offset < 0:
            raise ValueError("negative offset")
        path = self.staging_path(photo_id) / f"{offset:0{_OFFSET_DIGITS}d}"
        await asyncio.to_thread(_write_atomically, path, data)

    async def assemble(self, photo_id: str, size: int, head_bytes: int) -> Assembled:
        token = uuid.uuid4().hex
        return await asyncio.to_thread(
            self._assemble, photo_id, size, head_bytes, token, self._assembled(photo_id, token)
        )

    def _assemble(
        self, photo_id: str, size: int, head_bytes: int, token: str, target: Path
    ) -> Assembled:
        folder = self.staging_path(photo_id)
        digest = hashlib.sha256()
        head = b""
        position = 0
        temporary = target.with_name(target.name + ".tmp")
        try:
            with temporary.open("wb") as out:
                while position < size:
                    start = position
                    with (folder / f"{position:0{_OFFSET_DIGITS}d}").open("rb") as chunk:
                        while piece := chunk.read(READ_BYTES):
                            digest.update(piece)
                            out.write(piece)
                            if len(head) < head_bytes:
                                head += piece[: head_bytes - len(head)]
                            position += len(piece)
                    if position == start:
                        break  # an empty chunk file: never staged by `stage`
                out.flush()
                os.fsync(out.fileno())
            if position != size:  # the chunks run past the size: nothing to keep
                temporary.unlink()
                return Assembled(photo_id, token, digest.hexdigest(), position, head, False)
            temporary.replace(target)
        except FileNotFoundError:
            # A chunk is missing (a gap), or the staging folder went (a concurrent reset or
            # completion dropped it): nothing assembled.
            temporary.unlink(missing_ok=True)
            return Assembled(photo_id, token, digest.hexdigest(), position, head, whole=False)
        return Assembled(photo_id, token, digest.hexdigest(), position, head, whole=True)

    async def promote(self, assembled: Assembled) -> bool:
        source = self._assembled(assembled.photo_id, assembled.token)
        target = self.blob_path(assembled.sha256)
        return await asyncio.to_thread(_promote, source, target)

    async def drop_staged(self, photo_id: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self.staging_path(photo_id), True)

    async def size_of(self, sha256: str) -> int | None:
        try:
            return (await asyncio.to_thread(self.blob_path(sha256).stat)).st_size
        except FileNotFoundError:
            return None

    async def read(self, sha256: str) -> AsyncGenerator[bytes, None]:
        source = await asyncio.to_thread(self.blob_path(sha256).open, "rb")
        try:
            while piece := await asyncio.to_thread(source.read, READ_BYTES):
                yield piece
        finally:
            await asyncio.to_thread(source.close)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _promote(source: Path, target: Path) -> bool:
    """The assembled file becomes the blob by a rename (same file system); when the blob is
    already there (another photo, or a racing copy of this one), the assembled file goes."""
    if not source.exists():
        return False
    if target.exists():
        source.unlink(missing_ok=True)
        return True
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        source.replace(target)
    except FileNotFoundError:
        return False
    return True


def blob_store_for(settings: GatewaySettings, data_dir: Path) -> BlobStore:
    """The store GATEWAY_BLOB_URL names: `file:///path`, or `s3://bucket[/prefix]` with the
    GATEWAY_S3_* settings (s3_blob_store.py); empty: `<data_dir>/photos`."""
    blob_url = settings.blob_url
    if not blob_url:
        return DiskBlobStore(data_dir / "photos")
    if blob_url.startswith("s3://"):
        from fieldline_gateway.adapters.s3_blob_store import S3BlobStore

        return S3BlobStore.connect(
            blob_url,
            region=settings.s3_region,
            endpoint=settings.s3_endpoint,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    parsed = urlparse(blob_url)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost") or not parsed.path:
        raise ValueError(
            f"GATEWAY_BLOB_URL: expected file:///path or s3://bucket[/prefix], not {blob_url!r}"
        )
    return DiskBlobStore(Path(unquote(parsed.path)))
