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
    plan_cache_seconds: float = setting(
        "how long a cached visit plan may be served at most (invalidation by events is what keeps "
        "it fresh; this is the safety net); 0 disables the visit plan cache",
        default=300.0,
    )
    plan_cache_entries: int = setting(
        "most visit plans (agent x date) kept in the cache (least recently used go first)",
        default=20_000,
    )
    plan_cache_megabytes: int = setting(
        "most memory the cached visit plans may take, in MiB (least recently used go first)",
        default=256,
    )


def from_env() -> ClientsSettings:
    return load_settings(ClientsSettings, PREFIX)
