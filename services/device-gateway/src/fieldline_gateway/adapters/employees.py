"""Employees as clients' TerritoryService tells them, asked with a given caller's token."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from fieldline.clients.v1 import resources_pb2, territory_service_pb2
from fieldline_gateway.adapters.peers import Metadata, Peers
from fieldline_kit.errors import NotFound, PermissionDenied, Unavailable
from fieldline_kit.grpc.convert import role_names


@dataclass(frozen=True)
class Employee:
    id: str
    full_name: str
    roles: frozenset[str]
    active: bool
    supervisor_id: str


def employee_of(message: resources_pb2.Employee) -> Employee:
    return Employee(
        id=message.id,
        full_name=message.full_name,
        roles=role_names(message.roles, resources_pb2.Role),
        active=message.active,
        supervisor_id=message.supervisor_id,
    )


class Employees:
    def __init__(self, peers: Peers) -> None:
        self._peers = peers

    async def get(self, employee_id: str, metadata: Metadata) -> Employee:
        """The employee as the caller whose `metadata` this is may see it: NotFound outside
        its scope (clients' rule), Unavailable when clients cannot be reached."""
        try:
            reply = await self._peers.territory.GetEmployee(
                territory_service_pb2.GetEmployeeRequest(employee_id=employee_id),
                metadata=metadata,
                timeout=self._peers.timeout,
            )
        except grpc.aio.AioRpcError as exc:
            code = exc.code()
            if code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise NotFound("employee", employee_id) from None
            if code == grpc.StatusCode.PERMISSION_DENIED:
                raise PermissionDenied(exc.details() or "not permitted") from None
            raise Unavailable(f"clients: {code.name}") from None
        return employee_of(reply.employee)
