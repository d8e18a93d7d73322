"""An employee's token counts only as far as the employee's current standing allows."""

from __future__ import annotations

import asyncio

import pytest

from fieldline_kit.auth import Kind, Principal
from fieldline_kit.auth.directory import EmployeeDirectory, Standing, admitted
from fieldline_kit.errors import Unauthenticated

AGENT_AND_SUPERVISOR = frozenset({"AGENT", "SUPERVISOR"})


def employee(roles: frozenset[str] = AGENT_AND_SUPERVISOR) -> Principal:
    return Principal(Kind.EMPLOYEE, "e-1", roles, token_id="j-1")


def test_a_known_active_employee_keeps_only_the_roles_it_still_holds() -> None:
    assert admitted(employee(), Standing(True, AGENT_AND_SUPERVISOR)) == employee()
    demoted = admitted(employee(), Standing(True, frozenset({"AGENT", "ADMIN"})))
    # A role granted since the token was signed (ADMIN) needs a new token.
    assert demoted.roles == {"AGENT"} and demoted.token_id == "j-1"


def test_a_known_inactive_employee_is_unauthenticated_whatever_its_token_says() -> None:
    with pytest.raises(Unauthenticated, match="employee 'e-1' is not active"):
        admitted(employee(), Standing(False, AGENT_AND_SUPERVISOR))


def test_an_unknown_employee_and_other_principals_are_as_signed() -> None:
    assert admitted(employee(), None) == employee()
    service = Principal(Kind.SERVICE, "svc:orders", frozenset({"SERVICE"}), acting_for="e-1")
    assert admitted(service, Standing(False, frozenset())) == service


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_directory_asks_once_per_employee_per_ttl() -> None:
    asked: list[str] = []
    standing = {"e-1": Standing(True, AGENT_AND_SUPERVISOR)}

    async def lookup(subject: str) -> Standing | None:
        asked.append(subject)
        return standing.get(subject)

    clock = Clock()
    directory = EmployeeDirectory(lookup, ttl=1.0, clock=clock, max_entries=2)
    for _ in range(3):
        assert (await directory.admit(employee())).roles == AGENT_AND_SUPERVISOR
    assert asked == ["e-1"]
    standing["e-1"] = Standing(False, AGENT_AND_SUPERVISOR)  # dismissed
    clock.now = 0.9
    await directory.admit(employee())  # still cached: within the TTL
    clock.now = 1.0
    with pytest.raises(Unauthenticated):
        await directory.admit(employee())
    assert asked == ["e-1", "e-1"]
    # Unknown subjects are cached too (a flood of them costs one query each per TTL), and the
    # cache keeps at most max_entries.
    for subject in ("x-1", "x-2", "x-1"):
        await directory.standing(subject)
    assert asked == ["e-1", "e-1", "x-1", "x-2"]
    await directory.standing("e-1")  # evicted by x-1 and x-2: asked again
    assert asked[-1] == "e-1" and len(asked) == 5
    await directory.admit(Principal(Kind.SERVICE, "svc:orders", frozenset({"SERVICE"})))
    assert len(asked) == 5


async def test_with_a_snapshot_a_call_reads_memory_and_the_loop_keeps_it_fresh() -> None:
    asked_one: list[str] = []
    snapshots = 0
    table = {"e-1": Standing(True, frozenset({"AGENT"}))}

    async def lookup(subject: str) -> Standing | None:
        asked_one.append(subject)
        return table.get(subject)

    async def snapshot() -> dict[str, Standing]:
        nonlocal snapshots
        snapshots += 1
        if table.get("broken"):
            raise OSError("database out of reach")
        return dict(table)

    clock = Clock()
    directory = EmployeeDirectory(lookup, snapshot=snapshot, refresh_seconds=1.0, clock=clock)
    assert directory.refreshes
    assert await directory.standing("e-1") == table["e-1"]  # no snapshot yet: looked up
    assert asked_one == ["e-1"]
    await directory.refresh()
    for _ in range(3):
        assert (await directory.admit(employee(frozenset({"AGENT"})))).roles == {"AGENT"}
    assert await directory.standing("e-9") is None
    assert asked_one == ["e-1"]  # from memory: no more lookups
    table["e-1"] = Standing(False, frozenset({"AGENT"}))  # dismissed
    await directory.refresh()
    with pytest.raises(Unauthenticated):
        await directory.admit(employee(frozenset({"AGENT"})))
    # A snapshot older than 5 refreshes is not trusted: per-employee lookups again.
    clock.now = 5.1
    assert await directory.standing("e-1") == table["e-1"] and asked_one[-1] == "e-1"


async def test_the_refresh_loop_survives_a_failed_read_and_stops_when_told() -> None:
    reads: list[bool] = []
    failing = [True]

    async def snapshot() -> dict[str, Standing]:
        reads.append(failing[0])
        if failing[0]:
            raise OSError("database out of reach")
        return {"e-1": Standing(False, frozenset())}

    async def lookup(subject: str) -> Standing | None:
        return None

    directory = EmployeeDirectory(lookup, snapshot=snapshot, refresh_seconds=0.01)
    stop = asyncio.Event()
    task = asyncio.create_task(directory.run(stop))
    await asyncio.sleep(0.05)
    failing[0] = False
    for _ in range(100):
        if not (await directory.standing("e-1") or Standing(True, frozenset())).active:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 1)
    assert reads[0] is True and reads[-1] is False
    assert (await directory.standing("e-1")) == Standing(False, frozenset())
