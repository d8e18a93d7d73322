"""Photos over HTTP: declare (`POST /v1/photos`), resume (`HEAD …/content`), send a chunk
(`PATCH …/content`, tus-like), read the photo and its bytes. docs/sync-protocol.md, *Photos*.

Uploads take a device's token and count against the device's `photo` rate limit; reading
takes any verified caller (the photo's employee, their supervisor, an administrator). A
chunk's body is refused past 4 MiB (and a little slack) before it is read, and the caller is
verified before it is read (so the chunk is taken from the request, not declared as a body
parameter: the OpenAPI shows no body for appendPhotoContent).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, head, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.response import Stream

from fieldline_gateway.adapters import metrics
from fieldline_gateway.bootstrap import App
from fieldline_gateway.domain.photos import (
    CHUNK_MAX_BYTES,
    CONTENT_TYPES,
    Declaration,
    Location,
    Photo,
)
from fieldline_gateway.domain.problems import Problem
from fieldline_gateway.entrypoints import edge
from fieldline_gateway.entrypoints.schemas import Id, Out, Strict
from fieldline_gateway.service_layer.photos import OFFSET_HEADER, Declared
from fieldline_kit.auth.principal import Principal

SMALL_BODY = 64 * 1024
# A chunk's body may be CHUNK_MAX_BYTES; the slack lets a slightly larger one reach the use
# case and be refused there by name (payload-too-large with the limit), not by Litestar.
CHUNK_BODY_LIMIT = CHUNK_MAX_BYTES + 64 * 1024
CHUNK_MEDIA_TYPE = "application/offset+octet-stream"
LENGTH_HEADER = "Upload-Length"


# ---------------------------------------------------------------------- JSON shapes
class LocationIn(Strict):
    lat: float
    lon: float
    accuracy_m: float | None = None


class CreatePhotoRequest(Strict):
    photo_id: Id
    sha256: Annotated[str, msgspec.Meta(min_length=64, max_length=64)]
    size: int
    content_type: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    kind: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
    document_id: Id
    captured_at: Annotated[datetime, msgspec.Meta(tz=True)]
    location: LocationIn | None = None


class PhotoUploadOut(Out):
    photo_id: str
    status: str
    offset: int | None = None
    chunk_max_bytes: int | None = None
    sha256: str | None = None


class LocationOut(Out):
    lat: float
    lon: float
    accuracy_m: float | None = None


class PhotoOut(Out):
    photo_id: str
    employee_id: str
    device_id: str
    status: str
    sha256: str
    size: int
    content_type: str
    kind: str
    document_id: str
    captured_at: datetime
    offset: int
    received_at: datetime
    location: LocationOut | None = None
    completed_at: datetime | None = None


def upload_out(photo: Photo) -> PhotoUploadOut:
    if photo.complete:
        return PhotoUploadOut(photo_id=photo.photo_id, status=photo.status, sha256=photo.sha256)
    return PhotoUploadOut(
        photo_id=photo.photo_id,
        status=photo.status,
        offset=photo.offset,
        chunk_max_bytes=CHUNK_MAX_BYTES,
    )


def photo_out(photo: Photo) -> PhotoOut:
    loc = photo.location
    return PhotoOut(
        photo_id=photo.photo_id,
        employee_id=photo.employee_id,
        device_id=photo.device_id,
        status=photo.status,
        sha256=photo.sha256,
        size=photo.size,
        content_type=photo.content_type,
        kind=photo.kind,
        document_id=photo.document_id,
        captured_at=photo.captured_at,
        location=None
        if loc is None
        else LocationOut(lat=loc.lat, lon=loc.lon, accuracy_m=loc.accuracy_m),
        offset=photo.offset,
        received_at=photo.created_at,
        completed_at=photo.completed_at,
    )


async def _uploader(app: App, request: Request[Any, Any, Any]) -> Principal:
    caller = await edge.device_caller(app, request)
    edge.limit(app, "photo", caller.device_id or caller.subject)
    return caller


async def _reader(app: App, request: Request[Any, Any, Any]) -> Principal:
    caller = await edge.authenticate(app, request)
    if caller.device_id is not None:
        edge.limit(app, "photo", caller.device_id)
    return caller


def _upload_offset(request: Request[Any, Any, Any]) -> int:
    text = request.headers.get(OFFSET_HEADER, "").strip()
    if not text.isdigit() or len(text) > 15:
        raise Problem(
            "invalid-request",
            f"send '{OFFSET_HEADER}: <where this chunk starts>', a whole number of bytes",
            field=OFFSET_HEADER,
        )
    return int(text)


def _check_media_type(request: Request[Any, Any, Any]) -> None:
    given = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if given != CHUNK_MEDIA_TYPE:
        raise Problem(
            "unsupported-media-type", f"send a chunk as 'Content-Type: {CHUNK_MEDIA_TYPE}'"
        )


def _offset_headers(photo: Photo) -> dict[str, str]:
    return {OFFSET_HEADER: str(photo.offset), LENGTH_HEADER: str(photo.size)}


class PhotosController(Controller):
    path = "/v1/photos"
    tags = ["photos"]  # noqa: RUF012 - Litestar reads it per class

    @post("/", operation_id="createPhotoUpload", request_max_body_size=SMALL_BODY)
    async def create(
        self,
        app: NamedDependency[App],
        request: Request[Any, Any, Any],
        data: JSONBody[CreatePhotoRequest],
    ) -> Response[PhotoUploadOut]:
        caller = await _uploader(app, request)
        loc = data.location
        declaration = Declaration(
            photo_id=data.photo_id,
            sha256=data.sha256,
            size=data.size,
            content_type=data.content_type.lower(),
            kind=data.kind,
            document_id=data.document_id,
            captured_at=data.captured_at,
            location=None if loc is None else Location(loc.lat, loc.lon, loc.accuracy_m),
        )
        photo, outcome = await app.photos.declare(caller, declaration)
        if outcome is Declared.DEDUPLICATED:
            metrics.PHOTOS.labels("deduplicated").inc()
        status = 201 if outcome is Declared.CREATED else 200
        return Response(upload_out(photo), status_code=status)

    @head("/{photo_id:str}/content", operation_id="getPhotoUploadOffset")
    async def offset(
        self, app: NamedDependency[App], request: Request[Any, Any, Any], photo_id: FromPath[str]
    ) -> Response[None]:
        caller = await _uploader(app, request)
        photo = await app.photos.progress(caller, photo_id)
        headers = {**_offset_headers(photo), "Cache-Control": "no-store"}
        return Response(None, status_code=200, headers=headers)

    @patch(
        "/{photo_id:str}/content",
        operation_id="appendPhotoContent",
        request_max_body_size=CHUNK_BODY_LIMIT,
    )
    async def append(
        self, app: NamedDependency[App], request: Request[Any, Any, Any], photo_id: FromPath[str]
    ) -> Response[Any]:
        caller = await _uploader(app, request)
        _check_media_type(request)
        offset = _upload_offset(request)
        chunk = await request.body()
        metrics.PHOTO_BYTES.inc(len(chunk))
        try:
            appended = await app.photos.append(caller, photo_id, offset, chunk)
        except Problem as problem:
            if problem.code == "checksum-mismatch":
                metrics.PHOTOS.labels("checksum_mismatch").inc()
            raise
        photo = appended.photo
        if appended.completed:
            metrics.PHOTOS.labels("complete").inc()
        if photo.complete:
            return Response(upload_out(photo), status_code=200, headers=_offset_headers(photo))
        return Response(None, status_code=204, headers=_offset_headers(photo))

    @get("/{photo_id:str}", operation_id="getPhoto")
    async def get_photo(
        self, app: NamedDependency[App], request: Request[Any, Any, Any], photo_id: FromPath[str]
    ) -> PhotoOut:
        caller = await _reader(app, request)
        return photo_out(await app.photos.get(caller, photo_id))

    # An image is compressed already: gzip would cost time for nothing.
    @get("/{photo_id:str}/content", operation_id="downloadPhoto", opt={"skip_compression": True})
    async def download(
        self, app: NamedDependency[App], request: Request[Any, Any, Any], photo_id: FromPath[str]
    ) -> Stream:
        caller = await _reader(app, request)
        photo, content = await app.photos.content(caller, photo_id)
        image_type = CONTENT_TYPES.get(photo.content_type)
        return Stream(
            content,
            media_type=photo.content_type if image_type is None else image_type.value,
            headers={
                "Content-Length": str(photo.size),
                "ETag": f'"{photo.sha256}"',
                "Cache-Control": "private, max-age=31536000, immutable",
            },
        )
