"""Partners' side: files in (each an import job), their state and report, and inspect
without applying (docs/contexts/exchange.md, *HTTP API*)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from fieldline_exchange.adapters.commerceml import inspect
from fieldline_exchange.bootstrap import App
from fieldline_exchange.domain.records import Refusal
from fieldline_exchange.entrypoints import edge
from fieldline_exchange.entrypoints.schemas import (
    ImportOut,
    ImportsOut,
    RefusalOut,
    ReportLineOut,
    ReportOut,
)
from fieldline_kit.db import utc, utc_or_none
from fieldline_kit.problem import Problem

# Litestar refuses a body past this before reading it; the exchange's own limit
# (EXCHANGE_MAX_FILE_MB) is checked while the bytes arrive.
MAX_BODY = 4096 * 2**20
IMPORT_SCOPES = (
    "catalog:import",
    "offers:import",
    "documents:import",
    "counterparties:import",
    "own:import",
)
Filename = Annotated[str, QueryParameter(min_length=1, max_length=255)]


def import_out(row: Mapping[Any, Any]) -> ImportOut:
    counts = json.loads(row["counts"] or "{}")
    read = sum(v for v in counts.values() if isinstance(v, int))
    refusal = json.loads(row["refusal"]) if row["refusal"] else None
    return ImportOut(
        import_id=row["job_id"],
        filename=row["filename"],
        size=row["size"],
        sha256=row["sha256"],
        format=row["format"],
        kind=row["kind"],
        version=row["version"],
        state=row["state"],
        progress=1.0
        if row["state"] == "done"
        else (row["records_applied"] / read if read else 0.0),
        records_applied=row["records_applied"],
        counts=counts,
        refusal=RefusalOut(**refusal) if refusal else None,
        created_at=utc(row["created_at"]),
        finished_at=utc_or_none(row["finished_at"]),
    )


async def _body(request: Request[Any, Any, Any]) -> AsyncIterator[bytes]:
    async for piece in request.stream():
        yield piece


class ImportsController(Controller):
    path = "/v1/imports"
    tags = ["imports"]  # noqa: RUF012 - Litestar reads it per class

    @post("/", operation_id="createImport", status_code=202, request_max_body_size=MAX_BODY)
    async def create(
        self, app: NamedDependency[App], request: Request[Any, Any, Any], filename: Filename
    ) -> ImportsOut:
        """The request body is the file (XML, or a zip of XML files); each file an import."""
        caller = await edge.partner(app, request, *IMPORT_SCOPES)
        try:
            stored = await app.files.receive(filename, _body(request))
            jobs = await app.imports.submit(caller, stored)
        except Refusal as refused:
            raise Problem("file-refused", refused.message, field=refused.code) from None
        return ImportsOut(imports=[import_out(j) for j in jobs])

    @get("/", operation_id="listImports")
    async def list_imports(
        self,
        app: NamedDependency[App],
        request: Request[Any, Any, Any],
        limit: Annotated[int, QueryParameter(ge=1, le=500, required=False)] = 50,
        before: Annotated[datetime | None, QueryParameter(required=False)] = None,
    ) -> ImportsOut:
        caller = await edge.partner(app, request, "jobs:read", *IMPORT_SCOPES)
        rows = await app.imports.jobs(caller, limit, before)
        return ImportsOut(imports=[import_out(r) for r in rows])

    @get("/{import_id:str}", operation_id="getImport")
    async def get_import(
        self, app: NamedDependency[App], request: Request[Any, Any, Any], import_id: FromPath[str]
    ) -> ImportOut:
        caller = await edge.partner(app, request, "jobs:read", *IMPORT_SCOPES)
        return import_out(await app.imports.job(caller, import_id))

    @get("/{import_id:str}/report", operation_id="getImportReport")
    async def report(
        self,
        app: NamedDependency[App],
        request: Request[Any, Any, Any],
        import_id: FromPath[str],
        after: Annotated[int, QueryParameter(ge=0, required=False)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=5000, required=False)] = 1000,
    ) -> ReportOut:
        caller = await edge.partner(app, request, "jobs:read", *IMPORT_SCOPES)
        rows = await app.imports.report(caller, import_id, after, limit + 1)
        page = rows[:limit]
        return ReportOut(
            lines=[
                ReportLineOut(
                    n=r["n"],
                    line=r["line"],
                    external_id=r["external_id"],
                    reason=r["reason"],
                    detail=r["detail"],
                )
                for r in page
            ],
            next_after=page[-1]["n"] if len(rows) > limit else None,
        )


class InspectController(Controller):
    path = "/v1/inspect"
    tags = ["imports"]  # noqa: RUF012 - Litestar reads it per class

    @post("/", operation_id="inspect", status_code=200, request_max_body_size=MAX_BODY)
    async def inspect_file(
        self, app: NamedDependency[App], request: Request[Any, Any, Any], filename: Filename
    ) -> dict[str, object]:
        """What the file holds (the inspect line), applying nothing."""
        await edge.partner(app, request, "inspect")
        try:
            stored = await app.files.receive(filename, _body(request))
        except Refusal as refused:
            return {"file": filename, "refused": refused.to_json()}
        return await asyncio.to_thread(inspect, stored.path, name=stored.filename)
