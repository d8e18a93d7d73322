"""ClientsService: clients, outlets and their cards, census proposals.

Outlet search answers with each outlet's stored `outlet_pb` bytes, merged into the response as
they are (no outlet is rebuilt from its columns). Who calls is the verified principal; its data
scope (`service_layer.access`) decides what it sees and changes.
"""

from __future__ import annotations

import grpc

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import clients_service_pb2_grpc as cs_grpc
from fieldline_clients.adapters import proto_mapping as m
from fieldline_clients.adapters import queries
from fieldline_clients.adapters.repository import ClientsUnitOfWork
from fieldline_clients.domain.model import Client
from fieldline_clients.domain.values import (
    MAX_CODE,
    MAX_QUERY,
    MAX_RECORDS,
    limit_items,
    limit_text,
    optional_id,
    require_id,
)
from fieldline_clients.entrypoints.servicer import CallerServicer
from fieldline_clients.service_layer import access as scope
from fieldline_clients.service_layer import commands, handlers
from fieldline_kit.errors import InvalidArgument
from fieldline_kit.grpc.convert import page_size


# ------------------------------------ proto → command, where the bulk load maps it the same
def create_client_command(request: cs.CreateClientRequest) -> commands.CreateClient:
    c = request.client
    return commands.CreateClient(
        id=c.id,
        name=c.name,
        inn=c.inn,
        kpp=c.kpp,
        type=m.from_enum(m.CLIENT_TYPES, c.type, "client.type"),
        legal_address=c.legal_address,
    )


def upsert_clients_command(request: cs.UpsertClientsRequest) -> commands.UpsertClients:
    items = limit_items("clients", request.clients, MAX_RECORDS)
    return commands.UpsertClients(
        clients=tuple(
            commands.ClientUpsert(
                external_id=c.external_id,
                name=c.name,
                inn=c.inn,
                kpp=c.kpp,
                type=m.from_enum(m.CLIENT_TYPES, c.type, f"clients[{i}].type"),
                legal_address=c.legal_address,
            )
            for i, c in enumerate(items)
        )
    )


def external_ids(request: cs.ListClientsRequest) -> list[str]:
    ids = limit_items("external_ids", request.external_ids, MAX_RECORDS)
    return [Client.external_key(f"external_ids[{i}]", e) for i, e in enumerate(ids)]


def create_outlet_command(request: cs.CreateOutletRequest) -> commands.CreateOutlet:
    o = request.outlet
    return commands.CreateOutlet(
        id=o.id,
        client_id=o.client_id,
        card=m.card_from_pb(o.card, "outlet.card"),
        territory_id=o.territory_id,
    )


def set_outlet_status_command(request: cs.SetOutletStatusRequest) -> commands.SetOutletStatus:
    return commands.SetOutletStatus(
        outlet_id=request.outlet_id,
        status=m.from_enum(m.OUTLET_STATUSES, request.status, "status"),
        expected_version=request.expected_version,
    )


DECISIONS = {cs.DECISION_APPROVE: True, cs.DECISION_REJECT: False}
UPSERT_OUTCOMES = {
    handlers.UpsertOutcome.CREATED: cs.UPSERT_OUTCOME_CREATED,
    handlers.UpsertOutcome.UPDATED: cs.UPSERT_OUTCOME_UPDATED,
    handlers.UpsertOutcome.UNCHANGED: cs.UPSERT_OUTCOME_UNCHANGED,
}


# -------------------------------------------------------------------------------- servicer
class ClientsServicer(CallerServicer, cs_grpc.ClientsServiceServicer):
    # -- clients -------------------------------------------------------------------------
    async def CreateClient(
        self, request: cs.CreateClientRequest, context: grpc.aio.ServicerContext
    ) -> cs.CreateClientResponse:
        async def work(uow: ClientsUnitOfWork) -> cs.CreateClientResponse:
            cmd = create_client_command(request)
            client = await handlers.create_client(uow, self.app.clock(), cmd)
            return cs.CreateClientResponse(client=m.client_pb(client))

        return await self.write("CreateClient", request, cs.CreateClientResponse, work)

    async def GetClient(
        self, request: cs.GetClientRequest, context: grpc.aio.ServicerContext
    ) -> cs.GetClientResponse:
        async with self.read() as uow:
            client = await uow.clients.get(require_id("client_id", request.client_id))
        return cs.GetClientResponse(client=m.client_pb(client))

    async def UpdateClient(
        self, request: cs.UpdateClientRequest, context: grpc.aio.ServicerContext
    ) -> cs.UpdateClientResponse:
        async def work(uow: ClientsUnitOfWork) -> cs.UpdateClientResponse:
            c = request.client
            cmd = commands.UpdateClient(
                id=c.id,
                changes={
                    "name": c.name,
                    "inn": c.inn,
                    "kpp": c.kpp,
                    "type": m.from_enum(m.CLIENT_TYPES, c.type, "client.type"),
                    "legal_address": c.legal_address,
                },
                mask=m.mask_paths(request),
                expected_version=request.expected_version,
            )
            client = await handlers.update_client(uow, self.app.clock(), cmd)
            return cs.UpdateClientResponse(client=m.client_pb(client))

        return await self.write("UpdateClient", request, cs.UpdateClientResponse, work)

    async def ListClients(
        self, request: cs.ListClientsRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListClientsResponse:
        type_ = m.from_enum(m.CLIENT_TYPES, request.type, "type")
        async with self.read() as uow:
            items, token = await queries.list_clients(
                uow.session,
                size=page_size(request.page_size),
                token=request.page_token,
                name_query=limit_text("name_query", request.name_query, MAX_QUERY),
                inn=limit_text("inn", request.inn, MAX_CODE),
                type_=type_,
                external_ids=external_ids(request),
            )
        return cs.ListClientsResponse(
            clients=[m.client_pb(c) for c in items], next_page_token=token
        )

    async def UpsertClients(
        self, request: cs.UpsertClientsRequest, context: grpc.aio.ServicerContext
    ) -> cs.UpsertClientsResponse:
        async def work(uow: ClientsUnitOfWork) -> cs.UpsertClientsResponse:
            cmd = upsert_clients_command(request)
            results = await handlers.upsert_clients(uow, self.app.clock(), cmd)
            return cs.UpsertClientsResponse(
                clients=[m.client_pb(r.client) for r in results],
                outcomes=[UPSERT_OUTCOMES[r.outcome] for r in results],
            )

        return await self.write("UpsertClients", request, cs.UpsertClientsResponse, work)

    # -- outlets -------------------------------------------------------------------------
    async def CreateOutlet(
        self, request: cs.CreateOutletRequest, context: grpc.aio.ServicerContext
    ) -> cs.CreateOutletResponse:
        async def work(uow: ClientsUnitOfWork) -> cs.CreateOutletResponse:
            access = await self.caller(uow)
            cmd = create_outlet_command(request)
            outlet = await handlers.create_outlet(uow, self.app.clock(), cmd, access)
            return cs.CreateOutletResponse(outlet=m.outlet_pb(outlet))

        return await self.write("CreateOutlet", request, cs.CreateOutletResponse, work)

    async def GetOutlet(
        self, request: cs.GetOutletRequest, context: grpc.aio.ServicerContext
    ) -> cs.GetOutletResponse:
        async with self.read() as uow:
            access = await self.caller(uow)
            outlet = await scope.outlet(uow, access, request.outlet_id, write=False)
        return cs.GetOutletResponse(outlet=m.outlet_pb(outlet))

    async def UpdateOutletCard(
        self, request: cs.UpdateOutletCardRequest, context: grpc.aio.ServicerContext
    ) -> cs.UpdateOutletCardResponse:
        async def work(uow: ClientsUnitOfWork) -> cs.UpdateOutletCardResponse:
            cmd = commands.UpdateOutletCard(
                outlet_id=request.outlet_id,
                card=m.card_from_pb(request.card),
                mask=m.mask_paths(request),
                expected_version=request.expected_version,
            )
            access = await self.caller(uow)
            outlet = await handlers.update_outlet_card(uow, self.app.clock(), cmd, access)
            return cs.UpdateOutletCardResponse(outlet=m.outlet_pb(outlet))

        return await self.write("UpdateOutletCard", request, cs.UpdateOutletCardResponse, work)

    async def SetOutletStatus(
        self, request: cs.SetOutletStatusRequest, context: grpc.aio.ServicerContext
    ) -> cs.SetOutletStatusResponse:
        async def work(uow: ClientsUnitOfWork) -> cs.SetOutletStatusResponse:
            access = await self.caller(uow)
            cmd = set_outlet_status_command(request)
            outlet = await handlers.set_outlet_status(uow, self.app.clock(), cmd, access)
            return cs.SetOutletStatusResponse(outlet=m.outlet_pb(outlet))

        return await self.write("SetOutletStatus", request, cs.SetOutletStatusResponse, work)

    async def ListOutlets(
        self, request: cs.ListOutletsRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListOutletsResponse:
        status = m.from_enum(m.OUTLET_STATUSES, request.status, "status")
        async with self.read() as uow:
            access = await self.caller(uow)
            items, token = await queries.list_outlets(
                uow.session,
                team=access.team,
                size=page_size(request.page_size),
                token=request.page_token,
                client_id=optional_id("client_id", request.client_id),
                territory_id=optional_id("territory_id", request.territory_id),
                status=status,
            )
        return cs.ListOutletsResponse(
            outlets=[m.outlet_pb(o) for o in items], next_page_token=token
        )

    async def SearchOutlets(
        self, request: cs.SearchOutletsRequest, context: grpc.aio.ServicerContext
    ) -> cs.SearchOutletsResponse:
        near = m.location_from("near", request.near, request.HasField("near"))
        if near is not None and request.radius_m <= 0:
            raise InvalidArgument("radius_m", "must be positive when `near` is given")
        if near is None and request.radius_m:
            raise InvalidArgument("near", "is required when radius_m is given")
        async with self.read() as uow:
            access = await self.caller(uow)
            matches, token = await queries.search_outlets(
                uow.session,
                team=access.team,
                size=page_size(request.page_size),
                token=request.page_token,
                name_query=limit_text("name_query", request.name_query, MAX_QUERY),
                inn=limit_text("inn", request.inn, MAX_CODE),
                near=near,
                radius_m=request.radius_m,
            )
        response = cs.SearchOutletsResponse(next_page_token=token)
        for x in matches:
            response.matches.add(distance_m=x.distance_m or 0.0).outlet.MergeFromString(x.outlet_pb)
        return response

    async def ListOutletCardHistory(
        self, request: cs.ListOutletCardHistoryRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListOutletCardHistoryResponse:
        async with self.read() as uow:
            access = await self.caller(uow)
            outlet = await scope.outlet(uow, access, request.outlet_id, write=False)
            items, token = await queries.card_history(
                uow.session,
                outlet_id=outlet.id,
                size=page_size(request.page_size),
                token=request.page_token,
            )
        return cs.ListOutletCardHistoryResponse(
            changes=[m.history_pb(h) for h in items], next_page_token=token
        )

    # -- census --------------------------------------------------------------------------
    async def ProposeOutlet(
        self, request: cs.ProposeOutletRequest, context: grpc.aio.ServicerContext
    ) -> cs.ProposeOutletResponse:
        async def work(uow: ClientsUnitOfWork) -> cs.ProposeOutletResponse:
            cmd = commands.ProposeOutlet(
                proposal_id=request.proposal_id,
                outlet_id=request.outlet_id,
                client_id=request.client_id,
                card=m.card_from_pb(request.card),
            )
            access = await self.caller(uow)
            proposal = await handlers.propose_outlet(uow, self.app.clock(), cmd, access)
            return cs.ProposeOutletResponse(proposal=m.proposal_pb(proposal))

        return await self.write("ProposeOutlet", request, cs.ProposeOutletResponse, work)

    async def ProposeCardChange(
        self, request: cs.ProposeCardChangeRequest, context: grpc.aio.ServicerContext
    ) -> cs.ProposeCardChangeResponse:
        async def work(uow: ClientsUnitOfWork) -> cs.ProposeCardChangeResponse:
            cmd = commands.ProposeCardChange(
                proposal_id=request.proposal_id,
                outlet_id=request.outlet_id,
                card=m.card_from_pb(request.card),
                mask=m.mask_paths(request),
            )
            access = await self.caller(uow)
            proposal = await handlers.propose_card_change(uow, self.app.clock(), cmd, access)
            return cs.ProposeCardChangeResponse(proposal=m.proposal_pb(proposal))

        return await self.write("ProposeCardChange", request, cs.ProposeCardChangeResponse, work)

    async def DecideProposal(
        self, request: cs.DecideProposalRequest, context: grpc.aio.ServicerContext
    ) -> cs.DecideProposalResponse:
        async def work(uow: ClientsUnitOfWork) -> cs.DecideProposalResponse:
            cmd = commands.DecideProposal(
                proposal_id=request.proposal_id,
                approve=DECISIONS.get(request.decision),
                reason=request.reason,
            )
            access = await self.caller(uow)
            proposal = await handlers.decide_proposal(uow, self.app.clock(), cmd, access)
            return cs.DecideProposalResponse(proposal=m.proposal_pb(proposal))

        return await self.write("DecideProposal", request, cs.DecideProposalResponse, work)

    async def GetProposal(
        self, request: cs.GetProposalRequest, context: grpc.aio.ServicerContext
    ) -> cs.GetProposalResponse:
        async with self.read() as uow:
            access = await self.caller(uow)
            proposal = await scope.proposal(uow, access, request.proposal_id, write=False)
        return cs.GetProposalResponse(proposal=m.proposal_pb(proposal))

    async def ListProposals(
        self, request: cs.ListProposalsRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListProposalsResponse:
        status = m.from_enum(m.PROPOSAL_STATUSES, request.status, "status")
        async with self.read() as uow:
            access = await self.caller(uow)
            items, token = await queries.list_proposals(
                uow.session,
                team=access.team,
                size=page_size(request.page_size),
                token=request.page_token,
                status=status,
            )
        return cs.ListProposalsResponse(
            proposals=[m.proposal_pb(p) for p in items], next_page_token=token
        )
