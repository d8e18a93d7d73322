"""Bad input over gRPC (issue 10): every free text and list bounded, each error naming its
field, nothing written; searches bounded before they become LIKE patterns."""

from __future__ import annotations

import grpc
from google.protobuf import field_mask_pb2
from google.type import latlng_pb2
from sqlalchemy import func, select

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline_clients.adapters import orm
from fieldline_kit.grpc.convert import encode_token
from fieldline_kit.testing.helpers import expect_error, new_id
from fieldline_kit.validation import MAX_QUERY

from .builders import (
    caller_of,
    card,
    make_employee,
    make_outlet,
    make_questionnaire,
    make_route,
    put_on_route,
)
from .conftest import Harness

INVALID = grpc.StatusCode.INVALID_ARGUMENT


async def rows(h: Harness) -> dict[str, int]:
    """Rows per table written by the APIs these tests call (nothing may change on an error)."""
    tables = (orm.clients, orm.outlets, orm.outlet_card_history, orm.proposals, orm.kit.outbox)
    async with h.app.sessions() as s:
        return {
            t.name: int((await s.execute(select(func.count()).select_from(t))).scalar_one())
            for t in tables
        }


def with_(c: pb.OutletCard, **changes: str) -> pb.OutletCard:
    for name, value in changes.items():
        setattr(c, name, value)
    return c


# ------------------------------------------------------------------------------ searches
async def test_a_search_longer_than_a_query_is_refused_naming_the_field(svc: Harness) -> None:
    """SQLite refuses a LIKE pattern over 50,000 bytes ("pattern too complex"): a name that
    long answered INTERNAL. Now any name over MAX_QUERY characters is INVALID_ARGUMENT."""
    for name in ("я" * 50_001, "%" * (MAX_QUERY + 1)):
        await expect_error(
            svc.clients.SearchOutlets(cs.SearchOutletsRequest(name_query=name)),
            INVALID,
            f"name_query: must be at most {MAX_QUERY} characters",
        )
        await expect_error(
            svc.clients.ListClients(cs.ListClientsRequest(name_query=name)),
            INVALID,
            f"name_query: must be at most {MAX_QUERY} characters",
        )
    # At the limit, even every character a LIKE pattern escapes, the search runs.
    reply = await svc.clients.SearchOutlets(cs.SearchOutletsRequest(name_query="%_" * 100))
    assert list(reply.matches) == []


async def test_a_page_token_not_issued_for_a_radius_search_is_refused(svc: Harness) -> None:
    near = latlng_pb2.LatLng(latitude=55.75, longitude=37.62)
    for raw in ("abc", "-1", "99999999999999999999"):
        await expect_error(
            svc.clients.SearchOutlets(
                cs.SearchOutletsRequest(near=near, radius_m=500, page_token=encode_token(raw))
            ),
            INVALID,
            "page_token: is not a token this service issued",
        )


# ------------------------------------------------------------------------------- outlets
async def test_an_outlet_card_s_lists_and_texts_are_bounded(svc: Harness) -> None:
    outlet = await make_outlet(svc)
    before = await rows(svc)
    cases = [
        (card(contacts=[pb.Contact(name="Анна")] * 101), "card.contacts: must have at most 100"),
        (
            card(custom_attributes={f"k{i}": "v" for i in range(101)}),
            "card.custom_attributes: must have at most 100",
        ),
        (
            card(custom_attributes={"fridge": "я" * 1001}),
            "card.custom_attributes[fridge]: must be at most 1000 characters",
        ),
        (with_(card(), channel="x" * 101), "card.channel: must be at most 100 characters"),
        (
            card(contacts=[pb.Contact(name="Анна", email="a" * 101)]),
            "card.contacts[0].email: must be at most 100 characters",
        ),
    ]
    for bad, message in cases:
        await expect_error(
            svc.clients.UpdateOutletCard(
                cs.UpdateOutletCardRequest(
                    request_id=new_id(),
                    outlet_id=outlet.id,
                    expected_version=outlet.version,
                    card=bad,
                )
            ),
            INVALID,
            message,
        )
    await expect_error(
        svc.clients.UpdateOutletCard(
            cs.UpdateOutletCardRequest(
                request_id=new_id(),
                outlet_id=outlet.id,
                expected_version=outlet.version,
                card=card(),
                update_mask=field_mask_pb2.FieldMask(paths=["name"] * 101),
            )
        ),
        INVALID,
        "update_mask.paths: must have at most 100 items",
    )
    assert await rows(svc) == before


async def test_a_card_change_proposal_keeps_only_the_validated_card(svc: Harness) -> None:
    """Fields outside the mask are the outlet's own, not whatever the request held there."""
    outlet = await make_outlet(svc)
    agent = await make_employee(svc)
    await put_on_route(svc, (await make_route(svc, agent.id)).id, outlet.id)
    incoming = with_(card(name="Новое имя"), address="я" * 100_000)
    reply = await svc.calling(caller_of(agent)).clients.ProposeCardChange(
        cs.ProposeCardChangeRequest(
            request_id=new_id(),
            proposal_id=new_id(),
            outlet_id=outlet.id,
            card=incoming,
            update_mask=field_mask_pb2.FieldMask(paths=["name"]),
        )
    )
    assert reply.proposal.card.name == "Новое имя"
    assert reply.proposal.card.address == outlet.card.address
    assert list(reply.proposal.fields) == ["name"]


# -------------------------------------------------------------------------------- audits
async def test_audit_numbers_are_ascii_decimals_of_a_bounded_size(svc: Harness) -> None:
    """ "１２" (full-width digits) and "1e1000000" are not numbers an audit records."""
    outlet = await make_outlet(svc)
    agent = await make_employee(svc)
    questionnaire = await make_questionnaire(svc)
    visit_id = new_id()
    time = vs.CheckInRequest().time
    time.GetCurrentTime()
    await svc.visits.CheckIn(
        vs.CheckInRequest(
            request_id=new_id(),
            visit_id=visit_id,
            for_agent_id=agent.id,
            outlet_id=outlet.id,
            time=time,
            location=outlet.card.location,
        )
    )
    for number, problem in (
        ("１２", "must be a decimal number"),
        ("1e1000000", "is too large"),
        ("NaN", "must be a finite number"),
    ):
        await expect_error(
            svc.visits.SubmitAudit(
                vs.SubmitAuditRequest(
                    request_id=new_id(),
                    audit=pb.Audit(
                        id=new_id(),
                        visit_id=visit_id,
                        questionnaire_id=questionnaire.id,
                        answers=[pb.Answer(question_id="facings", number=number)],
                    ),
                )
            ),
            INVALID,
            f"audit.answers[0].number: {problem}",
        )


# ----------------------------------------------------------------------------- employees
async def test_an_employee_update_without_its_version_names_the_request_s_field(
    svc: Harness,
) -> None:
    """UpdateEmployeeRequest carries the version in `employee.version`; the error named
    `expected_version`, a field the request does not have (found by tests/fuzz)."""
    employee = await make_employee(svc)
    employee.ClearField("version")
    employee.full_name = "Петров Пётр"
    await expect_error(
        svc.territory.UpdateEmployee(
            ts.UpdateEmployeeRequest(request_id=new_id(), employee=employee)
        ),
        INVALID,
        "employee.version: is required",
    )
    employee.roles.extend([pb.ROLE_AGENT] * 100)
    employee.version = 1
    await expect_error(
        svc.territory.UpdateEmployee(
            ts.UpdateEmployeeRequest(request_id=new_id(), employee=employee)
        ),
        INVALID,
        "employee.roles: must have at most 100 items",
    )
