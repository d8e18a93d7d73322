"""The blob store on any S3-compatible object store (`GATEWAY_BLOB_URL=s3://bucket/prefix`:
AWS S3, MinIO, Ceph RGW, …), through obstore. docs/contexts/device-gateway.md, *Photos*.

The keys are the disk store's paths, under the URL's prefix:

    staging/<photoId>/<offset>               a chunk as received: one PutObject
    staging/<photoId>/assembled-<token>      the chunks joined: one multipart upload
    sha256/<2>/<2>/<hash>                    a finished blob: CopyObject of the assembled one

Its answers are the disk store's (`DiskBlobStore`): S3 writes are atomic, so every object
appears whole or not at all, and a multipart upload is seen only once completed. `assemble`
streams: it reads the chunks in order in pieces, hashing them, into a multipart upload that
holds at most a few parts in memory (never the photo); on a gap, a missing staging or chunks
that run past the size, it stops, the upload is aborted and nothing is assembled. `promote`
copies the assembled object to the blob's key unless that exists (content-addressed: a racing
copy writes the same bytes) and then deletes it. `read` fetches the blob in ranged GETs, each
one short whatever the reader's pace. A missing object raises FileNotFoundError, as on disk.

Where: an empty `GATEWAY_S3_ENDPOINT` is AWS (the region's endpoint); a set one is any
S3-compatible server (path-style requests; plain http only when the endpoint says http://).
The credentials are `GATEWAY_S3_ACCESS_KEY_ID` and `GATEWAY_S3_SECRET_ACCESS_KEY` (from a
Secret); without them the store's own chain is used (AWS_* variables, web identity, the
instance profile). They are never logged: this module names the bucket, prefix and endpoint
only.

The bucket should have a lifecycle rule that aborts incomplete multipart uploads (after a day):
an upload whose abort itself failed (the store unreachable at that moment) is otherwise kept,
hidden, and billed.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlparse

import obstore
from obstore.store import S3Store

from fieldline_gateway.adapters.blob_store import (
    _OFFSET_DIGITS,
    _PHOTO_ID,
    _SHA256,
    _TOKEN,
    READ_BYTES,
    Assembled,
)

if TYPE_CHECKING:
    from obstore.store import ClientConfig, S3Config

# Each ranged GET of `read`: small enough to finish quickly whatever the client's pace.
RANGE_BYTES = 4 * 1024 * 1024
# The multipart upload of `assemble`: parts of 5 MiB (S3's least but the last), two in flight,
# so it holds about three parts in memory whatever the photo's size (at most 100 MiB).
PART_BYTES = 5 * 1024 * 1024
PARTS_IN_FLIGHT = 2
DELETE_BATCH = 1000  # DeleteObjects takes at most 1000 keys

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX_SEGMENT = re.compile(r"^[0-9A-Za-z._-]+$")


@dataclass(frozen=True)
class S3Location:
    """`s3://bucket[/prefix]`: the bucket and the key prefix (no slash at either end)."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        # The URL is not echoed: whatever was put into it wrongly may be a secret.
        parsed = urlparse(url)
        if parsed.scheme != "s3" or parsed.params or parsed.query or parsed.fragment:
            raise ValueError("expected s3://bucket[/prefix], without query or fragment")
        if "@" in parsed.netloc:
            raise ValueError("no credentials in the URL: they are settings of their own")
        if not _BUCKET.match(parsed.netloc) or ".." in parsed.netloc:
            raise ValueError(
                f"{parsed.netloc!r} is not a bucket name (3-63 lower-case letters, digits, dots, "
                "hyphens)"
            )
        prefix = parsed.path.strip("/")
        for segment in prefix.split("/") if prefix else ():
            if segment in (".", "..") or not _PREFIX_SEGMENT.match(segment):
                raise ValueError(
                    f"prefix {prefix!r}: segments of letters, digits, '.', '_' and '-' only"
                )
        return cls(parsed.netloc, prefix)


def endpoint_problem(endpoint: str) -> str | None:
    """What is wrong with a GATEWAY_S3_ENDPOINT (empty: AWS, nothing wrong)."""
    if not endpoint:
        return None
    parsed = urlparse(endpoint)
    if parsed.username or parsed.password or parsed.query or parsed.fragment:
        return "an address only: no credentials, query or fragment in it"
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return f"expected http(s)://host[:port], not {endpoint!r}"
    return None


class S3BlobStore:
    """The store in one bucket, under one prefix, of an S3-compatible object store."""

    def __init__(self, store: S3Store, *, describe: str = "") -> None:
        self._store = store
        self._describe = describe or repr(store)

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        region: str,
        endpoint: str = "",
        access_key_id: str = "",
        secret_access_key: str = "",
    ) -> S3BlobStore:
        """The store `url` names. Nothing is sent until the first operation."""
        location = S3Location.parse(url)
        wrong = endpoint_problem(endpoint)
        if wrong is not None:
            raise ValueError(f"S3 endpoint: {wrong}")
        if bool(access_key_id) != bool(secret_access_key):
            raise ValueError("S3 credentials: an access key id and its secret, or neither")
        config: S3Config = {}
        options: ClientConfig = {}
        if region:
            config["region"] = region
        if endpoint:
            config["endpoint"] = endpoint.rstrip("/")
            config["virtual_hosted_style_request"] = False
            options["allow_http"] = endpoint.startswith("http://")
        if access_key_id:
            config["access_key_id"] = access_key_id
            config["secret_access_key"] = secret_access_key
        store = S3Store(
            location.bucket,
            prefix=location.prefix or None,
            config=config,
            client_options=options,
        )
        where = f" at {endpoint}" if endpoint else f" in {region}"
        return cls(store, describe=f"S3BlobStore(s3://{location.bucket}/{location.prefix}{where})")

    def __repr__(self) -> str:
        return self._describe

    # ------------------------------------------------------------------ keys
    def staging_key(self, photo_id: str) -> str:
        if not _PHOTO_ID.match(photo_id):
            raise ValueError(f"not a photo id: {photo_id!r}")
        return f"staging/{photo_id}"

    def chunk_key(self, photo_id: str, offset: int) -> str:
        return f"{self.staging_key(photo_id)}/{offset:0{_OFFSET_DIGITS}d}"

    def blob_key(self, sha256: str) -> str:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def _assembled(self, photo_id: str, token: str) -> str:
        if not _TOKEN.match(token):
            raise ValueError(f"not a token: {token!r}")
        return f"{self.staging_key(photo_id)}/assembled-{token}"

    # ------------------------------------------------------------------ the port
    async def stage(self, photo_id: str, offset: int, data: bytes) -> None:
        if offset < 0:
            raise ValueError("negative offset")
        await obstore.put_async(
            self._store, self.chunk_key(photo_id, offset), data, use_multipart=False
        )

    async def assemble(self, photo_id: str, size: int, head_bytes: int) -> Assembled:
        token = uuid.uuid4().hex
        target = self._assembled(photo_id, token)
        join = _Join(self._store, lambda offset: self.chunk_key(photo_id, offset), size, head_bytes)
        if size <= 0:  # nothing to read: an empty object (a declaration is at least 1 byte)
            await obstore.put_async(self._store, target, b"", use_multipart=False)
        else:
            try:
                await obstore.put_async(
                    self._store,
                    target,
                    join.pieces(),
                    use_multipart=True,
                    chunk_size=PART_BYTES,
                    max_concurrency=PARTS_IN_FLIGHT,
                )
            except Exception:
                if not join.broken:
                    raise
                # The chunks did not join (a gap, the staging dropped, past the size): the
                # multipart upload was aborted, nothing assembled.
        whole = not join.broken and join.position == size
        return Assembled(photo_id, token, join.digest.hexdigest(), join.position, join.head, whole)

    async def promote(self, assembled: Assembled) -> bool:
        source = self._assembled(assembled.photo_id, assembled.token)
        target = self.blob_key(assembled.sha256)
        if not await self._exists(source):
            return False
        if not await self._exists(target):
            try:
                await obstore.copy_async(self._store, source, target)
            except FileNotFoundError:  # dropped meanwhile (a concurrent reset of the upload)
                return False
        await obstore.delete_async(self._store, source)
        return True

    async def drop_staged(self, photo_id: str) -> None:
        keys: list[str] = []
        async for batch in obstore.list(self._store, self.staging_key(photo_id) + "/"):
            keys.extend(meta["path"] for meta in batch)
        for start in range(0, len(keys), DELETE_BATCH):
            await obstore.delete_async(self._store, keys[start : start + DELETE_BATCH])

    async def size_of(self, sha256: str) -> int | None:
        try:
            meta = await obstore.head_async(self._store, self.blob_key(sha256))
        except FileNotFoundError:
            return None
        return meta["size"]

    async def read(self, sha256: str) -> AsyncGenerator[bytes, None]:
        key = self.blob_key(sha256)
        size = (await obstore.head_async(self._store, key))["size"]
        for start in range(0, size, RANGE_BYTES):
            end = min(start + RANGE_BYTES, size)
            chunk = memoryview(
                await obstore.get_range_async(self._store, key, start=start, end=end)
            )
            for at in range(0, len(chunk), READ_BYTES):
                yield bytes(chunk[at : at + READ_BYTES])

    # ------------------------------------------------------------------ helpers
    async def _exists(self, key: str) -> bool:
        try:
            await obstore.head_async(self._store, key)
        except FileNotFoundError:
            return False
        return True


class _Broken(Exception):
    """The staged chunks do not join into the size asked: stops (and aborts) the upload."""


class _Join:
    """The staged chunks of a photo read in order from offset 0, hashed as they pass on to
    the assembled object; `broken` when they did not join into exactly `size` bytes."""

    def __init__(
        self, store: S3Store, chunk_key: Callable[[int], str], size: int, head_bytes: int
    ) -> None:
        self._store = store
        self._chunk_key = chunk_key
        self._size = size
        self._head_bytes = head_bytes
        self.digest = hashlib.sha256()
        self.head = b""
        self.position = 0
        self.broken = False

    async def pieces(self) -> AsyncGenerator[bytes, None]:
        while self.position < self._size:
            start = self.position
            try:
                chunk = await obstore.get_async(self._store, self._chunk_key(start))
            except FileNotFoundError:
                # A chunk is missing (a gap), or the staging went (a concurrent reset or
                # completion dropped it).
                self._break()
            async for piece in chunk.stream(min_chunk_size=READ_BYTES):
                self.digest.update(piece)
                if len(self.head) < self._head_bytes:
                    self.head += bytes(piece[: self._head_bytes - len(self.head)])
                self.position += len(piece)
                yield piece
            if self.position == start:
                self._break()  # an empty chunk: never staged by `stage`
        if self.position != self._size:
            self._break()  # the chunks run past the size: nothing to keep

    def _break(self) -> NoReturn:
        self.broken = True
        raise _Broken
