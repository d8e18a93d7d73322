"""Registers the orders service's gRPC servicers."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import grpc

from fieldline.orders.v1 import (
    catalog_service_pb2,
    orders_service_pb2,
    promotions_service_pb2,
    van_service_pb2,
)
from fieldline.orders.v1 import catalog_service_pb2_grpc as catalog_grpc
from fieldline.orders.v1 import orders_service_pb2_grpc as orders_grpc
from fieldline.orders.v1 import promotions_service_pb2_grpc as promotions_grpc
from fieldline.orders.v1 import van_service_pb2_grpc as van_grpc
from fieldline_orders.bootstrap import App
from fieldline_orders.entrypoints.catalog_api import CatalogServicer
from fieldline_orders.entrypoints.orders_api import OrdersServicer
from fieldline_orders.entrypoints.promotions_api import PromotionsServicer
from fieldline_orders.entrypoints.van_api import VanServicer


def register(app: App) -> Callable[[grpc.aio.Server], Iterable[str]]:
    def _register(server: grpc.aio.Server) -> Iterable[str]:
        catalog_grpc.add_CatalogServiceServicer_to_server(CatalogServicer(app), server)
        orders_grpc.add_OrdersServiceServicer_to_server(OrdersServicer(app), server)
        van_grpc.add_VanServiceServicer_to_server(VanServicer(app), server)
        promotions_grpc.add_PromotionsServiceServicer_to_server(PromotionsServicer(app), server)
        return [
            catalog_service_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name,
            orders_service_pb2.DESCRIPTOR.services_by_name["OrdersService"].full_name,
            van_service_pb2.DESCRIPTOR.services_by_name["VanService"].full_name,
            promotions_service_pb2.DESCRIPTOR.services_by_name["PromotionsService"].full_name,
        ]

    return _register
