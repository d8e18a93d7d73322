"""The local runner keeps `./fl up` alive and where it said it would be.

Supervision runs on one system for the module (starting one is heavy), with a quick restart
policy; its tests run in order and the last one stops it. The port tests start small systems
of their own (the clients service alone) on fixed ports picked free for the test.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import grpc
import nats
import pytest

from fieldline.clients.events.v1 import events_pb2  # noqa: F401 - registers the event types
from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import clients_service_pb2_grpc as cs_grpc
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline_clients.domain.taxid import inn_with_check_digits
from fieldline_dev import demo
from fieldline_dev.demo_sales import load_demo
from fieldline_dev.runner import LocalSystem, PortInUseError, free_port, port_free, wait_serving
from fieldline_dev.services import SERVICES, ServiceDef
from fieldline_dev.supervisor import RestartPolicy
from fieldline_kit.auth.forward import BearerToken
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.helpers import eventually, new_id

POLICY = RestartPolicy(first_delay=0.2, max_delay=2.0, stable_after=5.0, max_restarts=3)
FAST_STOP = {"DRAIN_DELAY_SECONDS": "0.2", "SHUTDOWN_GRACE_SECONDS": "5"}
CLIENTS = SERVICES[0]


class Said:
    """What the supervisor reported (it reports from its own thread)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, message: str) -> None:
        print(message, flush=True)
        with self._lock:
            self.lines.append(message)

    def matching(self, *words: str) -> list[str]:
        with self._lock:
            return [line for line in self.lines if all(w in line for w in words)]

    async def line(self, *words: str, within: float = 20.0) -> str:
        """The first report holding all of `words`, once there is one."""
        await eventually(lambda: bool(self.matching(*words)), within=within, what=repr(words))
        return self.matching(*words)[0]


SAID = Said()
# Every process the module's system ran, restarted ones included: none may outlive stop().
PIDS: set[int] = set()


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    local = LocalSystem(
        data_dir=Path(tmp_path_factory.mktemp("supervised")),
        fixed_ports=False,
        extra_env={**FAST_STOP, "OUTBOX_POLL_SECONDS": "0.2"},
        restart_policy=POLICY,
        report=SAID,
    )
    local.start()
    try:
        yield local
    finally:
        local.stop(grace=10)


def pids(system: LocalSystem) -> dict[str, int]:
    """The current process of each part of the system, remembered in PIDS."""
    found = {n: s.process.pid for n, s in system.running.items() if s.process is not None}
    if system.nats is not None and system.nats.process is not None:
        found["nats"] = system.nats.process.pid
    PIDS.update(found.values())
    return found


def gone(pid: int) -> bool:
    """No such process: ended and reaped (a zombie still has its /proc entry)."""
    return not Path(f"/proc/{pid}").exists()


async def create_client(system: LocalSystem, n: int) -> str:
    request = cs.CreateClientRequest(
        request_id=new_id(),
        client=pb.Client(
            id=new_id(),
            name=f"ООО «Надзор {n}»",
            inn=inn_with_check_digits(f"{610000000 + n:09d}"),
            kpp="610101001",
            type=pb.CLIENT_TYPE_RETAIL,
        ),
    )
    target = system.running["clients"].target
    auth = [BearerToken(system.token_source())]
    async with grpc.aio.insecure_channel(target, interceptors=auth) as channel:
        reply = await cs_grpc.ClientsServiceStub(channel).CreateClient(request, timeout=15)
    return str(reply.client.id)


async def published_once(nats_url: str, client_id: str) -> bool:
    nc = await nats.connect(nats_url)
    try:
        found = await published(nc.jetstream(), "CLIENTS", about(client_id), expect=1, timeout=30)
    finally:
        await nc.close()
    return [e.name for e in found] == ["ClientCreated"]


# ------------------------------------------------------------------------- the demo loader
async def test_the_demo_load_tells_each_stage_as_it_goes(system: LocalSystem) -> None:
    said: list[str] = []
    targets = {name: svc.target for name, svc in system.running.items()}
    tiny = demo.Sizes(agents=3, outlets=60, bench_outlets=20)

    report = await load_demo(
        targets, 11, sizes=tiny, progress=said.append, token=system.token_source()
    )

    ended = [line.split(":")[0] for line in said if line.endswith("RPCs)")]
    assert ended == [
        *("regions", "cities", "clients", "supervisors and staff", "agents and merchandisers"),
        *("outlets", "routes", "route assignments", "questionnaires"),
        *("catalog", "client price types", "deposits and debt policy", "credit limits", "vans"),
    ], said
    assert "outlets: 60 (" in next(line for line in said if line.startswith("outlets:"))
    assert "outlets" in report and "vans" in report


# ------------------------------------------------------------------------------ supervision
async def test_a_killed_service_is_reported_and_serving_again_on_its_port(
    system: LocalSystem,
) -> None:
    svc = system.running["clients"]
    before = pids(system)
    port, killed_at = svc.grpc_port, time.monotonic()

    os.kill(before["clients"], signal.SIGKILL)

    report = await SAID.line(f"clients (pid {before['clients']}) was killed by SIGKILL")
    assert f"last lines of {svc.log_path}" in report
    await SAID.line("clients restarted")
    await asyncio.to_thread(wait_serving, svc.target, 30)
    assert time.monotonic() - killed_at < 15
    after = pids(system)
    assert after["clients"] != before["clients"] and svc.grpc_port == port
    assert {n: p for n, p in after.items() if n != "clients"} == {
        n: p for n, p in before.items() if n != "clients"
    }
    assert gone(before["clients"])  # reaped, no <defunct> child


async def test_a_killed_nats_comes_back_on_its_port_and_store_and_events_flow(
    system: LocalSystem,
) -> None:
    broker = system.nats
    assert broker is not None
    url, store, before = broker.url, broker.store_dir, pids(system)
    earlier = await create_client(system, 1)
    assert await published_once(url, earlier)

    os.kill(before["nats"], signal.SIGKILL)

    await SAID.line(f"nats (pid {before['nats']}) was killed by SIGKILL")
    await SAID.line("nats restarted")
    after = pids(system)
    assert after["nats"] != before["nats"] and gone(before["nats"])
    assert (broker.url, broker.store_dir) == (url, store)
    later = await create_client(system, 2)
    assert await published_once(url, later)  # the service reconnected by itself
    assert await published_once(url, earlier)  # the stream survived: same store directory
    assert {n: p for n, p in after.items() if n != "nats"} == {
        n: p for n, p in before.items() if n != "nats"
    }


async def test_a_service_stopped_by_stop_service_stays_down_until_started_again(
    system: LocalSystem,
) -> None:
    settlements = system.running["settlements"]
    before = pids(system)
    told = len(SAID.matching("settlements"))

    assert system.stop_service("settlements", timeout=10) == 0

    await asyncio.sleep(1.0)  # rounds enough, and more than the first backoff
    assert settlements.process is not None and settlements.process.pid == before["settlements"]
    assert settlements.process.poll() == 0 and gone(before["settlements"])
    assert len(SAID.matching("settlements")) == told  # the runner's own stop: nothing to say

    system.start_service(settlements.definition)  # by hand: supervised again
    await asyncio.to_thread(wait_serving, settlements.target, 30)
    restarted = pids(system)["settlements"]
    os.kill(restarted, signal.SIGKILL)
    await SAID.line(f"settlements (pid {restarted}) was killed by SIGKILL")
    await eventually(lambda: settlements.process.pid != restarted, within=10, what="a restart")
    await asyncio.to_thread(wait_serving, settlements.target, 30)
    pids(system)


async def test_a_clean_exit_and_a_nats_stopped_by_a_test_are_left_down(
    system: LocalSystem,
) -> None:
    broker, orders = system.nats, system.running["orders"]
    assert broker is not None and orders.process is not None
    before = pids(system)
    nats_restarts = len(SAID.matching("restarting nats"))

    await broker.stop()  # an outage a test makes, as tests/e2e does
    await asyncio.sleep(1.0)
    assert broker.process is None
    await broker.start()

    orders.process.send_signal(signal.SIGTERM)  # someone asks it to stop: it exits 0
    await SAID.line(f"orders (pid {before['orders']}) exited with code 0")
    await SAID.line("orders was stopped on purpose; not restarting it")
    await asyncio.sleep(1.0)
    assert orders.process.pid == before["orders"]  # not restarted
    assert len(SAID.matching("restarting nats")) == nats_restarts

    system.start_service(orders.definition)  # leave the system whole for the next tests
    await asyncio.to_thread(wait_serving, orders.target, 30)
    pids(system)


async def test_a_crash_loop_is_given_up_on_and_the_others_keep_running(
    system: LocalSystem,
) -> None:
    before = pids(system)
    # No such package: every start fails at once, as a service with a broken config would.
    crashy = ServiceDef("crashy", 0, has_database=False)

    system.start_service(crashy)

    report = await SAID.line("crashy", "GIVEN UP", within=30)
    assert f"after {POLICY.max_restarts} restarts" in report
    assert len(SAID.matching("crashy restarted")) == POLICY.max_restarts
    assert SAID.matching("crashy", "exited with code 1", "No module named fieldline_crashy")
    process = system.running["crashy"].process
    assert process is not None and process.poll() == 1
    PIDS.add(process.pid)
    await asyncio.sleep(1.0)
    assert process is system.running["crashy"].process  # it stays down
    assert {n: p for n, p in pids(system).items() if n != "crashy"} == before
    for name in before.keys() - {"nats"}:
        await asyncio.to_thread(system.wait_ready, system.running[name], 10)


def test_stop_ends_every_process_it_started_restarted_ones_included(
    system: LocalSystem,
) -> None:
    pids(system)
    # Every process the supervisor told of (crashed, restarted, given up on), not the log tails.
    told = [report.splitlines()[0] for report in SAID.matching("pid ")]
    PIDS.update(int(pid) for line in told for pid in re.findall(r"\(pid (\d+)", line))
    assert len(PIDS) >= 12  # the first ones, and those restarted by the tests above

    system.stop(grace=10)

    assert [pid for pid in PIDS if not gone(pid)] == []
    time.sleep(1.0)  # a supervisor still running would have restarted something by now
    assert all(s.process is None or s.process.poll() is not None for s in system.running.values())
    assert system.nats is not None and system.nats.process is None


# ------------------------------------------------------------------------------------- ports
def free_pair() -> int:
    """A free port whose +1000 (the metrics port) is free too."""
    for _ in range(50):
        port = free_port()
        if port + 1000 < 65536 and port_free(port + 1000):
            return port
    raise AssertionError("no free port pair")


def time_wait_on(port: int) -> bool:
    """Whether a TCP connection of the local `port` is in TIME_WAIT (state 06). gRPC listens
    on IPv4 through an IPv6 socket (::ffff:127.0.0.1), so tcp6 counts too."""
    rows = [
        row.split()
        for table in ("/proc/net/tcp", "/proc/net/tcp6")
        for row in Path(table).read_text().splitlines()[1:]
    ]
    return any(r[1].endswith(f":{port:04X}") and r[3] == "06" for r in rows if len(r) > 3)


def test_the_port_probe_counts_time_wait_as_free_and_a_listener_as_taken() -> None:
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not port_free(port)
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = listener.accept()
            accepted.close()  # the server side closes first: its end waits in TIME_WAIT
            client.recv(1)
    assert time_wait_on(port)
    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))  # the old probe's bind: "busy"
    assert port_free(port)


def test_a_stop_and_an_immediate_start_keep_the_fixed_ports(tmp_path: Path) -> None:
    port = free_pair()
    clients = replace(CLIENTS, default_grpc_port=port)

    def started() -> LocalSystem:
        local = LocalSystem(data_dir=tmp_path, services=(clients,), extra_env=FAST_STOP)
        local.start()
        return local

    first = started()
    # A connection open while it stops: the server closes it first, so its end of it lingers
    # in TIME_WAIT on the port, as after any `./fl up` that had clients connected.
    with socket.create_connection(("127.0.0.1", port)) as connection:
        first.stop(grace=10)
        connection.settimeout(5)
        while connection.recv(4096):
            pass
    assert time_wait_on(port)

    second = started()
    try:
        svc = second.running["clients"]
        assert (svc.grpc_port, svc.metrics_port) == (port, port + 1000)
        wait_serving(svc.target, 10)
    finally:
        second.stop(grace=10)


def test_a_fixed_port_another_process_listens_on_is_an_error_naming_it(tmp_path: Path) -> None:
    port = free_pair()
    local = LocalSystem(
        data_dir=tmp_path, services=(replace(CLIENTS, default_grpc_port=port),), report=print
    )
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port + 1000))
        squatter.listen()
        with pytest.raises(PortInUseError, match=f"port {port + 1000} \\(clients metrics\\)"):
            local.start()
    assert local.nats is None and local.running == {}  # nothing was started
