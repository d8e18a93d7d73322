"""Reading the contacts' sales (GetContactSales, ListContactSales).

The figures are written by the unit of work of every change of a document naming a contact
(adapters/contacts.py; the rules: domain/contacts.py). A contact is in the caller's scope when
it is the caller's own (its employee is the caller) or its team's (a supervisor); ADMIN and
SERVICE see every one. Outside it a read is NOT_FOUND and a list leaves it out.
"""

from __future__ import annotations

from datetime import date

from fieldline_kit.errors import InvalidArgument
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain.access import Actor, hidden
from fieldline_orders.domain.contacts import ContactSales
from fieldline_orders.domain.values import require_id


async def readable(uow: OrdersUnitOfWork, actor: Actor, contact_id: str) -> ContactSales:
    cid = require_id("contact_id", contact_id)
    contact = await uow.contacts.find(cid)
    if contact is None or not actor.sees_agent(contact.employee_id):
        raise hidden("contact", cid, "contact_id")
    return contact


async def listed(
    uow: OrdersUnitOfWork,
    actor: Actor,
    *,
    size: int,
    token: str,
    employee_id: str,
    from_date: date | None,
    to_date: date | None,
) -> tuple[list[ContactSales], str]:
    if from_date and to_date and to_date < from_date:
        raise InvalidArgument("to_date", "must not be before from_date")
    employees = actor.narrowed(employee_id)
    if employees is None:
        return [], ""
    return await uow.contacts.list(
        size=size, token=token, employee_ids=employees, from_date=from_date, to_date=to_date
    )
