"""Supervisors' and administrators' side: activation codes, the devices of their team,
revocation."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from fieldline_gateway.adapters.peers import bearer
from fieldline_gateway.bootstrap import App
from fieldline_gateway.domain.devices import MAX_DEVICES_PAGE, DeviceFilter, DeviceStatus
from fieldline_gateway.domain.problems import Problem
from fieldline_gateway.entrypoints import edge
from fieldline_gateway.entrypoints.schemas import (
    ActivationCodeOut,
    DeviceDetailOut,
    DeviceEventOut,
    DeviceOut,
    DevicesOut,
    IssueCodeRequest,
)
from fieldline_kit.db import utc, utc_or_none

SMALL_BODY = 64 * 1024


def _token(employee_id: str, device_id: str) -> str:
    """A position in the device list (not a secret: the filter and the caller's team still
    decide what a page holds)."""
    raw = json.dumps([employee_id, device_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _position(token: str) -> tuple[str, str]:
    try:
        value = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        value = None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise Problem(
            "invalid-request", "pageToken: not a page token of this list", field="pageToken"
        )
    return value[0], value[1]


def device_out(row: Mapping[str, Any]) -> DeviceOut:
    return DeviceOut(
        device_id=row["device_id"],
        employee_id=row["employee_id"],
        status=row["status"],
        platform=row["platform"],
        os_version=row["os_version"],
        model=row["model"],
        app_version=row["app_version"],
        activated_at=utc(row["activated_at"]),
        revoked_reason=row["revoked_reason"],
        revoked_by=row["revoked_by"],
        revoked_at=utc_or_none(row["revoked_at"]),
        last_seen_at=utc_or_none(row["last_seen_at"]),
        last_sync_at=utc_or_none(row["last_sync_at"]),
        last_sync_mode=row["last_sync_mode"],
        last_upload_at=utc_or_none(row["last_upload_at"]),
    )


class ActivationCodesController(Controller):
    path = "/v1/activation-codes"
    tags = ["management"]  # noqa: RUF012 - Litestar reads it per class

    @post(
        "/", operation_id="issueActivationCode", status_code=201, request_max_body_size=SMALL_BODY
    )
    async def issue(
        self,
        app: NamedDependency[App],
        request: Request[Any, Any, Any],
        data: JSONBody[IssueCodeRequest],
    ) -> ActivationCodeOut:
        caller = await edge.authenticate(app, request)
        issued = await app.identity.issue_code(
            caller, bearer(request.state.token), data.employee_id
        )
        return ActivationCodeOut(
            code=issued.code,
            employee_id=issued.employee_id,
            expires_at=issued.expires_at,
        )


class DevicesController(Controller):
    path = "/v1/devices"
    tags = ["management"]  # noqa: RUF012 - Litestar reads it per class

    @get("/", operation_id="listDevices")
    async def list_devices(
        self,
        app: NamedDependency[App],
        request: Request[Any, Any, Any],
        employee_id: Annotated[
            str | None, QueryParameter(name="employeeId", max_length=64, required=False)
        ] = None,
        status: Annotated[DeviceStatus | None, QueryParameter(required=False)] = None,
        not_synced_since: Annotated[
            datetime | None,
            QueryParameter(
                name="notSyncedSince",
                required=False,
                description="only devices whose last sync is older (or that never synced)",
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_DEVICES_PAGE, required=False)] = 100,
        page_token: Annotated[
            str | None, QueryParameter(name="pageToken", max_length=300, required=False)
        ] = None,
    ) -> DevicesOut:
        caller = await edge.authenticate(app, request)
        if not_synced_since is not None and not_synced_since.tzinfo is None:
            raise Problem(
                "invalid-request",
                "notSyncedSince: a time with its offset (e.g. 2026-03-04T06:00:00Z)",
                field="notSyncedSince",
            )
        wanted = DeviceFilter(
            employee_id=employee_id,
            status=status,
            not_synced_since=not_synced_since,
            after=_position(page_token) if page_token else None,
            limit=limit + 1,  # one more tells whether another page follows
        )
        rows = await app.identity.devices(caller, wanted)
        page, more = rows[:limit], len(rows) > limit
        last = page[-1] if page else None
        return DevicesOut(
            devices=[device_out(r) for r in page],
            next_page_token=_token(last["employee_id"], last["device_id"])
            if more and last is not None
            else None,
        )

    @get("/{device_id:str}", operation_id="getDevice")
    async def get_device(
        self, app: NamedDependency[App], request: Request[Any, Any, Any], device_id: FromPath[str]
    ) -> DeviceDetailOut:
        caller = await edge.authenticate(app, request)
        device, events = await app.identity.device(caller, device_id)
        return DeviceDetailOut(
            device=device_out(device),
            events=[
                DeviceEventOut(
                    at=utc(e["at"]), actor=e["actor"], action=e["action"], detail=e["detail"] or ""
                )
                for e in events
            ],
        )

    @post(
        "/{device_id:str}/revoke",
        operation_id="revokeDevice",
        status_code=200,
        request_max_body_size=SMALL_BODY,
    )
    async def revoke(
        self, app: NamedDependency[App], request: Request[Any, Any, Any], device_id: FromPath[str]
    ) -> DeviceOut:
        caller = await edge.authenticate(app, request)
        await app.identity.revoke(caller, device_id)
        device, _ = await app.identity.device(caller, device_id)
        return device_out(device)
