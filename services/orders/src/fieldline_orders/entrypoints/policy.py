"""Who may call which orders RPC: one rule per RPC (listed in docs/contexts/orders.md).

The kit's interceptor admits a call only if the token holds one of the rule's roles; the
scope (what the caller may see and act on among the objects a request names) is enforced by
the use cases (`domain/access.py`): outside it a read answers NOT_FOUND, a list leaves the
object out, a write is PERMISSION_DENIED. `audit`: a change whose author is logged (the
kit) besides being recorded where the model keeps it.

* catalog and price upserts (warehouses too), SetClientPriceType, SetDistributorPriceType:
  ADMIN, SERVICE (the ERP) — company, audited;
* catalog reads (GetProduct, ListProducts): everyone who sells, audits or manages — company;
* the lists of every catalog record (ListProductGroups, ListPriceTypes, ListPriceLists,
  ListPriceListEntries, ListClientPriceTypes, ListDistributorPriceTypes, ListClientPrices,
  ListDiscounts, ListWarehouses): ADMIN, SERVICE (a consumer building its copy: the device
  gateway) — company;
* ResolvePrices (a client's prices): who sells — route (the client of an outlet on its
  routes; a teleseller's call lists are its routes);
* SubmitOrder: AGENT, TELESELLER (by phone), SUPERVISOR, SERVICE (imports, for the employee
  its token names) — route;
* GetOrder, ListOrders: the field roles, TELESELLER, DISTRIBUTOR_MANAGER, ADMIN, SERVICE —
  own orders (credited to the caller or taken by it);
* UpdateOrderStatus: ADMIN, SERVICE (the ERP, the warehouse), DISTRIBUTOR_MANAGER (its
  distributor's orders) — company, audited;
* AmendOrder, CancelOrder: AGENT, TELESELLER, SUPERVISOR, ADMIN, SERVICE (for the employee its
  token names) — own orders (a supervisor: its team's); ListOrderRevisions: as GetOrder;
* GetFulfilmentReport: SUPERVISOR, DISTRIBUTOR_MANAGER, ADMIN, SERVICE — own distributor's;
* recommended orders: AGENT, VAN_SELLER, TELESELLER, SUPERVISOR, ADMIN, SERVICE — route;
* PreviewOrder (an order priced with its promotions, nothing written): who sells — route;
* GetContactSales, ListContactSales: AGENT, VAN_SELLER, TELESELLER, SUPERVISOR, ADMIN,
  SERVICE — own (a supervisor: its team's);
* CreateVan: ADMIN, SERVICE — company, audited;
* van reads: VAN_SELLER (its own van), SUPERVISOR, DISTRIBUTOR_MANAGER (its distributor's
  vans), ADMIN, SERVICE — own;
* LoadVan, UnloadVan: VAN_SELLER (its own van), ADMIN, SERVICE — own, audited;
* CompleteVanSale: VAN_SELLER (its own van) — own;
* AcceptReturn: AGENT, VAN_SELLER (into its own van or to the warehouse), ADMIN, SERVICE —
  route;
* UpsertPromotions: ADMIN, SERVICE (the ERP, a trade-promotion system) — company, audited;
  GetPromotion, ListPromotions, ListPromotionBudgetEntries: SUPERVISOR, ADMIN, SERVICE —
  company; ListOutletPromotions:
  who sells — route.

TECHNICIAN has no business here; MERCHANDISER reads the catalog only; TELESELLER has no van.
"""

from __future__ import annotations

from fieldline_kit.auth import Rule, Scope
from fieldline_orders.domain.access import (
    ADMIN,
    AGENT,
    DISTRIBUTOR_MANAGER,
    MERCHANDISER,
    SERVICE,
    SUPERVISOR,
    TELESELLER,
    VAN_SELLER,
)

# The ERP's data (through the exchange service) or an administrator's hand.
ERP = {ADMIN, SERVICE}
CATALOG_READERS = {
    AGENT,
    VAN_SELLER,
    MERCHANDISER,
    TELESELLER,
    SUPERVISOR,
    DISTRIBUTOR_MANAGER,
    ADMIN,
    SERVICE,
}
# Every price and discount of every client at once: a system building its copy, or an admin.
CATALOG_COPIERS = {ADMIN, SERVICE}
SELLERS = {AGENT, VAN_SELLER, TELESELLER, SUPERVISOR, ADMIN, SERVICE}
ORDER_READERS = {AGENT, VAN_SELLER, TELESELLER, SUPERVISOR, DISTRIBUTOR_MANAGER, ADMIN, SERVICE}
VAN_READERS = {VAN_SELLER, SUPERVISOR, DISTRIBUTOR_MANAGER, ADMIN, SERVICE}
# Who amends and cancels a pre-sale order before confirmation: its agent's side.
ORDER_CHANGERS = {AGENT, TELESELLER, SUPERVISOR, ADMIN, SERVICE}

POLICY = {
    # CatalogService
    "UpsertProductGroups": Rule(ERP, scope=Scope.COMPANY, audit=True),
    "UpsertProducts": Rule(ERP, scope=Scope.COMPANY, audit=True),
    "UpsertPriceTypes": Rule(ERP, scope=Scope.COMPANY, audit=True),
    "UpsertPriceLists": Rule(ERP, scope=Scope.COMPANY, audit=True),
    "SetClientPriceType": Rule(ERP, scope=Scope.COMPANY, audit=True),
    "SetDistributorPriceType": Rule(ERP, scope=Scope.COMPANY, audit=True),
    "ListDistributorPriceTypes": Rule(CATALOG_COPIERS, scope=Scope.COMPANY),
    "UpsertClientPrices": Rule(ERP, scope=Scope.COMPANY, audit=True),
    "UpsertDiscounts": Rule(ERP, scope=Scope.COMPANY, audit=True),
    "UpsertWarehouses": Rule(ERP, scope=Scope.COMPANY, audit=True),
    "UpsertStock": Rule(ERP, scope=Scope.COMPANY, audit=True),
    "GetProduct": Rule(CATALOG_READERS, scope=Scope.COMPANY),
    "ListProducts": Rule(CATALOG_READERS, scope=Scope.COMPANY),
    "ResolvePrices": Rule(SELLERS, scope=Scope.ROUTE),
    "ListProductGroups": Rule(CATALOG_COPIERS, scope=Scope.COMPANY),
    "ListPriceTypes": Rule(CATALOG_COPIERS, scope=Scope.COMPANY),
    "ListPriceLists": Rule(CATALOG_COPIERS, scope=Scope.COMPANY),
    "ListPriceListEntries": Rule(CATALOG_COPIERS, scope=Scope.COMPANY),
    "ListClientPriceTypes": Rule(CATALOG_COPIERS, scope=Scope.COMPANY),
    "ListClientPrices": Rule(CATALOG_COPIERS, scope=Scope.COMPANY),
    "ListDiscounts": Rule(CATALOG_COPIERS, scope=Scope.COMPANY),
    "ListWarehouses": Rule(CATALOG_COPIERS, scope=Scope.COMPANY),
    # OrdersService
    "SubmitOrder": Rule({AGENT, TELESELLER, SUPERVISOR, SERVICE}, scope=Scope.ROUTE),
    "GetOrder": Rule(ORDER_READERS, scope=Scope.OWN),
    "ListOrders": Rule(ORDER_READERS, scope=Scope.OWN),
    "UpdateOrderStatus": Rule(
        {ADMIN, SERVICE, DISTRIBUTOR_MANAGER}, scope=Scope.COMPANY, audit=True
    ),
    "AmendOrder": Rule(ORDER_CHANGERS, scope=Scope.OWN),
    "CancelOrder": Rule(ORDER_CHANGERS, scope=Scope.OWN),
    "ListOrderRevisions": Rule(ORDER_READERS, scope=Scope.OWN),
    "GetFulfilmentReport": Rule(
        {SUPERVISOR, DISTRIBUTOR_MANAGER, ADMIN, SERVICE}, scope=Scope.TERRITORY
    ),
    "GetRecommendedOrder": Rule(SELLERS, scope=Scope.ROUTE),
    "PreviewOrder": Rule(SELLERS, scope=Scope.ROUTE),
    "ListRecommendedOrders": Rule(SELLERS, scope=Scope.ROUTE),
    "GetContactSales": Rule(SELLERS, scope=Scope.OWN),
    "ListContactSales": Rule(SELLERS, scope=Scope.OWN),
    # VanService
    "CreateVan": Rule(ERP, scope=Scope.COMPANY, audit=True),
    "ListVans": Rule(VAN_READERS, scope=Scope.OWN),
    "GetVanStock": Rule(VAN_READERS, scope=Scope.OWN),
    "ListVanMovements": Rule(VAN_READERS, scope=Scope.OWN),
    "LoadVan": Rule({VAN_SELLER, ADMIN, SERVICE}, scope=Scope.OWN, audit=True),
    "CompleteVanSale": Rule({VAN_SELLER}, scope=Scope.OWN),
    "AcceptReturn": Rule({AGENT, VAN_SELLER, ADMIN, SERVICE}, scope=Scope.ROUTE),
    "UnloadVan": Rule({VAN_SELLER, ADMIN, SERVICE}, scope=Scope.OWN, audit=True),
    # PromotionsService
    "UpsertPromotions": Rule(ERP, scope=Scope.COMPANY, audit=True),
    "GetPromotion": Rule({SUPERVISOR, ADMIN, SERVICE}, scope=Scope.COMPANY),
    "ListPromotions": Rule({SUPERVISOR, ADMIN, SERVICE}, scope=Scope.COMPANY),
    "ListPromotionBudgetEntries": Rule({SUPERVISOR, ADMIN, SERVICE}, scope=Scope.COMPANY),
    "ListOutletPromotions": Rule(SELLERS, scope=Scope.ROUTE),
}
