"""The photo rules: what counts as an image by its first bytes, which declarations and chunks
are refused and why, and who may see a photo (domain/photos.py)."""

from __future__ import annotations

import dataclasses
import struct
from datetime import UTC, datetime, timedelta, timezone

import pytest

from fieldline_gateway.domain.photos import (
    CHUNK_MAX_BYTES,
    Declaration,
    ImageType,
    Location,
    Photo,
    PhotoStatus,
    chunk_problem,
    declaration_problem,
    image_problem,
    may_read,
    sniff,
)
from fieldline_kit.roles import ADMIN, AGENT, SUPERVISOR

MAX = 15 * 1024 * 1024


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = b"ftyp" + major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 4 + len(body)) + body + b"\x00\x00\x00\x08meta"


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (JPEG, ImageType.JPEG),
        (PNG, ImageType.PNG),
        (WEBP, ImageType.WEBP),
        (ftyp(b"heic", b"mif1", b"heic"), ImageType.HEIC),
        (ftyp(b"heix", b"mif1"), ImageType.HEIC),
        (ftyp(b"mif1", b"mif1", b"heic"), ImageType.HEIC),  # generic brand, HEVC compatible
        (ftyp(b"mif1", b"mif1", b"avif"), None),  # AVIF is not on the list
        (ftyp(b"avif", b"mif1", b"miaf"), None),
        (ftyp(b"isom", b"mp41"), None),  # an MP4 video
        (b"GIF89a" + b"\x00" * 20, None),
        (b"%PDF-1.7\n", None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),  # RIFF, but audio
        (b"\xff\xd8", None),  # too short to be a JPEG
        (b"", None),
        (b"hello, this is text and not a picture at all", None),
    ],
)
def test_an_image_is_known_by_its_first_bytes(head: bytes, expected: ImageType | None) -> None:
    assert sniff(head) is expected


def test_the_declared_type_must_be_what_the_bytes_are() -> None:
    assert image_problem(JPEG, "image/jpeg") is None
    assert image_problem(JPEG, "image/jpg") is None
    assert image_problem(ftyp(b"heic"), "image/heif") is None  # one family
    assert image_problem(JPEG, "image/png") == "the content is image/jpeg, declared image/png"
    assert "not a JPEG, PNG, WebP or HEIC" in (image_problem(b"text", "image/jpeg") or "")


def declaration(**changes: object) -> Declaration:
    base = Declaration(
        photo_id="0f8fad5b-d9cb-469f-a165-70867728950e",
        sha256="a" * 64,
        size=1000,
        content_type="image/jpeg",
        kind="audit",
        document_id="doc-1",
        captured_at=datetime(2026, 3, 4, 12, 12, 44, tzinfo=timezone(timedelta(hours=3))),
        location=Location(56.8589, 35.9171, 8.0),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_a_sound_declaration_passes() -> None:
    assert declaration_problem(declaration(), MAX) is None
    assert declaration_problem(declaration(location=None, size=MAX), MAX) is None
    assert declaration_problem(declaration(location=Location(-90, 180, None)), MAX) is None


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"photo_id": "../../etc/passwd"}, "invalid-request", "photoId"),
        ({"photo_id": "short"}, "invalid-request", "photoId"),
        ({"sha256": "A" * 64}, "invalid-request", "sha256"),
        ({"sha256": "a" * 63}, "invalid-request", "sha256"),
        ({"size": 0}, "invalid-request", "size"),
        ({"size": MAX + 1}, "payload-too-large", "size"),
        ({"content_type": "image/gif"}, "invalid-request", "contentType"),
        ({"kind": "selfie"}, "invalid-request", "kind"),
        ({"captured_at": datetime(2026, 3, 4, 12, 0)}, "invalid-request", "capturedAt"),
        ({"location": Location(90.5, 0)}, "invalid-request", "location.lat"),
        ({"location": Location(0, -180.01)}, "invalid-request", "location.lon"),
        ({"location": Location(0, 0, -1)}, "invalid-request", "location.accuracyM"),
        ({"location": Location(float("nan"), 0)}, "invalid-request", "location.lat"),
    ],
)
def test_a_declaration_is_refused_naming_the_field(
    changes: dict[str, object], code: str, field: str
) -> None:
    refused = declaration_problem(declaration(**changes), MAX)
    assert refused is not None
    assert (refused[0], refused[2]) == (code, field)


def uploading(offset: int, size: int) -> Photo:
    d = declaration(size=size)
    return Photo(
        photo_id=d.photo_id,
        employee_id="e-1",
        device_id="dev-1",
        sha256=d.sha256,
        size=size,
        content_type=d.content_type,
        kind=d.kind,
        document_id=d.document_id,
        captured_at=d.captured_at,
        location=d.location,
        offset=offset,
        status=PhotoStatus.UPLOADING,
        created_at=datetime.now(UTC),
        completed_at=None,
    )


def test_chunks() -> None:
    photo = uploading(100, 10 * 1024 * 1024)
    assert chunk_problem(photo, 100, 50) is None
    assert chunk_problem(photo, 100, CHUNK_MAX_BYTES) is None
    assert chunk_problem(photo, 0, 50) == (
        "offset-mismatch",
        "the upload is at offset 100, not 0",
    )
    assert chunk_problem(photo, 150, 50) is not None  # ahead is as wrong as behind
    assert chunk_problem(photo, 100, CHUNK_MAX_BYTES + 1) == (
        "payload-too-large",
        f"a chunk holds at most {CHUNK_MAX_BYTES} bytes",
    )
    small = uploading(100, 120)
    assert chunk_problem(small, 100, 20) is None
    refused = chunk_problem(small, 100, 21)
    assert refused is not None and refused[0] == "payload-too-large"
    empty = chunk_problem(small, 100, 0)
    assert empty is not None and empty[0] == "invalid-request"


def test_a_redeclaration_resumes_only_with_the_same_bytes() -> None:
    photo = uploading(0, 1000)
    assert photo.declared_as(declaration(size=1000))
    # capture data may differ (the app re-read its record): the bytes decide
    assert photo.declared_as(declaration(size=1000, kind="visit", location=None))
    assert not photo.declared_as(declaration(size=1001))
    assert not photo.declared_as(declaration(size=1000, sha256="b" * 64))


@pytest.mark.parametrize(
    ("employee", "subject", "roles", "supervisor", "allowed"),
    [
        (True, "e-1", {AGENT}, None, True),  # the photo's own employee
        (True, "e-2", {AGENT}, None, False),  # another agent
        (True, "e-2", {AGENT}, "e-2", False),  # named as supervisor but no role
        (True, "boss", {SUPERVISOR}, "boss", True),  # the team's supervisor
        (True, "boss-2", {SUPERVISOR}, "boss", False),  # another team's
        (True, "boss-2", {SUPERVISOR}, None, False),  # no supervisor known
        (True, "boss-2", {SUPERVISOR}, "", False),
        (True, "root", {ADMIN}, None, True),
        (False, "svc:orders", {ADMIN}, None, True),  # an administrator service
        (False, "e-1", {AGENT}, None, False),  # not an employee, whatever its subject
    ],
)
def test_who_sees_a_photo(
    employee: bool, subject: str, roles: set[str], supervisor: str | None, allowed: bool
) -> None:
    assert may_read(employee, subject, frozenset(roles), "e-1", supervisor) is allowed
