"""The JSON of `POST /v1/uploads` (docs/sync-protocol.md, *Uploads*).

The batch's envelope is decoded here, its documents left as raw JSON: each is then decoded on
its own for its kind (`fieldline_gateway.domain.documents`, where the documents' shapes live
since the whole pipeline reads them), so a malformed document is that document's
`invalid-document` and the others are still handled. Only an envelope that cannot be read
fails the whole request (`invalid-request`, naming the field).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from fieldline_gateway.domain.documents import (
    KINDS,
    Document,
    DocumentProblem,
    DocumentResult,
    DocumentWarning,
    UploadResult,
)
from fieldline_gateway.domain.problems import Problem
from fieldline_gateway.entrypoints.schemas import Strict, Uuid

__all__ = [
    "KINDS",
    "Document",
    "DocumentProblem",
    "DocumentResult",
    "DocumentWarning",
    "UploadBatch",
    "UploadBatchShape",
    "UploadResult",
    "decode_batch",
]


class UploadBatch(Strict):
    """What is read of a batch before its documents: its id (logged; a retry may send
    another), when the device sent it, and each document as raw JSON."""

    batch_id: Uuid
    sent_at: Annotated[datetime, msgspec.Meta(tz=True)]
    documents: list[msgspec.Raw]


class UploadBatchShape(Strict):
    """The same batch with its documents typed: for the OpenAPI document only (the handler
    reads `UploadBatch`, then each document alone)."""

    batch_id: Uuid
    sent_at: Annotated[datetime, msgspec.Meta(tz=True)]
    documents: list[Document]


_BATCH = msgspec.json.Decoder(UploadBatch)
_PATH = " - at `$"


def decode_batch(body: bytes) -> UploadBatch:
    """The envelope of an upload; `invalid-request` naming the field when it cannot be read
    (malformed JSON, an unknown top-level field, `documents` not a list)."""
    try:
        return _BATCH.decode(body)
    except msgspec.ValidationError as exc:
        message = str(exc)
        path = ""
        if message.endswith("`") and _PATH in message:
            message, _, rest = message.rpartition(_PATH)
            path = rest.rstrip("`").lstrip(".")
        for prefix in ("Object contains unknown field `", "Object missing required field `"):
            if message.startswith(prefix):
                named = message[len(prefix) :].rstrip("`")
                path = f"{path}.{named}" if path else named
        detail = f"{path}: {message}" if path else message
        raise Problem("invalid-request", detail, field=path or None) from None
    except msgspec.DecodeError as exc:
        raise Problem("invalid-request", f"the body is not JSON: {exc}") from None
