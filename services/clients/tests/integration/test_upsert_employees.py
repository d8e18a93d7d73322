"""UpsertEmployees: the ERP's employees keyed by external id (for the exchange), and
`external_id` and `phone` in the employee, over gRPC against a real database and NATS.

What each call wrote is read from the tables (employees, the outbox: one row per published
event) and what was published from the CLIENTS stream.
"""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline_clients.adapters import orm
from fieldline_kit.external_ids import employee_id
from fieldline_kit.testing.auth import service_caller
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.helpers import expect_error, new_id

from .builders import make_client, make_employee
from .conftest import Harness

INVALID = grpc.StatusCode.INVALID_ARGUMENT
CREATED, UPDATED, UNCHANGED = (
    cs.UPSERT_OUTCOME_CREATED,
    cs.UPSERT_OUTCOME_UPDATED,
    cs.UPSERT_OUTCOME_UNCHANGED,
)
EXCHANGE = service_caller("exchange")


def erp_id() -> str:
    """An ERP's personnel number, unique per call."""
    return f"EMP-{uuid.uuid4()}"


def item(external_id: str, name: str = "Иван Петров", **kw: object) -> ts.EmployeeUpsert:
    fields: dict[str, object] = {
        "roles": [pb.ROLE_AGENT],
        "active": True,
        "phone": "+79161234567",
        **kw,
    }
    return ts.EmployeeUpsert(external_id=external_id, full_name=name, **fields)  # type: ignore[arg-type]


def upsert(*items: ts.EmployeeUpsert, request_id: str = "") -> ts.UpsertEmployeesRequest:
    return ts.UpsertEmployeesRequest(request_id=request_id or new_id(), employees=list(items))


async def rows(h: Harness) -> dict[str, int]:
    """Rows of the employees table and of the outbox (one per event)."""
    async with h.app.sessions() as s:
        return {
            t.name: int((await s.execute(select(func.count()).select_from(t))).scalar_one())
            for t in (orm.employees, orm.kit.outbox)
        }


async def events_of(h: Harness, aggregate_id: str) -> list[str]:
    """The events the outbox holds for the employee, in order (published or not yet)."""
    o = orm.kit.outbox
    async with h.app.sessions() as s:
        stmt = select(o.c.subject).where(o.c.aggregate_id == aggregate_id).order_by(o.c.id)
        return [subject.rsplit(".", 1)[-1] for subject in (await s.execute(stmt)).scalars()]


async def get(h: Harness, employee: str) -> pb.Employee:
    reply = await h.territory.GetEmployee(ts.GetEmployeeRequest(employee_id=employee))
    return reply.employee


async def test_new_external_ids_create_employees_with_derived_ids(svc: Harness) -> None:
    agent, boss = erp_id(), erp_id()
    reply = await svc.calling(EXCHANGE).territory.UpsertEmployees(
        upsert(
            item(agent, supervisor_external_id=boss),  # the supervisor comes later in the batch
            item(f" {boss} ", "Ольга Миронова", roles=[pb.ROLE_SUPERVISOR], phone=""),
        )
    )
    assert [(r.external_id, r.employee_id, r.outcome) for r in reply.results] == [
        (agent, employee_id(agent), CREATED),
        (boss, employee_id(boss), CREATED),
    ]
    got = await get(svc, employee_id(agent))
    assert (got.external_id, got.phone, got.version, got.active) == (
        agent,
        "+79161234567",
        1,
        True,
    )
    assert (got.supervisor_id, list(got.roles)) == (employee_id(boss), [pb.ROLE_AGENT])
    assert (await get(svc, employee_id(boss))).phone == ""
    events = await published(svc.js, "CLIENTS", about(employee_id(agent)), expect=1)
    assert [e.name for e in events] == ["EmployeeChanged"]
    assert events[0].message.employee.external_id == agent  # type: ignore[attr-defined]
    assert events[0].message.employee.phone == "+79161234567"  # type: ignore[attr-defined]


async def test_a_supervisor_upserted_before_is_found_by_its_external_id(svc: Harness) -> None:
    boss = erp_id()
    await svc.territory.UpsertEmployees(upsert(item(boss, roles=[pb.ROLE_SUPERVISOR])))
    agent = erp_id()
    await svc.territory.UpsertEmployees(upsert(item(agent, supervisor_external_id=boss)))
    assert (await get(svc, employee_id(agent))).supervisor_id == employee_id(boss)


async def test_a_retry_under_the_same_request_id_answers_the_same_and_writes_nothing(
    svc: Harness,
) -> None:
    request = upsert(item(erp_id()), item(erp_id(), phone=""))
    first = await svc.territory.UpsertEmployees(request)
    before = await rows(svc)
    again = await svc.territory.UpsertEmployees(request)
    assert again == first
    assert await rows(svc) == before
    for result in first.results:
        assert await events_of(svc, result.employee_id) == ["EmployeeChanged"]


async def test_the_same_batch_under_a_new_request_id_changes_and_publishes_nothing(
    svc: Harness,
) -> None:
    boss = erp_id()
    batch = (item(erp_id(), supervisor_external_id=boss), item(boss, roles=[pb.ROLE_SUPERVISOR]))
    first = await svc.territory.UpsertEmployees(upsert(*batch))
    before = await rows(svc)
    again = await svc.territory.UpsertEmployees(upsert(*batch))
    assert [r.outcome for r in again.results] == [UNCHANGED, UNCHANGED]
    assert [r.employee_id for r in again.results] == [r.employee_id for r in first.results]
    assert await rows(svc) == before


async def test_an_unchanged_item_publishes_nothing_and_a_changed_one_one_event(
    svc: Harness,
) -> None:
    same, changed = erp_id(), erp_id()
    await svc.territory.UpsertEmployees(upsert(item(same), item(changed)))
    reply = await svc.territory.UpsertEmployees(
        upsert(
            item(same, name=" Иван Петров ", phone=" +79161234567 "),  # the same once trimmed
            item(changed, active=False, roles=[pb.ROLE_VAN_SELLER, pb.ROLE_AGENT]),
        )
    )
    assert [r.outcome for r in reply.results] == [UNCHANGED, UPDATED]
    moved = await get(svc, employee_id(changed))
    assert (moved.version, moved.active) == (2, False)
    assert sorted(moved.roles) == [pb.ROLE_AGENT, pb.ROLE_VAN_SELLER]
    assert await events_of(svc, employee_id(same)) == ["EmployeeChanged"]
    assert await events_of(svc, employee_id(changed)) == ["EmployeeChanged"] * 2
    events = await published(svc.js, "CLIENTS", about(employee_id(changed)), expect=2)
    assert [e.envelope.aggregate_version for e in events] == [1, 2]
    assert events[1].message.employee.active is False  # type: ignore[attr-defined]


async def test_admin_is_never_granted_by_an_import_and_one_granted_in_fieldline_stays(
    svc: Harness,
) -> None:
    external = erp_id()
    await svc.territory.UpsertEmployees(upsert(item(external)))
    employee = await get(svc, employee_id(external))
    await svc.territory.UpdateEmployee(
        ts.UpdateEmployeeRequest(
            request_id=new_id(),
            employee=pb.Employee(
                id=employee.id,
                full_name=employee.full_name,
                roles=[pb.ROLE_AGENT, pb.ROLE_ADMIN],
                active=True,
                phone=employee.phone,
                version=employee.version,
            ),
        )
    )
    reply = await svc.territory.UpsertEmployees(upsert(item(external, name="Иван Иванович")))
    assert [r.outcome for r in reply.results] == [UPDATED]
    kept = await get(svc, employee.id)
    assert (kept.full_name, sorted(kept.roles)) == ("Иван Иванович", [pb.ROLE_AGENT, pb.ROLE_ADMIN])
    await expect_error(
        svc.territory.UpsertEmployees(upsert(item(external, roles=[pb.ROLE_ADMIN]))),
        INVALID,
        "employees[0].roles: ROLE_ADMIN is granted in Fieldline only",
    )


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        (item("", "без ключа"), "employees[1].external_id: must not be empty"),
        (item("Я" * 65), "employees[1].external_id: must be at most 64 characters"),
        (item(erp_id(), ""), "employees[1].full_name: must not be empty"),
        (item(erp_id(), "Я" * 301), "employees[1].full_name: must be at most 300 characters"),
        (item(erp_id(), roles=[]), "employees[1].roles: at least one role is required"),
        (item(erp_id(), roles=[0]), "employees[1].roles: ROLE_UNSPECIFIED is not a role"),
        (item(erp_id(), roles=[99]), "employees[1].roles: unknown value 99"),
        (item(erp_id(), roles=[pb.ROLE_ADMIN]), "employees[1].roles: ROLE_ADMIN is granted"),
        (
            item(erp_id(), roles=[pb.ROLE_DISTRIBUTOR_MANAGER]),
            "employees[1].roles: ROLE_DISTRIBUTOR_MANAGER needs the distributor",
        ),
        (item(erp_id(), phone="8 (916) 123-45-67"), "employees[1].phone: must be E.164"),
        (item(erp_id(), phone="+7916"), "employees[1].phone: must be E.164"),
        (
            item(erp_id(), supervisor_external_id="EMP-nobody"),
            "employees[1].supervisor_external_id: no employee has the external id 'EMP-nobody'",
        ),
        (
            item("EMP-self", supervisor_external_id="EMP-self"),
            "employees[1].supervisor_external_id: an employee cannot supervise themselves",
        ),
        (
            item(erp_id(), supervisor_external_id="Я" * 65),
            "employees[1].supervisor_external_id: must be at most 64 characters",
        ),
        (item(erp_id(), territory_id="x"), "employees[1].territory_id: must be a UUID"),
        (
            item(erp_id(), territory_id="00000000-0000-4000-8000-000000000000"),
            "employees[1].territory_id: territory '00000000-0000-4000-8000-000000000000' not found",
        ),
    ],
)
async def test_an_invalid_item_is_named_by_index_and_field_and_nothing_is_written(
    svc: Harness, bad: ts.EmployeeUpsert, named: str
) -> None:
    known = erp_id()
    await svc.territory.UpsertEmployees(upsert(item(known)))
    before = await rows(svc)
    good, changed = item(erp_id()), item(known, active=False)
    await expect_error(svc.territory.UpsertEmployees(upsert(good, bad, changed)), INVALID, named)
    assert await rows(svc) == before
    assert (await get(svc, employee_id(known))).active is True


async def test_every_invalid_item_is_named_and_the_rest_goes_through_under_the_same_id(
    svc: Harness,
) -> None:
    """The refusal names every refused item; the exchange reports them and sends the rest of
    the batch again under the same request id: a refused call stored no answer under it."""
    dup = erp_id()
    items = [item(dup), item(erp_id(), phone="1"), item(dup, "дубль"), item(erp_id())]
    request_id = new_id()
    before = await rows(svc)
    error = await expect_error(
        svc.territory.UpsertEmployees(upsert(*items, request_id=request_id)), INVALID
    )
    details = error.details() or ""
    assert details.startswith("employees[1].phone: must be E.164")
    assert f"(and 1 more: employees[2].external_id: '{dup}' is also employees[0])" in details
    assert details.endswith("; nothing was changed")
    assert await rows(svc) == before
    rest = upsert(items[0], items[3], request_id=request_id)
    reply = await svc.territory.UpsertEmployees(rest)
    assert [r.outcome for r in reply.results] == [CREATED, CREATED]
    assert await svc.territory.UpsertEmployees(rest) == reply


async def test_batch_limits(svc: Harness) -> None:
    before = await rows(svc)
    await expect_error(svc.territory.UpsertEmployees(upsert()), INVALID, "employees: at least one")
    await expect_error(
        svc.territory.UpsertEmployees(upsert(*(item(f"E-{i}") for i in range(1001)))),
        INVALID,
        "employees: must have at most 1000 items, got 1001",
    )
    await expect_error(
        svc.territory.UpsertEmployees(ts.UpsertEmployeesRequest(employees=[item(erp_id())])),
        INVALID,
        "request_id: is required",
    )
    assert await rows(svc) == before


async def test_a_full_batch_of_a_thousand(svc: Harness) -> None:
    base = erp_id()
    items = [item(f"{base}-{i}", f"Агент №{i}") for i in range(1000)]
    reply = await svc.territory.UpsertEmployees(upsert(*items))
    assert [r.outcome for r in reply.results] == [CREATED] * 1000
    items[500] = item(f"{base}-500", "Переименован")
    reply = await svc.territory.UpsertEmployees(upsert(*items))
    assert [i for i, r in enumerate(reply.results) if r.outcome != UNCHANGED] == [500]


async def test_an_employee_made_in_fieldline_under_a_derived_id_is_not_taken_over(
    svc: Harness,
) -> None:
    external = erp_id()
    made = await make_employee(svc, id=employee_id(external))
    assert made.external_id == ""
    before = await rows(svc)
    await expect_error(
        svc.territory.UpsertEmployees(upsert(item(external))),
        INVALID,
        f"employees[0].external_id: the id derived from '{external}'",
    )
    assert await rows(svc) == before


async def test_the_database_holds_one_employee_per_external_id(svc: Harness) -> None:
    """The partial unique index: a second row with a taken external id is refused, while the
    employees made in Fieldline (external id '') are many."""
    external = erp_id()
    await svc.territory.UpsertEmployees(upsert(item(external)))
    await make_employee(svc)
    await make_employee(svc)
    row = {
        "id": new_id(),
        "full_name": "копия",
        "roles": ["agent"],
        "territory_id": "",
        "supervisor_id": "",
        "distributor_id": "",
        "active": True,
        "version": 1,
        "phone": "",
    }
    async with svc.app.sessions() as s:
        with pytest.raises(IntegrityError):
            await s.execute(insert(orm.employees).values(**row, external_id=external))
        await s.rollback()
    async with svc.app.sessions() as s:
        empty = select(func.count()).where(orm.employees.c.external_id == "")
        assert int((await s.execute(empty)).scalar_one()) >= 2


async def test_create_and_update_employee_take_a_phone_and_leave_the_external_id_alone(
    svc: Harness,
) -> None:
    made = await make_employee(svc, phone=" +79031112233 ", external_id="EMP-ignored")
    assert (made.phone, made.external_id) == ("+79031112233", "")
    await expect_error(
        svc.territory.CreateEmployee(
            ts.CreateEmployeeRequest(
                request_id=new_id(),
                employee=pb.Employee(
                    id=new_id(), full_name="Пётр", roles=[pb.ROLE_AGENT], phone="8-903"
                ),
            )
        ),
        INVALID,
        "employee.phone: must be E.164",
    )
    external = erp_id()
    await svc.territory.UpsertEmployees(upsert(item(external)))
    upserted = await get(svc, employee_id(external))
    reply = await svc.territory.UpdateEmployee(
        ts.UpdateEmployeeRequest(
            request_id=new_id(),
            employee=pb.Employee(
                id=upserted.id,
                full_name=upserted.full_name,
                roles=upserted.roles,
                active=True,
                phone="+74951234567",
                external_id="other",
                version=upserted.version,
            ),
        )
    )
    assert (reply.employee.phone, reply.employee.external_id) == ("+74951234567", external)
    # the next import finds it by its external id and restores the ERP's phone
    again = await svc.territory.UpsertEmployees(upsert(item(external)))
    assert [r.outcome for r in again.results] == [UPDATED]
    assert (await get(svc, upserted.id)).phone == "+79161234567"


async def test_a_distributor_manager_keeps_the_distributor_fieldline_gave_it(
    svc: Harness,
) -> None:
    external = erp_id()
    await svc.territory.UpsertEmployees(upsert(item(external)))
    employee = await get(svc, employee_id(external))
    distributor = await make_client(svc, type=pb.CLIENT_TYPE_DISTRIBUTOR)
    await svc.territory.UpdateEmployee(
        ts.UpdateEmployeeRequest(
            request_id=new_id(),
            employee=pb.Employee(
                id=employee.id,
                full_name=employee.full_name,
                roles=[pb.ROLE_DISTRIBUTOR_MANAGER],
                distributor_id=distributor.id,
                active=True,
                phone=employee.phone,
                version=employee.version,
            ),
        )
    )
    reply = await svc.territory.UpsertEmployees(
        upsert(item(external, roles=[pb.ROLE_DISTRIBUTOR_MANAGER]))
    )
    assert [r.outcome for r in reply.results] == [UNCHANGED]
    assert (await get(svc, employee.id)).distributor_id == distributor.id


async def test_concurrent_upserts_of_one_new_external_id_make_one_employee(svc: Harness) -> None:
    external = erp_id()
    replies = await asyncio.gather(
        *(svc.territory.UpsertEmployees(upsert(item(external))) for _ in range(4)),
        return_exceptions=True,
    )
    answered = [r for r in replies if isinstance(r, ts.UpsertEmployeesResponse)]
    for r in replies:  # a loser that could not re-read in time is ABORTED, never INTERNAL
        if isinstance(r, grpc.aio.AioRpcError):
            assert r.code() == grpc.StatusCode.ABORTED
    assert answered and {r.results[0].employee_id for r in answered} == {employee_id(external)}
    assert await events_of(svc, employee_id(external)) == ["EmployeeChanged"]
