"""Visits, questionnaires and audits, and census proposals."""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from fieldline_clients.domain import events
from fieldline_clients.domain.model import (
    Employee,
    Outlet,
    OutletCard,
    OutletStatus,
    Role,
    check_version,
)
from fieldline_clients.domain.values import (
    MAX_CODE,
    MAX_LINES,
    MAX_LIST,
    MAX_NAME,
    MAX_REASON,
    MAX_TEXT,
    MAX_VALUE,
    Location,
    Money,
    limit_items,
    limit_text,
    optional_id,
    parse_decimal,
    require_aware,
    require_id,
    require_text,
)
from fieldline_kit.errors import AlreadyExists, FailedPrecondition, InvalidArgument


# ----------------------------------------------------------------------------------- visits
class VisitStatus(enum.Enum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    MISSED = "missed"


class VisitOutcome(enum.Enum):
    ORDER_TAKEN = "order_taken"
    NO_ORDER = "no_order"
    AUDIT_ONLY = "audit_only"
    OUTLET_CLOSED = "outlet_closed"
    REFUSED = "refused"


@dataclass(frozen=True)
class GeoMark:
    """Where a check-in/out happened and how far that was from the outlet."""

    time: datetime
    location: Location | None
    distance_m: int | None
    far: bool

    @classmethod
    def measure(
        cls, time: datetime, location: Location | None, outlet: Outlet, radius_m: float
    ) -> GeoMark:
        if location is None or outlet.card.location is None:
            return cls(time, location, None, False)
        distance = outlet.card.location.distance_m(location)
        return cls(time, location, round(distance), distance > radius_m)


@dataclass
class Visit:
    id: str
    agent_id: str
    outlet_id: str
    day: date
    status: VisitStatus
    check_in: GeoMark | None = None
    check_out: GeoMark | None = None
    outcome: VisitOutcome | None = None
    missed_reason: str = ""
    notes: str = ""
    version: int = 1
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    @staticmethod
    def _can_visit(agent: Employee, outlet: Outlet) -> None:
        agent.require_role(Role.AGENT, Role.VAN_SELLER, Role.MERCHANDISER, Role.SUPERVISOR)
        if outlet.status is not OutletStatus.ACTIVE:
            raise FailedPrecondition(
                f"outlet {outlet.id} is {outlet.status.name}; only ACTIVE outlets are visited"
            )

    @classmethod
    def start(
        cls,
        id: str,
        agent: Employee,
        outlet: Outlet,
        time: datetime,
        location: Location | None,
        day: date | None,
        radius_m: float,
    ) -> Visit:
        cls._can_visit(agent, outlet)
        require_aware("time", time)
        visit = cls(
            id=require_id("visit_id", id),
            agent_id=agent.id,
            outlet_id=outlet.id,
            day=day or time.date(),
            status=VisitStatus.IN_PROGRESS,
            check_in=GeoMark.measure(time, location, outlet, radius_m),
        )
        visit.events.append(events.VisitStarted(visit.snapshot()))
        return visit

    def same_start(self, agent_id: str, outlet_id: str) -> bool:
        return self.agent_id == agent_id and self.outlet_id == outlet_id

    def finish(
        self,
        outlet: Outlet,
        time: datetime,
        location: Location | None,
        outcome: VisitOutcome | None,
        notes: str,
        radius_m: float,
    ) -> None:
        if outcome is None:
            raise InvalidArgument("outcome", "is required")
        notes = limit_text("notes", notes)
        if self.status is VisitStatus.COMPLETED and self.outcome is outcome and self.notes == notes:
            return  # a retried check-out: nothing new
        if self.status is not VisitStatus.IN_PROGRESS:
            raise FailedPrecondition(
                f"visit {self.id} is {self.status.name}; check-out needs IN_PROGRESS"
            )
        require_aware("time", time)
        if self.check_in is not None and time < self.check_in.time:
            raise InvalidArgument("time", "check-out is earlier than check-in")
        self.check_out = GeoMark.measure(time, location, outlet, radius_m)
        self.outcome = outcome
        self.notes = notes
        self.status = VisitStatus.COMPLETED
        self.version += 1
        self.events.append(events.VisitCompleted(self.snapshot()))

    @classmethod
    def missed(
        cls, id: str, agent: Employee, outlet: Outlet, day: date | None, reason: str
    ) -> Visit:
        agent.require_role(Role.AGENT, Role.VAN_SELLER, Role.MERCHANDISER, Role.SUPERVISOR)
        if day is None:
            raise InvalidArgument("date", "is required")
        visit = cls(
            id=require_id("visit_id", id),
            agent_id=agent.id,
            outlet_id=outlet.id,
            day=day,
            status=VisitStatus.MISSED,
            missed_reason=require_text("reason", reason, MAX_REASON),
        )
        visit.events.append(events.VisitMissed(visit.snapshot()))
        return visit

    def snapshot(self) -> Visit:
        return replace(self, events=[])


# ------------------------------------------------------------------------------- audits
class QuestionType(enum.Enum):
    NUMBER = "number"
    MONEY = "money"
    YES_NO = "yes_no"
    CHOICE = "choice"
    PHOTO = "photo"


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    type: QuestionType
    options: tuple[str, ...] = ()
    required: bool = False


QuestionInput = tuple[str, str, QuestionType | None, Sequence[str], bool]  # as asked


@dataclass
class Questionnaire:
    """`distributor_id`: the distributor client it is run for ('' the company's); the use
    cases check that it names a distributor, the domain that it is an id."""

    id: str
    name: str
    questions: tuple[Question, ...]
    must_stock_skus: tuple[str, ...]
    version: int = 1
    distributor_id: str = ""
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def create(
        cls,
        id: str,
        name: str,
        questions: Sequence[QuestionInput],
        must_stock_skus: Sequence[str],
        distributor_id: str = "",
    ) -> Questionnaire:
        clean, skus = cls._validated(questions, must_stock_skus)
        q = cls(
            id=require_id("questionnaire.id", id),
            name=require_text("questionnaire.name", name),
            questions=clean,
            must_stock_skus=skus,
            distributor_id=optional_id("questionnaire.distributor_id", distributor_id),
        )
        q.events.append(events.QuestionnaireChanged(q.snapshot()))
        return q

    def update(
        self,
        name: str,
        questions: Sequence[QuestionInput],
        must_stock_skus: Sequence[str],
        expected_version: int,
        distributor_id: str = "",
    ) -> None:
        """Replace the content (the distributor too: '' untags it); the same content again
        changes nothing (no version, no event). Audits made before keep their tag."""
        check_version(
            expected_version, self.version, f"questionnaire {self.id}", "questionnaire.version"
        )
        clean_name = require_text("questionnaire.name", name)
        clean, skus = self._validated(questions, must_stock_skus)
        distributor = optional_id("questionnaire.distributor_id", distributor_id)
        new = (clean_name, clean, skus, distributor)
        if new == (self.name, self.questions, self.must_stock_skus, self.distributor_id):
            return
        self.name, self.questions, self.must_stock_skus, self.distributor_id = new
        self.version += 1
        self.events.append(events.QuestionnaireChanged(self.snapshot()))

    @staticmethod
    def _validated(
        questions: Sequence[QuestionInput], must_stock_skus: Sequence[str]
    ) -> tuple[tuple[Question, ...], tuple[str, ...]]:
        clean: list[Question] = []
        seen: set[str] = set()
        questions = limit_items("questionnaire.questions", questions, MAX_LINES)
        for i, (qid, text, qtype, options, required) in enumerate(questions):
            where = f"questionnaire.questions[{i}]"
            key = require_text(f"{where}.id", qid, MAX_CODE)
            if key in seen:
                raise InvalidArgument(f"{where}.id", f"{key!r} is used twice")
            seen.add(key)
            if qtype is None:
                raise InvalidArgument(f"{where}.type", "is required")
            opts = tuple(
                require_text(f"{where}.options[{j}]", o, MAX_NAME)
                for j, o in enumerate(limit_items(f"{where}.options", options, MAX_LIST))
            )
            if qtype is QuestionType.CHOICE and len(opts) < 2:
                raise InvalidArgument(
                    f"{where}.options", "a choice question needs at least 2 options"
                )
            if len(set(opts)) != len(opts):
                raise InvalidArgument(f"{where}.options", "lists an option twice")
            if qtype is not QuestionType.CHOICE and opts:
                raise InvalidArgument(f"{where}.options", "only choice questions have options")
            clean.append(
                Question(key, require_text(f"{where}.text", text, MAX_TEXT), qtype, opts, required)
            )
        skus = tuple(
            require_text(f"questionnaire.must_stock_skus[{i}]", s, MAX_CODE)
            for i, s in enumerate(
                limit_items("questionnaire.must_stock_skus", must_stock_skus, MAX_LINES)
            )
        )
        if len(set(skus)) != len(skus):
            raise InvalidArgument("questionnaire.must_stock_skus", "lists a SKU twice")
        if not clean and not skus:
            raise InvalidArgument(
                "questionnaire.questions", "a questionnaire needs questions or SKUs"
            )
        return tuple(clean), skus

    def question(self, qid: str, where: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise InvalidArgument(
            f"{where}.question_id", f"{qid[:60]!r} is not a question of {self.id}"
        )

    def snapshot(self) -> Questionnaire:
        return replace(self, events=[])


AnswerValue = Decimal | Money | bool | str


@dataclass(frozen=True)
class AnswerInput:
    question_id: str
    kind: str  # which oneof field was set: number, money, yes_no, choice, photo_ref, or ""
    value: AnswerValue | None


@dataclass(frozen=True)
class Answer:
    question_id: str
    type: QuestionType
    value: AnswerValue


@dataclass(frozen=True)
class MustStockCheck:
    sku: str
    present: bool
    facings: int = 0
    shelf_quantity: Decimal | None = None


@dataclass(frozen=True)
class CompetitorPrice:
    product: str
    competitor: str
    price: Money


_KIND_FOR_TYPE = {
    QuestionType.NUMBER: "number",
    QuestionType.MONEY: "money",
    QuestionType.YES_NO: "yes_no",
    QuestionType.CHOICE: "choice",
    QuestionType.PHOTO: "photo_ref",
}


# How far ahead of the server's clock a device's time may be (the gateway's own bound on
# document times, GATEWAY_MAX_CLOCK_SKEW_MINUTES, is the same 60 minutes).
MAX_DEVICE_CLOCK_AHEAD = timedelta(minutes=60)


def device_time(field: str, value: datetime | None, now: datetime) -> datetime | None:
    """A time a device gave (None: not given), refused when further ahead of `now` (the
    server's time) than MAX_DEVICE_CLOCK_AHEAD: a device clock that wrong makes it meaningless."""
    if value is None:
        return None
    require_aware(field, value)
    ahead = value - now
    if ahead > MAX_DEVICE_CLOCK_AHEAD:
        minute = timedelta(minutes=1)
        raise InvalidArgument(
            field,
            f"is {math.ceil(ahead / minute)} minutes after the server's time; at most "
            f"{MAX_DEVICE_CLOCK_AHEAD // minute} are accepted (check the device's clock)",
        )
    return value


@dataclass
class Audit:
    id: str
    visit_id: str
    questionnaire_id: str
    agent_id: str
    outlet_id: str
    answers: tuple[Answer, ...]
    must_stock: tuple[MustStockCheck, ...]
    competitor_prices: tuple[CompetitorPrice, ...]
    submitted_at: datetime  # the server's time of acceptance
    performed_at: datetime | None = None  # the device's time of the audit, if it gave one
    version: int = 1
    distributor_id: str = ""  # the distributor it was made for; '' the company's
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    @staticmethod
    def distributor_for(questionnaire: Questionnaire, named: str) -> str:
        """The distributor an audit of `questionnaire` is tagged with: the questionnaire's when
        it has one (`named` empty or the same; another is refused), else the one `named` (''
        none; the use case checks it is a distributor)."""
        named = optional_id("audit.distributor_id", named)
        own = questionnaire.distributor_id
        if own and named and named != own:
            raise InvalidArgument(
                "audit.distributor_id",
                f"questionnaire {questionnaire.id} is distributor {own}'s; its audits cannot "
                f"be {named}'s",
            )
        return own or named

    @classmethod
    def submit(
        cls,
        id: str,
        visit: Visit,
        questionnaire: Questionnaire,
        answers: Sequence[AnswerInput],
        must_stock: Sequence[MustStockCheck],
        competitor_prices: Sequence[CompetitorPrice],
        now: datetime,
        performed_at: datetime | None = None,
        distributor_id: str = "",
    ) -> Audit:
        """`now`: the server's time (`submitted_at`); `performed_at`: the device's, if given;
        `distributor_id`: the one the device named ('' none: `distributor_for`)."""
        if visit.status is VisitStatus.MISSED:
            raise FailedPrecondition(f"visit {visit.id} is MISSED; an audit needs a real visit")
        distributor = cls.distributor_for(questionnaire, distributor_id)
        clean = cls._answers(questionnaire, limit_items("audit.answers", answers, MAX_LINES))
        checks = cls._must_stock(
            questionnaire, limit_items("audit.must_stock", must_stock, MAX_LINES)
        )
        prices = tuple(
            replace(
                cp,
                product=require_text(f"audit.competitor_prices[{i}].product", cp.product),
                competitor=require_text(f"audit.competitor_prices[{i}].competitor", cp.competitor),
            )
            for i, cp in enumerate(
                limit_items("audit.competitor_prices", competitor_prices, MAX_LINES)
            )
        )
        audit = cls(
            id=require_id("audit.id", id),
            visit_id=visit.id,
            questionnaire_id=questionnaire.id,
            agent_id=visit.agent_id,
            outlet_id=visit.outlet_id,
            answers=clean,
            must_stock=checks,
            competitor_prices=prices,
            submitted_at=now,
            performed_at=device_time("audit.performed_at", performed_at, now),
            distributor_id=distributor,
        )
        audit.events.append(events.AuditSubmitted(audit.snapshot()))
        return audit

    @staticmethod
    def _answers(q: Questionnaire, answers: Sequence[AnswerInput]) -> tuple[Answer, ...]:
        out: list[Answer] = []
        seen: set[str] = set()
        for i, a in enumerate(answers):
            where = f"audit.answers[{i}]"
            question = q.question(a.question_id, where)
            if question.id in seen:
                raise InvalidArgument(f"{where}.question_id", f"{question.id!r} is answered twice")
            seen.add(question.id)
            expected = _KIND_FOR_TYPE[question.type]
            if a.kind != expected or a.value is None:
                raise InvalidArgument(
                    f"{where}",
                    f"question {question.id!r} is {question.type.name}: give `{expected}`",
                )
            value = a.value
            if question.type is QuestionType.NUMBER:
                value = parse_decimal(f"{where}.number", str(value), allow_negative=True)
            elif question.type is QuestionType.CHOICE and value not in question.options:
                raise InvalidArgument(
                    f"{where}.choice",
                    f"{str(value)[:60]!r} is not one of {', '.join(question.options)}",
                )
            elif question.type is QuestionType.PHOTO:
                value = require_text(f"{where}.photo_ref", str(value), MAX_VALUE)
            out.append(Answer(question.id, question.type, value))
        missing = [x.id for x in q.questions if x.required and x.id not in seen]
        if missing:
            raise InvalidArgument(
                "audit.answers", f"required questions unanswered: {', '.join(missing)}"
            )
        return tuple(out)

    @staticmethod
    def _must_stock(
        q: Questionnaire, checks: Sequence[MustStockCheck]
    ) -> tuple[MustStockCheck, ...]:
        seen: set[str] = set()
        for i, c in enumerate(checks):
            where = f"audit.must_stock[{i}]"
            if c.sku not in q.must_stock_skus:
                raise InvalidArgument(
                    f"{where}.sku", f"{c.sku[:60]!r} is not on the must-stock list"
                )
            if c.sku in seen:
                raise InvalidArgument(f"{where}.sku", f"{c.sku!r} is checked twice")
            seen.add(c.sku)
            if c.facings < 0:
                raise InvalidArgument(f"{where}.facings", "must not be negative")
        return tuple(checks)

    def snapshot(self) -> Audit:
        return replace(self, events=[])


# ------------------------------------------------------------------------------- census
class ProposalKind(enum.Enum):
    NEW_OUTLET = "new_outlet"
    CARD_CHANGE = "card_change"


class ProposalStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass
class Proposal:
    id: str
    kind: ProposalKind
    status: ProposalStatus
    proposed_by: str
    outlet_id: str
    client_id: str
    card: OutletCard
    fields: tuple[str, ...]
    created_at: datetime
    decided_by: str = ""
    decision_reason: str = ""
    decided_at: datetime | None = None
    version: int = 1
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def new_outlet(cls, id: str, proposer: Employee, outlet: Outlet, now: datetime) -> Proposal:
        proposer.require_role(Role.AGENT, Role.VAN_SELLER, Role.MERCHANDISER, Role.SUPERVISOR)
        return cls(
            id=require_id("proposal_id", id),
            kind=ProposalKind.NEW_OUTLET,
            status=ProposalStatus.PENDING,
            proposed_by=proposer.id,
            outlet_id=outlet.id,
            client_id=outlet.client_id,
            card=outlet.card,
            fields=(),
            created_at=now,
        )

    @classmethod
    def card_change(
        cls,
        id: str,
        proposer: Employee,
        outlet: Outlet,
        card: OutletCard,
        mask: Iterable[str],
        now: datetime,
    ) -> Proposal:
        proposer.require_role(Role.AGENT, Role.VAN_SELLER, Role.MERCHANDISER, Role.SUPERVISOR)
        if outlet.status is not OutletStatus.ACTIVE:
            raise FailedPrecondition(f"outlet {outlet.id} is {outlet.status.name}, not ACTIVE")
        fields = tuple(mask)
        proposed = outlet.card.merged(card, fields).validated("card")
        if not outlet.card.diff(proposed):
            raise InvalidArgument("card", "the proposal changes nothing on the current card")
        return cls(
            id=require_id("proposal_id", id),
            kind=ProposalKind.CARD_CHANGE,
            status=ProposalStatus.PENDING,
            proposed_by=proposer.id,
            outlet_id=outlet.id,
            client_id=outlet.client_id,
            # The card as the change makes it, validated (the fields outside the mask are
            # the outlet's, not whatever the request held there); `fields` say what changes.
            card=proposed,
            fields=fields,
            created_at=now,
        )

    def decide(
        self, approve: bool, decider: Employee, reason: str, outlet: Outlet, now: datetime
    ) -> None:
        """Apply the decision to the outlet (activate, reject, or change its card)."""
        decider.require_role(Role.SUPERVISOR)
        wanted = ProposalStatus.APPROVED if approve else ProposalStatus.REJECTED
        if self.status is not ProposalStatus.PENDING:
            if self.status is wanted and self.decided_by == decider.id:
                return  # the same decision again: a retry
            raise FailedPrecondition(
                f"proposal {self.id} is {self.status.name}; cannot become {wanted.name}"
            )
        reason = limit_text("reason", reason, MAX_REASON)
        if not approve and not reason:
            raise InvalidArgument("reason", "is required when rejecting")
        if self.kind is ProposalKind.NEW_OUTLET:
            outlet.change_status(
                OutletStatus.ACTIVE if approve else OutletStatus.REJECTED, decider.id, now
            )
        elif approve:
            # Applied onto the current card: fields the proposal did not touch keep any
            # change made since it was proposed.
            outlet.update_card(
                self.card, self.fields, outlet.version, self.proposed_by, now, self.id
            )
        self.status = wanted
        self.decided_by = decider.id
        self.decision_reason = reason
        self.decided_at = now
        self.version += 1
        self.events.append(events.CensusDecided(self.snapshot()))

    def snapshot(self) -> Proposal:
        return replace(self, events=[])


def ensure_new(existing: object | None, entity: str, entity_id: str) -> None:
    if existing is not None:
        raise AlreadyExists(f"{entity} {entity_id} already exists")
