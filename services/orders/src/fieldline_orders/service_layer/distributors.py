"""The distributor check: a distributor id (an order's, a van's, a price type's) names a client
of type DISTRIBUTOR, as the clients feed told of it (`feed_clients`).

"" names none (the company's) and passes as "". A client the feed never told of is NOT_FOUND,
a client of another type INVALID_ARGUMENT `<field>: client D is not a distributor` (clients'
wording for an employee's distributor), each naming the field; nothing is written.
`require_distributor` reads the one client; a batch (service_layer/submit.py) reads the types
of all the distributors it names at once and judges each with `check_distributor`.
"""

from __future__ import annotations

from fieldline_kit.errors import InvalidArgument, NotFound
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain.feed import DISTRIBUTOR
from fieldline_orders.domain.values import optional_id


def check_distributor(field: str, distributor_id: str, client_type: str | None) -> str:
    """`distributor_id` (normalised, not ""), of the client type the feed holds (None: the
    client is unknown to it): a DISTRIBUTOR, or the error naming `field`."""
    if client_type is None:
        raise NotFound("client", distributor_id, field)
    if client_type != DISTRIBUTOR:
        raise InvalidArgument(field, f"client {distributor_id} is not a distributor")
    return distributor_id


async def require_distributor(
    uow: OrdersUnitOfWork, distributor_id: str, field: str = "distributor_id"
) -> str:
    """The distributor named in `field`, normalised: "" (none), or a client of type
    DISTRIBUTOR."""
    did = optional_id(field, distributor_id)
    if did:
        types = await uow.feed_reads.client_types([did])
        check_distributor(field, did, types.get(did))
    return did
