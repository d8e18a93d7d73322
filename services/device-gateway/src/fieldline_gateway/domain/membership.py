"""Which scopes of the sync store an employee receives (docs/contexts/device-gateway.md,
*Memberships*), and how a desired set changes the open membership intervals.

    roles                                        scopes
    any                                          company, catalog, agent:<self>
    AGENT, VAN_SELLER, MERCHANDISER, TELESELLER, route:     the routes it works (a
    SUPERVISOR                                              teleseller's: its call lists,
                                                            routes of kind PHONE)
                                                 outlet:    the outlets live on them, and
                                                            the outlets it proposed
                                                 client:    the clients of those outlets
    AGENT, VAN_SELLER, TELESELLER, SUPERVISOR    account:   the clients with an outlet live
                                                            on its routes
                                                 price_type: those clients' price types
    TECHNICIAN, DISTRIBUTOR_MANAGER, ADMIN       nothing more in v1

The services' own rules, restated as a subset of them: clients shows an agent the outlets of
its routes and those it proposed; settlements the clients with an outlet on its routes — so
money (`account:`, and the `price_type:` derived from those clients) follows the route
outlets only, never a proposal. A supervisor gets its own routes, not its team's. A
teleseller works its call lists as an agent its routes (docs/contexts/sales-gaps.md 3.2): it
quotes prices and debts on the phone, so it holds money scopes; it proposes no outlet (clients
admits it to no census) and has no van.

`withheld_sections` is what a role's bundle leaves out while the owning service does not admit
the role to the reads behind it: orders serves a teleseller its prices and terms, its
recommended orders, its orders (those it took on the phone and those credited to it) and its
contact figures, but no van, so a teleseller with no other route role gets no `vans` and
`vanStock`; and orders shows contact figures (`ListContactSales`) to AGENT, VAN_SELLER,
TELESELLER and SUPERVISOR only, so `contactSales` is left out for an employee holding none of
them (a merchandiser whose visit an order named).

Until orders' telesales increment a teleseller got none of orders' sections but the catalog's
(`ORDERS_SECTIONS`); a cursor does not record what was withheld from it, so its devices sync in
full once after that change (migration 0004 marks them: `devices.resync_below`, read by the
sync as a per-device horizon; docs/contexts/device-gateway.md, *Compaction, retention,
resync*).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from fieldline_kit.roles import AGENT, MERCHANDISER, SUPERVISOR, TELESELLER, VAN_SELLER

COMPANY = "company"
CATALOG = "catalog"

# Roles that work routes and see outlets and clients; and those of them that see money.
FIELD_ROLES = frozenset({AGENT, VAN_SELLER, MERCHANDISER, TELESELLER, SUPERVISOR})
MONEY_ROLES = frozenset({AGENT, VAN_SELLER, TELESELLER, SUPERVISOR})
# Orders' sections beyond the catalog's (products, productGroups): the prices and terms of the
# employee's clients, recommended orders, its own orders, vans and contact figures. Withheld
# from a teleseller until orders admitted TELESELLER to their reads (issue 15, increment 8);
# now only its van sections are (`withheld_sections`).
ORDERS_SECTIONS = frozenset(
    {
        "priceTypes",
        "priceLists",
        "prices",
        "discounts",
        "clientTerms",
        "clientPrices",
        "orders",
        "vans",
        "vanStock",
        "recommendedOrders",
        "contactSales",
    }
)
# Orders' van reads (ListVans, GetVanStock), which admit no TELESELLER: withheld from a
# teleseller with no other route role.
VAN_SECTIONS = frozenset({"vans", "vanStock"})
# Whom orders shows its own contact figures (ListContactSales: AGENT, VAN_SELLER, TELESELLER,
# SUPERVISOR; a teleseller's are its calls').
CONTACT_SALES_ROLES = frozenset({AGENT, VAN_SELLER, TELESELLER, SUPERVISOR})


def agent_scope(employee_id: str) -> str:
    return f"agent:{employee_id}"


def route_scope(route_id: str) -> str:
    return f"route:{route_id}"


def outlet_scope(outlet_id: str) -> str:
    return f"outlet:{outlet_id}"


def client_scope(client_id: str) -> str:
    return f"client:{client_id}"


def account_scope(client_id: str) -> str:
    return f"account:{client_id}"


def price_type_scope(price_type_id: str) -> str:
    return f"price_type:{price_type_id}"


def is_shared_scope(scope: str) -> bool:
    """A scope many employees hold (the company, the catalog, a price type), whose entries a
    replica keeps in memory rather than read once per employee."""
    return scope in (COMPANY, CATALOG) or scope.startswith("price_type:")


def scopes_of(
    employee_id: str,
    roles: Collection[str],
    *,
    routes: Iterable[str] = (),
    route_outlets: Iterable[str] = (),
    proposed_outlets: Iterable[str] = (),
    outlet_clients: Mapping[str, str] | None = None,
    client_price_types: Mapping[str, str] | None = None,
) -> frozenset[str]:
    """The scopes of an employee with `roles` who works `routes`, on which `route_outlets` are
    live, and who proposed `proposed_outlets`; `outlet_clients` gives an outlet's client (an
    outlet without one yields no client scope), `client_price_types` a client's price type."""
    scopes = {COMPANY, CATALOG, agent_scope(employee_id)}
    clients = outlet_clients or {}
    price_types = client_price_types or {}
    if FIELD_ROLES.isdisjoint(roles):
        return frozenset(scopes)
    on_routes = set(route_outlets)
    outlets = on_routes | set(proposed_outlets)
    scopes.update(route_scope(r) for r in routes)
    scopes.update(outlet_scope(o) for o in outlets)
    scopes.update(client_scope(clients[o]) for o in outlets if o in clients)
    if not MONEY_ROLES.isdisjoint(roles):
        paying = {clients[o] for o in on_routes if o in clients}
        scopes.update(account_scope(c) for c in paying)
        scopes.update(price_type_scope(price_types[c]) for c in paying if c in price_types)
    return frozenset(scopes)


def only_teleseller(roles: Collection[str]) -> bool:
    """A teleseller with no other route role: it works call lists only (no visit plan)."""
    return TELESELLER in roles and (FIELD_ROLES - {TELESELLER}).isdisjoint(roles)


def withheld_sections(roles: Collection[str]) -> frozenset[str]:
    """The sections an employee with `roles` does not receive although it holds their scopes:
    the van sections for a teleseller with no other route role (orders shows it no van);
    `contactSales` for one with none of the roles orders shows contact figures to. Lifting a
    withholding later (or the employee gaining such a role) needs those devices to sync in
    full once: a cursor does not record what was withheld from it (`devices.resync_below`)."""
    withheld = set(VAN_SECTIONS) if only_teleseller(roles) else set()
    if CONTACT_SALES_ROLES.isdisjoint(roles):
        withheld.add("contactSales")
    return frozenset(withheld)


@dataclass(frozen=True)
class MembershipChange:
    """Intervals to close (scopes the agent no longer has) and to open (scopes it gained)."""

    close: frozenset[str]
    open: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.close or self.open)


def membership_change(desired: Collection[str], open_now: Collection[str]) -> MembershipChange:
    """What turns the open intervals `open_now` into exactly `desired`; a scope in both stays
    open (its interval goes on, so the agent is not sent its snapshot again)."""
    want, have = frozenset(desired), frozenset(open_now)
    return MembershipChange(close=have - want, open=want - have)
