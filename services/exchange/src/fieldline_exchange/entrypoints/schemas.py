"""The JSON shapes of the exchange's API (camelCase, unknown fields refused)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Login = Annotated[str, msgspec.Meta(min_length=3, max_length=64)]
Label = Annotated[str, msgspec.Meta(max_length=200)]


class Strict(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """A request body: camelCase, unknown fields refused."""


class Out(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """A response body: camelCase."""


class CreatePartnerRequest(Strict):
    name: Name
    login: Login


class PartnerOut(Out):
    partner_id: str
    name: str
    login: str
    status: str
    created_at: datetime
    created_by: str
    password: str | None = None  # only in the answer that created it


class PartnersOut(Out):
    partners: list[PartnerOut]


class CreateKeyRequest(Strict):
    scopes: list[Annotated[str, msgspec.Meta(max_length=40)]]
    label: Label = ""


class KeyOut(Out):
    key_id: str
    partner_id: str
    scopes: list[str]
    label: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    key: str | None = None  # only in the answer that created it


class KeysOut(Out):
    keys: list[KeyOut]


class RefusalOut(Out):
    code: str
    message: str
    line: int | None = None


class ImportOut(Out):
    import_id: str
    filename: str
    size: int
    sha256: str
    format: str
    kind: str
    version: str
    state: str
    progress: float  # records applied / records read (0 until checked)
    records_applied: int
    counts: dict[str, int]
    created_at: datetime
    refusal: RefusalOut | None = None
    finished_at: datetime | None = None


class ImportsOut(Out):
    imports: list[ImportOut]


class ReportLineOut(Out):
    n: int
    line: int | None
    external_id: str
    reason: str
    detail: str


class ReportOut(Out):
    lines: list[ReportLineOut]
    next_after: int | None = None
