"""Administrators' side: partners (ERP connections), their Basic login and API keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from fieldline_exchange.bootstrap import App
from fieldline_exchange.entrypoints import edge
from fieldline_exchange.entrypoints.schemas import (
    CreateKeyRequest,
    CreatePartnerRequest,
    KeyOut,
    KeysOut,
    PartnerOut,
    PartnersOut,
)
from fieldline_kit.db import utc, utc_or_none

SMALL_BODY = 16 * 1024


def partner_out(row: Mapping[Any, Any], password: str | None = None) -> PartnerOut:
    return PartnerOut(
        partner_id=row["partner_id"],
        name=row["name"],
        login=row["login"],
        status=row["status"],
        created_at=utc(row["created_at"]),
        created_by=row["created_by"],
        password=password,
    )


def key_out(row: Mapping[Any, Any], key: str | None = None) -> KeyOut:
    return KeyOut(
        key_id=row["key_id"],
        partner_id=row["partner_id"],
        scopes=row["scopes"].split(),
        label=row["label"],
        created_at=utc(row["created_at"]),
        created_by=row["created_by"],
        revoked_at=utc_or_none(row["revoked_at"]),
        key=key,
    )


class PartnersController(Controller):
    path = "/v1/partners"
    tags = ["partners"]  # noqa: RUF012 - Litestar reads it per class

    @post("/", operation_id="createPartner", status_code=201, request_max_body_size=SMALL_BODY)
    async def create(
        self,
        app: NamedDependency[App],
        request: Request[Any, Any, Any],
        data: JSONBody[CreatePartnerRequest],
    ) -> PartnerOut:
        caller = await edge.administrator(app, request)
        made = await app.partners.create(caller, data.name, data.login)
        return partner_out(made.partner, made.password)

    @get("/", operation_id="listPartners")
    async def list_partners(
        self, app: NamedDependency[App], request: Request[Any, Any, Any]
    ) -> PartnersOut:
        caller = await edge.administrator(app, request)
        return PartnersOut(partners=[partner_out(r) for r in await app.partners.all(caller)])

    @post(
        "/{partner_id:str}/keys",
        operation_id="createPartnerKey",
        status_code=201,
        request_max_body_size=SMALL_BODY,
    )
    async def create_key(
        self,
        app: NamedDependency[App],
        request: Request[Any, Any, Any],
        partner_id: FromPath[str],
        data: JSONBody[CreateKeyRequest],
    ) -> KeyOut:
        caller = await edge.administrator(app, request)
        made = await app.partners.add_key(caller, partner_id, frozenset(data.scopes), data.label)
        return key_out(made.key, made.secret)

    @get("/{partner_id:str}/keys", operation_id="listPartnerKeys")
    async def list_keys(
        self, app: NamedDependency[App], request: Request[Any, Any, Any], partner_id: FromPath[str]
    ) -> KeysOut:
        caller = await edge.administrator(app, request)
        return KeysOut(keys=[key_out(r) for r in await app.partners.keys(caller, partner_id)])

    @delete("/{partner_id:str}/keys/{key_id:str}", operation_id="revokePartnerKey", status_code=204)
    async def revoke_key(
        self,
        app: NamedDependency[App],
        request: Request[Any, Any, Any],
        partner_id: FromPath[str],
        key_id: FromPath[str],
    ) -> None:
        caller = await edge.administrator(app, request)
        await app.partners.revoke_key(caller, partner_id, key_id)
