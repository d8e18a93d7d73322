"""Supervisors' and administrators' side: activation codes, the devices of their team,
revocation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from fieldline_gateway.adapters.peers import bearer
from fieldline_gateway.bootstrap import App
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
        self, app: NamedDependency[App], request: Request[Any, Any, Any]
    ) -> DevicesOut:
        caller = await edge.authenticate(app, request)
        return DevicesOut(devices=[device_out(r) for r in await app.identity.devices(caller)])

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
