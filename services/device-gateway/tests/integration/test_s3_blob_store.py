"""The blob store's two adapters answer alike (adapters/blob_store.py, adapters/s3_blob_store.py):
each behaviour below runs on the local disk and on an S3-compatible server, moto's, in this
process on a free port of 127.0.0.1 (a real HTTP endpoint, signed requests, multipart uploads).
Then one photo goes through the gateway with GATEWAY_BLOB_URL=s3://…: the settings, the
bootstrap and the photos use case on the S3 store."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import obstore
import pytest
import pytest_asyncio
from moto.server import ThreadedMotoServer
from obstore.store import S3Store

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline_gateway.adapters.blob_store import BlobStore, DiskBlobStore
from fieldline_gateway.adapters.s3_blob_store import S3BlobStore
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats

from .gateway_harness import GatewaySystem, gateway_system

MiB = 1024 * 1024
BUCKET = "fieldline-photos"
REGION = "us-east-1"
# moto accepts any credentials; they are given so that requests are signed as in production.
CREDENTIALS = {"access_key_id": "test-key-id", "secret_access_key": "test-secret"}


@dataclass(frozen=True)
class MotoS3:
    endpoint: str

    def store(self, prefix: str) -> S3Store:
        """A plain obstore client on `prefix` of the bucket: what the test looks at."""
        return S3Store(
            BUCKET,
            prefix=prefix,
            endpoint=self.endpoint,
            region=REGION,
            client_options={"allow_http": True},
            **CREDENTIALS,
        )

    def pending_uploads(self) -> str:
        """The bucket's incomplete multipart uploads (ListMultipartUploads, as XML)."""
        return httpx.get(f"{self.endpoint}/{BUCKET}?uploads").text


@pytest.fixture(scope="module")
def moto_s3() -> Iterator[MotoS3]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        created = httpx.put(f"{endpoint}/{BUCKET}")
        assert created.status_code == 200, created.text
        yield MotoS3(endpoint)
    finally:
        server.stop()


@dataclass
class Store:
    """An adapter under test and a way to see every object it keeps."""

    blobs: BlobStore
    keys: Callable[[], Awaitable[set[str]]]  # every object's key, relative to the root
    kind: str


@pytest_asyncio.fixture(params=["disk", "s3"], name="store")
async def store_fixture(
    request: pytest.FixtureRequest, tmp_path: Path, moto_s3: MotoS3
) -> AsyncIterator[Store]:
    if request.param == "disk":

        async def disk_keys() -> set[str]:
            return files_under(tmp_path)

        yield Store(DiskBlobStore(tmp_path), disk_keys, "disk")
        return
    prefix = f"test-{uuid.uuid4().hex[:12]}/photos"
    blobs = S3BlobStore.connect(
        f"s3://{BUCKET}/{prefix}", region=REGION, endpoint=moto_s3.endpoint, **CREDENTIALS
    )
    plain = moto_s3.store(prefix)

    async def s3_keys() -> set[str]:
        return {meta["path"] async for batch in obstore.list(plain) for meta in batch}

    yield Store(blobs, s3_keys, "s3")


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def jpeg(size: int) -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(size - 11)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_key(digest: str) -> str:
    return f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"


async def stage_all(blobs: BlobStore, photo_id: str, data: bytes, chunk: int) -> None:
    for offset in range(0, len(data), chunk):
        await blobs.stage(photo_id, offset, data[offset : offset + chunk])


async def read_all(blobs: BlobStore, digest: str) -> bytes:
    async with contextlib.aclosing(blobs.read(digest)) as pieces:
        return b"".join([piece async for piece in pieces])


# ---------------------------------------------------------------------- both adapters
async def test_chunks_join_into_a_blob_that_reads_back(store: Store) -> None:
    # Larger than one part of the multipart upload (5 MiB) and one ranged read (4 MiB).
    data = jpeg(9 * MiB + 12_345)
    photo = str(uuid.uuid4())
    await stage_all(store.blobs, photo, data, 4 * MiB)
    assert await store.keys() == {
        f"staging/{photo}/{offset:012d}" for offset in (0, 4 * MiB, 8 * MiB)
    }

    joined = await store.blobs.assemble(photo, len(data), 16)
    assert (joined.whole, joined.sha256, joined.size, joined.head) == (
        True,
        sha(data),
        len(data),
        data[:16],
    )
    assert await store.blobs.size_of(sha(data)) is None  # not a blob until promoted
    assert await store.blobs.promote(joined)
    assert await store.blobs.size_of(sha(data)) == len(data)
    assert await read_all(store.blobs, sha(data)) == data
    async with contextlib.aclosing(store.blobs.read(sha(data))) as pieces:
        assert max([len(piece) async for piece in pieces]) <= 256 * 1024  # read in pieces

    await store.blobs.drop_staged(photo)
    assert await store.keys() == {blob_key(sha(data))}


async def test_the_same_bytes_promoted_twice_are_one_blob(store: Store) -> None:
    data = jpeg(50_000)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    for photo in (first, second):
        await stage_all(store.blobs, photo, data, 20_000)
        assert await store.blobs.promote(await store.blobs.assemble(photo, len(data), 8))
        await store.blobs.drop_staged(photo)
    assert await store.keys() == {blob_key(sha(data))}
    assert await store.blobs.size_of(sha(data)) == len(data)
    assert await read_all(store.blobs, sha(data)) == data


async def test_a_gap_is_not_whole_and_leaves_nothing_assembled(
    store: Store, moto_s3: MotoS3
) -> None:
    photo = str(uuid.uuid4())
    await store.blobs.stage(photo, 0, b"a" * 100)
    await store.blobs.stage(photo, 150, b"b" * 50)  # 100..150 never arrived
    gap = await store.blobs.assemble(photo, 200, 8)
    assert (gap.whole, gap.size, gap.head) == (False, 100, b"a" * 8)
    assert not await store.blobs.promote(gap)
    assert await store.keys() == {f"staging/{photo}/{0:012d}", f"staging/{photo}/{150:012d}"}
    if store.kind == "s3":  # the multipart upload was aborted, not left behind
        assert f"{photo}/assembled-" not in moto_s3.pending_uploads()


async def test_chunks_past_the_size_are_not_whole(store: Store) -> None:
    photo = str(uuid.uuid4())
    await store.blobs.stage(photo, 0, b"a" * 100)
    short = await store.blobs.assemble(photo, 99, 8)
    assert (short.whole, short.size) == (False, 100)
    assert not await store.blobs.promote(short)
    await store.blobs.stage(photo, 100, b"b" * 100)
    over = await store.blobs.assemble(photo, 150, 8)  # the second chunk runs past 150
    assert (over.whole, over.size) == (False, 200)
    assert await store.keys() == {f"staging/{photo}/{0:012d}", f"staging/{photo}/{100:012d}"}


async def test_a_dropped_upload_assembles_nothing_and_promotes_nothing(store: Store) -> None:
    data = jpeg(30_000)
    photo = str(uuid.uuid4())
    await stage_all(store.blobs, photo, data, 10_000)
    joined = await store.blobs.assemble(photo, len(data), 8)
    assert joined.whole
    # A concurrent reset of the upload drops its staging, the assembled object with it.
    await store.blobs.drop_staged(photo)
    assert not await store.blobs.promote(joined)
    assert await store.blobs.size_of(sha(data)) is None
    gone = await store.blobs.assemble(photo, len(data), 8)
    assert (gone.whole, gone.size, gone.head) == (False, 0, b"")
    assert await store.keys() == set()


async def test_drop_staged_removes_every_chunk_and_assembled_object(store: Store) -> None:
    photo, other = str(uuid.uuid4()), str(uuid.uuid4())
    await stage_all(store.blobs, photo, b"x" * 3000, 1000)
    await store.blobs.assemble(photo, 3000, 8)
    await store.blobs.assemble(photo, 3000, 8)  # two assembled objects, neither promoted
    await store.blobs.stage(other, 0, b"y" * 10)
    assert len([k for k in await store.keys() if k.startswith(f"staging/{photo}/")]) == 5
    await store.blobs.drop_staged(photo)
    await store.blobs.drop_staged(str(uuid.uuid4()))  # nothing staged: nothing to do
    assert await store.keys() == {f"staging/{other}/{0:012d}"}


async def test_an_unknown_blob_has_no_size_and_cannot_be_read(store: Store) -> None:
    unknown = sha(b"never stored")
    assert await store.blobs.size_of(unknown) is None
    with pytest.raises(FileNotFoundError):
        await read_all(store.blobs, unknown)


async def test_photo_ids_hashes_and_offsets_are_checked(store: Store) -> None:
    for bad in ("../x", "a/b", "", "x" * 65, "a b"):
        with pytest.raises(ValueError):
            await store.blobs.stage(bad, 0, b"x")
        with pytest.raises(ValueError):
            await store.blobs.assemble(bad, 1, 8)
        with pytest.raises(ValueError):
            await store.blobs.drop_staged(bad)
    for bad in ("", "../" + "a" * 61, "A" * 64, "a" * 63):
        with pytest.raises(ValueError):
            await store.blobs.size_of(bad)
        with pytest.raises(ValueError):
            await read_all(store.blobs, bad)
    with pytest.raises(ValueError):
        await store.blobs.stage(str(uuid.uuid4()), -1, b"x")
    assert await store.keys() == set()


# ---------------------------------------------------------------------- through the gateway
@pytest_asyncio.fixture(scope="module", name="s3_system")
async def s3_system_fixture(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats, moto_s3: MotoS3
) -> AsyncIterator[tuple[GatewaySystem, S3Store]]:
    prefix = f"gateway-{uuid.uuid4().hex[:12]}"
    async with gateway_system(
        db_factory,
        nats_server,
        blob_url=f"s3://{BUCKET}/{prefix}",
        s3_endpoint=moto_s3.endpoint,
        s3_region=REGION,
        s3_access_key_id=CREDENTIALS["access_key_id"],
        s3_secret_access_key=CREDENTIALS["secret_access_key"],
    ) as system:
        yield system, moto_s3.store(prefix)


async def test_a_photo_sent_to_the_gateway_is_stored_in_the_bucket(
    s3_system: tuple[GatewaySystem, S3Store],
) -> None:
    system, bucket = s3_system
    boss = await system.employee(cpb.ROLE_SUPERVISOR)
    agent = await system.employee(cpb.ROLE_AGENT, boss)
    device = await system.device_of(boss, agent)
    headers = {"Authorization": f"Bearer {device['accessToken']}"}
    data = jpeg(5 * MiB + 100)
    photo_id = str(uuid.uuid4())
    declared = await system.http.post(
        "/v1/photos",
        json={
            "photoId": photo_id,
            "sha256": sha(data),
            "size": len(data),
            "contentType": "image/jpeg",
            "kind": "audit",
            "documentId": str(uuid.uuid4()),
            "capturedAt": "2026-03-04T09:12:44Z",
            "location": {"lat": 56.8589, "lon": 35.9171, "accuracyM": 8},
        },
        headers=headers,
    )
    assert declared.status_code == 201, declared.text
    for offset in (0, 4 * MiB):
        sent = await system.http.patch(
            f"/v1/photos/{photo_id}/content",
            content=data[offset : offset + 4 * MiB],
            headers={
                **headers,
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(offset),
            },
        )
        assert sent.status_code in (200, 204), sent.text
    assert sent.json()["status"] == "complete"

    keys = {meta["path"] async for batch in obstore.list(bucket) for meta in batch}
    assert keys == {blob_key(sha(data))}  # the blob, and no staged chunk left
    shown = await system.http.get(f"/v1/photos/{photo_id}/content", headers=headers)
    assert shown.status_code == 200
    assert shown.content == data
