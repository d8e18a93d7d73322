from fieldline.clients.v1 import resources_pb2 as _resources_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.type import latlng_pb2 as _latlng_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UpsertOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UPSERT_OUTCOME_UNSPECIFIED: _ClassVar[UpsertOutcome]
    UPSERT_OUTCOME_CREATED: _ClassVar[UpsertOutcome]
    UPSERT_OUTCOME_UPDATED: _ClassVar[UpsertOutcome]
    UPSERT_OUTCOME_UNCHANGED: _ClassVar[UpsertOutcome]

class Decision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_UNSPECIFIED: _ClassVar[Decision]
    DECISION_APPROVE: _ClassVar[Decision]
    DECISION_REJECT: _ClassVar[Decision]
UPSERT_OUTCOME_UNSPECIFIED: UpsertOutcome
UPSERT_OUTCOME_CREATED: UpsertOutcome
UPSERT_OUTCOME_UPDATED: UpsertOutcome
UPSERT_OUTCOME_UNCHANGED: UpsertOutcome
DECISION_UNSPECIFIED: Decision
DECISION_APPROVE: Decision
DECISION_REJECT: Decision

class CreateClientRequest(_message.Message):
    __slots__ = ("request_id", "client")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    client: _resources_pb2.Client
    def __init__(self, request_id: _Optional[str] = ..., client: _Optional[_Union[_resources_pb2.Client, _Mapping]] = ...) -> None: ...

class CreateClientResponse(_message.Message):
    __slots__ = ("client",)
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    client: _resources_pb2.Client
    def __init__(self, client: _Optional[_Union[_resources_pb2.Client, _Mapping]] = ...) -> None: ...

class GetClientRequest(_message.Message):
    __slots__ = ("client_id",)
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    def __init__(self, client_id: _Optional[str] = ...) -> None: ...

class GetClientResponse(_message.Message):
    __slots__ = ("client",)
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    client: _resources_pb2.Client
    def __init__(self, client: _Optional[_Union[_resources_pb2.Client, _Mapping]] = ...) -> None: ...

class UpdateClientRequest(_message.Message):
    __slots__ = ("request_id", "client", "expected_version", "update_mask")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    client: _resources_pb2.Client
    expected_version: int
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, request_id: _Optional[str] = ..., client: _Optional[_Union[_resources_pb2.Client, _Mapping]] = ..., expected_version: _Optional[int] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateClientResponse(_message.Message):
    __slots__ = ("client",)
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    client: _resources_pb2.Client
    def __init__(self, client: _Optional[_Union[_resources_pb2.Client, _Mapping]] = ...) -> None: ...

class ListClientsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "name_query", "inn", "type", "external_ids")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    NAME_QUERY_FIELD_NUMBER: _ClassVar[int]
    INN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_IDS_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    name_query: str
    inn: str
    type: _resources_pb2.ClientType
    external_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., name_query: _Optional[str] = ..., inn: _Optional[str] = ..., type: _Optional[_Union[_resources_pb2.ClientType, str]] = ..., external_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ListClientsResponse(_message.Message):
    __slots__ = ("clients", "next_page_token")
    CLIENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    clients: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Client]
    next_page_token: str
    def __init__(self, clients: _Optional[_Iterable[_Union[_resources_pb2.Client, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ClientUpsert(_message.Message):
    __slots__ = ("external_id", "name", "inn", "kpp", "type", "legal_address")
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INN_FIELD_NUMBER: _ClassVar[int]
    KPP_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    LEGAL_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    external_id: str
    name: str
    inn: str
    kpp: str
    type: _resources_pb2.ClientType
    legal_address: str
    def __init__(self, external_id: _Optional[str] = ..., name: _Optional[str] = ..., inn: _Optional[str] = ..., kpp: _Optional[str] = ..., type: _Optional[_Union[_resources_pb2.ClientType, str]] = ..., legal_address: _Optional[str] = ...) -> None: ...

class UpsertClientsRequest(_message.Message):
    __slots__ = ("request_id", "clients")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENTS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    clients: _containers.RepeatedCompositeFieldContainer[ClientUpsert]
    def __init__(self, request_id: _Optional[str] = ..., clients: _Optional[_Iterable[_Union[ClientUpsert, _Mapping]]] = ...) -> None: ...

class UpsertClientsResponse(_message.Message):
    __slots__ = ("clients", "outcomes")
    CLIENTS_FIELD_NUMBER: _ClassVar[int]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    clients: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Client]
    outcomes: _containers.RepeatedScalarFieldContainer[UpsertOutcome]
    def __init__(self, clients: _Optional[_Iterable[_Union[_resources_pb2.Client, _Mapping]]] = ..., outcomes: _Optional[_Iterable[_Union[UpsertOutcome, str]]] = ...) -> None: ...

class CreateOutletRequest(_message.Message):
    __slots__ = ("request_id", "outlet")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    outlet: _resources_pb2.Outlet
    def __init__(self, request_id: _Optional[str] = ..., outlet: _Optional[_Union[_resources_pb2.Outlet, _Mapping]] = ...) -> None: ...

class CreateOutletResponse(_message.Message):
    __slots__ = ("outlet",)
    OUTLET_FIELD_NUMBER: _ClassVar[int]
    outlet: _resources_pb2.Outlet
    def __init__(self, outlet: _Optional[_Union[_resources_pb2.Outlet, _Mapping]] = ...) -> None: ...

class GetOutletRequest(_message.Message):
    __slots__ = ("outlet_id",)
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    outlet_id: str
    def __init__(self, outlet_id: _Optional[str] = ...) -> None: ...

class GetOutletResponse(_message.Message):
    __slots__ = ("outlet",)
    OUTLET_FIELD_NUMBER: _ClassVar[int]
    outlet: _resources_pb2.Outlet
    def __init__(self, outlet: _Optional[_Union[_resources_pb2.Outlet, _Mapping]] = ...) -> None: ...

class UpdateOutletCardRequest(_message.Message):
    __slots__ = ("request_id", "outlet_id", "expected_version", "card", "update_mask")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    outlet_id: str
    expected_version: int
    card: _resources_pb2.OutletCard
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, request_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., card: _Optional[_Union[_resources_pb2.OutletCard, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateOutletCardResponse(_message.Message):
    __slots__ = ("outlet",)
    OUTLET_FIELD_NUMBER: _ClassVar[int]
    outlet: _resources_pb2.Outlet
    def __init__(self, outlet: _Optional[_Union[_resources_pb2.Outlet, _Mapping]] = ...) -> None: ...

class SetOutletStatusRequest(_message.Message):
    __slots__ = ("request_id", "outlet_id", "expected_version", "status")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    outlet_id: str
    expected_version: int
    status: _resources_pb2.OutletStatus
    def __init__(self, request_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., status: _Optional[_Union[_resources_pb2.OutletStatus, str]] = ...) -> None: ...

class SetOutletStatusResponse(_message.Message):
    __slots__ = ("outlet",)
    OUTLET_FIELD_NUMBER: _ClassVar[int]
    outlet: _resources_pb2.Outlet
    def __init__(self, outlet: _Optional[_Union[_resources_pb2.Outlet, _Mapping]] = ...) -> None: ...

class ListOutletsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "client_id", "territory_id", "status")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    TERRITORY_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    client_id: str
    territory_id: str
    status: _resources_pb2.OutletStatus
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., client_id: _Optional[str] = ..., territory_id: _Optional[str] = ..., status: _Optional[_Union[_resources_pb2.OutletStatus, str]] = ...) -> None: ...

class ListOutletsResponse(_message.Message):
    __slots__ = ("outlets", "next_page_token")
    OUTLETS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    outlets: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Outlet]
    next_page_token: str
    def __init__(self, outlets: _Optional[_Iterable[_Union[_resources_pb2.Outlet, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SearchOutletsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "name_query", "inn", "near", "radius_m")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    NAME_QUERY_FIELD_NUMBER: _ClassVar[int]
    INN_FIELD_NUMBER: _ClassVar[int]
    NEAR_FIELD_NUMBER: _ClassVar[int]
    RADIUS_M_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    name_query: str
    inn: str
    near: _latlng_pb2.LatLng
    radius_m: float
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., name_query: _Optional[str] = ..., inn: _Optional[str] = ..., near: _Optional[_Union[_latlng_pb2.LatLng, _Mapping]] = ..., radius_m: _Optional[float] = ...) -> None: ...

class OutletMatch(_message.Message):
    __slots__ = ("outlet", "distance_m")
    OUTLET_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_M_FIELD_NUMBER: _ClassVar[int]
    outlet: _resources_pb2.Outlet
    distance_m: float
    def __init__(self, outlet: _Optional[_Union[_resources_pb2.Outlet, _Mapping]] = ..., distance_m: _Optional[float] = ...) -> None: ...

class SearchOutletsResponse(_message.Message):
    __slots__ = ("matches", "next_page_token")
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    matches: _containers.RepeatedCompositeFieldContainer[OutletMatch]
    next_page_token: str
    def __init__(self, matches: _Optional[_Iterable[_Union[OutletMatch, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListOutletCardHistoryRequest(_message.Message):
    __slots__ = ("outlet_id", "page_size", "page_token")
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    outlet_id: str
    page_size: int
    page_token: str
    def __init__(self, outlet_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOutletCardHistoryResponse(_message.Message):
    __slots__ = ("changes", "next_page_token")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[_resources_pb2.OutletCardChange]
    next_page_token: str
    def __init__(self, changes: _Optional[_Iterable[_Union[_resources_pb2.OutletCardChange, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ProposeOutletRequest(_message.Message):
    __slots__ = ("request_id", "proposal_id", "outlet_id", "client_id", "card")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    proposal_id: str
    outlet_id: str
    client_id: str
    card: _resources_pb2.OutletCard
    def __init__(self, request_id: _Optional[str] = ..., proposal_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., client_id: _Optional[str] = ..., card: _Optional[_Union[_resources_pb2.OutletCard, _Mapping]] = ...) -> None: ...

class ProposeOutletResponse(_message.Message):
    __slots__ = ("proposal",)
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    proposal: _resources_pb2.Proposal
    def __init__(self, proposal: _Optional[_Union[_resources_pb2.Proposal, _Mapping]] = ...) -> None: ...

class ProposeCardChangeRequest(_message.Message):
    __slots__ = ("request_id", "proposal_id", "outlet_id", "card", "update_mask")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    proposal_id: str
    outlet_id: str
    card: _resources_pb2.OutletCard
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, request_id: _Optional[str] = ..., proposal_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., card: _Optional[_Union[_resources_pb2.OutletCard, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class ProposeCardChangeResponse(_message.Message):
    __slots__ = ("proposal",)
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    proposal: _resources_pb2.Proposal
    def __init__(self, proposal: _Optional[_Union[_resources_pb2.Proposal, _Mapping]] = ...) -> None: ...

class DecideProposalRequest(_message.Message):
    __slots__ = ("request_id", "proposal_id", "decision", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    proposal_id: str
    decision: Decision
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., proposal_id: _Optional[str] = ..., decision: _Optional[_Union[Decision, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class DecideProposalResponse(_message.Message):
    __slots__ = ("proposal",)
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    proposal: _resources_pb2.Proposal
    def __init__(self, proposal: _Optional[_Union[_resources_pb2.Proposal, _Mapping]] = ...) -> None: ...

class GetProposalRequest(_message.Message):
    __slots__ = ("proposal_id",)
    PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    proposal_id: str
    def __init__(self, proposal_id: _Optional[str] = ...) -> None: ...

class GetProposalResponse(_message.Message):
    __slots__ = ("proposal",)
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    proposal: _resources_pb2.Proposal
    def __init__(self, proposal: _Optional[_Union[_resources_pb2.Proposal, _Mapping]] = ...) -> None: ...

class ListProposalsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "status")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    status: _resources_pb2.ProposalStatus
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[_Union[_resources_pb2.ProposalStatus, str]] = ...) -> None: ...

class ListProposalsResponse(_message.Message):
    __slots__ = ("proposals", "next_page_token")
    PROPOSALS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    proposals: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Proposal]
    next_page_token: str
    def __init__(self, proposals: _Optional[_Iterable[_Union[_resources_pb2.Proposal, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
