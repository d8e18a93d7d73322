"""The own format's published XSDs (docs/exchange/own-format.md): `GET /v1/schemas` lists them,
`GET /v1/schemas/{name}` serves one, byte for byte the file files are validated against. For
any partner (whatever its scopes) and administrators: an integrator writes its ERP's side
from them."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import File

from fieldline_exchange.adapters import own_format
from fieldline_exchange.bootstrap import App
from fieldline_exchange.domain.partners import KEY_PREFIX, SCOPES
from fieldline_exchange.entrypoints import edge
from fieldline_kit.errors import NotFound


class SchemaOut(msgspec.Struct, rename="camel", kw_only=True):
    name: str
    namespace: str
    version: str
    url: str


class SchemasOut(msgspec.Struct, rename="camel", kw_only=True):
    schemas: list[SchemaOut]


async def _known_caller(app: App, request: Request[Any, Any, Any]) -> None:
    """A partner (any credentials of one) or a back-office user (a verified token)."""
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and not token.strip().startswith(KEY_PREFIX + "_"):
        await edge.administrator(app, request)
        return
    await edge.partner(app, request, *sorted(SCOPES))


class SchemasController(Controller):
    path = "/v1/schemas"
    tags = ["schemas"]  # noqa: RUF012 - Litestar reads it per class

    @get("/", operation_id="listSchemas")
    async def schemas(
        self, app: NamedDependency[App], request: Request[Any, Any, Any]
    ) -> SchemasOut:
        await _known_caller(app, request)
        return SchemasOut(
            schemas=[
                SchemaOut(
                    name=s.name,
                    namespace=s.namespace,
                    version=s.version,
                    url=f"{self.path}/{s.name}",
                )
                for s in own_format.published_schemas()
            ]
        )

    @get("/{name:str}", operation_id="getSchema", media_type="application/xml")
    async def schema(
        self, app: NamedDependency[App], request: Request[Any, Any, Any], name: FromPath[str]
    ) -> File:
        await _known_caller(app, request)
        try:
            path = own_format.schema_path(name)
        except own_format.UnknownSchema:
            raise NotFound("schema", name, "name") from None
        return File(
            path, filename=name, content_disposition_type="inline", media_type="application/xml"
        )
