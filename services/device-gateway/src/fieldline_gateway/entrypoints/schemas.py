"""The JSON shapes of the identity endpoints (camelCase, unknown fields refused); each
resource's controller module holds its own. docs/sync-protocol.md."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Uuid = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-fA-F-]{32,36}$")]
Short = Annotated[str, msgspec.Meta(max_length=100)]


class Strict(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """A request body: camelCase, unknown fields refused (docs/sync-protocol.md)."""


class Out(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """A response body: camelCase."""


class DeviceDescription(Strict):
    platform: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    os_version: Annotated[str, msgspec.Meta(max_length=32)] = ""
    model: Short = ""
    app_version: Annotated[str, msgspec.Meta(max_length=32)] = ""
    installation_id: Annotated[str, msgspec.Meta(max_length=64)] = ""


class ActivateRequest(Strict):
    request_id: Uuid
    activation_code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    device: DeviceDescription


class RefreshRequest(Strict):
    device_id: Uuid
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class EmployeeOut(Out):
    id: str
    full_name: str
    roles: list[str]


class TokensOut(Out):
    device_id: str
    token_type: str
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    refresh_token_expires_at: datetime
    employee: EmployeeOut | None = None


class IssueCodeRequest(Strict):
    employee_id: Id


class ActivationCodeOut(Out):
    code: str
    employee_id: str
    expires_at: datetime


class DeviceOut(Out):
    device_id: str
    employee_id: str
    status: str
    platform: str
    os_version: str
    model: str
    app_version: str
    activated_at: datetime
    revoked_reason: str | None = None
    revoked_by: str | None = None
    revoked_at: datetime | None = None
    last_seen_at: datetime | None = None
    last_sync_at: datetime | None = None
    last_sync_mode: str | None = None
    last_upload_at: datetime | None = None


class DeviceEventOut(Out):
    at: datetime
    actor: str
    action: str
    detail: str = ""


class DeviceDetailOut(Out):
    device: DeviceOut
    events: list[DeviceEventOut]


class DevicesOut(Out):
    devices: list[DeviceOut]
    next_page_token: str | None = None  # more devices match: ask again with it


class LimitsOut(Out):
    upload_documents: int
    upload_bytes: int
    photo_bytes: int
    photo_chunk_bytes: int
    sync_per_minute: int
    uploads_per_minute: int


class MetaOut(Out):
    protocol: str
    server_time: datetime
    timezone: str
    business_date: str
    min_app_version: str | None
    limits: LimitsOut
