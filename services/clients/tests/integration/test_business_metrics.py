"""Visits and audits counted as they commit, and only then (adapters/metrics.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import grpc
from prometheus_client import REGISTRY

from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline_kit.testing.helpers import expect_error, new_id

from .builders import (
    caller_of,
    make_employee,
    make_outlet,
    make_questionnaire,
    make_route,
    pb_date,
    put_on_route,
    stamp,
)
from .conftest import Harness


def counted() -> dict[str, float]:
    """The counters as the service's registry holds them now."""
    out = {"audits": REGISTRY.get_sample_value("fieldline_clients_audits_total") or 0.0}
    for event in ("started", "completed", "missed"):
        value = REGISTRY.get_sample_value("fieldline_clients_visits_total", {"event": event})
        out[event] = value or 0.0
    return out


async def test_visits_and_audits_count_once_each(svc: Harness) -> None:
    agent = await make_employee(svc, pb.ROLE_MERCHANDISER)
    outlet = await make_outlet(svc)
    await put_on_route(svc, (await make_route(svc, agent.id)).id, outlet.id)
    visits = svc.calling(caller_of(agent)).visits
    questionnaire = await make_questionnaire(
        svc, pb.Question(id="facings", text="Фейсинги", type=pb.QUESTION_TYPE_NUMBER, required=True)
    )
    before = counted()

    t0 = datetime(2026, 11, 27, 9, tzinfo=UTC)
    visit_id = new_id()
    checkin = vs.CheckInRequest(
        request_id=new_id(), visit_id=visit_id, outlet_id=outlet.id, time=stamp(t0)
    )
    await visits.CheckIn(checkin)
    await visits.CheckIn(checkin)  # a retry: its stored answer, nothing written
    checkin.request_id = new_id()
    await visits.CheckIn(checkin)  # the same visit under another request_id: the same visit
    audit = vs.SubmitAuditRequest(
        request_id=new_id(),
        audit=pb.Audit(
            id=new_id(),
            visit_id=visit_id,
            questionnaire_id=questionnaire.id,
            answers=[pb.Answer(question_id="facings", number="4")],
        ),
    )
    await visits.SubmitAudit(audit)
    await visits.SubmitAudit(audit)  # a retry
    refused = vs.SubmitAuditRequest(request_id=new_id())
    refused.audit.CopyFrom(audit.audit)
    refused.audit.id = new_id()
    del refused.audit.answers[:]  # a required answer missing: refused, rolled back
    await expect_error(visits.SubmitAudit(refused), grpc.StatusCode.INVALID_ARGUMENT, "facings")
    await visits.CheckOut(
        vs.CheckOutRequest(
            request_id=new_id(),
            visit_id=visit_id,
            time=stamp(t0 + timedelta(minutes=15)),
            outcome=pb.VISIT_OUTCOME_NO_ORDER,
        )
    )
    await visits.RecordMissedVisit(
        vs.RecordMissedVisitRequest(
            request_id=new_id(),
            visit_id=new_id(),
            outlet_id=outlet.id,
            date=pb_date(date(2026, 11, 26)),
            reason="закрыто",
        )
    )

    after = counted()
    assert {k: after[k] - before[k] for k in after} == {
        "audits": 1,
        "started": 1,
        "completed": 1,
        "missed": 1,
    }
