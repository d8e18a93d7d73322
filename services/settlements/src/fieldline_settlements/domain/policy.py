"""The debt policy and the credit decision on an order.

A policy (the company default, or a client's own) has a mode (BLOCK, WARN, IGNORE), two
criteria and the stages it applies at:

* **over limit** (`check_credit_limit`, and only for a client with a credit limit):
  balance + active reservations of other orders + this order > credit limit;
* **overdue** (`max_overdue_days` ≥ 0): some debt is more than `max_overdue_days` days past
  due.

* stage not in the policy → ALLOW;
* no criterion violated → ALLOW;
* mode IGNORE → ALLOW, the violations reported as reasons;
* mode WARN → WARN;
* mode BLOCK → BLOCK, unless the actor holds one of the override roles and gives a reason:
  OVERRIDDEN.

An override asked without an override role, or without a reason, or with no verified user
behind the check (`Actor.unknown`: roles are only ever read from a verified token), is
ignored: the outcome stays BLOCK and a reason says why.

A client's **standing** (`standing`) is that judgement made now, at every stage, on the
smallest order (one kopeck), with no override asked: what any order of the client gets at
least; with the **headroom**, how much an order may be before the over-limit criterion
changes the outcome (when it can: the stage is in the policy, the mode is not IGNORE, the
limit is judged and the client has one).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from fieldline_kit.errors import InvalidArgument
from fieldline_settlements.domain.events import DebtPolicyChanged, Event
from fieldline_settlements.domain.values import (
    CENT,
    MAX_LIST,
    MAX_REASON,
    ZERO,
    fmt,
    limit_items,
    limit_text,
    optional_id,
    role,
)


class PolicyMode(Enum):
    BLOCK = "BLOCK"
    WARN = "WARN"
    IGNORE = "IGNORE"


class Stage(Enum):
    ORDER_SUBMIT = "ORDER_SUBMIT"
    VAN_SALE = "VAN_SALE"


class Outcome(Enum):
    ALLOW = "ALLOW"
    WARN = "WARN"
    BLOCK = "BLOCK"
    OVERRIDDEN = "OVERRIDDEN"


class ReasonCode(Enum):
    OVER_LIMIT = "OVER_LIMIT"
    OVERDUE = "OVERDUE"
    # About the override itself (applied, or ignored and why); no criterion.
    OVERRIDE = "OVERRIDE"


@dataclass(frozen=True)
class DebtPolicy:
    client_id: str  # empty: the company default
    mode: PolicyMode
    check_credit_limit: bool
    max_overdue_days: int
    stages: tuple[Stage, ...]
    override_roles: tuple[str, ...]

    @classmethod
    def create(
        cls,
        *,
        client_id: str,
        mode: PolicyMode | None,
        check_credit_limit: bool,
        max_overdue_days: int,
        stages: Iterable[Stage | None],
        override_roles: Iterable[str],
        field_: str = "policy",
    ) -> DebtPolicy:
        if mode is None:
            raise InvalidArgument(f"{field_}.mode", "is required (BLOCK, WARN or IGNORE)")
        unique: list[Stage] = []
        for i, stage in enumerate(limit_items(f"{field_}.stages", list(stages), MAX_LIST)):
            if stage is None:
                raise InvalidArgument(f"{field_}.stages[{i}]", "must be ORDER_SUBMIT or VAN_SALE")
            if stage not in unique:
                unique.append(stage)
        if not unique:
            raise InvalidArgument(
                f"{field_}.stages",
                "name at least one stage (ORDER_SUBMIT, VAN_SALE); "
                "use mode IGNORE to judge nothing",
            )
        roles: list[str] = []
        for i, name in enumerate(
            limit_items(f"{field_}.override_roles", list(override_roles), MAX_LIST)
        ):
            normalised = role(f"{field_}.override_roles[{i}]", name)
            if normalised not in roles:
                roles.append(normalised)
        return cls(
            client_id=optional_id(f"{field_}.client_id", client_id),
            mode=mode,
            check_credit_limit=check_credit_limit,
            max_overdue_days=max(-1, max_overdue_days),
            stages=tuple(sorted(unique, key=lambda s: list(Stage).index(s))),
            override_roles=tuple(roles),
        )

    @classmethod
    def parse(
        cls,
        *,
        mode: str,
        check_credit_limit: bool,
        max_overdue_days: int,
        stages: Iterable[str],
        override_roles: Iterable[str],
    ) -> DebtPolicy:
        """The company default from configuration text (e.g. mode "BLOCK")."""
        try:
            parsed_mode = PolicyMode(mode.strip().upper())
        except ValueError:
            raise InvalidArgument("mode", f"must be BLOCK, WARN or IGNORE, got {mode!r}") from None
        parsed_stages: list[Stage | None] = []
        for s in stages:
            try:
                parsed_stages.append(Stage(s.strip().upper()))
            except ValueError:
                raise InvalidArgument(
                    "stages", f"must be ORDER_SUBMIT or VAN_SALE, got {s!r}"
                ) from None
        return cls.create(
            client_id="",
            mode=parsed_mode,
            check_credit_limit=check_credit_limit,
            max_overdue_days=max_overdue_days,
            stages=parsed_stages,
            override_roles=override_roles,
        )

    def for_client(self, client_id: str) -> DebtPolicy:
        return DebtPolicy(
            client_id,
            self.mode,
            self.check_credit_limit,
            self.max_overdue_days,
            self.stages,
            self.override_roles,
        )

    def applies_at(self, stage: Stage) -> bool:
        return stage in self.stages

    @property
    def judges_overdue(self) -> bool:
        return self.max_overdue_days >= 0


@dataclass(eq=False)
class ClientPolicy:
    """The debt policy set for a client (client id empty: the company's), replaced whole by
    each new one, or cleared. A cleared policy is kept (`cleared`, in force nowhere) so that
    its version keeps stepping through a clear and a later set: the version orders the
    `DebtPolicyChanged` events of the client's policy. `changed_by`: who made the last change
    (a verified subject; empty when unknown)."""

    policy: DebtPolicy
    version: int = 1
    changed_by: str = ""
    cleared: bool = False
    events: list[Event] = field(default_factory=list, repr=False)

    @property
    def client_id(self) -> str:
        return self.policy.client_id

    def replace(self, policy: DebtPolicy, by: str = "") -> bool:
        """Put `policy` in force in place of the stored (or cleared) one; whether that changed
        anything (the same policy set again changes nothing, not even `changed_by`)."""
        if policy.client_id != self.client_id:
            raise ValueError("a policy replaced by another client's")
        if not self.cleared and policy == self.policy:
            return False
        self.policy = policy
        self.cleared = False
        self.changed_by = by
        self.version += 1
        return True

    def clear(self, by: str = "") -> bool:
        """Take the policy out of force; whether it was in force."""
        if self.cleared:
            return False
        self.cleared = True
        self.changed_by = by
        self.version += 1
        return True

    def changed(self, in_force: DebtPolicy, is_default: bool) -> None:
        """Record the change just made, with the policy now in force for the client (its own,
        else the company's) and whether that is the company's."""
        self.events.append(
            DebtPolicyChanged(self.client_id, in_force, is_default, self.cleared, self.version)
        )


@dataclass(frozen=True)
class CreditFigures:
    """What a decision is made on. `reserved` excludes the order being checked."""

    balance: Decimal
    reserved: Decimal
    order_amount: Decimal
    credit_limit: Decimal | None
    overdue: Decimal
    max_overdue_days: int
    overdue_threshold_days: int

    @property
    def exposure(self) -> Decimal:
        return self.balance + self.reserved + self.order_amount


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    message: str


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    figures: CreditFigures
    policy: DebtPolicy

    @property
    def reserves(self) -> bool:
        """Every decision but BLOCK lets the order go on, so its amount is reserved."""
        return self.outcome is not Outcome.BLOCK


@dataclass(frozen=True)
class Actor:
    """Who asks for the check: a user known from a verified token (`of`), or no one known
    (`unknown`), who can override nothing."""

    id: str
    roles: frozenset[str]
    override_reason: str
    verified: bool = True

    @classmethod
    def of(cls, actor_id: str, roles: Iterable[str], override_reason: str) -> Actor:
        """A verified user, its roles as `role` reads them ("ROLE_SUPERVISOR" is SUPERVISOR);
        names that are no role (an identity provider's own) are left out."""
        names = set()
        for r in list(roles)[:MAX_LIST]:
            try:
                names.add(role("roles", r))
            except InvalidArgument:
                continue
        return cls(
            limit_text("actor_token", actor_id, 128),
            frozenset(names),
            limit_text("override_reason", override_reason, MAX_REASON),
        )

    @classmethod
    def unknown(cls, override_reason: str) -> Actor:
        reason = limit_text("override_reason", override_reason, MAX_REASON)
        return cls("", frozenset(), reason, verified=False)


def judged_limit(policy: DebtPolicy, credit_limit: Decimal | None) -> Decimal | None:
    """The limit an order is judged against: the client's credit limit, if it has one and the
    policy judges it."""
    return credit_limit if policy.check_credit_limit else None


def reserved_matters(policy: DebtPolicy, credit_limit: Decimal | None) -> bool:
    """Whether the reservations of a client's orders can change a decision on its orders: they
    count only against a credit limit the policy judges (`violations`)."""
    return judged_limit(policy, credit_limit) is not None


def violations(policy: DebtPolicy, f: CreditFigures, currency: str) -> list[Reason]:
    found = []
    limit = judged_limit(policy, f.credit_limit)
    if limit is not None and f.exposure > limit:
        found.append(
            Reason(
                ReasonCode.OVER_LIMIT,
                f"over the credit limit: debt {fmt(f.balance)} + reserved {fmt(f.reserved)} "
                f"+ this order {fmt(f.order_amount)} = {fmt(f.exposure)} {currency}, "
                f"limit {fmt(limit)} {currency}, "
                f"over by {fmt(f.exposure - limit)} {currency}",
            )
        )
    if policy.judges_overdue and f.overdue > 0 and f.max_overdue_days > policy.max_overdue_days:
        found.append(
            Reason(
                ReasonCode.OVERDUE,
                f"overdue debt {fmt(f.overdue)} {currency}, the oldest {f.max_overdue_days} "
                f"days past due (allowed: {policy.max_overdue_days})",
            )
        )
    return found


def evaluate(
    policy: DebtPolicy,
    stage: Stage,
    figures: CreditFigures,
    actor: Actor,
    currency: str,
) -> Decision:
    """Judge an order exactly per the matrix in the module docstring."""
    if not policy.applies_at(stage):
        return Decision(Outcome.ALLOW, (), figures, policy)
    reasons = violations(policy, figures, currency)
    if not reasons:
        return Decision(Outcome.ALLOW, (), figures, policy)
    if policy.mode is PolicyMode.IGNORE:
        return Decision(Outcome.ALLOW, tuple(reasons), figures, policy)
    if policy.mode is PolicyMode.WARN:
        return Decision(Outcome.WARN, tuple(reasons), figures, policy)
    # BLOCK: an override needs one of the policy's override roles and a reason.
    held = sorted(actor.roles & set(policy.override_roles))
    who = actor.id or "the actor"
    if held and actor.override_reason:
        note = f"overridden by {who} ({held[0]}): {actor.override_reason}"
        return Decision(
            Outcome.OVERRIDDEN, (*reasons, Reason(ReasonCode.OVERRIDE, note)), figures, policy
        )
    if actor.override_reason:  # asked, but without an override role
        if not actor.verified:
            note = "override ignored: the check names no verified user (actor_token)"
        elif policy.override_roles:
            allowed = ", ".join(policy.override_roles)
            note = f"override ignored: {who} has none of the override roles ({allowed})"
        else:
            note = "override ignored: this policy allows no override"
        reasons.append(Reason(ReasonCode.OVERRIDE, note))
    elif held:  # may override, but gave no reason
        reasons.append(
            Reason(ReasonCode.OVERRIDE, f"override ignored: an override ({held[0]}) needs a reason")
        )
    return Decision(Outcome.BLOCK, tuple(reasons), figures, policy)


# The order a standing judges: the smallest one there is (the ledger's minor unit).
SMALLEST_ORDER = CENT


@dataclass(frozen=True)
class StageStanding:
    """What the policy decides now at `stage` on the smallest order (no override asked), and
    `headroom`: the largest order that stays within the credit limit (0: at or over it), when
    going over it changes the outcome; None when no order amount does."""

    stage: Stage
    decision: Decision
    headroom: Decimal | None


def standing(
    policy: DebtPolicy, figures: CreditFigures, currency: str
) -> tuple[StageStanding, ...]:
    """The client's standing at every stage (in the order of `Stage`), judged by `evaluate` on
    `figures` with the smallest order (`SMALLEST_ORDER`) in place of theirs."""
    f = figures
    if f.order_amount != SMALLEST_ORDER:
        f = dataclasses.replace(figures, order_amount=SMALLEST_ORDER)
    limit = judged_limit(policy, f.credit_limit)
    decisive = limit is not None and policy.mode is not PolicyMode.IGNORE
    return tuple(
        StageStanding(
            stage,
            evaluate(policy, stage, f, NOBODY, currency),
            max(ZERO, limit - f.balance - f.reserved)
            if decisive and limit is not None and policy.applies_at(stage)
            else None,
        )
        for stage in STAGES
    )


STAGES = tuple(Stage)
# Who asks for a standing: no one (no override is ever asked).
NOBODY = Actor.unknown("")
