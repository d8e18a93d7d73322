"""Marketing for a distributor (issue 15, sales-gaps.md 3.3): a questionnaire run for a
distributor tags its audits, an untagged questionnaire's audit may name one, and a distributor
manager reads its distributor's audits (and every questionnaire); each bad distributor is
refused naming its field and writes nothing."""

from __future__ import annotations

import grpc
from sqlalchemy import func, select

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline.clients.v1 import visits_service_pb2_grpc as vs_grpc
from fieldline_clients.adapters import orm
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.helpers import expect_error, new_id

from .builders import (
    audit_request,
    caller_of,
    checked_in_merchandiser,
    make_client,
    make_employee,
    make_questionnaire,
)
from .conftest import Harness

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND


async def rows(h: Harness) -> dict[str, int]:
    """Rows of the tables these writes touch (nothing may change on a refusal)."""
    tables = (orm.questionnaires, orm.audits, orm.kit.outbox)
    async with h.app.sessions() as s:
        return {
            t.name: int((await s.execute(select(func.count()).select_from(t))).scalar_one())
            for t in tables
        }


async def distributor(h: Harness) -> pb.Client:
    return await make_client(h, type=pb.CLIENT_TYPE_DISTRIBUTOR)


async def manager_of(h: Harness, client: pb.Client) -> vs_grpc.VisitsServiceStub:
    """The visits stub of a new distributor manager of `client`."""
    manager = await make_employee(h, pb.ROLE_DISTRIBUTOR_MANAGER, distributor_id=client.id)
    return h.calling(caller_of(manager)).visits


def update_of(q: pb.Questionnaire, distributor_id: str) -> vs.UpdateQuestionnaireRequest:
    new = pb.Questionnaire()
    new.CopyFrom(q)
    new.distributor_id = distributor_id
    return vs.UpdateQuestionnaireRequest(request_id=new_id(), questionnaire=new)


def ids(response: vs.ListAuditsResponse) -> set[str]:
    return {a.id for a in response.audits}


async def test_a_distributors_audits_are_tagged_and_read_by_its_managers(svc: Harness) -> None:
    d1, d2 = await distributor(svc), await distributor(svc)
    m1, m2 = await manager_of(svc, d1), await manager_of(svc, d2)
    tagged = await make_questionnaire(svc, name="Полка D1", distributor_id=d1.id)
    assert tagged.distributor_id == d1.id
    untagged = await make_questionnaire(svc)
    assert untagged.distributor_id == ""
    [changed] = await published(svc.js, "CLIENTS", about(tagged.id), expect=1)
    assert changed.message == ev.QuestionnaireChanged(questionnaire=tagged)

    visits, visit_id = await checked_in_merchandiser(svc)

    async def submit(questionnaire: pb.Questionnaire, named: str = "") -> pb.Audit:
        return (
            await visits.SubmitAudit(
                audit_request(visit_id, questionnaire.id, distributor_id=named)
            )
        ).audit

    omitted, same = await submit(tagged), await submit(tagged, d1.id)
    named, company = await submit(untagged, d2.id), await submit(untagged)
    assert [a.distributor_id for a in (omitted, same, named, company)] == [d1.id, d1.id, d2.id, ""]
    [submitted] = await published(svc.js, "CLIENTS", about(omitted.id), expect=1)
    assert submitted.message == ev.AuditSubmitted(audit=omitted)

    # A manager reads its distributor's audits, whoever made them, and nothing else.
    assert (await m1.GetAudit(vs.GetAuditRequest(audit_id=omitted.id))).audit == omitted
    for audit in (named, company):
        await expect_error(m1.GetAudit(vs.GetAuditRequest(audit_id=audit.id)), NOT_FOUND)
    assert ids(await m1.ListAudits(vs.ListAuditsRequest(page_size=1000))) == {omitted.id, same.id}
    assert ids(await m2.ListAudits(vs.ListAuditsRequest(page_size=1000))) == {named.id}
    page = await m1.ListAudits(vs.ListAuditsRequest(page_size=1))  # keyset pages, in scope
    rest = await m1.ListAudits(vs.ListAuditsRequest(page_size=1, page_token=page.next_page_token))
    assert ids(page) | ids(rest) == {omitted.id, same.id} and not rest.next_page_token
    # The questionnaires are reference data: every one of them.
    got = await m2.GetQuestionnaire(vs.GetQuestionnaireRequest(questionnaire_id=tagged.id))
    assert got.questionnaire == tagged
    listed = await m2.ListQuestionnaires(vs.ListQuestionnairesRequest(page_size=1000))
    assert {tagged.id, untagged.id} <= {q.id for q in listed.questionnaires}

    # The filter, for everyone who lists audits, within its scope.
    by_d1 = vs.ListAuditsRequest(visit_id=visit_id, distributor_id=d1.id)
    assert ids(await visits.ListAudits(by_d1)) == {omitted.id, same.id}
    assert ids(await svc.visits.ListAudits(by_d1)) == {omitted.id, same.id}
    by_d2 = vs.ListAuditsRequest(distributor_id=d2.id, page_size=1000)
    assert ids(await svc.visits.ListAudits(by_d2)) == {named.id}
    assert ids(await m1.ListAudits(by_d2)) == set()

    # Untagging the questionnaire leaves its audits as they were made.
    untagged_now = (await svc.visits.UpdateQuestionnaire(update_of(tagged, ""))).questionnaire
    assert (untagged_now.distributor_id, untagged_now.version) == ("", 2)
    assert (await m1.GetAudit(vs.GetAuditRequest(audit_id=omitted.id))).audit == omitted
    retagged = (await svc.visits.UpdateQuestionnaire(update_of(untagged_now, d2.id))).questionnaire
    assert retagged.distributor_id == d2.id
    events = await published(svc.js, "CLIENTS", about(tagged.id), expect=3)
    assert [e.message.questionnaire.distributor_id for e in events] == [d1.id, "", d2.id]


async def test_a_bad_distributor_is_refused_naming_the_field_and_writes_nothing(
    svc: Harness,
) -> None:
    d1, d2, retail = await distributor(svc), await distributor(svc), await make_client(svc)
    tagged = await make_questionnaire(svc, distributor_id=d1.id)
    untagged = await make_questionnaire(svc)
    visits, visit_id = await checked_in_merchandiser(svc)
    before = await rows(svc)
    unknown = new_id()
    for bad, code, problem in (
        (unknown, NOT_FOUND, f"client '{unknown}' not found"),
        (retail.id, INVALID, f"client {retail.id} is not a distributor"),
        ("d-1", INVALID, ""),
    ):
        created = pb.Questionnaire(id=new_id(), name="Полка", must_stock_skus=["SKU-1"])
        created.distributor_id = bad
        await expect_error(
            svc.visits.CreateQuestionnaire(
                vs.CreateQuestionnaireRequest(request_id=new_id(), questionnaire=created)
            ),
            code,
            f"questionnaire.distributor_id: {problem}",
        )
        await expect_error(
            svc.visits.UpdateQuestionnaire(update_of(untagged, bad)),
            code,
            f"questionnaire.distributor_id: {problem}",
        )
        await expect_error(
            visits.SubmitAudit(audit_request(visit_id, untagged.id, distributor_id=bad)),
            code,
            f"audit.distributor_id: {problem}",
        )
    # A distributor's questionnaire: another distributor is refused, even a real one.
    for other in (d2.id, retail.id, unknown):
        await expect_error(
            visits.SubmitAudit(audit_request(visit_id, tagged.id, distributor_id=other)),
            INVALID,
            f"audit.distributor_id: questionnaire {tagged.id} is distributor {d1.id}'s",
        )
    await expect_error(
        visits.ListAudits(vs.ListAuditsRequest(distributor_id="d-1")), INVALID, "distributor_id"
    )
    assert await rows(svc) == before
    got = await svc.visits.GetQuestionnaire(
        vs.GetQuestionnaireRequest(questionnaire_id=untagged.id)
    )
    assert got.questionnaire == untagged
