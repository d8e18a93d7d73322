"""What the device gateway builds its sync store from (issue 13; device-gateway.md, "What the
services and the kit must add", clients 1–3): questionnaires published whole at every version,
an audit's device time kept beside the server's, listed assignments carrying their route's
version as the events do; and the bulk reads a SERVICE caller makes (employees, plans)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import grpc
from sqlalchemy import func, select

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_clients.adapters import orm
from fieldline_kit.testing.auth import service_caller
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.helpers import expect_error, new_id

from .builders import (
    audit_request,
    caller_of,
    checked_in_merchandiser,
    make_employee,
    make_outlet,
    make_questionnaire,
    make_route,
    pb_date,
    put_on_route,
    stamp,
)
from .conftest import Harness

INVALID = grpc.StatusCode.INVALID_ARGUMENT
MONDAY = date(2026, 11, 2)  # the first day of `put_on_route`'s schedules


async def rows(h: Harness) -> dict[str, int]:
    """Rows of the tables these writes touch (nothing may change on a refusal)."""
    tables = (orm.questionnaires, orm.audits, orm.routes, orm.route_assignments, orm.kit.outbox)
    async with h.app.sessions() as s:
        return {
            t.name: int((await s.execute(select(func.count()).select_from(t))).scalar_one())
            for t in tables
        }


# ------------------------------------------------------------------------ questionnaires
def update_request(q: pb.Questionnaire, **changes: object) -> vs.UpdateQuestionnaireRequest:
    new = pb.Questionnaire()
    new.CopyFrom(q)
    for name, value in changes.items():
        if isinstance(value, list):
            del getattr(new, name)[:]
            getattr(new, name).extend(value)
        else:
            setattr(new, name, value)
    return vs.UpdateQuestionnaireRequest(request_id=new_id(), questionnaire=new)


async def test_a_questionnaire_is_published_whole_on_create_and_on_each_change(
    svc: Harness,
) -> None:
    created = await make_questionnaire(
        svc,
        pb.Question(id="facings", text="Фейсинги", type=pb.QUESTION_TYPE_NUMBER, required=True),
        pb.Question(
            id="place", text="Место", type=pb.QUESTION_TYPE_CHOICE, options=["вход", "касса"]
        ),
        name="Аудит полки",
        must_stock_skus=["SKU-1"],
    )
    assert created.version == 1
    [first] = await published(svc.js, "CLIENTS", about(created.id), expect=1)
    assert first.name == "QuestionnaireChanged"
    assert first.envelope.aggregate_type == "questionnaire"
    assert first.envelope.aggregate_version == 1
    assert first.message == ev.QuestionnaireChanged(questionnaire=created)  # the whole of it

    # A create retried under a new request id: the questionnaire exists, nothing changes.
    again = await svc.visits.CreateQuestionnaire(
        vs.CreateQuestionnaireRequest(request_id=new_id(), questionnaire=created)
    )
    assert again.questionnaire == created

    changed = (
        await svc.visits.UpdateQuestionnaire(
            update_request(created, name="Аудит полки v2", must_stock_skus=["SKU-1", "SKU-2"])
        )
    ).questionnaire
    assert (changed.name, list(changed.must_stock_skus), changed.version) == (
        "Аудит полки v2",
        ["SKU-1", "SKU-2"],
        2,
    )
    assert list(changed.questions) == list(created.questions)
    got = await svc.visits.GetQuestionnaire(vs.GetQuestionnaireRequest(questionnaire_id=created.id))
    assert got.questionnaire == changed

    # The same content again (at the current version) changes nothing and publishes nothing.
    same = (await svc.visits.UpdateQuestionnaire(update_request(changed))).questionnaire
    assert same == changed
    # A stale version (the first one) is refused: someone else changed it since.
    await expect_error(
        svc.visits.UpdateQuestionnaire(update_request(created, name="Устаревший")),
        grpc.StatusCode.ABORTED,
        "expected version 1, current is 2",
    )
    third = (
        await svc.visits.UpdateQuestionnaire(
            update_request(changed, questions=[changed.questions[0]])
        )
    ).questionnaire
    assert third.version == 3 and [q.id for q in third.questions] == ["facings"]

    events = await published(svc.js, "CLIENTS", about(created.id), expect=3)
    assert [e.name for e in events] == ["QuestionnaireChanged"] * 3  # not one for the no-ops
    assert [e.envelope.aggregate_version for e in events] == [1, 2, 3]
    assert [e.message for e in events] == [
        ev.QuestionnaireChanged(questionnaire=q) for q in (created, changed, third)
    ]
    # On the CLIENTS stream under its own subject, like every clients event.
    last = await svc.js.get_last_msg("CLIENTS", "clients.events.v1.QuestionnaireChanged")
    envelope = EventEnvelope.FromString(last.data)
    assert (envelope.aggregate_id, envelope.aggregate_version) == (created.id, 3)

    listed = await svc.visits.ListQuestionnaires(vs.ListQuestionnairesRequest(page_size=1000))
    assert third in list(listed.questionnaires)


async def test_a_bad_questionnaire_update_is_refused_naming_the_field_and_writes_nothing(
    svc: Harness,
) -> None:
    q = await make_questionnaire(svc, must_stock_skus=["SKU-1"])
    await published(svc.js, "CLIENTS", about(q.id), expect=1)
    before = await rows(svc)
    choice = pb.Question(id="c", text="Выбор", type=pb.QUESTION_TYPE_CHOICE, options=["один"])
    cases: list[tuple[vs.UpdateQuestionnaireRequest, grpc.StatusCode, str]] = [
        (update_request(q, id=""), INVALID, "questionnaire.id"),
        (update_request(q, id=new_id()), grpc.StatusCode.NOT_FOUND, "questionnaire.id"),
        (update_request(q, version=0), INVALID, "questionnaire.version"),
        (update_request(q, name=""), INVALID, "questionnaire.name"),
        (update_request(q, name="я" * 301), INVALID, "questionnaire.name"),
        (update_request(q, questions=[], must_stock_skus=[]), INVALID, "questionnaire.questions"),
        (update_request(q, questions=[choice]), INVALID, "questionnaire.questions[0].options"),
        (
            update_request(q, questions=[pb.Question(id="x", text="X")]),
            INVALID,
            "questionnaire.questions[0].type",
        ),
        (
            update_request(q, must_stock_skus=["SKU-1", "SKU-1"]),
            INVALID,
            "questionnaire.must_stock_skus",
        ),
    ]
    for request, code, field in cases:
        await expect_error(svc.visits.UpdateQuestionnaire(request), code, field)
    assert await rows(svc) == before
    got = await svc.visits.GetQuestionnaire(vs.GetQuestionnaireRequest(questionnaire_id=q.id))
    assert got.questionnaire == q
    # A field employee reads questionnaires but does not change them.
    agent = await make_employee(svc, pb.ROLE_AGENT)
    await expect_error(
        svc.calling(caller_of(agent)).visits.UpdateQuestionnaire(update_request(q, name="Моё")),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    events = await published(svc.js, "CLIENTS", about(q.id), expect=1, settle=0.5)
    assert [e.envelope.aggregate_version for e in events] == [1]


# -------------------------------------------------------------------------------- audits
async def visit_of_a_merchandiser(svc: Harness) -> tuple[vs.VisitsServiceStub, str, str]:
    """A merchandiser's stub, a visit it checked in to now, and a questionnaire's id."""
    visits, visit_id = await checked_in_merchandiser(svc)
    questionnaire = await make_questionnaire(svc)
    return visits, visit_id, questionnaire.id


async def test_an_audit_keeps_the_devices_time_beside_the_servers(svc: Harness) -> None:
    visits, visit_id, questionnaire_id = await visit_of_a_merchandiser(svc)
    # Made offline two hours ago, sent now.
    made = datetime.now(UTC).replace(microsecond=123_000) - timedelta(hours=2)
    sent = datetime.now(UTC)
    request = audit_request(visit_id, questionnaire_id, performed_at=stamp(made))
    audit = (await visits.SubmitAudit(request)).audit
    assert audit.performed_at.ToDatetime(tzinfo=UTC) == made
    submitted = audit.submit_time.ToDatetime(tzinfo=UTC)
    assert sent - timedelta(seconds=5) < submitted < datetime.now(UTC) + timedelta(seconds=1)

    # Stored: read back, listed, and published as it was answered.
    got = await visits.GetAudit(vs.GetAuditRequest(audit_id=audit.id))
    assert got.audit == audit
    listed = await visits.ListAudits(vs.ListAuditsRequest(visit_id=visit_id))
    assert list(listed.audits) == [audit]
    [event] = await published(svc.js, "CLIENTS", about(audit.id), expect=1)
    assert event.name == "AuditSubmitted"
    assert event.message == ev.AuditSubmitted(audit=audit)

    # Without a device time the audit has none (submit_time alone), and a time from the
    # device up to the bound ahead of the server's is kept as given.
    plain = (await visits.SubmitAudit(audit_request(visit_id, questionnaire_id))).audit
    assert not plain.HasField("performed_at") and plain.HasField("submit_time")
    ahead = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=55)
    early = (
        await visits.SubmitAudit(
            audit_request(visit_id, questionnaire_id, performed_at=stamp(ahead))
        )
    ).audit
    assert early.performed_at.ToDatetime(tzinfo=UTC) == ahead


async def test_a_device_time_over_an_hour_ahead_is_refused_naming_the_field(
    svc: Harness,
) -> None:
    visits, visit_id, questionnaire_id = await visit_of_a_merchandiser(svc)
    before = await rows(svc)
    too_late = datetime.now(UTC) + timedelta(minutes=61)
    bad_nanos = stamp(datetime.now(UTC))
    bad_nanos.nanos = -1
    cases = [
        (stamp(too_late), "audit.performed_at: is 61 minutes after the server's time"),
        (stamp(datetime.now(UTC) + timedelta(days=365)), "audit.performed_at"),
        (bad_nanos, "audit.performed_at.nanos"),
    ]
    refused = []
    for performed_at, needle in cases:
        request = audit_request(visit_id, questionnaire_id, performed_at=performed_at)
        refused.append(request.audit.id)
        await expect_error(visits.SubmitAudit(request), INVALID, needle)
    assert await rows(svc) == before
    for audit_id in refused:
        await expect_error(
            visits.GetAudit(vs.GetAuditRequest(audit_id=audit_id)), grpc.StatusCode.NOT_FOUND
        )


# --------------------------------------------------------------------------------- routes
async def test_listed_assignments_carry_the_routes_version_as_the_events_do(
    svc: Harness,
) -> None:
    agent = await make_employee(svc, pb.ROLE_AGENT)
    route, other_route = await make_route(svc, agent.id), await make_route(svc, agent.id)
    first, second = await make_outlet(svc), await make_outlet(svc)

    async def set_(route_id: str, outlet_id: str, weekdays: list[int]) -> pb.RouteAssignment:
        reply = await svc.territory.SetRouteAssignment(
            ts.SetRouteAssignmentRequest(
                request_id=new_id(),
                assignment=pb.RouteAssignment(
                    route_id=route_id,
                    outlet_id=outlet_id,
                    frequency=pb.VISIT_FREQUENCY_WEEKLY,
                    weekdays=weekdays,
                    start_date=pb_date(MONDAY),
                    # ignored on input: the server says what the route's version is
                    route_version=99,
                ),
            )
        )
        return reply.assignment

    async def listed(**where: str) -> dict[tuple[str, str], int]:
        reply = await svc.territory.ListRouteAssignments(
            ts.ListRouteAssignmentsRequest(page_size=1, **where)  # paged: one a page
        )
        found = list(reply.assignments)
        while reply.next_page_token:
            reply = await svc.territory.ListRouteAssignments(
                ts.ListRouteAssignmentsRequest(
                    page_size=1, page_token=reply.next_page_token, **where
                )
            )
            found += reply.assignments
        return {(a.route_id, a.outlet_id): a.route_version for a in found}

    assert (await set_(route.id, first.id, [1])).route_version == 2
    assert (await set_(route.id, second.id, [2])).route_version == 3
    assert (await set_(other_route.id, first.id, [3])).route_version == 2
    # The same assignment again: nothing changes, the answer gives the version as it is.
    assert (await set_(route.id, first.id, [1])).route_version == 3

    assert await listed(route_id=route.id) == {(route.id, first.id): 3, (route.id, second.id): 3}
    assert await listed(outlet_id=first.id) == {
        (route.id, first.id): 3,
        (other_route.id, first.id): 2,
    }

    await svc.territory.RemoveRouteAssignment(
        ts.RemoveRouteAssignmentRequest(request_id=new_id(), route_id=route.id, outlet_id=second.id)
    )
    assert await listed(route_id=route.id) == {(route.id, first.id): 4}

    events = await published(svc.js, "CLIENTS", about(route.id), expect=4)
    assert [e.name for e in events] == ["RouteChanged"] + ["RouteAssignmentChanged"] * 3
    changes = events[1:]
    assert [e.envelope.aggregate_version for e in changes] == [2, 3, 4]
    assert [e.message.assignment.route_version for e in changes] == [2, 3, 4]  # type: ignore[attr-defined]
    assert [e.message.removed for e in changes] == [False, False, True]  # type: ignore[attr-defined]

    # A field employee's own list carries the same versions.
    mine = await svc.calling(caller_of(agent)).territory.ListRouteAssignments(
        ts.ListRouteAssignmentsRequest(outlet_id=first.id)
    )
    assert {(a.route_id, a.route_version) for a in mine.assignments} == {
        (route.id, 4),
        (other_route.id, 2),
    }


# --------------------------------------------------------------------- bulk reads (SERVICE)
async def test_a_service_lists_every_employee_page_by_page_and_reads_any_agents_plan(
    svc: Harness,
) -> None:
    boss = await make_employee(svc, pb.ROLE_SUPERVISOR)
    team = [await make_employee(svc, pb.ROLE_AGENT, supervisor_id=boss.id) for _ in range(3)]
    loner = await make_employee(svc, pb.ROLE_VAN_SELLER)
    outlet = await make_outlet(svc)
    await put_on_route(svc, (await make_route(svc, loner.id)).id, outlet.id)
    gateway = svc.calling(service_caller("gateway"))

    async def every_employee(stub: ts.TerritoryServiceStub) -> list[pb.Employee]:
        found: list[pb.Employee] = []
        token = ""
        while True:
            reply = await stub.ListEmployees(ts.ListEmployeesRequest(page_size=2, page_token=token))
            assert len(reply.employees) <= 2
            found += reply.employees
            token = reply.next_page_token
            if not token:
                return found

    everyone = await every_employee(gateway.territory)
    ids = [e.id for e in everyone]
    assert len(ids) == len(set(ids))  # each once, in key order across pages
    assert ids == sorted(ids)
    assert {boss.id, loner.id, *(e.id for e in team)} <= set(ids)
    assert everyone == await every_employee(svc.territory)  # what an ADMIN lists
    assert {e.id: e.version for e in everyone}[loner.id] == loner.version
    # A supervisor, by contrast, lists its team only.
    supervised = await every_employee(svc.calling(caller_of(boss)).territory)
    assert {e.id for e in supervised} == {boss.id, *(e.id for e in team)}

    plan = await gateway.territory.GetVisitPlan(
        ts.GetVisitPlanRequest(agent_id=loner.id, date=pb_date(MONDAY))
    )
    assert [v.outlet.id for v in plan.visits] == [outlet.id]
    # A service has no plan of its own: it names the agent, one that exists.
    await expect_error(
        gateway.territory.GetVisitPlan(ts.GetVisitPlanRequest(date=pb_date(MONDAY))),
        INVALID,
        "agent_id",
    )
    await expect_error(
        gateway.territory.GetVisitPlan(
            ts.GetVisitPlanRequest(agent_id=new_id(), date=pb_date(MONDAY))
        ),
        grpc.StatusCode.NOT_FOUND,
        "agent_id",
    )
