"""Which agent-owned history leaves the devices by window (docs/contexts/device-gateway.md,
*Compaction, retention, resync*; docs/sync-protocol.md, *Sections*).

The daily window sweep asks this module about every live item of the swept sections, given the
date the item counts from (read from its body, or its key, by the adapter that knows how the
projections write them) and the business day (`today`, in the company's time zone):

    orders        final (delivered, partly delivered, rejected, cancelled) and ordered before
                  today − order_days (GATEWAY_ORDER_DAYS, 30); an order still in motion stays
                  whatever its age
    visits        dated before today − 14 days
    proposals     decided (approved, rejected) before today − 30 days; a pending one stays
    visitPlans    plan days before today
    collections   collected before today − 7 days
    calls         dated before today − 14 days (a teleseller's, as visits)
    callPlans     plan days before today
    contactSales  dated before today − 14 days (a visit's figures leave with the visit)
    promotions    ended (`validTo`) before today − 1 day: orders still gives a promotion to an
                  order that arrives the day after it ended (its grace day), so the device
                  keeps it that day; a stopped one stays, marked `stopped`, until then

"Older than N days" keeps the day today − N itself: the bulk build lists the same windows from
that day on (`ListVisits(from today − 14)`, `ListOrders(from today − 30)`), so a fresh bundle and
a swept one hold the same items. An item whose date is missing or unreadable stays: the sweep
never removes what it cannot judge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# The swept sections, as the protocol names them (adapters/projections.py uses the same names).
ORDERS = "orders"
VISITS = "visits"
PROPOSALS = "proposals"
VISIT_PLANS = "visitPlans"
COLLECTIONS = "collections"
CALLS = "calls"
CALL_PLANS = "callPlans"
CONTACT_SALES = "contactSales"
PROMOTIONS = "promotions"

SWEPT_SECTIONS = (
    ORDERS,
    VISITS,
    PROPOSALS,
    VISIT_PLANS,
    COLLECTIONS,
    CALLS,
    CALL_PLANS,
    CONTACT_SALES,
    PROMOTIONS,
)
# Days after its `validTo` a promotion stays on devices (orders' ORDERS_PROMOTION_GRACE_DAYS
# default: an offline device's last-day order uploaded next morning still gets it).
PROMOTION_GRACE_DAYS = 1

# Order statuses (the protocol's names of orders' OrderStatus) no change leaves any more. A
# status this build does not know ("unknown", a newer service) counts as still in motion.
FINAL_ORDER_STATUSES = frozenset({"delivered", "partiallyDelivered", "rejected", "cancelled"})
# Proposal statuses (clients' ProposalStatus) of a decided proposal.
DECIDED_PROPOSAL_STATUSES = frozenset({"approved", "rejected"})


@dataclass(frozen=True)
class Windows:
    """How many days back each section's history stays on the devices."""

    order_days: int = 30  # GATEWAY_ORDER_DAYS
    visit_days: int = 14
    proposal_days: int = 30
    collection_days: int = 7


@dataclass(frozen=True)
class Dated:
    """What the rule needs of an item: the business day it counts from (an order's
    `orderDate`, a visit's, plan day's or collection's `date`, a proposal's decision day, a
    promotion's `validTo`) and
    its status (orders, proposals; "" elsewhere). `day` None: the item has no readable date."""

    day: date | None
    status: str = ""


def out_of_window(section: str, item: Dated, today: date, windows: Windows = Windows()) -> bool:
    """Whether the item of `section` has left the devices' window on the business day
    `today` (a section not swept never has)."""
    day = item.day
    if day is None:
        return False
    if section == ORDERS:
        return item.status in FINAL_ORDER_STATUSES and day < today - timedelta(windows.order_days)
    if section in (VISITS, CALLS, CONTACT_SALES):
        return day < today - timedelta(windows.visit_days)
    if section == PROPOSALS:
        return item.status in DECIDED_PROPOSAL_STATUSES and day < today - timedelta(
            windows.proposal_days
        )
    if section in (VISIT_PLANS, CALL_PLANS):
        return day < today
    if section == PROMOTIONS:
        return day < today - timedelta(PROMOTION_GRACE_DAYS)
    if section == COLLECTIONS:
        return day < today - timedelta(windows.collection_days)
    return False
