"""Access: every RPC of the API has a rule; who records a payment and who made a change.

The rules themselves are enforced by the kit's interceptor (tests/integration/test_auth.py
calls every RPC); here: the policy covers the API exactly, and the use cases record the
verified subject they are given.
"""

from __future__ import annotations

import pytest

from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.auth.policy import missing_rules, stray_rules
from fieldline_kit.errors import PermissionDenied
from fieldline_kit.testing.helpers import new_id
from fieldline_settlements.domain.ledger import PaymentKind, collector
from fieldline_settlements.domain.policy import PolicyMode, Stage
from fieldline_settlements.entrypoints.main import SPEC
from fieldline_settlements.entrypoints.policy import POLICY
from fieldline_settlements.service_layer import handlers

from .conftest import CFG, CLIENT, NOW, OUTLET_A, TODAY, d
from .fakes import FakeSettlementsUnitOfWork

API = ss.DESCRIPTOR.services_by_name["SettlementsService"]


def test_every_rpc_of_the_api_has_a_rule_and_every_rule_an_rpc() -> None:
    assert missing_rules(POLICY, [API]) == []
    assert stray_rules(POLICY, [API]) == []
    assert SPEC.policy is POLICY


def test_only_the_orders_service_sends_batches_of_many_users_checks() -> None:
    assert POLICY["CheckCreditBatch"].roles == {"SERVICE"}
    for money_or_policy in ("SetCreditLimit", "SetDebtPolicy", "SetContainerDeposit"):
        assert POLICY[money_or_policy].roles == {"ADMIN", "SERVICE"}
        assert POLICY[money_or_policy].audit


def test_a_teleseller_reads_its_clients_and_checks_credit_but_takes_no_money() -> None:
    """Section 4.4 of docs/contexts/sales-gaps.md: the reads of a client and the debt policy
    of its phone orders, never a payment or cash."""
    admitted = {name for name, rule in POLICY.items() if "TELESELLER" in rule.roles}
    assert admitted == {
        "GetBalance",
        "GetStatement",
        "ListInvoices",
        "ListPayments",
        "ListTareMovements",
        "GetTareBalance",
        "GetDebtPolicy",
        "GetCreditStanding",
        "CheckCredit",
        "ReleaseCredit",
    }
    for name in admitted:
        assert POLICY[name].roles >= {"AGENT", "VAN_SELLER"}, name  # as the field's


def test_a_distributor_manager_is_admitted_nowhere_until_its_clients_are_known() -> None:
    # Its scope would be its distributor's clients, which settlements does not know yet.
    assert [name for name, rule in POLICY.items() if "DISTRIBUTOR_MANAGER" in rule.roles] == []


class TestCollector:
    def test_an_employee_records_what_they_collected_themselves(self) -> None:
        assert collector("", "agent-1", for_others=False) == "agent-1"
        assert collector(" agent-1 ", "agent-1", for_others=False) == "agent-1"

    def test_an_employee_cannot_record_someone_elses_collection(self) -> None:
        with pytest.raises(PermissionDenied, match=r"^payment.collected_by: 'agent-1' may"):
            collector("agent-2", "agent-1", for_others=False)

    def test_an_admin_or_a_system_records_for_anyone_or_no_one(self) -> None:
        assert collector("agent-2", "admin-1", for_others=True) == "agent-2"
        assert collector("", "svc:erp", for_others=True) == ""
        assert collector("agent-2", "", for_others=False) == "agent-2"  # auth off: as given


def payment(collected_by: str, recorded_by: str, for_others: bool) -> handlers.PaymentInput:
    return handlers.PaymentInput(
        id=new_id(),
        kind=PaymentKind.CASH,
        client_id=CLIENT,
        outlet_id=OUTLET_A,
        date=TODAY,
        amount=d("100.00"),
        receipt_number="R-1",
        collected_by=collected_by,
        recorded_by=recorded_by,
        for_others=for_others,
    )


async def test_a_payment_records_who_recorded_it_and_who_collected_it() -> None:
    uow = FakeSettlementsUnitOfWork()
    own = await uow.run(
        handlers.record_payment, CFG, NOW, TODAY, payment("", "agent-1", for_others=False)
    )
    assert (own.collected_by, own.recorded_by) == ("agent-1", "agent-1")
    for_agent = await uow.run(
        handlers.record_payment, CFG, NOW, TODAY, payment("agent-2", "admin-1", for_others=True)
    )
    assert (for_agent.collected_by, for_agent.recorded_by) == ("agent-2", "admin-1")
    await uow.refused(
        PermissionDenied,
        handlers.record_payment,
        CFG,
        NOW,
        TODAY,
        payment("agent-2", "agent-1", for_others=False),
        match="payment.collected_by",
    )


async def test_credit_limits_and_debt_policies_record_who_set_them() -> None:
    uow = FakeSettlementsUnitOfWork()
    await uow.run(
        handlers.set_credit_limit,
        CFG,
        NOW,
        TODAY,
        client_id=CLIENT,
        limit=d("5000"),
        clear=False,
        terms_days=7,
        by="admin-1",
    )
    async with uow:
        account = await uow.accounts.lock(CLIENT, CFG.default_terms_days, NOW)
    assert account.changed_by == "admin-1"

    args = {
        "mode": PolicyMode.WARN,
        "check_credit_limit": True,
        "max_overdue_days": 3,
        "stages": [Stage.ORDER_SUBMIT],
        "override_roles": ["SUPERVISOR"],
    }
    await uow.run(
        handlers.set_debt_policy, CFG, NOW, TODAY, client_id=CLIENT, args=args, clear=False, by="a1"
    )
    changed = {**args, "max_overdue_days": 4}
    await uow.run(
        handlers.set_debt_policy,
        CFG,
        NOW,
        TODAY,
        client_id=CLIENT,
        args=changed,
        clear=False,
        by="a2",
    )
    async with uow:
        stored = await uow.policies.find(CLIENT)
    assert stored is not None and stored.changed_by == "a2"
    # The policy in force set again is no change: its author stays.
    await uow.run(
        handlers.set_debt_policy,
        CFG,
        NOW,
        TODAY,
        client_id=CLIENT,
        args=changed,
        clear=False,
        by="a3",
    )
    async with uow:
        stored = await uow.policies.find(CLIENT)
    assert stored is not None and (stored.changed_by, stored.version) == ("a2", 2)

    await uow.run(handlers.set_container_deposit, NOW, "keg-50", d("1500"), "admin-1")
    assert uow.deposits.changed_by == {"keg-50": "admin-1"}
