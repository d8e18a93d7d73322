"""Visits (check-in, check-out, missed), questionnaires and audits."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from fieldline_clients.domain import events
from fieldline_clients.domain.fieldwork import (
    Answer,
    AnswerInput,
    Audit,
    CompetitorPrice,
    GeoMark,
    MustStockCheck,
    Questionnaire,
    QuestionType,
    Visit,
    VisitOutcome,
    VisitStatus,
    ensure_new,
)
from fieldline_clients.domain.model import Employee, Outlet, OutletStatus, Role
from fieldline_clients.domain.values import EARTH_RADIUS_M, Location, Money
from fieldline_kit.errors import (
    AlreadyExists,
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
)
from fieldline_kit.testing.helpers import new_id

CHECK_IN = datetime(2024, 5, 15, 10, 0, tzinfo=UTC)
CHECK_OUT = CHECK_IN + timedelta(minutes=25)
RADIUS_M = 200.0
SHOP = Location(55.7558, 37.6173)
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180


def north_of(point: Location, metres: float) -> Location:
    return Location(point.lat + metres / METRES_PER_DEGREE, point.lon)


def start(
    agent: Employee,
    outlet: Outlet,
    location: Location | None = SHOP,
    time: datetime = CHECK_IN,
    day: date | None = None,
) -> Visit:
    """A checked-in visit whose VisitStarted event was already handed on (as after a save)."""
    visit = Visit.start(new_id(), agent, outlet, time, location, day, RADIUS_M)
    visit.events.clear()
    return visit


# ---------------------------------------------------------------------------------- visits
class TestVisitStart:
    def test_check_in_on_the_spot(self, agent: Employee, outlet: Outlet) -> None:
        raw = uuid.uuid4()
        visit = Visit.start(str(raw).upper(), agent, outlet, CHECK_IN, SHOP, None, RADIUS_M)
        assert visit.id == str(raw)
        assert (visit.agent_id, visit.outlet_id) == (agent.id, outlet.id)
        assert visit.status is VisitStatus.IN_PROGRESS
        assert visit.day == date(2024, 5, 15)
        assert visit.check_in == GeoMark(CHECK_IN, SHOP, 0, False)
        assert visit.check_out is None
        assert visit.outcome is None
        assert visit.version == 1
        [event] = visit.events
        assert isinstance(event, events.VisitStarted)
        assert event.visit == visit
        assert event.visit.events == []

    def test_distance_is_measured_and_rounded(self, agent: Employee, outlet: Outlet) -> None:
        visit = start(agent, outlet, north_of(SHOP, 120.4))
        assert visit.check_in is not None
        assert visit.check_in.distance_m == 120
        assert isinstance(visit.check_in.distance_m, int)
        assert visit.check_in.far is False

    @pytest.mark.parametrize(
        ("metres", "far"), [(150, False), (199, False), (201, True), (5000, True)]
    )
    def test_far_above_the_radius(
        self, agent: Employee, outlet: Outlet, metres: float, far: bool
    ) -> None:
        visit = start(agent, outlet, north_of(SHOP, metres))
        assert visit.check_in is not None
        assert visit.check_in.distance_m == round(metres)
        assert visit.check_in.far is far

    def test_no_location_no_distance(self, agent: Employee, outlet: Outlet) -> None:
        visit = start(agent, outlet, None)
        assert visit.check_in == GeoMark(CHECK_IN, None, None, False)

    def test_outlet_without_coordinates_no_distance(
        self, agent: Employee, make_outlet: Callable[..., Outlet]
    ) -> None:
        visit = start(agent, make_outlet(location=None), north_of(SHOP, 10_000))
        assert visit.check_in is not None
        assert visit.check_in.location == north_of(SHOP, 10_000)
        assert (visit.check_in.distance_m, visit.check_in.far) == (None, False)

    def test_explicit_day_wins(self, agent: Employee, outlet: Outlet) -> None:
        assert start(agent, outlet, day=date(2024, 5, 14)).day == date(2024, 5, 14)

    def test_time_must_be_aware(self, agent: Employee, outlet: Outlet) -> None:
        with pytest.raises(InvalidArgument) as err:
            start(agent, outlet, time=CHECK_IN.replace(tzinfo=None))
        assert err.value.field == "time"

    def test_id_must_be_a_uuid(self, agent: Employee, outlet: Outlet) -> None:
        with pytest.raises(InvalidArgument) as err:
            Visit.start("v1", agent, outlet, CHECK_IN, SHOP, None, RADIUS_M)
        assert err.value.field == "visit_id"

    @pytest.mark.parametrize(
        "role", [Role.AGENT, Role.VAN_SELLER, Role.MERCHANDISER, Role.SUPERVISOR]
    )
    def test_who_may_visit(
        self, make_employee: Callable[..., Employee], outlet: Outlet, role: Role
    ) -> None:
        assert start(make_employee(role), outlet).status is VisitStatus.IN_PROGRESS

    @pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.DISTRIBUTOR_MANAGER])
    def test_who_may_not_visit(
        self, make_employee: Callable[..., Employee], outlet: Outlet, role: Role
    ) -> None:
        with pytest.raises(PermissionDenied):
            start(make_employee(role), outlet)

    def test_inactive_agent_may_not_visit(
        self, make_employee: Callable[..., Employee], outlet: Outlet
    ) -> None:
        with pytest.raises(PermissionDenied):
            start(make_employee(Role.AGENT, active=False), outlet)

    @pytest.mark.parametrize(
        "status", [OutletStatus.PENDING, OutletStatus.CLOSED, OutletStatus.REJECTED]
    )
    def test_only_active_outlets_are_visited(
        self, agent: Employee, make_outlet: Callable[..., Outlet], status: OutletStatus
    ) -> None:
        with pytest.raises(FailedPrecondition) as err:
            start(agent, make_outlet(status=status))
        assert status.name in err.value.message

    def test_same_start(self, agent: Employee, outlet: Outlet) -> None:
        visit = start(agent, outlet)
        assert visit.same_start(agent.id, outlet.id)
        assert not visit.same_start(new_id(), outlet.id)
        assert not visit.same_start(agent.id, new_id())


class TestVisitFinish:
    def test_check_out_completes_the_visit(self, agent: Employee, outlet: Outlet) -> None:
        visit = start(agent, outlet)
        visit.finish(
            outlet, CHECK_OUT, north_of(SHOP, 300), VisitOutcome.ORDER_TAKEN, " ok ", RADIUS_M
        )
        assert visit.status is VisitStatus.COMPLETED
        assert visit.outcome is VisitOutcome.ORDER_TAKEN
        assert visit.notes == "ok"
        assert visit.check_out == GeoMark(CHECK_OUT, north_of(SHOP, 300), 300, True)
        assert visit.version == 2
        [event] = visit.events
        assert isinstance(event, events.VisitCompleted)
        assert event.visit == visit
        assert event.visit.events == []

    def test_outcome_is_required(self, agent: Employee, outlet: Outlet) -> None:
        visit = start(agent, outlet)
        with pytest.raises(InvalidArgument) as err:
            visit.finish(outlet, CHECK_OUT, SHOP, None, "", RADIUS_M)
        assert err.value.field == "outcome"
        assert visit.status is VisitStatus.IN_PROGRESS

    def test_retried_check_out_is_a_no_op(self, agent: Employee, outlet: Outlet) -> None:
        visit = start(agent, outlet)
        visit.finish(outlet, CHECK_OUT, SHOP, VisitOutcome.NO_ORDER, "closed early", RADIUS_M)
        first = visit.snapshot()
        later = CHECK_OUT + timedelta(minutes=5)
        visit.finish(outlet, later, None, VisitOutcome.NO_ORDER, " closed early ", RADIUS_M)
        assert visit == first
        assert visit.version == 2
        assert len(visit.events) == 1

    @pytest.mark.parametrize(
        ("outcome", "notes"),
        [(VisitOutcome.ORDER_TAKEN, "closed early"), (VisitOutcome.NO_ORDER, "other notes")],
    )
    def test_a_different_second_check_out_is_refused(
        self, agent: Employee, outlet: Outlet, outcome: VisitOutcome, notes: str
    ) -> None:
        visit = start(agent, outlet)
        visit.finish(outlet, CHECK_OUT, SHOP, VisitOutcome.NO_ORDER, "closed early", RADIUS_M)
        with pytest.raises(FailedPrecondition) as err:
            visit.finish(outlet, CHECK_OUT, SHOP, outcome, notes, RADIUS_M)
        assert "COMPLETED" in err.value.message
        assert visit.outcome is VisitOutcome.NO_ORDER

    def test_missed_visit_cannot_be_checked_out(self, agent: Employee, outlet: Outlet) -> None:
        visit = Visit.missed(new_id(), agent, outlet, date(2024, 5, 15), "ill")
        with pytest.raises(FailedPrecondition) as err:
            visit.finish(outlet, CHECK_OUT, SHOP, VisitOutcome.NO_ORDER, "", RADIUS_M)
        assert "MISSED" in err.value.message
        assert visit.status is VisitStatus.MISSED

    def test_check_out_before_check_in(self, agent: Employee, outlet: Outlet) -> None:
        visit = start(agent, outlet)
        with pytest.raises(InvalidArgument) as err:
            visit.finish(
                outlet,
                CHECK_IN - timedelta(seconds=1),
                SHOP,
                VisitOutcome.NO_ORDER,
                "",
                RADIUS_M,
            )
        assert err.value.field == "time"
        assert visit.status is VisitStatus.IN_PROGRESS
        assert visit.events == []

    def test_check_out_at_the_check_in_time_is_fine(self, agent: Employee, outlet: Outlet) -> None:
        visit = start(agent, outlet)
        visit.finish(outlet, CHECK_IN, SHOP, VisitOutcome.REFUSED, "", RADIUS_M)
        assert visit.status is VisitStatus.COMPLETED

    def test_check_out_in_another_time_zone(self, agent: Employee, outlet: Outlet) -> None:
        visit = start(agent, outlet)
        msk = timezone(timedelta(hours=3))
        with pytest.raises(InvalidArgument):  # 12:59 MSK is 09:59 UTC, before the check-in
            visit.finish(
                outlet, datetime(2024, 5, 15, 12, 59, tzinfo=msk), SHOP, VisitOutcome.REFUSED, "", 1
            )
        visit.finish(
            outlet, datetime(2024, 5, 15, 13, 1, tzinfo=msk), SHOP, VisitOutcome.REFUSED, "", 1
        )
        assert visit.status is VisitStatus.COMPLETED

    def test_check_out_time_must_be_aware(self, agent: Employee, outlet: Outlet) -> None:
        visit = start(agent, outlet)
        with pytest.raises(InvalidArgument) as err:
            visit.finish(
                outlet, CHECK_OUT.replace(tzinfo=None), SHOP, VisitOutcome.REFUSED, "", RADIUS_M
            )
        assert err.value.field == "time"

    def test_notes_are_limited(self, agent: Employee, outlet: Outlet) -> None:
        visit = start(agent, outlet)
        with pytest.raises(InvalidArgument) as err:
            visit.finish(outlet, CHECK_OUT, SHOP, VisitOutcome.REFUSED, "n" * 2001, RADIUS_M)
        assert err.value.field == "notes"

    def test_check_out_without_location(self, agent: Employee, outlet: Outlet) -> None:
        visit = start(agent, outlet)
        visit.finish(outlet, CHECK_OUT, None, VisitOutcome.AUDIT_ONLY, "", RADIUS_M)
        assert visit.check_out == GeoMark(CHECK_OUT, None, None, False)


class TestVisitMissed:
    def test_missed_visit(self, agent: Employee, outlet: Outlet) -> None:
        raw = uuid.uuid4()
        visit = Visit.missed(str(raw).upper(), agent, outlet, date(2024, 5, 15), "  ill ")
        assert visit.id == str(raw)
        assert visit.status is VisitStatus.MISSED
        assert visit.missed_reason == "ill"
        assert visit.day == date(2024, 5, 15)
        assert visit.check_in is None
        assert visit.version == 1
        [event] = visit.events
        assert isinstance(event, events.VisitMissed)
        assert event.visit == visit

    @pytest.mark.parametrize("reason", ["", "   ", "r" * 1001])
    def test_reason_is_required_and_limited(
        self, agent: Employee, outlet: Outlet, reason: str
    ) -> None:
        with pytest.raises(InvalidArgument) as err:
            Visit.missed(new_id(), agent, outlet, date(2024, 5, 15), reason)
        assert err.value.field == "reason"

    def test_date_is_required(self, agent: Employee, outlet: Outlet) -> None:
        with pytest.raises(InvalidArgument) as err:
            Visit.missed(new_id(), agent, outlet, None, "ill")
        assert err.value.field == "date"

    def test_role_is_required(self, make_employee: Callable[..., Employee], outlet: Outlet) -> None:
        with pytest.raises(PermissionDenied):
            Visit.missed(new_id(), make_employee(Role.TECHNICIAN), outlet, date(2024, 5, 15), "x")


# -------------------------------------------------------------------------- questionnaires
Q = tuple[str, str, QuestionType | None, Sequence[str], bool]

QUESTIONS: list[Q] = [
    ("shelf_share", "Доля полки, %", QuestionType.NUMBER, (), True),
    ("price", "Цена на полке", QuestionType.MONEY, (), False),
    ("fridge", "Есть холодильник?", QuestionType.YES_NO, (), False),
    ("placement", "Выкладка", QuestionType.CHOICE, (" eye level ", "bottom"), False),
    ("photo", "Фото полки", QuestionType.PHOTO, (), False),
]
SKUS = ["SKU-001", "SKU-002"]


def make_questionnaire(
    questions: Sequence[Q] = tuple(QUESTIONS), skus: Sequence[str] = tuple(SKUS), **kw: Any
) -> Questionnaire:
    return Questionnaire.create(kw.get("id", new_id()), kw.get("name", "Аудит"), questions, skus)


class TestQuestionnaire:
    def test_create(self) -> None:
        raw = uuid.uuid4()
        q = Questionnaire.create(str(raw).upper(), " Аудит полки ", QUESTIONS, [" SKU-001 "])
        assert q.id == str(raw)
        assert q.name == "Аудит полки"
        assert [x.id for x in q.questions] == [x[0] for x in QUESTIONS]
        assert q.question("placement", "x").options == ("eye level", "bottom")
        assert q.question("shelf_share", "x").required is True
        assert q.must_stock_skus == ("SKU-001",)
        assert q.version == 1

    def test_only_skus_or_only_questions(self) -> None:
        assert make_questionnaire(questions=[], skus=["A"]).questions == ()
        assert make_questionnaire(skus=[]).must_stock_skus == ()

    def test_needs_questions_or_skus(self) -> None:
        with pytest.raises(InvalidArgument) as err:
            make_questionnaire(questions=[], skus=[])
        assert err.value.field == "questionnaire.questions"

    def test_question_ids_are_unique(self) -> None:
        questions: list[Q] = [
            ("a", "A", QuestionType.YES_NO, (), False),
            (" a ", "A again", QuestionType.NUMBER, (), False),
        ]
        with pytest.raises(InvalidArgument) as err:
            make_questionnaire(questions)
        assert err.value.field == "questionnaire.questions[1].id"
        assert "twice" in err.value.problem

    @pytest.mark.parametrize(
        ("question", "field"),
        [
            (("", "A", QuestionType.YES_NO, (), False), "questionnaire.questions[1].id"),
            (("b", "", QuestionType.YES_NO, (), False), "questionnaire.questions[1].text"),
            (("b", "B", None, (), False), "questionnaire.questions[1].type"),
            (
                ("b", "B", QuestionType.CHOICE, ("only",), False),
                "questionnaire.questions[1].options",
            ),
            (("b", "B", QuestionType.CHOICE, (), False), "questionnaire.questions[1].options"),
            (
                ("b", "B", QuestionType.CHOICE, ("x", ""), False),
                "questionnaire.questions[1].options[1]",
            ),
            (
                ("b", "B", QuestionType.CHOICE, ("x",) * 101, False),
                "questionnaire.questions[1].options",
            ),
            (
                ("b", "B", QuestionType.NUMBER, ("1", "2"), False),
                "questionnaire.questions[1].options",
            ),
            (
                ("b", "B", QuestionType.YES_NO, ("yes",), False),
                "questionnaire.questions[1].options",
            ),
        ],
    )
    def test_invalid_question(self, question: Q, field: str) -> None:
        first: Q = ("a", "A", QuestionType.YES_NO, (), False)
        with pytest.raises(InvalidArgument) as err:
            make_questionnaire([first, question])
        assert err.value.field == field

    def test_choice_needs_two_options(self) -> None:
        with pytest.raises(InvalidArgument) as err:
            make_questionnaire([("c", "C", QuestionType.CHOICE, ("one",), False)])
        assert "at least 2" in err.value.problem

    def test_options_only_for_choice(self) -> None:
        with pytest.raises(InvalidArgument) as err:
            make_questionnaire([("n", "N", QuestionType.PHOTO, ("a", "b"), False)])
        assert "only choice" in err.value.problem

    def test_duplicate_skus(self) -> None:
        with pytest.raises(InvalidArgument) as err:
            make_questionnaire(skus=["SKU-1", "SKU-2", " SKU-1"])
        assert err.value.field == "questionnaire.must_stock_skus"
        assert "twice" in err.value.problem

    def test_empty_sku(self) -> None:
        with pytest.raises(InvalidArgument) as err:
            make_questionnaire(skus=["SKU-1", ""])
        assert err.value.field == "questionnaire.must_stock_skus[1]"

    @pytest.mark.parametrize(
        ("kw", "field"), [({"id": "q1"}, "questionnaire.id"), ({"name": ""}, "questionnaire.name")]
    )
    def test_id_and_name(self, kw: dict[str, str], field: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            make_questionnaire(**kw)
        assert err.value.field == field

    def test_unknown_question(self) -> None:
        q = make_questionnaire()
        with pytest.raises(InvalidArgument) as err:
            q.question("nope", "audit.answers[3]")
        assert err.value.field == "audit.answers[3].question_id"
        assert q.id in err.value.problem

    def test_a_distributor_is_kept_as_an_id(self) -> None:
        distributor = new_id()
        q = Questionnaire.create(new_id(), "Аудит", QUESTIONS, SKUS, distributor.upper())
        assert q.distributor_id == distributor
        assert make_questionnaire().distributor_id == ""  # the company's
        with pytest.raises(InvalidArgument) as err:
            Questionnaire.create(new_id(), "Аудит", QUESTIONS, SKUS, "d-1")
        assert err.value.field == "questionnaire.distributor_id"

    def test_create_records_the_whole_questionnaire(self) -> None:
        q = make_questionnaire()
        [event] = q.events
        assert isinstance(event, events.QuestionnaireChanged)
        assert event.questionnaire == q and event.questionnaire.events == []


class TestQuestionnaireUpdate:
    def test_replaces_the_content_and_moves_the_version(self) -> None:
        q = make_questionnaire()
        q.events.clear()
        q.update(" Аудит v2 ", QUESTIONS[:2], ["SKU-003"], 1)
        assert (q.name, [x.id for x in q.questions], q.must_stock_skus) == (
            "Аудит v2",
            ["shelf_share", "price"],
            ("SKU-003",),
        )
        assert q.version == 2
        [event] = q.events
        assert isinstance(event, events.QuestionnaireChanged)
        assert event.questionnaire == q and event.questionnaire.version == 2

    def test_the_distributor_is_replaced_with_the_rest(self) -> None:
        q = make_questionnaire()
        q.events.clear()
        distributor = new_id()
        q.update(q.name, QUESTIONS, SKUS, 1, distributor)
        assert (q.distributor_id, q.version) == (distributor, 2)
        [event] = q.events
        assert isinstance(event, events.QuestionnaireChanged)
        assert event.questionnaire.distributor_id == distributor
        q.update(q.name, QUESTIONS, SKUS, 2, distributor)  # the same again: nothing
        assert q.version == 2 and len(q.events) == 1
        q.update(q.name, QUESTIONS, SKUS, 2)  # not named: untagged
        assert (q.distributor_id, q.version) == ("", 3)

    def test_the_same_content_again_changes_nothing(self) -> None:
        q = make_questionnaire(name="Аудит")
        q.events.clear()
        # As given to create: the same after cleaning (spaces trimmed).
        q.update(" Аудит ", QUESTIONS, [f" {s} " for s in SKUS], 1)
        assert q.version == 1 and q.events == []

    @pytest.mark.parametrize(("expected", "error"), [(0, InvalidArgument), (2, Conflict)])
    def test_needs_the_current_version(self, expected: int, error: type[Exception]) -> None:
        q = make_questionnaire()
        q.events.clear()
        with pytest.raises(error) as err:
            q.update("Другой", QUESTIONS, SKUS, expected)
        if isinstance(err.value, InvalidArgument):
            assert err.value.field == "questionnaire.version"
        assert (q.name, q.version, q.events) == ("Аудит", 1, [])

    @pytest.mark.parametrize(
        ("name", "questions", "skus", "field"),
        [
            ("", QUESTIONS, SKUS, "questionnaire.name"),
            ("Аудит", [], [], "questionnaire.questions"),
            ("Аудит", [("a", "A", None, (), False)], SKUS, "questionnaire.questions[0].type"),
            ("Аудит", QUESTIONS, ["X", "X"], "questionnaire.must_stock_skus"),
        ],
    )
    def test_bad_content_is_refused_naming_the_field(
        self, name: str, questions: Sequence[Q], skus: Sequence[str], field: str
    ) -> None:
        q = make_questionnaire()
        before = (q.name, q.questions, q.must_stock_skus)
        q.events.clear()
        with pytest.raises(InvalidArgument) as err:
            q.update(name, questions, skus, 1)
        assert err.value.field == field
        assert (q.name, q.questions, q.must_stock_skus) == before
        assert (q.version, q.events) == (1, [])


# ---------------------------------------------------------------------------------- audits
RUB_100 = Money(Decimal("100.00"), "RUB")


def good_answers() -> list[AnswerInput]:
    return [
        AnswerInput("shelf_share", "number", "12.5"),
        AnswerInput("price", "money", RUB_100),
        AnswerInput("fridge", "yes_no", False),
        AnswerInput("placement", "choice", "eye level"),
        AnswerInput("photo", "photo_ref", " photos/1.jpg "),
    ]


@pytest.fixture
def visit(agent: Employee, outlet: Outlet) -> Visit:
    return start(agent, outlet)


def submit(
    visit: Visit,
    answers: Sequence[AnswerInput] | None = None,
    must_stock: Sequence[MustStockCheck] = (),
    prices: Sequence[CompetitorPrice] = (),
    questionnaire: Questionnaire | None = None,
    performed_at: datetime | None = None,
    distributor_id: str = "",
) -> Audit:
    return Audit.submit(
        new_id(),
        visit,
        questionnaire or make_questionnaire(),
        good_answers() if answers is None else answers,
        must_stock,
        prices,
        CHECK_OUT,
        performed_at,
        distributor_id,
    )


D1, D2 = str(uuid.UUID(int=1)), str(uuid.UUID(int=2))


class TestAuditDistributor:
    """sales-gaps.md 3.3: a distributor's questionnaire tags its audits; an untagged one's audit
    may name a distributor."""

    @pytest.mark.parametrize(
        ("tagged", "named", "expected"),
        [
            (D1, "", D1),  # the device omits it: the questionnaire's
            (D1, D1, D1),
            (D1, D1.upper(), D1),
            ("", "", ""),  # the company's
            ("", D2, D2),  # an untagged questionnaire's audit names one
        ],
    )
    def test_the_audit_is_tagged(
        self, visit: Visit, tagged: str, named: str, expected: str
    ) -> None:
        q = make_questionnaire()
        q.distributor_id = tagged
        assert Audit.distributor_for(q, named) == expected
        audit = submit(visit, questionnaire=q, distributor_id=named)
        assert audit.distributor_id == expected
        [event] = audit.events
        assert isinstance(event, events.AuditSubmitted)
        assert event.audit.distributor_id == expected

    @pytest.mark.parametrize(("tagged", "named"), [(D1, D2), (D1, "d-2"), ("", "d-2")])
    def test_another_distributor_or_no_id_is_refused(
        self, visit: Visit, tagged: str, named: str
    ) -> None:
        q = make_questionnaire()
        q.distributor_id = tagged
        with pytest.raises(InvalidArgument) as err:
            submit(visit, questionnaire=q, distributor_id=named)
        assert err.value.field == "audit.distributor_id"


class TestAuditSubmit:
    def test_submit(self, visit: Visit) -> None:
        q = make_questionnaire()
        checks = [MustStockCheck("SKU-001", True, 4, Decimal(12)), MustStockCheck("SKU-002", False)]
        prices = [CompetitorPrice("Cola 0.5", "Pepsi", Money(Decimal("89.90"), "RUB"))]
        audit = submit(visit, must_stock=checks, prices=prices, questionnaire=q)
        assert (audit.visit_id, audit.agent_id, audit.outlet_id) == (
            visit.id,
            visit.agent_id,
            visit.outlet_id,
        )
        assert audit.questionnaire_id == q.id
        assert audit.answers == (
            Answer("shelf_share", QuestionType.NUMBER, Decimal("12.5")),
            Answer("price", QuestionType.MONEY, RUB_100),
            Answer("fridge", QuestionType.YES_NO, False),
            Answer("placement", QuestionType.CHOICE, "eye level"),
            Answer("photo", QuestionType.PHOTO, "photos/1.jpg"),
        )
        assert audit.must_stock == tuple(checks)
        assert audit.competitor_prices == tuple(prices)
        assert audit.submitted_at == CHECK_OUT
        assert audit.version == 1
        [event] = audit.events
        assert isinstance(event, events.AuditSubmitted)
        assert event.audit == audit
        assert event.audit.events == []

    def test_the_devices_time_is_kept_beside_the_servers(self, visit: Visit) -> None:
        assert submit(visit).performed_at is None  # not given
        earlier = CHECK_OUT - timedelta(hours=5)  # an audit sent long after it was made
        audit = submit(visit, performed_at=earlier)
        assert (audit.performed_at, audit.submitted_at) == (earlier, CHECK_OUT)
        [event] = audit.events
        assert isinstance(event, events.AuditSubmitted)
        assert event.audit.performed_at == earlier

    @pytest.mark.parametrize(
        "ahead", [timedelta(minutes=60), timedelta(minutes=59, seconds=59), timedelta(0)]
    )
    def test_a_device_clock_up_to_an_hour_ahead_is_accepted(
        self, visit: Visit, ahead: timedelta
    ) -> None:
        moscow = timezone(timedelta(hours=3))
        performed = (CHECK_OUT + ahead).astimezone(moscow)
        assert submit(visit, performed_at=performed).performed_at == performed

    @pytest.mark.parametrize(
        ("ahead", "minutes"),
        [(timedelta(minutes=60, microseconds=1), 61), (timedelta(days=400), 576_000)],
    )
    def test_a_device_time_more_than_an_hour_ahead_is_refused(
        self, visit: Visit, ahead: timedelta, minutes: int
    ) -> None:
        with pytest.raises(InvalidArgument) as err:
            submit(visit, performed_at=CHECK_OUT + ahead)
        assert err.value.field == "audit.performed_at"
        assert f"is {minutes} minutes after the server's time" in err.value.problem
        assert "at most 60" in err.value.problem

    def test_a_device_time_must_be_aware(self, visit: Visit) -> None:
        with pytest.raises(InvalidArgument) as err:
            submit(visit, performed_at=CHECK_OUT.replace(tzinfo=None))
        assert err.value.field == "audit.performed_at"

    @pytest.mark.parametrize("value", ["12.5", Decimal("12.5"), "-3", "0", "1e2"])
    def test_number_is_parsed_to_decimal(self, visit: Visit, value: Any) -> None:
        audit = submit(visit, [AnswerInput("shelf_share", "number", value)])
        [answer] = audit.answers
        assert isinstance(answer.value, Decimal)
        assert answer.value == Decimal(str(value))

    @pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity"])
    def test_number_must_be_a_number(self, visit: Visit, value: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            submit(visit, [AnswerInput("shelf_share", "number", value)])
        assert err.value.field == "audit.answers[0].number"

    def test_completed_visit_can_be_audited(self, visit: Visit, outlet: Outlet) -> None:
        visit.finish(outlet, CHECK_OUT, SHOP, VisitOutcome.AUDIT_ONLY, "", RADIUS_M)
        assert submit(visit).visit_id == visit.id

    def test_missed_visit_is_refused(self, agent: Employee, outlet: Outlet) -> None:
        missed = Visit.missed(new_id(), agent, outlet, date(2024, 5, 15), "ill")
        with pytest.raises(FailedPrecondition) as err:
            submit(missed)
        assert "MISSED" in err.value.message

    @pytest.mark.parametrize(
        ("index", "answer", "expected"),
        [
            (1, AnswerInput("fridge", "number", "1"), "yes_no"),
            (1, AnswerInput("price", "number", "100"), "money"),
            (1, AnswerInput("placement", "", None), "choice"),
            (1, AnswerInput("photo", "choice", "x"), "photo_ref"),
            (1, AnswerInput("fridge", "yes_no", None), "yes_no"),
        ],
    )
    def test_type_mismatch_names_the_answer_and_the_expected_kind(
        self, visit: Visit, index: int, answer: AnswerInput, expected: str
    ) -> None:
        answers = [AnswerInput("shelf_share", "number", "1"), answer]
        with pytest.raises(InvalidArgument) as err:
            submit(visit, answers)
        assert err.value.field == f"audit.answers[{index}]"
        assert f"`{expected}`" in err.value.problem
        assert repr(answer.question_id) in err.value.problem

    def test_choice_must_be_an_option(self, visit: Visit) -> None:
        answers = [
            AnswerInput("shelf_share", "number", "1"),
            AnswerInput("placement", "choice", "top"),
        ]
        with pytest.raises(InvalidArgument) as err:
            submit(visit, answers)
        assert err.value.field == "audit.answers[1].choice"
        assert "'top'" in err.value.problem
        assert "eye level" in err.value.problem

    def test_photo_ref_must_not_be_empty(self, visit: Visit) -> None:
        answers = [
            AnswerInput("shelf_share", "number", "1"),
            AnswerInput("photo", "photo_ref", " "),
        ]
        with pytest.raises(InvalidArgument) as err:
            submit(visit, answers)
        assert err.value.field == "audit.answers[1].photo_ref"

    def test_unknown_question(self, visit: Visit) -> None:
        with pytest.raises(InvalidArgument) as err:
            submit(visit, [AnswerInput("nope", "number", "1")])
        assert err.value.field == "audit.answers[0].question_id"

    def test_question_answered_twice(self, visit: Visit) -> None:
        answers = [
            AnswerInput("shelf_share", "number", "1"),
            AnswerInput("shelf_share", "number", "2"),
        ]
        with pytest.raises(InvalidArgument) as err:
            submit(visit, answers)
        assert err.value.field == "audit.answers[1].question_id"
        assert "twice" in err.value.problem

    def test_required_question_unanswered(self, visit: Visit) -> None:
        questions: list[Q] = [
            *QUESTIONS,
            ("facings", "Фейсинги", QuestionType.NUMBER, (), True),
        ]
        q = make_questionnaire(questions)
        with pytest.raises(InvalidArgument) as err:
            submit(visit, [AnswerInput("fridge", "yes_no", True)], questionnaire=q)
        assert err.value.field == "audit.answers"
        assert "shelf_share" in err.value.problem
        assert "facings" in err.value.problem

    def test_optional_questions_may_be_skipped(self, visit: Visit) -> None:
        audit = submit(visit, [AnswerInput("shelf_share", "number", "1")])
        assert len(audit.answers) == 1

    def test_sku_must_be_on_the_list(self, visit: Visit) -> None:
        with pytest.raises(InvalidArgument) as err:
            submit(visit, must_stock=[MustStockCheck("SKU-999", True, 1)])
        assert err.value.field == "audit.must_stock[0].sku"
        assert "SKU-999" in err.value.problem

    def test_sku_checked_twice(self, visit: Visit) -> None:
        checks = [MustStockCheck("SKU-001", True, 1), MustStockCheck("SKU-001", False)]
        with pytest.raises(InvalidArgument) as err:
            submit(visit, must_stock=checks)
        assert err.value.field == "audit.must_stock[1].sku"
        assert "twice" in err.value.problem

    def test_negative_facings(self, visit: Visit) -> None:
        checks = [MustStockCheck("SKU-001", True, 1), MustStockCheck("SKU-002", True, -1)]
        with pytest.raises(InvalidArgument) as err:
            submit(visit, must_stock=checks)
        assert err.value.field == "audit.must_stock[1].facings"

    @pytest.mark.parametrize(
        ("price", "field"),
        [
            (CompetitorPrice("", "Pepsi", RUB_100), "audit.competitor_prices[0].product"),
            (CompetitorPrice("Cola", " ", RUB_100), "audit.competitor_prices[0].competitor"),
        ],
    )
    def test_competitor_price_names(self, visit: Visit, price: CompetitorPrice, field: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            submit(visit, prices=[price])
        assert err.value.field == field

    def test_id_must_be_a_uuid(self, visit: Visit) -> None:
        with pytest.raises(InvalidArgument) as err:
            Audit.submit("a1", visit, make_questionnaire(), good_answers(), (), (), CHECK_OUT)
        assert err.value.field == "audit.id"


def test_ensure_new() -> None:
    ensure_new(None, "visit", "v")
    with pytest.raises(AlreadyExists) as err:
        ensure_new(object(), "visit", "v-1")
    assert "visit v-1" in err.value.message


def test_a_choice_question_cannot_list_an_option_twice() -> None:
    with pytest.raises(InvalidArgument) as info:
        Questionnaire.create(
            str(uuid.uuid4()),
            "Дубли",
            [("q", "Где?", QuestionType.CHOICE, ("вход", "вход"), False)],
            [],
        )
    assert info.value.field == "questionnaire.questions[0].options"
