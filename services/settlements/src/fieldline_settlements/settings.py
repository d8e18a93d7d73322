"""Configuration of the settlements service: env vars prefixed SETTLEMENTS_.

The `default_*` settings are the company debt policy in force until one is set through
`SetDebtPolicy` (an empty client id); a stored company policy replaces them entirely.
"""

from __future__ import annotations

from dataclasses import dataclass

from fieldline_kit.errors import InvalidArgument
from fieldline_kit.settings import ServiceSettings, SettingsError, load_settings, setting
from fieldline_settlements.domain.policy import DebtPolicy
from fieldline_settlements.domain.tare import DeliveryTare

PREFIX = "SETTLEMENTS"


@dataclass(frozen=True, kw_only=True)
class SettlementsSettings(ServiceSettings):
    currency: str = setting(
        "ISO 4217 code of the ledger's only currency; money in any other is refused",
        default="RUB",
    )
    timezone: str = setting(
        "the company's time zone: its business day ('today' for overdue and aging)",
        default="Europe/Moscow",
    )
    reservation_hours: float = setting(
        "how long a credit reservation of an order that never came back is kept", default=72.0
    )
    default_payment_terms_days: int = setting(
        "payment terms of clients without their own (days from issue to due; 0: due that day)",
        default=0,
    )
    default_policy_mode: str = setting(
        "company debt policy until one is set: BLOCK, WARN or IGNORE", default="BLOCK"
    )
    default_check_credit_limit: bool = setting(
        "company debt policy until one is set: judge debt + reserved + order against the "
        "client's credit limit (clients without a limit are never over it)",
        default=True,
    )
    default_max_overdue_days: int = setting(
        "company debt policy until one is set: debt overdue by more than this many days "
        "violates it; negative: overdue debt is not judged",
        default=30,
    )
    default_policy_stages: tuple[str, ...] = setting(
        "company debt policy until one is set: stages it applies at (ORDER_SUBMIT, VAN_SALE)",
        default=("ORDER_SUBMIT", "VAN_SALE"),
    )
    default_override_roles: tuple[str, ...] = setting(
        "company debt policy until one is set: roles that may override a BLOCK with a reason",
        default=("SUPERVISOR",),
    )
    delivery_tare: str = setting(
        "who books the containers of the pre-sale orders the company delivers itself: orders "
        "(issued from orders' DELIVERED / PARTIALLY_DELIVERED status changes) or erp (only the "
        "ERP's tare documents move them: a delivery moves nothing)",
        default="orders",
    )
    standings_sweep_seconds: float = setting(
        "how often the standings sweep looks for credit standings time alone changed (a new "
        "business day, expired reservations); 0: no sweep in this process",
        default=60.0,
    )


_POLICY_VARS = {"stages": "POLICY_STAGES", "override": "OVERRIDE_ROLES", "mode": "POLICY_MODE"}


def from_env() -> SettlementsSettings:
    settings = load_settings(SettlementsSettings, PREFIX)
    validate(settings)
    return settings


def validate(settings: SettlementsSettings) -> None:
    """Refuse a configuration the service could not honour, naming the variable."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    problems: list[str] = []
    if len(settings.currency) != 3 or not (
        settings.currency.isalpha() and settings.currency.isupper()
    ):
        problems.append(f"{PREFIX}_CURRENCY: expected an ISO 4217 code, got {settings.currency!r}")
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{PREFIX}_TIMEZONE: unknown time zone {settings.timezone!r}")
    if settings.reservation_hours <= 0:
        problems.append(f"{PREFIX}_RESERVATION_HOURS: must be positive")
    if settings.standings_sweep_seconds < 0:
        problems.append(f"{PREFIX}_STANDINGS_SWEEP_SECONDS: must not be negative")
    if settings.default_payment_terms_days < 0:
        problems.append(f"{PREFIX}_DEFAULT_PAYMENT_TERMS_DAYS: must not be negative")
    try:
        delivery_tare(settings)
    except InvalidArgument as exc:
        problems.append(f"{PREFIX}_DELIVERY_TARE: {exc.problem}")
    try:
        default_policy(settings)
    except InvalidArgument as exc:
        var = next((v for k, v in _POLICY_VARS.items() if k in exc.field), "POLICY_MODE")
        problems.append(f"{PREFIX}_DEFAULT_{var}: {exc.problem}")
    if problems:
        raise SettingsError("invalid configuration: " + "; ".join(problems))


def delivery_tare(settings: SettlementsSettings) -> DeliveryTare:
    """Who books the containers of the company's own deliveries."""
    return DeliveryTare.parse("delivery_tare", settings.delivery_tare)


def default_policy(settings: SettlementsSettings) -> DebtPolicy:
    """The company policy in force while none is stored."""
    return DebtPolicy.parse(
        mode=settings.default_policy_mode,
        check_credit_limit=settings.default_check_credit_limit,
        max_overdue_days=settings.default_max_overdue_days,
        stages=settings.default_policy_stages,
        override_roles=settings.default_override_roles,
    )
