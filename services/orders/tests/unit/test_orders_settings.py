"""Start-up validation of the orders settings (ORDERS_*)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from fieldline_kit.auth.keys import generate_signing_key, private_pem
from fieldline_kit.settings import SettingsError
from fieldline_orders.domain.pricing import ManualDiscountLimits
from fieldline_orders.settings import OrdersSettings, batches_in_flight, from_env, validate

BASE = {
    "ORDERS_DATABASE_URL": "sqlite:///x.sqlite3",
    "ORDERS_NATS_URL": "nats://127.0.0.1:4222",
    "ORDERS_SETTLEMENTS_TARGET": "settlements:50053",
}


def test_defaults_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in BASE.items():
        monkeypatch.setenv(k, v)
    s = from_env()
    assert (s.credit_check_fallback, s.credit_check_timeout_seconds) == ("block", 2.0)
    assert s.max_manual_discount == "AGENT=5,VAN_SELLER=5,SUPERVISOR=15"
    assert s.order_date_window_days == 90
    assert s.productive_minimum == "0.01"
    assert s.shelf_count_max_age_days == 14


def test_bad_values_are_named() -> None:
    settings = OrdersSettings(
        database_url="sqlite://",
        nats_url="nats://x",
        settlements_target="x:1",
        max_manual_discount="AGENT=lots",
        credit_check_fallback="maybe",
        credit_check_timeout_seconds=0,
        timezone="Mars/Olympus",
        order_date_window_days=0,
        productive_minimum="-5",
        shelf_count_max_age_days=-1,
    )
    with pytest.raises(SettingsError) as info:
        validate(settings)
    message = str(info.value)
    for var in (
        "ORDERS_MAX_MANUAL_DISCOUNT",
        "ORDERS_CREDIT_CHECK_FALLBACK",
        "ORDERS_CREDIT_CHECK_TIMEOUT_SECONDS",
        "ORDERS_TIMEZONE",
        "ORDERS_ORDER_DATE_WINDOW_DAYS",
        "ORDERS_PRODUCTIVE_MINIMUM",
        "ORDERS_SHELF_COUNT_MAX_AGE_DAYS",
    ):
        assert var in message


def test_role_names_of_the_manual_discount_bounds_are_read_as_actors_name_them() -> None:
    """ROLE_SUPERVISOR (the clients API's enum name) is SUPERVISOR, here as in a request."""
    limits = ManualDiscountLimits.parse("role_supervisor=15, agent=5")
    assert dict(limits.limits) == {"SUPERVISOR": Decimal(15), "AGENT": Decimal(5)}
    for bad in ("head of sales=5", "AGENT=1e1000000", "AGENT=１２"):
        with pytest.raises(ValueError):
            ManualDiscountLimits.parse(bad)


def test_the_settlements_target_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in BASE.items():
        if k != "ORDERS_SETTLEMENTS_TARGET":
            monkeypatch.setenv(k, v)
    monkeypatch.delenv("ORDERS_SETTLEMENTS_TARGET", raising=False)
    with pytest.raises(SettingsError, match="ORDERS_SETTLEMENTS_TARGET"):
        from_env()


def test_batches_in_flight_by_database_unless_configured() -> None:
    assert batches_in_flight(0, "postgresql") == 2  # the server works while we price
    assert batches_in_flight(0, "sqlite") == 1  # one writer, in this process
    assert batches_in_flight(3, "sqlite") == batches_in_flight(3, "postgresql") == 3
    settings = OrdersSettings(
        database_url="sqlite://", nats_url="nats://x", settlements_target="x:1"
    )
    assert settings.submit_batches_in_flight == 0
    validate(settings)
    with pytest.raises(SettingsError, match="ORDERS_SUBMIT_BATCHES_IN_FLIGHT"):
        validate(replace(settings, submit_batches_in_flight=17))


def test_with_auth_on_orders_needs_its_own_service_key(tmp_path: Path) -> None:
    """ORDERS_AUTH_JWKS set: ORDERS_SERVICE_SIGNING_KEY is required (settlements admits
    CheckCreditBatch for services only) and must be a key; the key is never printed."""
    base = OrdersSettings(database_url="sqlite://", nats_url="nats://x", settlements_target="x:1")
    validate(base)  # auth off, no key: valid (the credit re-check is then off)
    with_auth = replace(base, auth_jwks=str(tmp_path / "jwks.json"), auth_issuers=("iss",))
    with pytest.raises(SettingsError, match="ORDERS_SERVICE_SIGNING_KEY is required"):
        validate(with_auth)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(SettingsError, match=r"ORDERS_SERVICE_SIGNING_KEY: .*garbage\.pem"):
        validate(replace(with_auth, service_signing_key=str(garbage)))
    key = tmp_path / "orders.pem"
    key.write_bytes(private_pem(generate_signing_key()))
    validate(replace(with_auth, service_signing_key=str(key)))
    with pytest.raises(SettingsError, match="ORDERS_SERVICE_TOKEN_ISSUER"):
        validate(replace(with_auth, service_signing_key=str(key), service_token_issuer=" "))
    assert "PRIVATE" not in repr(replace(with_auth, service_signing_key=str(key)))
