"""Photos over real HTTP (docs/sync-protocol.md, *Photos*): declared, sent in chunks from the
offset the server holds, checked by hash and by magic bytes at the end, stored once by
content, and shown only to their employee, that employee's supervisor and administrators.
The blob store is the gateway's local disk (`<data_dir>/photos`), looked at directly."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline_gateway.adapters.blob_store import DiskBlobStore
from fieldline_kit.testing.auth import ADMIN, Caller
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats

from .gateway_harness import GatewaySystem, gateway_system

# Each test activates its own devices, all from 127.0.0.1: activation's per-address limit
# (10 a minute) is raised for this module; the photo limit is the default.
RATE_LIMITS = "sync=30,upload=60,photo=600,refresh=10,activate=1000"


@pytest_asyncio.fixture(scope="module", name="system")
async def system_fixture(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> AsyncIterator[GatewaySystem]:
    async with gateway_system(db_factory, nats_server, rate_limits=RATE_LIMITS) as system:
        yield system


MiB = 1024 * 1024
CHUNK = "application/offset+octet-stream"


def jpeg(size: int) -> bytes:
    """Bytes that start like a JPEG (the gateway checks magic bytes, not the whole file)."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(size - 11)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bearer(device: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {device['accessToken']}"}


def declaration(data: bytes, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "photoId": str(uuid.uuid4()),
        "sha256": sha(data),
        "size": len(data),
        "contentType": "image/jpeg",
        "kind": "audit",
        "documentId": str(uuid.uuid4()),
        "capturedAt": "2026-03-04T09:12:44Z",
        "location": {"lat": 56.8589, "lon": 35.9171, "accuracyM": 8},
    }
    body.update(changes)
    return body


def store_of(system: GatewaySystem) -> DiskBlobStore:
    return DiskBlobStore(Path(system.gateway.app.data_dir) / "photos")


def blobs_named(system: GatewaySystem, digest: str) -> list[Path]:
    return list((store_of(system).root / "sha256").rglob(digest))


class Device:
    """A device of one employee, speaking the photo protocol."""

    def __init__(self, system: GatewaySystem, tokens: dict[str, Any]) -> None:
        self.http = system.http
        self.headers = bearer(tokens)

    async def declare(self, body: dict[str, Any]) -> httpx.Response:
        return await self.http.post("/v1/photos", json=body, headers=self.headers)

    async def send(self, photo_id: str, offset: int, chunk: bytes) -> httpx.Response:
        return await self.http.patch(
            f"/v1/photos/{photo_id}/content",
            content=chunk,
            headers={**self.headers, "Content-Type": CHUNK, "Upload-Offset": str(offset)},
        )

    async def where(self, photo_id: str) -> httpx.Response:
        return await self.http.head(f"/v1/photos/{photo_id}/content", headers=self.headers)

    async def upload(self, data: bytes, **changes: Any) -> dict[str, Any]:
        """Declare and send `data` in chunks of at most 4 MiB: the declaration."""
        body = declaration(data, **changes)
        declared = await self.declare(body)
        assert declared.status_code == 201, declared.text
        offset = 0
        while offset < len(data):
            chunk = data[offset : offset + 4 * MiB]
            reply = await self.send(body["photoId"], offset, chunk)
            assert reply.status_code in (200, 204), reply.text
            offset += len(chunk)
        assert reply.status_code == 200
        assert reply.json()["status"] == "complete"
        return body


async def _team(system: GatewaySystem) -> tuple[Caller, Caller, Device]:
    boss = await system.employee(cpb.ROLE_SUPERVISOR)
    agent = await system.employee(cpb.ROLE_AGENT, boss)
    return boss, agent, Device(system, await system.device_of(boss, agent))


async def test_a_photo_sent_in_two_chunks_completes_and_reads_back(
    system: GatewaySystem,
) -> None:
    _boss, agent, device = await _team(system)
    data = jpeg(300_000)
    body = declaration(data)
    photo_id = body["photoId"]

    created = await device.declare(body)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "photoId": photo_id,
        "status": "uploading",
        "offset": 0,
        "chunkMaxBytes": 4 * MiB,
    }
    head = await device.where(photo_id)
    assert head.status_code == 200
    assert (head.headers["upload-offset"], head.headers["upload-length"]) == ("0", "300000")

    first = await device.send(photo_id, 0, data[:120_000])
    assert first.status_code == 204, first.text
    assert first.headers["upload-offset"] == "120000"
    assert (await device.where(photo_id)).headers["upload-offset"] == "120000"
    # Declared again (the app restarted): resume from where the server is.
    again = await device.declare(body)
    assert again.status_code == 200
    assert again.json()["status"] == "uploading"
    assert again.json()["offset"] == 120_000
    staging = store_of(system).staging_path(photo_id)
    assert staging.is_dir()

    last = await device.send(photo_id, 120_000, data[120_000:])
    assert last.status_code == 200, last.text
    assert last.json() == {"photoId": photo_id, "status": "complete", "sha256": sha(data)}
    assert (await device.where(photo_id)).headers["upload-offset"] == "300000"
    # Stored once under its hash, the staged chunks gone.
    [blob] = blobs_named(system, sha(data))
    assert blob == store_of(system).blob_path(sha(data))
    assert blob.relative_to(store_of(system).root).parts[:3] == (
        "sha256",
        sha(data)[:2],
        sha(data)[2:4],
    )
    assert blob.read_bytes() == data
    assert not staging.exists()

    shown = await system.http.get(f"/v1/photos/{photo_id}", headers=device.headers)
    assert shown.status_code == 200, shown.text
    photo = shown.json()
    assert photo["status"] == "complete"
    assert photo["employeeId"] == agent.subject
    assert (photo["size"], photo["offset"], photo["sha256"]) == (300_000, 300_000, sha(data))
    assert photo["documentId"] == body["documentId"]
    assert photo["completedAt"]
    content = await system.http.get(f"/v1/photos/{photo_id}/content", headers=device.headers)
    assert content.status_code == 200
    assert content.content == data
    assert content.headers["content-type"] == "image/jpeg"
    assert content.headers["etag"] == f'"{sha(data)}"'

    # A last chunk retried after its answer was lost: complete, nothing changes.
    retried = await device.send(photo_id, 120_000, data[120_000:])
    assert retried.status_code == 200
    assert retried.json()["status"] == "complete"
    # And the photo declared again: complete, nothing to send.
    done = await device.declare(body)
    assert (done.status_code, done.json()["status"]) == (200, "complete")


async def test_full_size_chunks_and_the_chunk_limit(system: GatewaySystem) -> None:
    _boss, _agent, device = await _team(system)
    data = jpeg(4 * MiB + 1000)
    body = declaration(data)
    assert (await device.declare(body)).status_code == 201
    too_big = await device.send(body["photoId"], 0, data[: 4 * MiB + 1])
    assert too_big.status_code == 413
    assert too_big.json()["code"] == "payload-too-large"
    far_too_big = await device.send(body["photoId"], 0, jpeg(5 * MiB))  # refused unread
    assert far_too_big.status_code == 413
    assert far_too_big.json()["code"] == "payload-too-large"
    assert (await device.where(body["photoId"])).headers["upload-offset"] == "0"
    full = await device.send(body["photoId"], 0, data[: 4 * MiB])
    assert full.status_code == 204, full.text
    past_the_end = await device.send(body["photoId"], 4 * MiB, data[4 * MiB :] + b"extra")
    assert past_the_end.status_code == 413
    rest = await device.send(body["photoId"], 4 * MiB, data[4 * MiB :])
    assert rest.status_code == 200, rest.text
    assert blobs_named(system, sha(data))[0].read_bytes() == data


async def test_a_chunk_retried_at_a_stale_offset_is_told_the_right_one(
    system: GatewaySystem,
) -> None:
    _boss, _agent, device = await _team(system)
    data = jpeg(200_000)
    body = declaration(data)
    await device.declare(body)
    assert (await device.send(body["photoId"], 0, data[:80_000])).status_code == 204
    # The answer was lost and the app sends the same chunk again.
    stale = await device.send(body["photoId"], 0, data[:80_000])
    assert stale.status_code == 409
    assert stale.json()["code"] == "offset-mismatch"
    assert stale.headers["upload-offset"] == "80000"
    assert stale.headers["content-type"].startswith("application/problem+json")
    ahead = await device.send(body["photoId"], 150_000, data[150_000:])
    assert (ahead.status_code, ahead.headers["upload-offset"]) == (409, "80000")
    # From the offset it was told, it finishes.
    done = await device.send(body["photoId"], 80_000, data[80_000:])
    assert done.status_code == 200, done.text
    assert blobs_named(system, sha(data))[0].read_bytes() == data


async def test_two_copies_of_a_chunk_at_once_count_once(system: GatewaySystem) -> None:
    _boss, _agent, device = await _team(system)
    data = jpeg(100_000)
    body = declaration(data)
    await device.declare(body)
    a, b = await asyncio.gather(
        device.send(body["photoId"], 0, data[:60_000]),
        device.send(body["photoId"], 0, data[:60_000]),
    )
    assert sorted([a.status_code, b.status_code]) == [204, 409]
    assert (await device.where(body["photoId"])).headers["upload-offset"] == "60000"
    # Two copies of the last chunk: both are told the photo is complete.
    c, d = await asyncio.gather(
        device.send(body["photoId"], 60_000, data[60_000:]),
        device.send(body["photoId"], 60_000, data[60_000:]),
    )
    assert [c.status_code, d.status_code] == [200, 200], (c.text, d.text)
    assert {c.json()["status"], d.json()["status"]} == {"complete"}
    assert blobs_named(system, sha(data))[0].read_bytes() == data
    assert not store_of(system).staging_path(body["photoId"]).exists()


async def test_the_same_bytes_under_another_photo_are_complete_at_once(
    system: GatewaySystem,
) -> None:
    _boss, _agent, device = await _team(system)
    data = jpeg(150_000)
    first = await device.upload(data, capturedAt="2026-03-04T09:00:00Z")
    # The same picture attached to another document: nothing to send.
    second = declaration(
        data,
        kind="visit",
        capturedAt="2026-03-04T10:30:00+03:00",
        location={"lat": 55.75, "lon": 37.61, "accuracyM": 20},
    )
    reply = await device.declare(second)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"photoId": second["photoId"], "status": "complete", "sha256": sha(data)}
    assert len(blobs_named(system, sha(data))) == 1
    content = await system.http.get(
        f"/v1/photos/{second['photoId']}/content", headers=device.headers
    )
    assert content.content == data
    # Each photo keeps its own capture data.
    one = (await system.http.get(f"/v1/photos/{first['photoId']}", headers=device.headers)).json()
    two = (await system.http.get(f"/v1/photos/{second['photoId']}", headers=device.headers)).json()
    assert (one["capturedAt"], one["kind"]) == ("2026-03-04T09:00:00Z", "audit")
    assert (two["capturedAt"], two["kind"]) == ("2026-03-04T10:30:00+03:00", "visit")
    assert two["location"] == {"lat": 55.75, "lon": 37.61, "accuracyM": 20.0}
    assert two["documentId"] == second["documentId"] != one["documentId"]
    # An upload begun before the bytes were stored elsewhere completes when declared again.
    other = jpeg(90_000)
    third = declaration(other)
    await device.declare(third)
    assert (await device.send(third["photoId"], 0, other[:30_000])).status_code == 204
    await device.upload(other)  # the same bytes, another photo, sent in full
    resumed = await device.declare(third)
    assert (resumed.status_code, resumed.json()["status"]) == (200, "complete")
    assert not store_of(system).staging_path(third["photoId"]).exists()
    assert len(blobs_named(system, sha(other))) == 1


async def test_a_checksum_mismatch_drops_the_bytes_and_starts_again(
    system: GatewaySystem,
) -> None:
    _boss, _agent, device = await _team(system)
    data = jpeg(100_000)
    body = declaration(data)
    await device.declare(body)
    assert (await device.send(body["photoId"], 0, data[:50_000])).status_code == 204
    corrupted = data[50_000:-1] + bytes([data[-1] ^ 0xFF])
    wrong = await device.send(body["photoId"], 50_000, corrupted)
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["code"] == "checksum-mismatch"
    assert wrong.headers["upload-offset"] == "0"
    assert (await device.where(body["photoId"])).headers["upload-offset"] == "0"
    assert not store_of(system).staging_path(body["photoId"]).exists()
    assert blobs_named(system, sha(data[:-1] + bytes([data[-1] ^ 0xFF]))) == []
    assert blobs_named(system, sha(data)) == []
    # Sent again from 0: complete.
    assert (await device.send(body["photoId"], 50_000, data[50_000:])).status_code == 409
    assert (await device.send(body["photoId"], 0, data[:70_000])).status_code == 204
    done = await device.send(body["photoId"], 70_000, data[70_000:])
    assert done.status_code == 200, done.text
    assert blobs_named(system, sha(data))[0].read_bytes() == data


async def test_bytes_that_are_not_an_image_are_refused(system: GatewaySystem) -> None:
    _boss, _agent, device = await _team(system)
    text = b"this is a letter, not a picture\n" * 100
    body = declaration(text)
    await device.declare(body)
    refused = await device.send(body["photoId"], 0, text)
    assert refused.status_code == 422
    assert refused.json()["code"] == "not-an-image"
    assert (await device.where(body["photoId"])).headers["upload-offset"] == "0"
    assert blobs_named(system, sha(text)) == []
    # A PNG declared as a JPEG is refused too, naming what it is.
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(5000)
    mislabeled = declaration(png)
    await device.declare(mislabeled)
    reply = await device.send(mislabeled["photoId"], 0, png)
    assert reply.status_code == 422
    assert reply.json()["code"] == "not-an-image"
    assert "image/png" in reply.json()["detail"]
    # Declared as what it is, it is stored.
    await device.upload(png, contentType="image/png")
    webp = b"RIFF\x00\x00\x00\x00WEBPVP8 " + os.urandom(3000)
    await device.upload(webp, contentType="image/webp")
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + os.urandom(3000)
    body = await device.upload(heic, contentType="image/heic")
    content = await system.http.get(f"/v1/photos/{body['photoId']}/content", headers=device.headers)
    assert content.headers["content-type"] == "image/heic"


async def test_what_a_declaration_and_a_chunk_must_be(system: GatewaySystem) -> None:
    _boss, _agent, device = await _team(system)
    oversized = await device.declare(declaration(b"x", size=15 * MiB + 1))
    assert oversized.status_code == 413
    assert (oversized.json()["code"], oversized.json()["field"]) == ("payload-too-large", "size")
    assert (await device.declare(declaration(b"x", size=15 * MiB))).status_code == 201
    for changes, field in [
        ({"kind": "selfie"}, "kind"),
        ({"contentType": "image/gif"}, "contentType"),
        ({"sha256": "nothex"}, "sha256"),
        ({"capturedAt": "2026-03-04T09:12:44"}, "capturedAt"),  # no offset
        ({"location": {"lat": 91, "lon": 0}}, "location.lat"),
        ({"surprise": True}, None),  # unknown fields are refused
    ]:
        reply = await device.declare(declaration(b"x", **changes))
        assert reply.status_code == 400, (changes, reply.text)
        assert reply.json()["code"] == "invalid-request"
        if field:
            assert reply.json()["field"] == field, reply.json()
    data = jpeg(1000)
    body = declaration(data)
    await device.declare(body)
    conflict = await device.declare({**body, "sha256": sha(b"other")})
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "photo-conflict"
    conflict = await device.declare({**body, "size": 1001})
    assert conflict.json()["code"] == "photo-conflict"
    plain = await system.http.patch(
        f"/v1/photos/{body['photoId']}/content",
        content=data,
        headers={**device.headers, "Content-Type": "image/jpeg", "Upload-Offset": "0"},
    )
    assert (plain.status_code, plain.json()["code"]) == (415, "unsupported-media-type")
    no_offset = await system.http.patch(
        f"/v1/photos/{body['photoId']}/content",
        content=data,
        headers={**device.headers, "Content-Type": CHUNK},
    )
    assert (no_offset.status_code, no_offset.json()["field"]) == (400, "Upload-Offset")
    # Not complete yet: no content to download.
    early = await system.http.get(f"/v1/photos/{body['photoId']}/content", headers=device.headers)
    assert (early.status_code, early.json()["code"]) == (422, "failed-precondition")
    unknown = await device.where(str(uuid.uuid4()))
    assert unknown.status_code == 404


async def test_capture_time_and_place_are_kept_as_the_device_gave_them(
    system: GatewaySystem,
) -> None:
    _boss, _agent, device = await _team(system)
    data = jpeg(5000)
    location = {"lat": 56.858912345678901, "lon": -35.917134567891234, "accuracyM": 8.25}
    body = await device.upload(
        data, capturedAt="2026-03-04T12:12:44.123456+03:00", location=location
    )
    photo = (await system.http.get(f"/v1/photos/{body['photoId']}", headers=device.headers)).json()
    assert photo["capturedAt"] == "2026-03-04T12:12:44.123456+03:00"
    assert photo["location"] == location
    # The time the gateway received it is kept beside, not in place of it.
    received = datetime.fromisoformat(photo["receivedAt"].replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - received) < timedelta(minutes=5)
    # No fix: no location, nothing made up.
    bare = declaration(jpeg(3000), capturedAt="2026-03-04T06:00:00-05:30")
    del bare["location"]
    assert (await device.declare(bare)).status_code == 201
    shown = (await system.http.get(f"/v1/photos/{bare['photoId']}", headers=device.headers)).json()
    assert shown["capturedAt"] == "2026-03-04T06:00:00-05:30"
    assert "location" not in shown


async def test_a_photo_may_come_before_its_document(system: GatewaySystem) -> None:
    _boss, _agent, device = await _team(system)
    never_sent = "doc-" + uuid.uuid4().hex  # no document with this id exists anywhere
    body = await device.upload(jpeg(2000), documentId=never_sent, kind="outlet")
    photo = (await system.http.get(f"/v1/photos/{body['photoId']}", headers=device.headers)).json()
    assert (photo["documentId"], photo["status"]) == (never_sent, "complete")


async def test_another_agent_is_told_the_photo_does_not_exist(system: GatewaySystem) -> None:
    boss, _agent, device = await _team(system)
    colleague = await system.employee(cpb.ROLE_AGENT, boss)
    other = Device(system, await system.device_of(boss, colleague))
    data = jpeg(60_000)
    body = declaration(data)
    await device.declare(body)
    assert (await device.send(body["photoId"], 0, data[:20_000])).status_code == 204
    photo_id = body["photoId"]
    for reply in [
        await other.where(photo_id),
        await other.send(photo_id, 20_000, data[20_000:]),
        await system.http.get(f"/v1/photos/{photo_id}", headers=other.headers),
    ]:
        assert reply.status_code == 404, reply.text
    assert (await device.send(photo_id, 20_000, data[20_000:])).status_code == 200
    # Answered exactly as a photo that does not exist.
    nowhere = str(uuid.uuid4())
    for path in ("/v1/photos/{}", "/v1/photos/{}/content"):
        reply = await system.http.get(path.format(photo_id), headers=other.headers)
        missing = await system.http.get(path.format(nowhere), headers=other.headers)
        assert reply.status_code == missing.status_code == 404
        assert reply.json()["code"] == missing.json()["code"] == "not-found"
        assert reply.json()["detail"] == missing.json()["detail"].replace(nowhere, photo_id)
    # Its id cannot be taken over either.
    taken = await other.declare(body)
    assert (taken.status_code, taken.json()["code"]) == (409, "photo-conflict")
    # Nobody without a token sees anything.
    anonymous = await system.http.get(f"/v1/photos/{photo_id}")
    assert anonymous.status_code == 401
    # Uploads take a device's token, not a back-office one.
    back_office = await system.http.post(
        "/v1/photos", json=declaration(data), headers=system.management(ADMIN)
    )
    assert back_office.status_code == 401


async def test_knowing_another_employees_hash_is_not_enough_to_get_the_photo(
    system: GatewaySystem,
) -> None:
    boss, _agent, device = await _team(system)
    colleague = await system.employee(cpb.ROLE_AGENT, boss)
    other = Device(system, await system.device_of(boss, colleague))
    data = jpeg(70_000)
    await device.upload(data)
    # The colleague declares the same hash and size: it must send the bytes itself.
    copy = declaration(data)
    reply = await other.declare(copy)
    assert reply.status_code == 201, reply.text
    assert reply.json()["status"] == "uploading"
    assert (await other.send(copy["photoId"], 0, data)).status_code == 200
    assert len(blobs_named(system, sha(data))) == 1  # still stored once


async def test_the_agents_supervisor_and_an_admin_read_another_supervisor_does_not(
    system: GatewaySystem,
) -> None:
    boss, _agent, device = await _team(system)
    stranger = await system.employee(cpb.ROLE_SUPERVISOR)
    data = jpeg(40_000)
    body = await device.upload(data)
    photo_id = body["photoId"]
    for caller in (boss, ADMIN):
        shown = await system.http.get(f"/v1/photos/{photo_id}", headers=system.management(caller))
        assert shown.status_code == 200, shown.text
        assert shown.json()["photoId"] == photo_id
        content = await system.http.get(
            f"/v1/photos/{photo_id}/content", headers=system.management(caller)
        )
        assert content.content == data
    # The supervisor's own device token works the same.
    boss_device = Device(system, await system.device_of(boss, boss))
    shown = await system.http.get(f"/v1/photos/{photo_id}", headers=boss_device.headers)
    assert shown.status_code == 200, shown.text
    # …but uploads are the agent's alone.
    assert (await boss_device.where(photo_id)).status_code == 404
    for path in (f"/v1/photos/{photo_id}", f"/v1/photos/{photo_id}/content"):
        refused = await system.http.get(path, headers=system.management(stranger))
        assert (refused.status_code, refused.json()["code"]) == (404, "not-found")


async def test_the_operations_are_in_the_openapi(system: GatewaySystem) -> None:
    schema = (await system.http.get("/schema/openapi.json")).json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {
        "createPhotoUpload",
        "getPhotoUploadOffset",
        "appendPhotoContent",
        "getPhoto",
        "downloadPhoto",
    } <= operations


# ---------------------------------------------------------------------- the disk store alone
async def test_the_disk_store_joins_chunks_and_keeps_a_blob_once(tmp_path: Path) -> None:
    store = DiskBlobStore(tmp_path)
    data = jpeg(10_000)
    photo = str(uuid.uuid4())
    await store.stage(photo, 0, data[:4000])
    await store.stage(photo, 4000, data[4000:])
    joined = await store.assemble(photo, len(data), 16)
    assert (joined.whole, joined.sha256, joined.size, joined.head) == (
        True,
        sha(data),
        len(data),
        data[:16],
    )
    assert await store.size_of(sha(data)) is None
    assert await store.promote(joined)
    assert await store.size_of(sha(data)) == len(data)
    # The same bytes from another photo: the blob is kept, the copy goes.
    twin = str(uuid.uuid4())
    await store.stage(twin, 0, data)
    again = await store.assemble(twin, len(data), 16)
    assert await store.promote(again)
    assert [p for p in (tmp_path / "sha256").rglob("*") if p.is_file()] == [
        store.blob_path(sha(data))
    ]
    assert b"".join([piece async for piece in store.read(sha(data))]) == data
    await store.drop_staged(photo)
    await store.drop_staged(twin)
    assert list((tmp_path / "staging").iterdir()) == []
    # No temporary file is left anywhere.
    assert list(tmp_path.rglob("*.tmp")) == []  # noqa: ASYNC240 - a test's own tmp_path


async def test_the_disk_store_reports_a_gap_and_a_dropped_upload(tmp_path: Path) -> None:
    store = DiskBlobStore(tmp_path)
    photo = str(uuid.uuid4())
    await store.stage(photo, 0, b"a" * 100)
    await store.stage(photo, 150, b"b" * 50)  # 100..150 never arrived
    gap = await store.assemble(photo, 200, 8)
    assert (gap.whole, gap.size) == (False, 100)
    short = await store.assemble(photo, 99, 8)  # the chunks run past the size asked
    assert short.whole is False
    await store.drop_staged(photo)
    gone = await store.assemble(photo, 200, 8)
    assert (gone.whole, gone.size) == (False, 0)
    assert not await store.promote(gone)
    assert not store.staging_path(photo).exists()
    for bad in ("../x", "a/b", ""):
        try:
            await store.stage(bad, 0, b"x")
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted as a photo id")
