"""The gRPC services of the clients context, added to the server: one servicer per file."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import grpc

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import clients_service_pb2_grpc as cs_grpc
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline.clients.v1 import territory_service_pb2_grpc as ts_grpc
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline.clients.v1 import visits_service_pb2_grpc as vs_grpc
from fieldline_clients.bootstrap import App
from fieldline_clients.entrypoints.clients_api import ClientsServicer
from fieldline_clients.entrypoints.territory_api import TerritoryServicer
from fieldline_clients.entrypoints.visits_api import VisitsServicer


def register(app: App) -> Callable[[grpc.aio.Server], Iterable[str]]:
    def _register(server: grpc.aio.Server) -> Iterable[str]:
        cs_grpc.add_ClientsServiceServicer_to_server(ClientsServicer(app), server)
        ts_grpc.add_TerritoryServiceServicer_to_server(TerritoryServicer(app), server)
        vs_grpc.add_VisitsServiceServicer_to_server(VisitsServicer(app), server)
        return [
            cs.DESCRIPTOR.services_by_name["ClientsService"].full_name,
            ts.DESCRIPTOR.services_by_name["TerritoryService"].full_name,
            vs.DESCRIPTOR.services_by_name["VisitsService"].full_name,
        ]

    return _register
