"""Configuration of the clients service: env vars prefixed CLIENTS_."""

from __future__ import annotations

from dataclasses import dataclass

from fieldline_kit.settings import ServiceSettings, load_settings, setting

PREFIX = "CLIENTS"


@dataclass(frozen=True, kw_only=True)
class ClientsSettings(ServiceSettings):
    visit_radius_m: float = setting(
        "check-ins farther than this from the outlet's coordinates are flagged", default=200.0
    )


def from_env() -> ClientsSettings:
    return load_settings(ClientsSettings, PREFIX)
