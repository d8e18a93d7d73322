"""The export over the plain API (docs/contexts/exchange.md, *Export*, *HTTP API*): `GET
/v1/export/documents` (also at its first name, `/v1/export/orders`) answers the CommerceML
document set 1C's `mode=query` gets — orders, cash collected by agents, outlets — its exchange
number in the `Fieldline-Exchange` header (absent when nothing was pending); `POST
/v1/export/ack` acknowledges an exchange by that number. Scope `orders:export`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.response import File

from fieldline_exchange.bootstrap import App
from fieldline_exchange.entrypoints import edge
from fieldline_exchange.service_layer.export import Exported
from fieldline_kit.db import utc_or_none

SCOPE = "orders:export"
EXCHANGE_HEADER = "Fieldline-Exchange"
DOCUMENTS_HEADER = "Fieldline-Documents"
XML = "application/xml; charset=utf-8"


class AckRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    exchange: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]


class AckOut(msgspec.Struct, rename="camel", kw_only=True):
    exchange: int
    documents: int
    acknowledged_at: datetime | None


def xml_file(exported: Exported) -> File:
    """The document set as the answer; its file is deleted once sent."""
    headers = {DOCUMENTS_HEADER: str(exported.exchange.documents)}
    if exported.exchange.number:
        headers[EXCHANGE_HEADER] = str(exported.exchange.number)
    return File(
        exported.path,
        filename="documents.xml",
        content_disposition_type="inline",
        media_type=XML,
        status_code=200,  # also from the 1C route, which takes POST (whose default is 201)
        headers=headers,
        background=BackgroundTask(_delete, exported),
    )


async def _delete(exported: Exported) -> None:
    exported.path.unlink(missing_ok=True)


class ExportController(Controller):
    path = "/v1/export"
    tags = ["export"]  # noqa: RUF012 - Litestar reads it per class

    @get(["/documents", "/orders"], operation_id="exportDocuments", media_type=XML)
    async def documents(self, app: NamedDependency[App], request: Request[Any, Any, Any]) -> File:
        """Every order, cash payment and outlet changed since the partner's last acknowledged
        exchange (CommerceML 2.10), marked sent in a new exchange."""
        caller = await edge.partner(app, request, SCOPE)
        return xml_file(await app.export.query(caller))

    @post("/ack", operation_id="acknowledgeExport", status_code=200)
    async def ack(
        self, app: NamedDependency[App], request: Request[Any, Any, Any], data: JSONBody[AckRequest]
    ) -> AckOut:
        """The exchange's documents acknowledged: not sent again until they change."""
        caller = await edge.partner(app, request, SCOPE)
        done = await app.export.acknowledge(caller, data.exchange)
        return AckOut(
            exchange=done.number,
            documents=done.documents,
            acknowledged_at=utc_or_none(done.acknowledged_at),
        )
