"""Photos: what a declaration must hold, how an upload moves, what counts as an image and who
may see a photo. The rules only, no I/O. docs/contexts/device-gateway.md, *Photos*;
docs/sync-protocol.md, *Photos*.

    declared again, same sha256 and size      the photo as it stands (resume from its offset)
    declared again, other sha256 or size      photo-conflict
    chunk at another offset than stored       offset-mismatch (Upload-Offset: the stored one)
    chunk > 4 MiB, or past the declared size  payload-too-large
    at size: hash ≠ sha256                    checksum-mismatch, staged bytes dropped, offset 0
    at size: not JPEG/PNG/WebP/HEIC           not-an-image, staged bytes dropped, offset 0
    at size: all well                         complete (the blob stored once by its hash)

The capture time and place are the device's, kept as given (the offset of `capturedAt`
included); the time the gateway received the declaration is kept beside them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fieldline_kit.roles import ADMIN, SUPERVISOR

CHUNK_MAX_BYTES = 4 * 1024 * 1024
KINDS = frozenset({"audit", "visit", "outlet", "equipment", "delivery"})
# A photo id names a folder of the blob store: a device-made UUID, nothing else.
PHOTO_ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PhotoStatus(StrEnum):
    UPLOADING = "uploading"
    COMPLETE = "complete"


class ImageType(StrEnum):
    JPEG = "image/jpeg"
    PNG = "image/png"
    WEBP = "image/webp"
    HEIC = "image/heic"


# What a device may declare as `contentType` → the image type it names.
CONTENT_TYPES: dict[str, ImageType] = {
    "image/jpeg": ImageType.JPEG,
    "image/jpg": ImageType.JPEG,
    "image/png": ImageType.PNG,
    "image/webp": ImageType.WEBP,
    "image/heic": ImageType.HEIC,
    "image/heif": ImageType.HEIC,
    "image/heic-sequence": ImageType.HEIC,
    "image/heif-sequence": ImageType.HEIC,
}

# ISO BMFF brands of HEIF images coded with HEVC (what phones write). `mif1`/`msf1` are the
# generic HEIF brands, also used by AVIF: they count only with an HEVC brand among the
# compatible ones.
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"})
_HEIF_GENERIC = frozenset({b"mif1", b"msf1"})
# Bytes of the start of a file that `sniff` needs at most.
HEAD_BYTES = 256


def sniff(head: bytes) -> ImageType | None:
    """The image type the first bytes of a file announce (JPEG, PNG, WebP, HEIC), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return ImageType.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ImageType.PNG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ImageType.WEBP
    if len(head) >= 12 and head[4:8] == b"ftyp":
        box = int.from_bytes(head[:4], "big")
        major = head[8:12]
        if major in _HEIC_BRANDS:
            return ImageType.HEIC
        if major in _HEIF_GENERIC and box >= 16:
            # size, 'ftyp', major brand, minor version, then the compatible brands
            compatible = head[16 : min(box, len(head))]
            brands = {compatible[i : i + 4] for i in range(0, len(compatible) - 3, 4)}
            if brands & _HEIC_BRANDS:
                return ImageType.HEIC
    return None


def image_problem(head: bytes, declared: str) -> str | None:
    """Why these bytes are not the image declared, or None when they are."""
    found = sniff(head)
    if found is None:
        return "the content is not a JPEG, PNG, WebP or HEIC image"
    expected = CONTENT_TYPES.get(declared)
    if found is not expected:
        return f"the content is {found.value}, declared {declared}"
    return None


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    accuracy_m: float | None = None


@dataclass(frozen=True)
class Declaration:
    """`POST /v1/photos` as the device sent it."""

    photo_id: str
    sha256: str
    size: int
    content_type: str
    kind: str
    document_id: str
    captured_at: datetime  # with the device's offset
    location: Location | None


@dataclass(frozen=True)
class Photo:
    photo_id: str
    employee_id: str
    device_id: str
    sha256: str
    size: int
    content_type: str
    kind: str
    document_id: str
    captured_at: datetime  # as the device gave it (its offset kept)
    location: Location | None
    offset: int
    status: PhotoStatus
    created_at: datetime  # when the gateway received the declaration
    completed_at: datetime | None

    @property
    def complete(self) -> bool:
        return self.status is PhotoStatus.COMPLETE

    def declared_as(self, declaration: Declaration) -> bool:
        """The same bytes: what decides whether a re-declaration resumes or conflicts."""
        return self.sha256 == declaration.sha256 and self.size == declaration.size


def declaration_problem(declaration: Declaration, max_bytes: int) -> tuple[str, str, str] | None:
    """Why a declaration is refused (code, detail, field), or None."""
    d = declaration
    if not PHOTO_ID.match(d.photo_id):
        return "invalid-request", "photoId: a UUID made by the device", "photoId"
    if not SHA256.match(d.sha256):
        return "invalid-request", "sha256: 64 hexadecimal digits, lower case", "sha256"
    if d.size < 1:
        return "invalid-request", "size: at least 1 byte", "size"
    if d.size > max_bytes:
        return "payload-too-large", f"size: a photo holds at most {max_bytes} bytes", "size"
    if d.content_type not in CONTENT_TYPES:
        return (
            "invalid-request",
            "contentType: image/jpeg, image/png, image/webp or image/heic",
            "contentType",
        )
    if d.kind not in KINDS:
        return "invalid-request", f"kind: one of {', '.join(sorted(KINDS))}", "kind"
    if d.captured_at.utcoffset() is None:
        return "invalid-request", "capturedAt: a time with its UTC offset", "capturedAt"
    loc = d.location
    if loc is not None:
        if not -90 <= loc.lat <= 90:
            return "invalid-request", "location.lat: between -90 and 90", "location.lat"
        if not -180 <= loc.lon <= 180:
            return "invalid-request", "location.lon: between -180 and 180", "location.lon"
        if loc.accuracy_m is not None and not loc.accuracy_m >= 0:
            return "invalid-request", "location.accuracyM: not negative", "location.accuracyM"
    return None


def chunk_problem(photo: Photo, offset: int, length: int) -> tuple[str, str] | None:
    """Why a chunk of `length` bytes at `offset` is refused (code, detail), or None.
    `photo` is still uploading."""
    if offset != photo.offset:
        return "offset-mismatch", f"the upload is at offset {photo.offset}, not {offset}"
    if length > CHUNK_MAX_BYTES:
        return "payload-too-large", f"a chunk holds at most {CHUNK_MAX_BYTES} bytes"
    if offset + length > photo.size:
        return (
            "payload-too-large",
            f"the chunk ends at {offset + length}, past the declared size {photo.size}",
        )
    if length == 0:
        return "invalid-request", "an empty chunk"
    return None


def may_read(
    caller_is_employee: bool,
    caller_subject: str,
    caller_roles: frozenset[str],
    owner_id: str,
    owner_supervisor_id: str | None,
) -> bool:
    """A photo is seen by its own employee, the supervisor of that employee's team, and
    administrators; everyone else is told it does not exist."""
    if ADMIN in caller_roles:
        return True
    if not caller_is_employee:
        return False
    if caller_subject == owner_id:
        return True
    their_supervisor = bool(owner_supervisor_id) and owner_supervisor_id == caller_subject
    return SUPERVISOR in caller_roles and their_supervisor
