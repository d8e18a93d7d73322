"""Settings come from env vars with a prefix; problems are reported by variable name."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from fieldline_kit.settings import ServiceSettings, SettingsError, describe, load_settings, setting


@dataclasses.dataclass(frozen=True, kw_only=True)
class DemoSettings(ServiceSettings):
    radius_m: float = setting("radius", default=200.0)
    strict: bool = setting("strict mode", default=False)


def test_values_are_typed_and_defaults_apply() -> None:
    s = load_settings(
        DemoSettings,
        "DEMO",
        {
            "DEMO_DATABASE_URL": "sqlite:///x",
            "DEMO_NATS_URL": "nats://h:1",
            "DEMO_GRPC_PORT": "7000",
            "DEMO_STRICT": "yes",
        },
    )
    assert s.grpc_port == 7000 and s.strict is True and s.radius_m == 200.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.grpc_port = 1  # type: ignore[misc]


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(DemoSettings, "DEMO", {"DEMO_GRPC_PORT": "many", "DEMO_STRICT": "perhaps"})
    message = str(info.value)
    for needle in (
        "DEMO_DATABASE_URL is required",
        "DEMO_NATS_URL is required",
        "DEMO_GRPC_PORT",
        "DEMO_STRICT",
    ):
        assert needle in message


def test_secrets_are_never_shown() -> None:
    s = load_settings(
        DemoSettings,
        "DEMO",
        {"DEMO_DATABASE_URL": "postgresql://u:hunter2@db/x", "DEMO_NATS_URL": "nats://h:1"},
    )
    assert "hunter2" not in repr(s)
    assert describe(s)["database_url"] == "***"


def test_a_service_without_its_database_url_refuses_to_start() -> None:
    env = {"PATH": "/usr/bin:/bin", "CLIENTS_NATS_URL": "nats://127.0.0.1:1"}
    result = subprocess.run(
        [sys.executable, "-m", "fieldline_clients", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "CLIENTS_DATABASE_URL is required" in result.stderr
