"""An agents' day through faults: nothing acknowledged is lost, nothing is duplicated.

The short form (one round of every fault, about a minute) runs in `./fl test` on PostgreSQL.
The soak: `FIELDLINE_FAULT_ROUNDS=20 ./fl test -- tests/faults -s` (rounds of the schedule;
0: keep going for FIELDLINE_FAULT_SECONDS). The figures are printed at the end either way.
"""

from __future__ import annotations

import asyncio
import os

import nats
import pytest

from .conftest import FaultySystem
from .day import Company, Day, Ledger, Stubs
from .faults import Injector
from .invariants import check, quiet

pytestmark = pytest.mark.e2e

ROUNDS = int(os.environ.get("FIELDLINE_FAULT_ROUNDS", "1"))
SECONDS = float(os.environ.get("FIELDLINE_FAULT_SECONDS", "3600"))
AGENTS, VAN_SELLERS, CUSTOMERS = 6, 2, 16
GAP = 3.0  # seconds of normal work between two faults
GRACE = 60.0  # how long a write still failing when the day ends is retried


async def test_an_agents_day_through_faults_loses_and_duplicates_nothing(
    faulty: FaultySystem, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = {name: svc.target for name, svc in faulty.local.running.items()}
    api = Stubs(targets, faulty.local.token_source)
    ledger = Ledger()
    company = Company()
    injector = Injector(faulty.local, faulty.proxy)
    assert faulty.local.nats is not None
    js_client = await nats.connect(faulty.local.nats.url, max_reconnect_attempts=-1)
    try:
        await company.set_up(
            api, ledger, agents=AGENTS, van_sellers=VAN_SELLERS, customers=CUSTOMERS
        )
        loop = asyncio.get_running_loop()
        started = loop.time()
        stop = asyncio.Event()
        day = asyncio.create_task(Day(company, api, ledger).run(stop, grace=GRACE))
        try:
            await injector.run(rounds=ROUNDS or None, until=started + SECONDS, gap=GAP)
            await asyncio.sleep(GAP)  # a little normal work after the last fault
        finally:
            stop.set()
            await day
        day_seconds = loop.time() - started
        js = js_client.jetstream()
        await quiet(faulty.engines, js, timeout=120)
        findings = await check(faulty.engines, js, ledger)
    finally:
        await js_client.close()
        await api.close()

    kinds = ("visit", "audit", "pre-sale order", "van sale", "payment", "check-out")
    with capsys.disabled():
        print(
            f"\n--- agents' day through faults: {day_seconds:.0f} s, {AGENTS} agents, "
            f"{VAN_SELLERS} van sellers, {CUSTOMERS} outlets"
        )
        print("writes acknowledged: " + ", ".join(f"{k} {ledger.count(k)}" for k in kinds))
        print(
            f"retries: {dict(ledger.retries)}; refused {len(ledger.refused)}, "
            f"INTERNAL {len(ledger.internal)}, unanswered {len(ledger.unanswered)}"
        )
        print(
            f"faults injected: {dict(injector.injected)}; "
            f"database connections cut {injector.connections_cut}"
        )
        print("figures: " + ", ".join(f"{k} {v}" for k, v in findings.figures.items()))
    assert sum(injector.injected.values()) >= len(injector.schedule()), injector.injected
    assert not ledger.internal, ledger.internal[:5]
    assert not ledger.refused, ledger.refused[:5]
    assert not ledger.unanswered, ledger.unanswered[:5]
    assert not findings.problems, findings.problems
