"""The local runner's replicas: refused where they could not share a database, and a peer's
target naming every replica (tests/replicas starts them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldline_dev.runner import LocalSystem, RunningService
from fieldline_dev.services import SERVICES

PG = "postgresql://postgres@127.0.0.1:5432/"


def test_replicas_need_postgresql_for_every_database_and_free_ports(tmp_path: Path) -> None:
    # Refused before anything starts: no NATS, no process, nothing written.
    with pytest.raises(ValueError, match="database_urls for clients, settlements, orders"):
        LocalSystem(tmp_path / "a", fixed_ports=False, replicas=2).start()
    with pytest.raises(ValueError, match="database_urls for orders"):
        LocalSystem(
            tmp_path / "b",
            fixed_ports=False,
            replicas=2,
            database_urls={"clients": PG + "c", "settlements": PG + "s", "orders": "sqlite:///o"},
        ).start()
    with pytest.raises(ValueError, match="free ports"):
        LocalSystem(tmp_path / "c", replicas=2).start()
    assert not any(tmp_path.iterdir())


def test_a_peer_is_reached_at_every_replica_and_replica_one_keeps_the_service_name(
    tmp_path: Path,
) -> None:
    settlements = next(d for d in SERVICES if d.name == "settlements")
    system = LocalSystem(tmp_path, fixed_ports=False, replicas=2)
    for replica, port in ((1, 7001), (2, 7002)):
        svc = RunningService(settlements, port, port + 1000, {}, replica=replica)
        system.running[svc.name] = svc
    assert list(system.running) == ["settlements", "settlements-2"]
    assert system.target_of("settlements") == "ipv4:127.0.0.1:7001,127.0.0.1:7002"
    del system.running["settlements-2"]
    assert system.target_of("settlements") == "127.0.0.1:7001"  # one replica: as `./fl up`
