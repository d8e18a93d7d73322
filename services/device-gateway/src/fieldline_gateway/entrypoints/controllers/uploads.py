"""`POST /v1/uploads`: a batch of documents, a result each (docs/sync-protocol.md, *Uploads*).

The body is refused past 4 MiB before it is read (Litestar's limit, from Content-Length or
while streaming); a gzip-encoded body is inflated with the same cap on the result, so a small
body cannot unpack to gigabytes.
"""

from __future__ import annotations

import zlib
from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency

from fieldline_gateway.bootstrap import App
from fieldline_gateway.domain.problems import Problem
from fieldline_gateway.entrypoints import edge
from fieldline_gateway.entrypoints.upload_schemas import UploadResult, decode_batch
from fieldline_gateway.service_layer.uploads import Uploader

MAX_UPLOAD_BYTES = 4 * 1024 * 1024


def inflate(body: bytes, encoding: str) -> bytes:
    """The body as sent: identity or gzip, at most MAX_UPLOAD_BYTES once inflated."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise Problem("unsupported-media-type", f"Content-Encoding {encoding!r}: gzip only")
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, MAX_UPLOAD_BYTES + 1)
    except zlib.error:
        raise Problem("invalid-request", "the body is not valid gzip") from None
    if len(out) > MAX_UPLOAD_BYTES or inflater.unconsumed_tail:
        raise Problem("payload-too-large", "the body inflates past 4 MiB")
    return out


class UploadsController(Controller):
    path = "/v1/uploads"
    tags = ["uploads"]  # noqa: RUF012 - Litestar reads it per class

    @post(
        "/",
        operation_id="uploadDocuments",
        status_code=200,
        request_max_body_size=MAX_UPLOAD_BYTES,
    )
    async def upload(
        self, app: NamedDependency[App], request: Request[Any, Any, Any]
    ) -> UploadResult:
        caller = await edge.device_caller(app, request)
        assert caller.device_id is not None  # device_caller admits device tokens only
        edge.limit(app, "upload", caller.device_id)
        content_type = request.headers.get("content-type", "application/json")
        if not content_type.split(";")[0].strip().lower().endswith("json"):
            raise Problem("unsupported-media-type", "send application/json")
        body = inflate(await request.body(), request.headers.get("content-encoding", ""))
        batch = decode_batch(body)
        result = await app.uploads.upload(
            Uploader(caller.subject, caller.device_id, request.state.token),
            batch.batch_id,
            batch.sent_at,
            batch.documents,
        )
        await app.identity.seen(caller.device_id, None, last_upload_at=app.clock())
        return result
