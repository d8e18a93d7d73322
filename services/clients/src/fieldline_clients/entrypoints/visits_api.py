"""VisitsService: check-ins and check-outs, missed visits, questionnaires and audits, calls.

Who calls is the verified principal: a visit is the caller's own (ADMIN and SERVICE name the
agent in `for_agent_id`), a call its teleseller's (`for_teleseller_id`), and its data scope
(`service_layer.access`) decides what it sees.
"""

from __future__ import annotations

import grpc

from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline.clients.v1 import visits_service_pb2_grpc as vs_grpc
from fieldline_clients.adapters import proto_mapping as m
from fieldline_clients.adapters import queries
from fieldline_clients.adapters.repository import ClientsUnitOfWork
from fieldline_clients.domain.values import optional_id, require_id
from fieldline_clients.entrypoints.servicer import CallerServicer
from fieldline_clients.service_layer import access as scope
from fieldline_clients.service_layer import commands, handlers
from fieldline_kit.errors import InvalidArgument
from fieldline_kit.grpc.convert import from_pb_date, from_ts, page_size


# ------------------------------------ proto → command, where the bulk load maps it the same
def questions_from(q: pb.Questionnaire) -> list[commands.Question]:
    return [
        (
            x.id,
            x.text,
            m.from_enum(m.QUESTION_TYPES, x.type, f"questionnaire.questions[{i}].type"),
            list(x.options),
            x.required,
        )
        for i, x in enumerate(q.questions)
    ]


def create_questionnaire_command(
    request: vs.CreateQuestionnaireRequest,
) -> commands.CreateQuestionnaire:
    q = request.questionnaire
    return commands.CreateQuestionnaire(
        id=q.id,
        name=q.name,
        questions=questions_from(q),
        must_stock_skus=list(q.must_stock_skus),
        distributor_id=q.distributor_id,
    )


# -------------------------------------------------------------------------------- servicer
class VisitsServicer(CallerServicer, vs_grpc.VisitsServiceServicer):
    # -- visits --------------------------------------------------------------------------
    async def CheckIn(
        self, request: vs.CheckInRequest, context: grpc.aio.ServicerContext
    ) -> vs.CheckInResponse:
        async def work(uow: ClientsUnitOfWork) -> vs.CheckInResponse:
            time = from_ts("time", request.time)
            assert time is not None
            cmd = commands.CheckIn(
                visit_id=request.visit_id,
                for_agent_id=request.for_agent_id,
                outlet_id=request.outlet_id,
                time=time,
                location=m.location_from(
                    "location", request.location, request.HasField("location")
                ),
                day=from_pb_date("date", request.date, required=False),
            )
            access = await self.caller(uow)
            visit = await handlers.check_in(
                uow, cmd, access, radius_m=self.app.settings.visit_radius_m
            )
            return vs.CheckInResponse(visit=m.visit_pb(visit))

        return await self.write("CheckIn", request, vs.CheckInResponse, work)

    async def CheckOut(
        self, request: vs.CheckOutRequest, context: grpc.aio.ServicerContext
    ) -> vs.CheckOutResponse:
        async def work(uow: ClientsUnitOfWork) -> vs.CheckOutResponse:
            time = from_ts("time", request.time)
            assert time is not None
            cmd = commands.CheckOut(
                visit_id=request.visit_id,
                time=time,
                location=m.location_from(
                    "location", request.location, request.HasField("location")
                ),
                outcome=m.from_enum(m.OUTCOMES, request.outcome, "outcome"),
                notes=request.notes,
            )
            access = await self.caller(uow)
            visit = await handlers.check_out(
                uow, cmd, access, radius_m=self.app.settings.visit_radius_m
            )
            return vs.CheckOutResponse(visit=m.visit_pb(visit))

        return await self.write("CheckOut", request, vs.CheckOutResponse, work)

    async def RecordMissedVisit(
        self, request: vs.RecordMissedVisitRequest, context: grpc.aio.ServicerContext
    ) -> vs.RecordMissedVisitResponse:
        async def work(uow: ClientsUnitOfWork) -> vs.RecordMissedVisitResponse:
            cmd = commands.RecordMissedVisit(
                visit_id=request.visit_id,
                for_agent_id=request.for_agent_id,
                outlet_id=request.outlet_id,
                day=from_pb_date("date", request.date),
                reason=request.reason,
            )
            access = await self.caller(uow)
            visit = await handlers.record_missed_visit(uow, cmd, access)
            return vs.RecordMissedVisitResponse(visit=m.visit_pb(visit))

        return await self.write("RecordMissedVisit", request, vs.RecordMissedVisitResponse, work)

    async def GetVisit(
        self, request: vs.GetVisitRequest, context: grpc.aio.ServicerContext
    ) -> vs.GetVisitResponse:
        async with self.read() as uow:
            access = await self.caller(uow)
            visit = await scope.visit(uow, access, request.visit_id, write=False)
        return vs.GetVisitResponse(visit=m.visit_pb(visit))

    async def ListVisits(
        self, request: vs.ListVisitsRequest, context: grpc.aio.ServicerContext
    ) -> vs.ListVisitsResponse:
        async with self.read() as uow:
            access = await self.caller(uow)
            items, token = await queries.list_visits(
                uow.session,
                team=access.team,
                size=page_size(request.page_size),
                token=request.page_token,
                agent_id=optional_id("agent_id", request.agent_id),
                outlet_id=optional_id("outlet_id", request.outlet_id),
                from_date=from_pb_date("from_date", request.from_date, required=False),
                to_date=from_pb_date("to_date", request.to_date, required=False),
            )
        return vs.ListVisitsResponse(visits=[m.visit_pb(v) for v in items], next_page_token=token)

    # -- questionnaires and audits -------------------------------------------------------
    async def CreateQuestionnaire(
        self, request: vs.CreateQuestionnaireRequest, context: grpc.aio.ServicerContext
    ) -> vs.CreateQuestionnaireResponse:
        async def work(uow: ClientsUnitOfWork) -> vs.CreateQuestionnaireResponse:
            cmd = create_questionnaire_command(request)
            questionnaire = await handlers.create_questionnaire(uow, cmd)
            return vs.CreateQuestionnaireResponse(questionnaire=m.questionnaire_pb(questionnaire))

        return await self.write(
            "CreateQuestionnaire", request, vs.CreateQuestionnaireResponse, work
        )

    async def UpdateQuestionnaire(
        self, request: vs.UpdateQuestionnaireRequest, context: grpc.aio.ServicerContext
    ) -> vs.UpdateQuestionnaireResponse:
        async def work(uow: ClientsUnitOfWork) -> vs.UpdateQuestionnaireResponse:
            q = request.questionnaire
            cmd = commands.UpdateQuestionnaire(
                id=q.id,
                name=q.name,
                questions=questions_from(q),
                must_stock_skus=list(q.must_stock_skus),
                expected_version=q.version,
                distributor_id=q.distributor_id,
            )
            questionnaire = await handlers.update_questionnaire(uow, cmd)
            return vs.UpdateQuestionnaireResponse(questionnaire=m.questionnaire_pb(questionnaire))

        return await self.write(
            "UpdateQuestionnaire", request, vs.UpdateQuestionnaireResponse, work
        )

    async def GetQuestionnaire(
        self, request: vs.GetQuestionnaireRequest, context: grpc.aio.ServicerContext
    ) -> vs.GetQuestionnaireResponse:
        async with self.read() as uow:
            questionnaire = await uow.questionnaires.get(
                require_id("questionnaire_id", request.questionnaire_id)
            )
        return vs.GetQuestionnaireResponse(questionnaire=m.questionnaire_pb(questionnaire))

    async def ListQuestionnaires(
        self, request: vs.ListQuestionnairesRequest, context: grpc.aio.ServicerContext
    ) -> vs.ListQuestionnairesResponse:
        async with self.read() as uow:
            items, token = await queries.list_questionnaires(
                uow.session, size=page_size(request.page_size), token=request.page_token
            )
        return vs.ListQuestionnairesResponse(
            questionnaires=[m.questionnaire_pb(q) for q in items], next_page_token=token
        )

    async def SubmitAudit(
        self, request: vs.SubmitAuditRequest, context: grpc.aio.ServicerContext
    ) -> vs.SubmitAuditResponse:
        async def work(uow: ClientsUnitOfWork) -> vs.SubmitAuditResponse:
            a = request.audit
            cmd = commands.SubmitAudit(
                id=a.id,
                visit_id=a.visit_id,
                questionnaire_id=a.questionnaire_id,
                agent_id=a.agent_id,
                outlet_id=a.outlet_id,
                answers=[m.answer_from(x, f"audit.answers[{i}]") for i, x in enumerate(a.answers)],
                must_stock=[
                    m.must_stock_from(x, f"audit.must_stock[{i}]")
                    for i, x in enumerate(a.must_stock)
                ],
                competitor_prices=[
                    m.competitor_price_from(x, f"audit.competitor_prices[{i}]")
                    for i, x in enumerate(a.competitor_prices)
                ],
                performed_at=from_ts("audit.performed_at", a.performed_at, required=False),
                distributor_id=a.distributor_id,
            )
            access = await self.caller(uow)
            audit = await handlers.submit_audit(uow, self.app.clock(), cmd, access)
            return vs.SubmitAuditResponse(audit=m.audit_pb(audit))

        return await self.write("SubmitAudit", request, vs.SubmitAuditResponse, work)

    async def GetAudit(
        self, request: vs.GetAuditRequest, context: grpc.aio.ServicerContext
    ) -> vs.GetAuditResponse:
        async with self.read() as uow:
            access = await self.caller(uow)
            audit = await scope.audit(uow, access, request.audit_id)
        return vs.GetAuditResponse(audit=m.audit_pb(audit))

    async def ListAudits(
        self, request: vs.ListAuditsRequest, context: grpc.aio.ServicerContext
    ) -> vs.ListAuditsResponse:
        async with self.read() as uow:
            access = await self.caller(uow)
            items, token = await queries.list_audits(
                uow.session,
                team=access.team,
                size=page_size(request.page_size),
                token=request.page_token,
                outlet_id=optional_id("outlet_id", request.outlet_id),
                visit_id=optional_id("visit_id", request.visit_id),
                distributor_id=optional_id("distributor_id", request.distributor_id),
                managed=access.distributor,
            )
        return vs.ListAuditsResponse(audits=[m.audit_pb(a) for a in items], next_page_token=token)

    # -- calls ---------------------------------------------------------------------------
    async def RecordCall(
        self, request: vs.RecordCallRequest, context: grpc.aio.ServicerContext
    ) -> vs.RecordCallResponse:
        async def work(uow: ClientsUnitOfWork) -> vs.RecordCallResponse:
            c = request.call
            cmd = commands.RecordCall(
                id=c.id,
                for_teleseller_id=request.for_teleseller_id,
                outlet_id=c.outlet_id,
                day=from_pb_date("call.date", c.date, required=False),
                started_at=from_ts("call.started_at", c.started_at, required=False),
                ended_at=from_ts("call.ended_at", c.ended_at, required=False),
                outcome=m.from_enum(m.CALL_OUTCOMES, c.outcome, "call.outcome"),
                call_back_at=from_ts("call.call_back_at", c.call_back_at, required=False),
                reason=c.reason,
                notes=c.notes,
            )
            access = await self.caller(uow)
            call = await handlers.record_call(uow, self.app.clock(), self.app.zone, cmd, access)
            return vs.RecordCallResponse(call=m.call_pb(call))

        return await self.write("RecordCall", request, vs.RecordCallResponse, work)

    async def GetCall(
        self, request: vs.GetCallRequest, context: grpc.aio.ServicerContext
    ) -> vs.GetCallResponse:
        async with self.read() as uow:
            access = await self.caller(uow)
            call = await scope.call(uow, access, request.call_id)
        return vs.GetCallResponse(call=m.call_pb(call))

    async def ListCalls(
        self, request: vs.ListCallsRequest, context: grpc.aio.ServicerContext
    ) -> vs.ListCallsResponse:
        from_date = from_pb_date("from_date", request.from_date, required=False)
        to_date = from_pb_date("to_date", request.to_date, required=False)
        if from_date and to_date and to_date < from_date:
            raise InvalidArgument("to_date", f"{to_date} is before from_date {from_date}")
        async with self.read() as uow:
            access = await self.caller(uow)
            items, token = await queries.list_calls(
                uow.session,
                team=access.team,
                size=page_size(request.page_size),
                token=request.page_token,
                teleseller_id=optional_id("teleseller_id", request.teleseller_id),
                outlet_id=optional_id("outlet_id", request.outlet_id),
                from_date=from_date,
                to_date=to_date,
            )
        return vs.ListCallsResponse(calls=[m.call_pb(c) for c in items], next_page_token=token)
