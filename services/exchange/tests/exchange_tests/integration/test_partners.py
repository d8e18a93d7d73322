"""Partners over real HTTP: made by administrators, signed in by HTTP Basic or API keys with
scopes, each refusal specific (docs/contexts/exchange.md, *Partners and access*)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio

from fieldline_kit.roles import AGENT
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats

from .exchange_harness import Exchange, basic, bearer, exchange_running


@pytest_asyncio.fixture(scope="module")
async def exchange(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> AsyncIterator[Exchange]:
    async with exchange_running(db_factory, nats_server) as running:
        yield running


def _login() -> str:
    return f"erp-{uuid.uuid4().hex[:8]}"


async def test_an_administrator_makes_a_partner_with_a_password_shown_once(
    exchange: Exchange,
) -> None:
    login = _login()
    made = await exchange.http.post(
        "/v1/partners", json={"name": "1C:УТ 11", "login": login}, headers=exchange.admin()
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["login"] == login and len(body["password"]) >= 20
    listed = await exchange.http.get("/v1/partners", headers=exchange.admin())
    [seen] = [p for p in listed.json()["partners"] if p["login"] == login]
    assert "password" not in seen and seen["name"] == "1C:УТ 11"
    again = await exchange.http.post(
        "/v1/partners", json={"name": "other", "login": login}, headers=exchange.admin()
    )
    assert again.status_code == 409 and again.json()["code"] == "conflict"


async def test_only_administrators_manage_partners(exchange: Exchange) -> None:
    agent = Caller(str(uuid.uuid4()), (AGENT,))
    refused = await exchange.http.post(
        "/v1/partners", json={"name": "x", "login": _login()}, headers=exchange.admin(agent)
    )
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    nobody = await exchange.http.get("/v1/partners")
    assert nobody.status_code == 401
    partner_id, password = await exchange.partner("ERP", login := _login())
    # A partner's own credentials manage nothing.
    as_partner = await exchange.http.get("/v1/partners", headers=basic(login, password))
    assert as_partner.status_code == 401
    key = await exchange.key(partner_id, "inspect")
    with_key = await exchange.http.get("/v1/partners", headers=bearer(key))
    assert with_key.status_code == 403


async def test_keys_have_scopes_and_can_be_revoked(exchange: Exchange) -> None:
    partner_id, _ = await exchange.partner("ERP", _login())
    made = await exchange.http.post(
        f"/v1/partners/{partner_id}/keys",
        json={"scopes": ["catalog:import", "jobs:read"], "label": "nightly"},
        headers=exchange.admin(),
    )
    assert made.status_code == 201, made.text
    key = made.json()
    assert key["key"].startswith("flx_") and key["scopes"] == ["catalog:import", "jobs:read"]
    listed = await exchange.http.get(f"/v1/partners/{partner_id}/keys", headers=exchange.admin())
    [shown] = listed.json()["keys"]
    assert "key" not in shown and shown["label"] == "nightly"
    revoked = await exchange.http.delete(
        f"/v1/partners/{partner_id}/keys/{key['keyId']}", headers=exchange.admin()
    )
    assert revoked.status_code == 204
    listed = await exchange.http.get(f"/v1/partners/{partner_id}/keys", headers=exchange.admin())
    assert listed.json()["keys"][0]["revokedAt"] is not None


async def test_bad_requests_are_named(exchange: Exchange) -> None:
    cases = [
        ("/v1/partners", {"name": "x", "login": "no spaces allowed"}, "login"),
        ("/v1/partners", {"name": "", "login": _login()}, "name"),
        ("/v1/partners", {"name": "x", "login": _login(), "role": "ADMIN"}, "role"),
    ]
    for path, body, field in cases:
        bad = await exchange.http.post(path, json=body, headers=exchange.admin())
        assert bad.status_code == 400, (body, bad.text)
        assert field in bad.json()["detail"], (body, bad.text)
    partner_id, _ = await exchange.partner("ERP", _login())
    bad = await exchange.http.post(
        f"/v1/partners/{partner_id}/keys", json={"scopes": ["root"]}, headers=exchange.admin()
    )
    assert bad.status_code == 400 and bad.json()["field"] == "scopes"
    missing = await exchange.http.post(
        f"/v1/partners/{uuid.uuid4()}/keys", json={"scopes": ["inspect"]}, headers=exchange.admin()
    )
    assert missing.status_code == 404


async def test_five_failed_sign_ins_a_minute_throttle_the_login(exchange: Exchange) -> None:
    login = _login()
    _, password = await exchange.partner("ERP", login)
    for _ in range(5):
        wrong = await exchange.http.get("/v1/imports", headers=basic(login, "guess"))
        assert wrong.status_code == 401, wrong.text
    # The sixth try is refused before the password is checked: the right one too.
    throttled = await exchange.http.get("/v1/imports", headers=basic(login, password))
    assert throttled.status_code == 429 and throttled.json()["code"] == "rate-limited"
    assert 0 < int(throttled.headers["retry-after"]) <= 60
    onec = await exchange.http.get(
        "/1c/exchange",
        params={"type": "catalog", "mode": "checkauth"},
        headers=basic(login, password),
    )
    assert onec.status_code == 429 and onec.text.startswith("failure")
    assert "retry-after" in onec.headers
    # Another login is not held back by this one's failures.
    other = _login()
    _, other_password = await exchange.partner("ERP", other)
    fine = await exchange.http.get("/v1/imports", headers=basic(other, other_password))
    assert fine.status_code == 200, fine.text


async def test_the_published_schemas_are_served_to_partners_and_administrators(
    exchange: Exchange,
) -> None:
    from fieldline_exchange.adapters import own_format

    partner_id, password = await exchange.partner("ERP", login := _login())
    key = await exchange.key(partner_id, "jobs:read")
    for headers in (basic(login, password), bearer(key), exchange.admin()):
        listed = await exchange.http.get("/v1/schemas", headers=headers)
        assert listed.status_code == 200, listed.text
        schemas = listed.json()["schemas"]
        assert [(s["name"], s["version"]) for s in schemas] == [
            ("fieldline-exchange-1.0.xsd", "1.0"),
            ("fieldline-exchange-1.1.xsd", "1.1"),
        ]
        for schema in schemas:
            assert schema["namespace"] == own_format.NAMESPACE
            got = await exchange.http.get(schema["url"], headers=headers)
            assert got.status_code == 200
            assert got.headers["content-type"].startswith("application/xml")
            assert got.content == own_format.schema_path(schema["name"]).read_bytes()
    missing = await exchange.http.get("/v1/schemas/other.xsd", headers=bearer(key))
    assert missing.status_code == 404 and missing.json()["code"] == "not-found"
    assert (await exchange.http.get("/v1/schemas")).status_code == 401
