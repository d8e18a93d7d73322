"""`GET /v1/sync`: a full bundle or a delta, paged (docs/sync-protocol.md, *Sync*). The page is
built from the store's stored bytes; compression is the app's (gzip above 500 bytes)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from fieldline_gateway.adapters import metrics
from fieldline_gateway.bootstrap import App
from fieldline_gateway.domain.membership import withheld_sections
from fieldline_gateway.entrypoints import edge
from fieldline_gateway.service_layer.sync import sync_page

Opaque = Annotated[str | None, QueryParameter(max_length=1000, required=False)]


class SyncController(Controller):
    path = "/v1/sync"
    tags = ["sync"]  # noqa: RUF012 - Litestar reads it per class

    @get("/", operation_id="sync")
    async def sync(
        self,
        app: NamedDependency[App],
        request: Request[Any, Any, Any],
        cursor: Opaque = None,
        page_token: Annotated[
            str | None, QueryParameter(name="pageToken", max_length=1000, required=False)
        ] = None,
    ) -> Response[bytes]:
        caller = await edge.device_caller(app, request)
        assert caller.device_id is not None
        if page_token is None:  # the pages of one sync count as one
            edge.limit(app, "sync", caller.device_id)
        started = time.perf_counter()
        now = app.clock()
        async with app.sync_slots.slot():
            page = await sync_page(
                app.sync_sessions,
                caller.subject,
                cursor,
                page_token,
                key=app.page_token_key,
                now=now,
                business_date=now.astimezone(app.tz).date(),
                # What the caller's roles may not read at the owning service yet.
                exclude_sections=withheld_sections(caller.roles),
                shared=app.shared_scopes,
                device_id=caller.device_id,
            )
        if page.lower_resync_below is not None:  # the device's one full sync has begun
            await app.identity.resynced(caller.device_id, page.lower_resync_below)
        mode = "resync" if page.reset else str(page.mode)
        metrics.SYNC_SECONDS.labels(mode).observe(time.perf_counter() - started)
        metrics.SYNCS.labels(mode, page.resync_reason or "").inc()
        metrics.BUNDLE_BYTES.labels(mode).observe(len(page.body))
        metrics.BUNDLE_ITEMS.labels(mode).observe(page.items)
        if page.next_cursor is not None:
            await app.identity.seen(
                caller.device_id, None, last_sync_at=now, last_sync_mode=str(page.mode)
            )
        return Response(page.body, media_type="application/json")
