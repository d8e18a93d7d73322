"""People, routes, visit plans, visits, audits and census over gRPC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import grpc
from google.protobuf import field_mask_pb2
from google.type import latlng_pb2, money_pb2

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.helpers import expect_error, new_id

from .builders import (
    caller_of,
    card,
    make_client,
    make_employee,
    make_outlet,
    make_questionnaire,
    make_route,
    pb_date,
    put_on_route,
    stamp,
)
from .conftest import Harness

MONDAY = date(2026, 11, 2)


async def assign(
    h: Harness, route_id: str, outlet_id: str, freq: int, days: list[int], seq: int = 0
) -> None:
    await h.territory.SetRouteAssignment(
        ts.SetRouteAssignmentRequest(
            request_id=new_id(),
            assignment=pb.RouteAssignment(
                route_id=route_id,
                outlet_id=outlet_id,
                frequency=freq,
                weekdays=days,
                start_date=pb_date(MONDAY),
                sequence=seq,
            ),
        )
    )


async def test_visit_plan_follows_weekdays_and_frequency(svc: Harness) -> None:
    agent = await make_employee(svc, pb.ROLE_AGENT)
    route = await make_route(svc, agent.id)
    weekly = await make_outlet(svc)
    fortnightly = await make_outlet(svc)
    monthly = await make_outlet(svc)
    await assign(svc, route.id, weekly.id, pb.VISIT_FREQUENCY_WEEKLY, [1, 4], seq=2)
    await assign(svc, route.id, fortnightly.id, pb.VISIT_FREQUENCY_EVERY_2_WEEKS, [1], seq=1)
    await assign(svc, route.id, monthly.id, pb.VISIT_FREQUENCY_EVERY_4_WEEKS, [1], seq=3)

    async def plan(day: date) -> list[str]:
        reply = await svc.territory.GetVisitPlan(
            ts.GetVisitPlanRequest(agent_id=agent.id, date=pb_date(day))
        )
        return [v.outlet.id for v in reply.visits]

    assert await plan(MONDAY) == [fortnightly.id, weekly.id, monthly.id]
    assert await plan(MONDAY + timedelta(days=3)) == [weekly.id]  # Thursday
    assert await plan(MONDAY + timedelta(days=7)) == [weekly.id]
    assert await plan(MONDAY + timedelta(days=14)) == [fortnightly.id, weekly.id]
    assert await plan(MONDAY + timedelta(days=28)) == [fortnightly.id, weekly.id, monthly.id]
    assert await plan(MONDAY - timedelta(days=7)) == []  # before the start date
    assert await plan(MONDAY + timedelta(days=1)) == []  # Tuesday

    events = await published(svc.js, "CLIENTS", about(route.id), expect=4)
    assert [e.name for e in events] == ["RouteChanged"] + ["RouteAssignmentChanged"] * 3

    # The same assignment again changes nothing and publishes nothing.
    await assign(svc, route.id, weekly.id, pb.VISIT_FREQUENCY_WEEKLY, [1, 4], seq=2)
    await svc.territory.RemoveRouteAssignment(
        ts.RemoveRouteAssignmentRequest(
            request_id=new_id(), route_id=route.id, outlet_id=monthly.id
        )
    )
    assert await plan(MONDAY) == [fortnightly.id, weekly.id]
    events = await published(svc.js, "CLIENTS", about(route.id), expect=5)
    assert len(events) == 5 and events[-1].message.removed  # type: ignore[attr-defined]


async def test_bad_assignment_and_plan_requests(svc: Harness) -> None:
    agent = await make_employee(svc, pb.ROLE_AGENT)
    route = await make_route(svc, agent.id)
    outlet = await make_outlet(svc)

    async def set_(a: pb.RouteAssignment) -> object:
        return await svc.territory.SetRouteAssignment(
            ts.SetRouteAssignmentRequest(request_id=new_id(), assignment=a)
        )

    base = {"route_id": route.id, "outlet_id": outlet.id, "frequency": pb.VISIT_FREQUENCY_WEEKLY}
    await expect_error(
        set_(pb.RouteAssignment(**base, weekdays=[8], start_date=pb_date(MONDAY))),
        grpc.StatusCode.INVALID_ARGUMENT,
        "assignment.weekdays",
    )
    await expect_error(
        set_(pb.RouteAssignment(**base, weekdays=[1])),
        grpc.StatusCode.INVALID_ARGUMENT,
        "assignment.start_date",
    )
    await expect_error(
        set_(
            pb.RouteAssignment(
                route_id=route.id,
                outlet_id=new_id(),
                frequency=1,
                weekdays=[1],
                start_date=pb_date(MONDAY),
            )
        ),
        grpc.StatusCode.NOT_FOUND,
        "assignment.outlet_id",
    )
    await expect_error(
        svc.territory.GetVisitPlan(ts.GetVisitPlanRequest(agent_id=new_id(), date=pb_date(MONDAY))),
        grpc.StatusCode.NOT_FOUND,
        "agent_id",
    )
    await expect_error(
        svc.territory.GetVisitPlan(ts.GetVisitPlanRequest(agent_id=agent.id)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "date",
    )
    technician = await make_employee(svc, pb.ROLE_TECHNICIAN)
    await expect_error(
        svc.territory.CreateRoute(
            ts.CreateRouteRequest(
                request_id=new_id(), route=pb.Route(id=new_id(), name="x", agent_id=technician.id)
            )
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "route.agent_id: employee",
    )


async def test_visit_check_in_out_flags_distance_and_publishes(svc: Harness) -> None:
    agent = await make_employee(svc, pb.ROLE_AGENT)
    outlet = await make_outlet(svc, outlet_card=card(lat=56.8389, lon=60.6057))  # Екатеринбург
    await put_on_route(svc, (await make_route(svc, agent.id)).id, outlet.id)
    visits = svc.calling(caller_of(agent)).visits  # the agent records its own visits
    visit_id = new_id()
    t0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    checkin = vs.CheckInRequest(
        request_id=new_id(),
        visit_id=visit_id,
        outlet_id=outlet.id,
        time=stamp(t0),
        location=latlng_pb2.LatLng(latitude=56.8389 + 0.005, longitude=60.6057),  # ~556 m away
    )
    visit = (await visits.CheckIn(checkin)).visit
    assert visit.status == pb.VISIT_STATUS_IN_PROGRESS and visit.agent_id == agent.id
    assert 540 < visit.check_in_distance_m < 570 and visit.check_in_far
    # A device retry with a new request id but the same visit id returns the same visit.
    checkin.request_id = new_id()
    assert (await visits.CheckIn(checkin)).visit == visit

    checkout = vs.CheckOutRequest(
        request_id=new_id(),
        visit_id=visit_id,
        time=stamp(t0 + timedelta(minutes=20)),
        location=latlng_pb2.LatLng(latitude=56.8389, longitude=60.6057),
        outcome=pb.VISIT_OUTCOME_ORDER_TAKEN,
    )
    done = (await visits.CheckOut(checkout)).visit
    assert (
        done.status == pb.VISIT_STATUS_COMPLETED
        and done.check_out_distance_m == 0
        and not done.check_out_far
    )
    events = await published(svc.js, "CLIENTS", about(visit_id), expect=2)
    assert [e.name for e in events] == ["VisitStarted", "VisitCompleted"]
    assert [e.message.visit.status for e in events] == [  # type: ignore[attr-defined]
        pb.VISIT_STATUS_IN_PROGRESS,
        pb.VISIT_STATUS_COMPLETED,
    ]

    await expect_error(
        visits.CheckOut(
            vs.CheckOutRequest(
                request_id=new_id(),
                visit_id=visit_id,
                time=stamp(t0),
                outcome=pb.VISIT_OUTCOME_NO_ORDER,
            )
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "COMPLETED",
    )
    await expect_error(
        visits.CheckIn(
            vs.CheckInRequest(request_id=new_id(), visit_id=new_id(), outlet_id=outlet.id)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "time",
    )
    missed = await visits.RecordMissedVisit(
        vs.RecordMissedVisitRequest(
            request_id=new_id(),
            visit_id=new_id(),
            outlet_id=outlet.id,
            date=pb_date(date(2026, 11, 26)),
            reason="магазин закрыт на ремонт",
        )
    )
    assert missed.visit.status == pb.VISIT_STATUS_MISSED
    listed = await visits.ListVisits(vs.ListVisitsRequest())  # its own: all it sees
    assert {v.id for v in listed.visits} == {visit_id, missed.visit.id}


async def test_audit_submission_is_validated_against_the_questionnaire(svc: Harness) -> None:
    agent = await make_employee(svc, pb.ROLE_MERCHANDISER)
    outlet = await make_outlet(svc)
    await put_on_route(svc, (await make_route(svc, agent.id)).id, outlet.id)
    visits = svc.calling(caller_of(agent)).visits
    questionnaire = await make_questionnaire(
        svc,
        pb.Question(id="facings", text="Фейсинги", type=pb.QUESTION_TYPE_NUMBER, required=True),
        pb.Question(id="price", text="Цена", type=pb.QUESTION_TYPE_MONEY),
        pb.Question(id="promo", text="POSM?", type=pb.QUESTION_TYPE_YES_NO),
        pb.Question(
            id="place", text="Место", type=pb.QUESTION_TYPE_CHOICE, options=["вход", "касса"]
        ),
        pb.Question(id="photo", text="Фото", type=pb.QUESTION_TYPE_PHOTO),
        name="Аудит полки",
        must_stock_skus=["SKU-1", "SKU-2"],
    )
    visit_id = new_id()
    await visits.CheckIn(
        vs.CheckInRequest(
            request_id=new_id(),
            visit_id=visit_id,
            outlet_id=outlet.id,
            time=stamp(datetime(2026, 11, 27, 10, tzinfo=UTC)),
        )
    )

    def audit(**kw: object) -> pb.Audit:
        base = pb.Audit(
            id=new_id(),
            visit_id=visit_id,
            questionnaire_id=questionnaire.id,
            answers=[
                pb.Answer(question_id="facings", number="4"),
                pb.Answer(
                    question_id="price",
                    money=money_pb2.Money(currency_code="RUB", units=89, nanos=900_000_000),
                ),
                pb.Answer(question_id="promo", yes_no=True),
                pb.Answer(question_id="place", choice="касса"),
                pb.Answer(question_id="photo", photo_ref="s3://photos/1.jpg"),
            ],
            must_stock=[
                pb.MustStockCheck(sku="SKU-1", present=True, facings=3, shelf_quantity="12")
            ],
            competitor_prices=[
                pb.CompetitorPrice(
                    product="Cola 0.5",
                    competitor="Pepsi",
                    price=money_pb2.Money(currency_code="RUB", units=79),
                )
            ],
        )
        for k, v in kw.items():
            del getattr(base, k)[:]
            getattr(base, k).extend(v)  # type: ignore[attr-defined]
        return base

    good = await visits.SubmitAudit(vs.SubmitAuditRequest(request_id=new_id(), audit=audit()))
    assert good.audit.agent_id == agent.id and good.audit.outlet_id == outlet.id
    assert good.audit.answers[1].money.nanos == 900_000_000
    events = await published(svc.js, "CLIENTS", about(good.audit.id), expect=1)
    assert [e.name for e in events] == ["AuditSubmitted"]

    cases = [
        ({"answers": [pb.Answer(question_id="facings", yes_no=True)]}, "audit.answers[0]"),
        ({"answers": [pb.Answer(question_id="place", choice="склад")]}, "audit.answers[0].choice"),
        (
            {"answers": [pb.Answer(question_id="promo", yes_no=True)]},
            "required questions unanswered: facings",
        ),
        (
            {"answers": [pb.Answer(question_id="facings", number="много")]},
            "audit.answers[0].number",
        ),
        ({"must_stock": [pb.MustStockCheck(sku="SKU-9", present=True)]}, "audit.must_stock[0].sku"),
        (
            {
                "competitor_prices": [
                    pb.CompetitorPrice(
                        product="x",
                        competitor="y",
                        price=money_pb2.Money(currency_code="RUB", units=1, nanos=-5),
                    )
                ]
            },
            "audit.competitor_prices[0].price.nanos",
        ),
    ]
    for change, needle in cases:
        await expect_error(
            visits.SubmitAudit(vs.SubmitAuditRequest(request_id=new_id(), audit=audit(**change))),
            grpc.StatusCode.INVALID_ARGUMENT,
            needle,
        )
    listed = await visits.ListAudits(vs.ListAuditsRequest(visit_id=visit_id))
    assert [a.id for a in listed.audits] == [good.audit.id]


async def test_census_new_outlet_and_card_change(svc: Harness) -> None:
    supervisor = await make_employee(svc, pb.ROLE_SUPERVISOR)
    agent = await make_employee(svc, pb.ROLE_AGENT, supervisor_id=supervisor.id)
    as_agent, as_supervisor = svc.calling(caller_of(agent)), svc.calling(caller_of(supervisor))
    client = await make_client(svc)
    outlet_id, proposal_id = new_id(), new_id()
    proposed = await as_agent.clients.ProposeOutlet(
        cs.ProposeOutletRequest(
            request_id=new_id(),
            proposal_id=proposal_id,
            outlet_id=outlet_id,
            client_id=client.id,
            card=card("Новый киоск"),
        )
    )
    assert proposed.proposal.status == pb.PROPOSAL_STATUS_PENDING
    pending = (await svc.clients.GetOutlet(cs.GetOutletRequest(outlet_id=outlet_id))).outlet
    assert pending.status == pb.OUTLET_STATUS_PENDING

    decide = cs.DecideProposalRequest(
        request_id=new_id(), proposal_id=proposal_id, decision=cs.DECISION_APPROVE
    )
    await expect_error(
        as_agent.clients.DecideProposal(decide), grpc.StatusCode.PERMISSION_DENIED, "no role"
    )
    # A token claiming a role the clients context does not give the employee decides nothing:
    # the auth check counts only the roles the employee's record holds (once its directory has
    # read the new employee, within a second), and the use case checks the record again.
    claims_more = svc.calling(Caller(agent.id, {"SUPERVISOR"}))
    refused = await expect_error(
        claims_more.clients.DecideProposal(decide), grpc.StatusCode.PERMISSION_DENIED
    )
    assert any(
        needle in (refused.details() or "")
        for needle in ("has no role admitted", "needs one of the roles SUPERVISOR")
    ), refused.details()
    approved = await as_supervisor.clients.DecideProposal(
        cs.DecideProposalRequest(
            request_id=new_id(),
            proposal_id=proposal_id,
            decision=cs.DECISION_APPROVE,
        )
    )
    assert approved.proposal.status == pb.PROPOSAL_STATUS_APPROVED
    active = (await svc.clients.GetOutlet(cs.GetOutletRequest(outlet_id=outlet_id))).outlet
    assert active.status == pb.OUTLET_STATUS_ACTIVE and active.version == 2
    await expect_error(
        as_supervisor.clients.DecideProposal(
            cs.DecideProposalRequest(
                request_id=new_id(),
                proposal_id=proposal_id,
                decision=cs.DECISION_REJECT,
                reason="передумал",
            )
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "APPROVED",
    )

    change = await as_agent.clients.ProposeCardChange(
        cs.ProposeCardChangeRequest(
            request_id=new_id(),
            proposal_id=new_id(),
            outlet_id=outlet_id,
            card=pb.OutletCard(outlet_class="A"),
            update_mask=field_mask_pb2.FieldMask(paths=["outlet_class"]),
        )
    )
    pending_list = await svc.clients.ListProposals(
        cs.ListProposalsRequest(status=pb.PROPOSAL_STATUS_PENDING)
    )
    assert change.proposal.id in {p.id for p in pending_list.proposals}
    await as_supervisor.clients.DecideProposal(
        cs.DecideProposalRequest(
            request_id=new_id(),
            proposal_id=change.proposal.id,
            decision=cs.DECISION_APPROVE,
        )
    )
    after = (await svc.clients.GetOutlet(cs.GetOutletRequest(outlet_id=outlet_id))).outlet
    assert after.card.outlet_class == "A" and after.card.name == "Новый киоск"
    history = await svc.clients.ListOutletCardHistory(
        cs.ListOutletCardHistoryRequest(outlet_id=outlet_id)
    )
    assert history.changes[0].proposal_id == change.proposal.id
    assert history.changes[0].changed_by == agent.id

    rejected_outlet, rejected_proposal = new_id(), new_id()
    await as_agent.clients.ProposeOutlet(
        cs.ProposeOutletRequest(
            request_id=new_id(),
            proposal_id=rejected_proposal,
            outlet_id=rejected_outlet,
            client_id=client.id,
            card=card("Дубль"),
        )
    )
    await expect_error(
        as_supervisor.clients.DecideProposal(
            cs.DecideProposalRequest(
                request_id=new_id(),
                proposal_id=rejected_proposal,
                decision=cs.DECISION_REJECT,
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "reason",
    )
    await as_supervisor.clients.DecideProposal(
        cs.DecideProposalRequest(
            request_id=new_id(),
            proposal_id=rejected_proposal,
            decision=cs.DECISION_REJECT,
            reason="дубликат точки",
        )
    )
    gone = (await svc.clients.GetOutlet(cs.GetOutletRequest(outlet_id=rejected_outlet))).outlet
    assert gone.status == pb.OUTLET_STATUS_REJECTED
    decided = await published(svc.js, "CLIENTS", about(proposal_id), expect=1)
    assert [e.name for e in decided] == ["CensusDecided"]


async def test_employee_update_is_versioned(svc: Harness) -> None:
    e = await make_employee(svc, pb.ROLE_AGENT)
    e.full_name = "Петров Пётр"
    updated = (
        await svc.territory.UpdateEmployee(
            ts.UpdateEmployeeRequest(request_id=new_id(), employee=e)
        )
    ).employee
    assert updated.version == 2
    await expect_error(
        svc.territory.UpdateEmployee(ts.UpdateEmployeeRequest(request_id=new_id(), employee=e)),
        grpc.StatusCode.ABORTED,
    )
    await expect_error(
        svc.territory.CreateEmployee(
            ts.CreateEmployeeRequest(
                request_id=new_id(),
                employee=pb.Employee(id=new_id(), full_name="Без роли", roles=[]),
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "employee.roles",
    )
    agents = await svc.territory.ListEmployees(
        ts.ListEmployeesRequest(role=pb.ROLE_AGENT, page_size=1000)
    )
    assert e.id in {x.id for x in agents.employees}
