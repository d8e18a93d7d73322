"""Configuration of the clients service: env vars prefixed CLIENTS_."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fieldline_kit.settings import ServiceSettings, SettingsError, load_settings, setting

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
    timezone: str = setting(
        "the company's time zone: its current date is the day route agent periods are in force on",
        default="Europe/Moscow",
    )
    route_agents_sweep_seconds: float = setting(
        "how often the route agents roll-over looks whether the date changed (then each route "
        "follows the agent period in force on the new day); 0: no roll-over in this process",
        default=60.0,
    )


def from_env() -> ClientsSettings:
    settings = load_settings(ClientsSettings, PREFIX)
    validate(settings)
    return settings


def validate(settings: ClientsSettings) -> None:
    """Refuse a configuration the service could not honour, naming the variable."""
    problems: list[str] = []
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{PREFIX}_TIMEZONE: unknown time zone {settings.timezone!r}")
    if settings.route_agents_sweep_seconds < 0:
        problems.append(f"{PREFIX}_ROUTE_AGENTS_SWEEP_SECONDS: must not be negative")
    if problems:
        raise SettingsError("invalid configuration: " + "; ".join(problems))
