"""Request ids of the commands an import sends: the same for the same file's same batch on any
replica and any run, so a batch sent again after a crash is answered as the first time; a
batch's further commands (its prices, its stock, a second round without refused records) have
ids of their own derived from it. The services want UUIDs."""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("5d1f8c2e-6a0b-4f4e-9f47-2c9b3c1f0e11")


def batch_request_id(sha256: str, n: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{sha256}:{n}"))


def sub_request_id(request_id: str, part: str) -> str:
    """The request id of `part` of the command `request_id` names."""
    return str(uuid.uuid5(_NAMESPACE, f"{request_id}/{part}"))
