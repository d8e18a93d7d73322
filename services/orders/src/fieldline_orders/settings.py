"""Configuration of the orders service: env vars prefixed ORDERS_."""

from __future__ import annotations

from dataclasses import dataclass

from fieldline_kit.settings import ServiceSettings, SettingsError, load_settings, setting

PREFIX = "ORDERS"
# While settlements stays unreachable the credit re-check waits ever longer, up to this many
# periods (ORDERS_CREDIT_RECHECK_SECONDS): an outage costs it a refused call now and then.
RECHECK_MAX_BACKOFF_PERIODS = 4


@dataclass(frozen=True, kw_only=True)
class OrdersSettings(ServiceSettings):
    settlements_target: str = setting("gRPC address of the settlements service, host:port")
    credit_check_timeout_seconds: float = setting(
        "deadline of the CheckCredit call to settlements", default=2.0
    )
    credit_check_fallback: str = setting(
        "when settlements cannot be reached: `block` (fail closed: credit hold) or `allow`",
        default="block",
    )
    max_manual_discount: str = setting(
        "manual discount bound per role, percent: ROLE=percent,…; roles not listed get 0",
        default="AGENT=5,VAN_SELLER=5,SUPERVISOR=15",
    )
    recommendation_window_days: int = setting(
        "days of sales history behind a recommended order", default=56
    )
    safety_days: float = setting("safety stock, in days of average sales", default=2.0)
    shelf_count_max_age_days: int = setting(
        "the oldest audit (days before the recommendation's date, by the device's time of the "
        "audit) whose shelf counts and must-stock absences a recommended order uses; 0: no limit",
        default=14,
    )
    promotion_grace_days: int = setting(
        "days after a promotion's last day during which an order of its period still gets it "
        "(an offline device's last-day order uploaded the next morning); later it has ENDED",
        default=1,
    )
    timezone: str = setting("the company's time zone: its business day", default="Europe/Moscow")
    order_date_window_days: int = setting(
        "how many days before or after today an order's date and delivery date (and a van "
        "sale's date) may be; further is refused (INVALID_ARGUMENT naming the field)",
        default=90,
    )
    submit_batch_max: int = setting(
        "most SubmitOrder calls coalesced into one batch (one read, one CheckCreditBatch, one "
        "write transaction); 1 turns batching off",
        default=64,
    )
    submit_batches_in_flight: int = setting(
        "batches of SubmitOrder calls processed at the same time; 0: chosen by the database "
        "(2 on PostgreSQL, 1 on SQLite: see `batches_in_flight`)",
        default=0,
    )
    credit_recheck_seconds: float = setting(
        "how often orders held because settlements was unreachable are checked again (one "
        "replica at a time; the wait doubles while settlements stays unreachable, up to "
        f"{RECHECK_MAX_BACKOFF_PERIODS} times this); 0 turns the re-check off",
        default=5.0,
    )
    credit_recheck_batch: int = setting(
        "held orders checked again per CheckCreditBatch call of the re-check, oldest first",
        default=64,
    )
    service_signing_key: str = setting(
        "PEM file (Ed25519 or P-256 private key, from a Secret) orders signs its own service "
        "tokens with (svc:orders, role SERVICE, 5 minutes): SubmitOrder's CheckCreditBatch and "
        "the credit re-check call settlements as orders. Its public half must be in the JWKS "
        "the peers trust. No default: required with ORDERS_AUTH_JWKS; unset, the re-check is "
        "off",
        default="",
    )
    productive_minimum: str = setting(
        "the gross (money, in the orders' currency) a visit's orders and van sales must reach "
        "for the visit to count as productive (ContactSales); kept on each contact with its "
        "judgement",
        default="0.01",
    )
    service_token_issuer: str = setting(
        "the `iss` of orders' service tokens (peers list it in their <SVC>_AUTH_ISSUERS)",
        default="fieldline-orders",
    )


def batches_in_flight(configured: int, dialect: str) -> int:
    """ORDERS_SUBMIT_BATCHES_IN_FLIGHT as configured, or chosen by the database (0).

    PostgreSQL works in a process of its own: while one batch waits for it, a second batch can
    read and price, and a lone order need not wait for the batch ahead of it. SQLite's work
    runs in this process, its write transactions one at a time: a second batch only splits the
    callers into smaller batches. The figures behind both are in docs/benchmarks.md.
    """
    if configured:
        return configured
    return 1 if dialect == "sqlite" else 2


def recheck_lease_seconds(settings: OrdersSettings) -> float:
    """How long a replica's turn at the credit re-check lasts unless renewed.

    The holder renews it before every batch, so the longest gap between renewals is its
    longest wait (the backed-off period) plus one batch (a credit check within its deadline).
    Twice that: a live holder never loses its turn, and a replica that died without releasing
    it is replaced after at most this long.
    """
    longest_wait = RECHECK_MAX_BACKOFF_PERIODS * settings.credit_recheck_seconds
    return 2 * (longest_wait + settings.credit_check_timeout_seconds)


def from_env() -> OrdersSettings:
    settings = load_settings(OrdersSettings, PREFIX)
    validate(settings)
    return settings


def validate(settings: OrdersSettings) -> None:
    """Refuse at start-up a configuration the service could not honour, naming the variable."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from fieldline_orders.domain.contacts import productive_minimum
    from fieldline_orders.domain.orders import fallback_mode
    from fieldline_orders.domain.pricing import ManualDiscountLimits

    problems: list[str] = []
    try:
        ManualDiscountLimits.parse(settings.max_manual_discount)
    except ValueError as exc:
        problems.append(f"{PREFIX}_MAX_MANUAL_DISCOUNT: {exc}")
    try:
        fallback_mode(settings.credit_check_fallback)
    except ValueError as exc:
        problems.append(f"{PREFIX}_CREDIT_CHECK_FALLBACK: {exc}")
    try:
        productive_minimum(settings.productive_minimum)
    except ValueError as exc:
        problems.append(f"{PREFIX}_PRODUCTIVE_MINIMUM: {exc}")
    if settings.credit_check_timeout_seconds <= 0:
        problems.append(f"{PREFIX}_CREDIT_CHECK_TIMEOUT_SECONDS: must be positive")
    if not 1 <= settings.submit_batch_max <= 500:
        problems.append(f"{PREFIX}_SUBMIT_BATCH_MAX: must be between 1 and 500")
    if not 0 <= settings.submit_batches_in_flight <= 16:
        problems.append(
            f"{PREFIX}_SUBMIT_BATCHES_IN_FLIGHT: must be between 1 and 16 (0: by the database)"
        )
    period = settings.credit_recheck_seconds
    if not (period == 0 or 0.1 <= period <= 3600):
        problems.append(
            f"{PREFIX}_CREDIT_RECHECK_SECONDS: must be between 0.1 and 3600 (0: no re-check)"
        )
    if not 0 <= settings.shelf_count_max_age_days <= 3660:
        problems.append(f"{PREFIX}_SHELF_COUNT_MAX_AGE_DAYS: must be between 0 (no limit) and 3660")
    if not 0 <= settings.promotion_grace_days <= 30:
        problems.append(f"{PREFIX}_PROMOTION_GRACE_DAYS: must be between 0 and 30")
    if not 1 <= settings.order_date_window_days <= 3660:
        problems.append(f"{PREFIX}_ORDER_DATE_WINDOW_DAYS: must be between 1 and 3660")
    if not 1 <= settings.credit_recheck_batch <= 500:  # settlements' most checks per call
        problems.append(f"{PREFIX}_CREDIT_RECHECK_BATCH: must be between 1 and 500")
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{PREFIX}_TIMEZONE: unknown time zone {settings.timezone!r}")
    problems += _service_identity_problems(settings)
    if problems:
        raise SettingsError("invalid configuration: " + "; ".join(problems))


def _service_identity_problems(settings: OrdersSettings) -> list[str]:
    """With auth on, orders needs its own identity: settlements admits CheckCreditBatch for
    services only."""
    from fieldline_kit.auth.keys import InvalidKey, load_signing_keys

    key_var = f"{PREFIX}_SERVICE_SIGNING_KEY"
    if not settings.service_signing_key:
        if settings.auth_jwks:
            return [
                f"{key_var} is required with {PREFIX}_AUTH_JWKS: orders calls settlements' "
                "CheckCreditBatch (SubmitOrder, the credit re-check) as the service svc:orders"
            ]
        return []
    problems = []
    try:
        load_signing_keys([settings.service_signing_key])
    except (InvalidKey, OSError) as exc:
        problems.append(f"{key_var}: {exc}")
    if not settings.service_token_issuer.strip():
        problems.append(f"{PREFIX}_SERVICE_TOKEN_ISSUER: must not be empty")
    return problems
