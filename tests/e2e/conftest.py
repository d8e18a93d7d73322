"""The whole system started exactly as `./fl up` starts it: separate processes, real NATS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldline_dev.runner import LocalSystem


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    local = LocalSystem(
        data_dir=Path(tmp_path_factory.mktemp("system")),
        fixed_ports=False,
        extra_env={
            "DRAIN_DELAY_SECONDS": "1.0",
            "SHUTDOWN_GRACE_SECONDS": "10",
            "OUTBOX_POLL_SECONDS": "0.2",
            # The gateway's claims of a replica killed mid-batch go stale sooner than in
            # production (a minute), so the test of it does not wait a minute for one.
            "UPLOAD_CLAIM_STALE_SECONDS": "10",
        },
    )
    local.start()
    try:
        yield local
    finally:
        local.stop()
