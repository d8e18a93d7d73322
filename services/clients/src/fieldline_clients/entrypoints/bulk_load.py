"""`python -m fieldline_clients bulk-load --database-url URL [--migrate] FILE`: seed a database.

For demo and benchmark companies (hundreds of thousands of outlets) that would take far too
long one RPC at a time. FILE (`-`: stdin; the format of `fieldline_kit.bulk`) holds the public
request messages a loader would send over gRPC — CreateTerritoryRequest,
CreateQuestionnaireRequest, CreateClientRequest, CreateEmployeeRequest, CreateOutletRequest,
SetOutletStatusRequest, CreateRouteRequest, SetRouteAssignmentRequest — each after the
requests it refers to. They are mapped as the servicers map them and applied by
`service_layer.bulk`: the same domain factories and rules as the use cases, so the rows are the
ones the service would have written.

It deliberately BYPASSES THE OUTBOX: it seeds a fresh, empty database that nobody has
subscribed to yet, so no integration events are produced (and no idempotency records). It
refuses a database that already holds data. Rows go in large executemany chunks, and ANALYZE
ends the load so the query planner knows the new table sizes. The row counts are printed as
JSON on stdout.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from google.protobuf.message import Message

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline_clients.adapters.bulk import BulkRows
from fieldline_clients.entrypoints.clients_api import (
    create_client_command,
    create_outlet_command,
    set_outlet_status_command,
)
from fieldline_clients.entrypoints.territory_api import (
    create_employee_command,
    create_route_command,
    create_territory_command,
    set_route_assignment_command,
)
from fieldline_clients.entrypoints.visits_api import create_questionnaire_command
from fieldline_clients.service_layer.bulk import BulkLoad
from fieldline_kit.bulk import BulkLoadError, Progress, apply_each
from fieldline_kit.clock import Clock, utcnow

Step = Callable[[BulkLoad, Any], Awaitable[None]]

# Each request the file may hold, and what it does.
STEPS: dict[type[Message], Step] = {
    ts.CreateTerritoryRequest: lambda b, r: b.create_territory(create_territory_command(r)),
    vs.CreateQuestionnaireRequest: lambda b, r: b.create_questionnaire(
        create_questionnaire_command(r)
    ),
    cs.CreateClientRequest: lambda b, r: b.create_client(create_client_command(r)),
    ts.CreateEmployeeRequest: lambda b, r: b.create_employee(create_employee_command(r)),
    cs.CreateOutletRequest: lambda b, r: b.create_outlet(create_outlet_command(r)),
    cs.SetOutletStatusRequest: lambda b, r: b.set_outlet_status(set_outlet_status_command(r)),
    ts.CreateRouteRequest: lambda b, r: b.create_route(create_route_command(r)),
    ts.SetRouteAssignmentRequest: lambda b, r: b.set_route_assignment(
        set_route_assignment_command(r)
    ),
}


# ------------------------------------------------------------------------------- the load
async def bulk_load(
    database_url: str,
    requests: Iterable[Message],
    *,
    chunk_size: int = 5000,
    analyze: bool = True,
    clock: Clock = utcnow,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Apply `requests` to the empty database at `database_url`; the rows per table after."""
    rows = BulkRows(database_url)
    try:
        if await rows.holds_data():
            raise BulkLoadError("a bulk load seeds an empty clients database; this one has data")
        load = BulkLoad(rows, clock(), chunk_size=chunk_size)

        async def apply(request: Message) -> None:
            await STEPS[type(request)](load, request)

        await apply_each(requests, apply, progress)
        await load.finish(analyze=analyze)
        return await rows.counts()
    finally:
        await rows.close()
