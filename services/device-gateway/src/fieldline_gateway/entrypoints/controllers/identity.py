"""Activation and token refresh: the two device endpoints that take no access token."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from fieldline_gateway.adapters import metrics
from fieldline_gateway.adapters.projections import camel
from fieldline_gateway.bootstrap import App
from fieldline_gateway.domain.problems import Problem
from fieldline_gateway.entrypoints import edge
from fieldline_gateway.entrypoints.schemas import (
    ActivateRequest,
    EmployeeOut,
    RefreshRequest,
    TokensOut,
)
from fieldline_gateway.service_layer.identity import DeviceInfo, Tokens

SMALL_BODY = 64 * 1024


def tokens_out(tokens: Tokens) -> TokensOut:
    employee = tokens.employee
    return TokensOut(
        device_id=tokens.device_id,
        token_type="Bearer",  # noqa: S106 - the scheme, not a secret
        access_token=tokens.access_token,
        access_token_expires_at=tokens.access_expires_at,
        refresh_token=tokens.refresh_token,
        refresh_token_expires_at=tokens.refresh_expires_at,
        employee=None
        if employee is None
        else EmployeeOut(
            id=employee.id,
            full_name=employee.full_name,
            roles=sorted(camel(r) for r in employee.roles),
        ),
    )


class DeviceIdentityController(Controller):
    path = "/v1/device"
    tags = ["devices"]  # noqa: RUF012 - Litestar reads it per class

    @post(
        "/activate",
        operation_id="activateDevice",
        status_code=201,
        request_max_body_size=SMALL_BODY,
    )
    async def activate(
        self,
        app: NamedDependency[App],
        request: Request[Any, Any, Any],
        data: JSONBody[ActivateRequest],
    ) -> TokensOut:
        edge.check_protocol(request)
        address = request.client.host if request.client else "unknown"
        edge.limit(app, "activate", address)
        d = data.device
        try:
            tokens = await app.identity.activate(
                data.request_id,
                data.activation_code,
                DeviceInfo(d.platform, d.os_version, d.model, d.app_version, d.installation_id),
            )
        except Problem:
            metrics.TOKENS.labels("invalid").inc()
            raise
        metrics.TOKENS.labels("activated").inc()
        return tokens_out(tokens)

    @post(
        "/token",
        operation_id="refreshDeviceToken",
        status_code=200,
        request_max_body_size=SMALL_BODY,
    )
    async def refresh(
        self,
        app: NamedDependency[App],
        request: Request[Any, Any, Any],
        data: JSONBody[RefreshRequest],
    ) -> TokensOut:
        edge.check_protocol(request)
        edge.limit(app, "refresh", data.device_id)
        try:
            tokens = await app.identity.refresh(data.device_id, data.refresh_token)
        except Problem as problem:
            reused = problem.code == "refresh-token-reused"
            metrics.TOKENS.labels("reuse" if reused else "invalid").inc()
            raise
        metrics.TOKENS.labels("refreshed").inc()
        return tokens_out(tokens)
