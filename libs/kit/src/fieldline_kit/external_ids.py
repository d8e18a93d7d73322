"""Ids a service derives from an ERP's external ids, published so that the exchange (and any
importer) can name a record it wrote before without asking: a documented contract of the
owning service (docs/contexts/orders.md, *Ids and numbers*; docs/contexts/clients.md,
*Counterparties from the ERP*, *Employees from the ERP*, *Route agents by date*). Standard
library only."""

from __future__ import annotations

import uuid

# orders' catalog: uuid5(ORDERS_CATALOG, "<kind>:<external_id>") for the kinds below.
ORDERS_CATALOG = uuid.UUID("6f1b8f0e-52a4-4d1e-9d43-7a0c2f0d0a11")
PRODUCT_GROUP, PRODUCT, PRICE_TYPE, PRICE_LIST, DISCOUNT = (
    "product_group",
    "product",
    "price_type",
    "price_list",
    "discount",
)
# Orders keys stock by warehouse id: an ERP's warehouse is uuid5(ORDERS_CATALOG,
# "warehouse:<its external id>") too, the id UpsertWarehouses gives it.
WAREHOUSE = "warehouse"


def orders_catalog_id(kind: str, external_id: str) -> str:
    """The id orders gives a catalog record of `kind` upserted by `external_id` without one."""
    return str(uuid.uuid5(ORDERS_CATALOG, f"{kind}:{external_id}"))


# clients: a record of the ERP is uuid5(CLIENTS, "<kind>:<external_id>"): a client or an
# employee upserted by its external id (UpsertClients, UpsertEmployees), a route made with one
# (CreateRoute). The external id as stored: surrounding spaces dropped.
CLIENTS = uuid.UUID("0c6f3b52-8e0a-4f5e-9a57-3d2b6c1e9f04")


def client_id(external_id: str) -> str:
    """The id clients gives the client the ERP knows as `external_id`."""
    return str(uuid.uuid5(CLIENTS, f"client:{external_id}"))


def employee_id(external_id: str) -> str:
    """The id clients gives the employee the ERP knows as `external_id`."""
    return str(uuid.uuid5(CLIENTS, f"employee:{external_id}"))


def route_id(external_id: str) -> str:
    """The id of the route the ERP knows as `external_id`."""
    return str(uuid.uuid5(CLIENTS, f"route:{external_id}"))
