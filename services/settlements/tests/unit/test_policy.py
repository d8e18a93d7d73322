"""The debt policy matrix, criteria boundaries, override rules and policy validation."""

from __future__ import annotations

import itertools
from dataclasses import replace
from decimal import Decimal

import pytest

from fieldline_kit.errors import InvalidArgument
from fieldline_settlements.domain.policy import (
    SMALLEST_ORDER,
    Actor,
    CreditFigures,
    DebtPolicy,
    Outcome,
    PolicyMode,
    ReasonCode,
    Stage,
    evaluate,
    standing,
)

from .conftest import d

VIOLATIONS = ("none", "over_limit", "overdue", "both")
NOBODY = Actor.unknown("")
OVERRIDES = ("no_override", "role_and_reason", "without_role", "without_reason")


def policy(
    mode: PolicyMode = PolicyMode.BLOCK,
    *,
    check_credit_limit: bool = True,
    max_overdue_days: int = 30,
    stages: tuple[Stage, ...] = (Stage.ORDER_SUBMIT,),
    override_roles: tuple[str, ...] = ("SUPERVISOR",),
) -> DebtPolicy:
    return DebtPolicy.create(
        client_id="",
        mode=mode,
        check_credit_limit=check_credit_limit,
        max_overdue_days=max_overdue_days,
        stages=stages,
        override_roles=override_roles,
    )


def figures(
    balance: str = "200.00",
    reserved: str = "100.00",
    order: str = "300.00",
    limit: str | None = "1000.00",
    overdue: str = "50.00",
    days: int = 10,
    threshold: int = 30,
) -> CreditFigures:
    return CreditFigures(
        balance=d(balance),
        reserved=d(reserved),
        order_amount=d(order),
        credit_limit=d(limit) if limit is not None else None,
        overdue=d(overdue),
        max_overdue_days=days,
        overdue_threshold_days=threshold,
    )


def figures_for(violation: str) -> CreditFigures:
    over = violation in ("over_limit", "both")
    late = violation in ("overdue", "both")
    return figures(balance="700.00" if over else "200.00", days=45 if late else 10)


def actor_for(override: str) -> Actor:
    return {
        "no_override": Actor.of("agent-1", ["AGENT"], ""),
        "role_and_reason": Actor.of("sup-1", ["AGENT", "SUPERVISOR"], "pays cash on Friday"),
        "without_role": Actor.of("agent-1", ["AGENT"], "pays cash on Friday"),
        "without_reason": Actor.of("sup-1", ["SUPERVISOR"], "   "),
    }[override]


def expected_outcome(mode: PolicyMode, violation: str, applies: bool, override: str) -> Outcome:
    """The table of docs/contexts/settlements.md, written out independently of the code."""
    if not applies or violation == "none":
        return Outcome.ALLOW
    if mode is PolicyMode.IGNORE:
        return Outcome.ALLOW
    if mode is PolicyMode.WARN:
        return Outcome.WARN
    return Outcome.OVERRIDDEN if override == "role_and_reason" else Outcome.BLOCK


def expected_codes(
    mode: PolicyMode, violation: str, applies: bool, override: str
) -> list[ReasonCode]:
    if not applies or violation == "none":
        return []
    codes = {
        "over_limit": [ReasonCode.OVER_LIMIT],
        "overdue": [ReasonCode.OVERDUE],
        "both": [ReasonCode.OVER_LIMIT, ReasonCode.OVERDUE],
    }[violation]
    if mode is PolicyMode.BLOCK and override != "no_override":
        codes = [*codes, ReasonCode.OVERRIDE]
    return codes


MATRIX = list(itertools.product(PolicyMode, VIOLATIONS, (True, False), OVERRIDES))


@pytest.mark.parametrize(
    ("mode", "violation", "applies", "override"),
    MATRIX,
    ids=[f"{m.value}-{v}-{'stage' if a else 'other_stage'}-{o}" for m, v, a, o in MATRIX],
)
def test_policy_matrix(mode: PolicyMode, violation: str, applies: bool, override: str) -> None:
    stage = Stage.ORDER_SUBMIT if applies else Stage.VAN_SALE
    decision = evaluate(policy(mode), stage, figures_for(violation), actor_for(override), "RUB")
    assert decision.outcome is expected_outcome(mode, violation, applies, override)
    assert [r.code for r in decision.reasons] == expected_codes(mode, violation, applies, override)
    assert decision.reserves is (decision.outcome is not Outcome.BLOCK)
    assert decision.figures == figures_for(violation)
    note = next((r.message for r in decision.reasons if r.code is ReasonCode.OVERRIDE), "")
    if note:
        expected_note = {
            "role_and_reason": "overridden by sup-1 (SUPERVISOR): pays cash on Friday",
            "without_role": "override ignored: agent-1 has none of the override roles (SUPERVISOR)",
            "without_reason": "override ignored: an override (SUPERVISOR) needs a reason",
        }[override]
        assert note == expected_note


def test_the_matrix_covers_every_combination() -> None:
    assert len(MATRIX) == 3 * 4 * 2 * 4


def test_reason_messages_carry_the_figures() -> None:
    decision = evaluate(
        policy(), Stage.ORDER_SUBMIT, figures_for("both"), actor_for("no_override"), "RUB"
    )
    over, late = (r.message for r in decision.reasons)
    assert over == (
        "over the credit limit: debt 700.00 + reserved 100.00 + this order 300.00 = 1 100.00 RUB, "
        "limit 1 000.00 RUB, over by 100.00 RUB"
    )
    assert late == "overdue debt 50.00 RUB, the oldest 45 days past due (allowed: 30)"


class TestCriteria:
    def outcome(self, p: DebtPolicy, f: CreditFigures) -> Outcome:
        return evaluate(p, Stage.ORDER_SUBMIT, f, actor_for("no_override"), "RUB").outcome

    def test_exposure_equal_to_the_limit_is_within_it(self) -> None:
        assert self.outcome(policy(), figures(balance="600.00")) is Outcome.ALLOW
        assert self.outcome(policy(), figures(balance="600.01")) is Outcome.BLOCK

    def test_reservations_of_other_orders_count(self) -> None:
        assert self.outcome(policy(), figures(reserved="500.01")) is Outcome.BLOCK

    def test_an_advance_lowers_the_exposure(self) -> None:
        assert self.outcome(policy(), figures(balance="-500.00", order="1400.00")) is Outcome.ALLOW

    def test_no_limit_is_never_over_it(self) -> None:
        assert self.outcome(policy(), figures(balance="1e9", limit=None)) is Outcome.ALLOW

    def test_limit_not_judged_when_check_credit_limit_is_off(self) -> None:
        p = policy(check_credit_limit=False)
        assert self.outcome(p, figures(balance="5000.00")) is Outcome.ALLOW

    def test_zero_limit_blocks_any_order(self) -> None:
        assert self.outcome(
            policy(), figures(balance="0", reserved="0", order="0.01", limit="0")
        ) is (Outcome.BLOCK)

    def test_overdue_exactly_the_threshold_is_allowed(self) -> None:
        assert self.outcome(policy(), figures(days=30)) is Outcome.ALLOW
        assert self.outcome(policy(), figures(days=31)) is Outcome.BLOCK

    def test_zero_threshold_blocks_any_overdue_debt(self) -> None:
        assert self.outcome(policy(max_overdue_days=0), figures(days=1)) is Outcome.BLOCK
        assert self.outcome(policy(max_overdue_days=0), figures(days=0, overdue="0")) is (
            Outcome.ALLOW
        )

    def test_negative_threshold_disables_the_overdue_criterion(self) -> None:
        p = policy(max_overdue_days=-5)
        assert p.max_overdue_days == -1
        assert self.outcome(p, figures(days=3000)) is Outcome.ALLOW

    def test_policy_applies_at_each_listed_stage(self) -> None:
        p = policy(stages=(Stage.VAN_SALE, Stage.ORDER_SUBMIT))
        for stage in Stage:
            d_ = evaluate(p, stage, figures_for("both"), actor_for("no_override"), "RUB")
            assert d_.outcome is Outcome.BLOCK


class TestOverride:
    def test_roles_match_case_insensitively(self) -> None:
        actor = Actor.of("sup-1", ["supervisor"], "ok")
        d_ = evaluate(policy(), Stage.ORDER_SUBMIT, figures_for("both"), actor, "RUB")
        assert d_.outcome is Outcome.OVERRIDDEN

    def test_any_of_several_override_roles(self) -> None:
        p = policy(override_roles=("SUPERVISOR", "CREDIT_CONTROLLER"))
        actor = Actor.of("cc-1", ["CREDIT_CONTROLLER"], "approved by phone")
        d_ = evaluate(p, Stage.ORDER_SUBMIT, figures_for("overdue"), actor, "RUB")
        assert d_.outcome is Outcome.OVERRIDDEN
        assert d_.reasons[-1].message == "overridden by cc-1 (CREDIT_CONTROLLER): approved by phone"

    def test_policy_without_override_roles_cannot_be_overridden(self) -> None:
        p = policy(override_roles=())
        d_ = evaluate(
            p, Stage.ORDER_SUBMIT, figures_for("both"), actor_for("role_and_reason"), "RUB"
        )
        assert d_.outcome is Outcome.BLOCK
        assert d_.reasons[-1].message == "override ignored: this policy allows no override"

    def test_anonymous_actor_is_named_generically(self) -> None:
        actor = Actor.of("", [], "please")
        d_ = evaluate(policy(), Stage.ORDER_SUBMIT, figures_for("both"), actor, "RUB")
        assert "the actor has none of the override roles" in d_.reasons[-1].message

    def test_override_reason_is_limited(self) -> None:
        with pytest.raises(InvalidArgument, match=r"override_reason: must be at most 1000 char"):
            Actor.of("a", [], "x" * 1001)

    def test_roles_are_read_as_the_clients_api_names_them(self) -> None:
        actor = Actor.of("a", ["ROLE_SUPERVISOR", " agent ", ""], "")
        assert actor.roles == {"SUPERVISOR", "AGENT"}
        # A token's roles that are no role name (an identity provider's own) are left out.
        assert Actor.of("a", ["head of sales", "SUPERVISOR"], "").roles == {"SUPERVISOR"}

    def test_no_verified_user_overrides_nothing(self) -> None:
        nobody = Actor.unknown("pays on Friday")
        d_ = evaluate(policy(), Stage.ORDER_SUBMIT, figures_for("both"), nobody, "RUB")
        assert d_.outcome is Outcome.BLOCK
        assert d_.reasons[-1].message == (
            "override ignored: the check names no verified user (actor_token)"
        )
        assert not Actor.unknown("").verified and Actor.unknown("").roles == frozenset()


class TestPolicyValidation:
    def test_mode_is_required(self) -> None:
        with pytest.raises(InvalidArgument, match=r"policy.mode: is required"):
            DebtPolicy.create(
                client_id="",
                mode=None,
                check_credit_limit=True,
                max_overdue_days=1,
                stages=[Stage.VAN_SALE],
                override_roles=[],
            )

    def test_at_least_one_stage(self) -> None:
        with pytest.raises(InvalidArgument, match=r"policy.stages: name at least one stage"):
            policy(stages=())

    def test_unspecified_stage(self) -> None:
        with pytest.raises(
            InvalidArgument, match=r"policy.stages\[1\]: must be ORDER_SUBMIT or VAN_SALE"
        ):
            DebtPolicy.create(
                client_id="",
                mode=PolicyMode.WARN,
                check_credit_limit=True,
                max_overdue_days=1,
                stages=[Stage.VAN_SALE, None],
                override_roles=[],
            )

    def test_duplicates_are_folded_and_roles_upper_cased(self) -> None:
        p = policy(
            stages=(Stage.VAN_SALE, Stage.ORDER_SUBMIT, Stage.VAN_SALE),
            override_roles=("supervisor", "SUPERVISOR", "Credit_Controller"),
        )
        assert p.stages == (Stage.ORDER_SUBMIT, Stage.VAN_SALE)
        assert p.override_roles == ("SUPERVISOR", "CREDIT_CONTROLLER")

    def test_bad_role(self) -> None:
        with pytest.raises(
            InvalidArgument, match=r"policy.override_roles\[0\]: must be a role name"
        ):
            policy(override_roles=("head of sales",))

    def test_client_policy_names_a_uuid(self) -> None:
        with pytest.raises(InvalidArgument, match=r"policy.client_id: must be a UUID"):
            DebtPolicy.create(
                client_id="acme",
                mode=PolicyMode.WARN,
                check_credit_limit=True,
                max_overdue_days=1,
                stages=[Stage.VAN_SALE],
                override_roles=[],
            )

    def test_parse_from_configuration(self) -> None:
        p = DebtPolicy.parse(
            mode="warn",
            check_credit_limit=False,
            max_overdue_days=45,
            stages=("van_sale",),
            override_roles=("SUPERVISOR",),
        )
        assert (p.mode, p.stages, p.max_overdue_days) == (PolicyMode.WARN, (Stage.VAN_SALE,), 45)
        with pytest.raises(InvalidArgument, match=r"mode: must be BLOCK, WARN or IGNORE"):
            DebtPolicy.parse(
                mode="STRICT",
                check_credit_limit=True,
                max_overdue_days=1,
                stages=("VAN_SALE",),
                override_roles=(),
            )
        with pytest.raises(InvalidArgument, match=r"stages: must be ORDER_SUBMIT or VAN_SALE"):
            DebtPolicy.parse(
                mode="BLOCK",
                check_credit_limit=True,
                max_overdue_days=1,
                stages=("DELIVERY",),
                override_roles=(),
            )


def test_default_settings_make_a_valid_policy() -> None:
    from fieldline_settlements.settings import SettlementsSettings, default_policy, validate

    s = SettlementsSettings(database_url="sqlite://", nats_url="nats://x")
    validate(s)
    p = default_policy(s)
    assert (p.mode, p.check_credit_limit, p.max_overdue_days) == (PolicyMode.BLOCK, True, 30)
    assert p.stages == (Stage.ORDER_SUBMIT, Stage.VAN_SALE)
    assert p.override_roles == ("SUPERVISOR",)


def test_invalid_settings_name_the_variable() -> None:
    from fieldline_kit.settings import SettingsError
    from fieldline_settlements.settings import SettlementsSettings, validate

    s = SettlementsSettings(
        database_url="sqlite://",
        nats_url="nats://x",
        currency="roubles",
        timezone="Mars/Olympus",
        default_policy_mode="STRICT",
        default_policy_stages=("DELIVERY",),
    )
    with pytest.raises(SettingsError) as info:
        validate(s)
    text = str(info.value)
    assert "SETTLEMENTS_CURRENCY" in text
    assert "SETTLEMENTS_TIMEZONE" in text
    assert "SETTLEMENTS_DEFAULT_POLICY_MODE" in text


def test_decimal_figures_are_exact() -> None:
    f = figures(balance="0.10", reserved="0.20", order="0.70", limit="1.00")
    assert f.exposure == Decimal("1.00")


# ------------------------------------------------------------------------------- standing
STANDING_CASES = list(itertools.product(PolicyMode, VIOLATIONS))


@pytest.mark.parametrize(
    ("mode", "violation"), STANDING_CASES, ids=[f"{m.value}-{v}" for m, v in STANDING_CASES]
)
def test_a_standing_is_the_judgement_of_the_smallest_order_at_every_stage(
    mode: PolicyMode, violation: str
) -> None:
    """Per stage: the matrix's outcome for an order of 0.01 with no override asked (never
    OVERRIDDEN), the same reasons `evaluate` gives it."""
    over = violation in ("over_limit", "both")
    # Over the limit: debt 950 + reserved 100 is already past 1000 without an order.
    given = figures(
        balance="950.00" if over else "200.00", days=figures_for(violation).max_overdue_days
    )
    found = standing(policy(mode), given, "RUB")
    assert [s.stage for s in found] == [Stage.ORDER_SUBMIT, Stage.VAN_SALE]
    for s in found:
        applies = s.stage is Stage.ORDER_SUBMIT
        assert s.decision.outcome is expected_outcome(mode, violation, applies, "no_override")
        codes = expected_codes(mode, violation, applies, "no_override")
        assert [r.code for r in s.decision.reasons] == codes
        assert s.decision.figures == replace(given, order_amount=SMALLEST_ORDER)
        assert s.decision == evaluate(
            policy(mode), s.stage, s.decision.figures, Actor.unknown(""), "RUB"
        )


def test_the_headroom_is_what_an_order_may_be_before_it_goes_over_the_limit() -> None:
    block = policy(PolicyMode.BLOCK, stages=(Stage.ORDER_SUBMIT, Stage.VAN_SALE))
    # Limit 1000, debt 200, reserved 100: 700 of room, and an order of 700 is allowed.
    (submit, van) = standing(block, figures(days=0), "RUB")
    assert (submit.decision.outcome, submit.headroom, van.headroom) == (
        Outcome.ALLOW,
        d("700.00"),
        d("700.00"),
    )
    at_700 = evaluate(block, Stage.ORDER_SUBMIT, figures(order="700.00", days=0), NOBODY, "RUB")
    at_701 = evaluate(block, Stage.ORDER_SUBMIT, figures(order="700.01", days=0), NOBODY, "RUB")
    assert (at_700.outcome, at_701.outcome) == (Outcome.ALLOW, Outcome.BLOCK)
    # At the limit: no room, and any order goes over it.
    (at_limit, _) = standing(block, figures(balance="900.00", days=0), "RUB")
    assert (at_limit.decision.outcome, at_limit.headroom) == (Outcome.BLOCK, d("0.00"))
    assert "over by 0.01 RUB" in at_limit.decision.reasons[0].message
    # Over it: still 0, never negative.
    (over, _) = standing(block, figures(balance="1500.00", days=0), "RUB")
    assert over.headroom == d("0.00")
    # WARN: going over changes the outcome too.
    (warn, _) = standing(policy(PolicyMode.WARN), figures(days=0), "RUB")
    assert (warn.decision.outcome, warn.headroom) == (Outcome.ALLOW, d("700.00"))


def test_no_headroom_where_no_amount_changes_the_decision() -> None:
    for p, f in (
        (policy(PolicyMode.IGNORE), figures()),  # reported, never decisive
        (policy(check_credit_limit=False), figures()),  # the limit is not judged
        (policy(), figures(limit=None)),  # no limit
    ):
        found = standing(p, f, "RUB")
        assert [s.headroom for s in found] == [None, None], p
    # The stage the policy does not name: ALLOW, no reasons, no headroom.
    (_, van) = standing(policy(), figures(balance="5000.00", days=90), "RUB")
    assert (van.decision.outcome, van.decision.reasons, van.headroom) == (Outcome.ALLOW, (), None)
