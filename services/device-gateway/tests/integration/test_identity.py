"""Devices and their tokens over real HTTP: activation codes, activation, refresh with rotation
and reuse detection, revocation, the supervisor's view (docs/contexts/device-gateway.md,
*Identity*), and the token a device gets being accepted by the services themselves."""

from __future__ import annotations

import asyncio
import uuid

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as cts
from fieldline_kit.testing.auth import ADMIN, Caller
from fieldline_kit.testing.helpers import eventually

from .gateway_harness import GatewaySystem, system_fixture  # noqa: F401


async def _team(system: GatewaySystem) -> tuple[Caller, Caller]:
    boss = await system.employee(cpb.ROLE_SUPERVISOR)
    agent = await system.employee(cpb.ROLE_AGENT, boss)
    return boss, agent


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_meta_jwks_probes_and_openapi(system: GatewaySystem) -> None:
    meta = await system.http.get("/v1/meta")
    assert meta.status_code == 200
    assert meta.json()["protocol"] == "1.0"
    assert meta.headers["fieldline-protocol"] == "1.0"
    assert meta.headers["x-correlation-id"]
    jwks = (await system.http.get("/.well-known/jwks.json")).json()
    assert [k["kty"] for k in jwks["keys"]] == ["OKP"]
    assert (await system.http.get("/livez")).status_code == 200
    assert (await system.http.get("/readyz")).status_code == 200
    schema = (await system.http.get("/schema/openapi.json")).json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {
        "activateDevice",
        "refreshDeviceToken",
        "issueActivationCode",
        "listDevices",
        "getDevice",
        "revokeDevice",
        "getProtocolInfo",
        "getJwks",
    } <= operations


async def test_a_supervisor_activates_a_device_whose_token_the_services_accept(
    system: GatewaySystem,
) -> None:
    boss, agent = await _team(system)
    device = await system.device_of(boss, agent)
    assert device["employee"]["id"] == agent.subject
    assert device["employee"]["roles"] == ["agent"]
    # The device's own token works at clients: the agent reads itself.
    reply = await system.api.territory.GetEmployee(
        cts.GetEmployeeRequest(employee_id=agent.subject),
        metadata=(("authorization", f"Bearer {device['accessToken']}"),),
    )
    assert reply.employee.id == agent.subject
    # And the supervisor sees the device, with its app version.
    listed = await system.http.get("/v1/devices", headers=system.management(boss))
    assert listed.status_code == 200
    [seen] = listed.json()["devices"]
    assert seen["deviceId"] == device["deviceId"]
    assert seen["appVersion"] == "2.4.1"
    assert seen["status"] == "active"


async def test_a_code_is_spent_once_and_a_lost_answer_can_be_asked_again(
    system: GatewaySystem,
) -> None:
    boss, agent = await _team(system)
    code = await system.activation_code(boss, agent)
    attempt = str(uuid.uuid4())
    first = await system.activate(code, attempt)
    assert first.status_code == 201
    again = await system.activate(code.lower().replace("-", ""), attempt)
    assert again.status_code == 201, again.text
    assert again.json()["deviceId"] == first.json()["deviceId"]
    # The lost answer's refresh token no longer works; the new one does.
    lost = await system.http.post(
        "/v1/device/token",
        json={"deviceId": first.json()["deviceId"], "refreshToken": first.json()["refreshToken"]},
    )
    assert lost.status_code == 400
    assert lost.json()["code"] == "refresh-token-invalid"
    other = await system.activate(code)  # another attempt with a spent code
    assert other.status_code == 400
    assert other.json()["code"] == "activation-code-invalid"
    assert other.headers["content-type"].startswith("application/problem+json")


async def test_refresh_rotates_a_retry_is_forgiven_and_reuse_revokes(
    system: GatewaySystem,
) -> None:
    boss, agent = await _team(system)
    device = await system.device_of(boss, agent)
    body = {"deviceId": device["deviceId"], "refreshToken": device["refreshToken"]}
    first = await system.http.post("/v1/device/token", json=body)
    assert first.status_code == 200, first.text
    # The answer was lost: the same request again gets a working pair.
    retried = await system.http.post("/v1/device/token", json=body)
    assert retried.status_code == 200, retried.text
    assert retried.json()["refreshToken"] != first.json()["refreshToken"]
    newest = {"deviceId": device["deviceId"], "refreshToken": retried.json()["refreshToken"]}
    assert (await system.http.post("/v1/device/token", json=newest)).status_code == 200
    # Now the first token's successor has been used: presenting it again is reuse.
    reused = await system.http.post("/v1/device/token", json=body)
    assert reused.status_code == 400
    assert reused.json()["code"] == "refresh-token-reused"
    detail = await system.http.get(
        f"/v1/devices/{device['deviceId']}", headers=system.management(boss)
    )
    assert detail.json()["device"]["status"] == "revoked"
    assert detail.json()["device"]["revokedReason"] == "refresh-reuse"
    assert "refresh-reuse" in [e["action"] for e in detail.json()["events"]]


async def test_two_refreshes_of_one_token_at_once_leave_one_live_pair(
    system: GatewaySystem,
) -> None:
    boss, agent = await _team(system)
    device = await system.device_of(boss, agent)
    body = {"deviceId": device["deviceId"], "refreshToken": device["refreshToken"]}
    a, b = await asyncio.gather(
        system.http.post("/v1/device/token", json=body),
        system.http.post("/v1/device/token", json=body),
    )
    assert {a.status_code, b.status_code} == {200}
    tokens = [a.json()["refreshToken"], b.json()["refreshToken"]]
    live = 0
    for token in tokens:
        reply = await system.http.post(
            "/v1/device/token", json={"deviceId": device["deviceId"], "refreshToken": token}
        )
        live += reply.status_code == 200
        if reply.status_code == 200:
            break
    assert live == 1


async def test_revoked_expired_forged_and_foreign_tokens_are_refused(
    system: GatewaySystem,
) -> None:
    boss, agent = await _team(system)
    device = await system.device_of(boss, agent)
    listed = await system.http.get("/v1/devices", headers=_bearer(device["accessToken"]))
    assert listed.status_code == 403  # an agent manages no devices
    forged = device["accessToken"][:-4] + (
        "AAAA" if not device["accessToken"].endswith("AAAA") else "BBBB"
    )
    refused = await system.http.get("/v1/devices", headers=_bearer(forged))
    assert refused.status_code == 401
    assert refused.json()["code"] == "unauthenticated"
    assert refused.headers["www-authenticate"].startswith("Bearer")
    from datetime import timedelta

    from fieldline_kit.testing.auth import process_tokens

    expired = process_tokens().mint(boss.subject, roles=boss.roles, lifetime=timedelta(minutes=-5))
    reply = await system.http.get("/v1/devices", headers=_bearer(expired))
    assert reply.json()["code"] == "token-expired"
    other_boss = await system.employee(cpb.ROLE_SUPERVISOR)
    foreign = await system.http.post(
        f"/v1/devices/{device['deviceId']}/revoke", headers=system.management(other_boss)
    )
    assert foreign.status_code == 404  # another team's device is not revealed
    revoked = await system.http.post(
        f"/v1/devices/{device['deviceId']}/revoke", headers=system.management(boss)
    )
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"

    async def refused_now() -> bool:
        r = await system.http.get("/v1/meta")  # open; then a device call
        assert r.status_code == 200
        d = await system.http.get(
            f"/v1/devices/{device['deviceId']}", headers=_bearer(device["accessToken"])
        )
        return d.status_code == 401 and d.json()["code"] == "device-revoked"

    await eventually(refused_now, within=5, what="the revoked device refused")
    refresh = await system.http.post(
        "/v1/device/token",
        json={"deviceId": device["deviceId"], "refreshToken": device["refreshToken"]},
    )
    assert refresh.json()["code"] == "refresh-token-invalid"


async def test_codes_only_by_a_manager_of_the_employee(system: GatewaySystem) -> None:
    _boss, agent = await _team(system)
    stranger = await system.employee(cpb.ROLE_SUPERVISOR)
    reply = await system.http.post(
        "/v1/activation-codes",
        json={"employeeId": agent.subject},
        headers=system.management(stranger),
    )
    assert reply.status_code == 404
    reply = await system.http.post(
        "/v1/activation-codes", json={"employeeId": agent.subject}, headers=system.management(agent)
    )
    assert reply.status_code == 403
    admin = await system.http.post(
        "/v1/activation-codes", json={"employeeId": agent.subject}, headers=system.management(ADMIN)
    )
    assert admin.status_code == 201


async def test_bad_requests_get_specific_problems(system: GatewaySystem) -> None:
    malformed = await system.http.post(
        "/v1/device/activate", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "invalid-request"
    unknown = await system.http.post(
        "/v1/device/token", json={"deviceId": str(uuid.uuid4()), "refreshToken": "x", "extra": 1}
    )
    assert unknown.status_code == 400
    assert "extra" in unknown.json()["detail"]
    big = await system.http.post(
        "/v1/device/token",
        content=b"{" + b" " * 200_000 + b"}",
        headers={"content-type": "application/json"},
    )
    assert big.status_code == 413
    assert big.json()["code"] == "payload-too-large"
    wrong_major = await system.http.post(
        "/v1/device/token",
        json={"deviceId": str(uuid.uuid4()), "refreshToken": "x"},
        headers={"Fieldline-Protocol": "2.0"},
    )
    assert wrong_major.json()["code"] == "protocol-version-unsupported"


async def test_a_token_naming_a_device_not_of_its_employee_is_refused(
    system: GatewaySystem,
) -> None:
    """Another trusted issuer's token carrying a `dev` claim does not pass for a device."""
    from fieldline_kit.auth.principal import Kind
    from fieldline_kit.testing.auth import process_tokens

    boss, agent = await _team(system)
    device = await system.device_of(boss, agent)
    stranger = await system.employee(cpb.ROLE_AGENT, boss)
    for subject, dev in ((stranger.subject, device["deviceId"]), (agent.subject, "no-such")):
        token = process_tokens().issuer.mint(subject, Kind.EMPLOYEE, ["AGENT"], device=dev)
        reply = await system.http.get("/v1/sync", headers=_bearer(token))
        assert reply.status_code == 401, reply.text
        assert reply.json()["code"] == "unauthenticated"


async def test_the_device_list_filters_and_pages(system: GatewaySystem) -> None:
    boss = await system.employee(cpb.ROLE_SUPERVISOR)
    agents = [await system.employee(cpb.ROLE_AGENT, boss) for _ in range(3)]
    made = [await system.device_of(boss, a) for a in agents]
    headers = system.management(boss)
    revoked = await system.http.post(
        f"/v1/devices/{made[1]['deviceId']}/revoke", headers=headers, json={}
    )
    assert revoked.status_code == 200, revoked.text
    synced = await system.http.get("/v1/sync", headers=_bearer(made[2]["accessToken"]))
    assert synced.status_code == 200, synced.text

    async def listed(**params: str) -> dict[str, object]:
        reply = await system.http.get("/v1/devices", headers=headers, params=params)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def ids(body: dict[str, object]) -> list[str]:
        return [d["deviceId"] for d in body["devices"]]  # type: ignore[attr-defined,index]

    everyone = await listed()
    assert sorted(ids(everyone)) == sorted(d["deviceId"] for d in made)
    assert "nextPageToken" not in everyone
    # One page at a time, in (employee, device) order, each device once.
    pages: list[str] = []
    body = await listed(limit="2")
    while True:
        pages += ids(body)
        token = body.get("nextPageToken")
        if token is None:
            break
        body = await listed(limit="2", pageToken=str(token))
    assert pages == ids(everyone)
    assert ids(await listed(status="revoked")) == [made[1]["deviceId"]]
    assert ids(await listed(employeeId=agents[0].subject)) == [made[0]["deviceId"]]
    silent = await listed(notSyncedSince="2999-01-01T00:00:00Z")
    assert sorted(ids(silent)) == sorted(d["deviceId"] for d in made)
    never = await listed(notSyncedSince="2000-01-01T00:00:00Z")
    assert sorted(ids(never)) == sorted(d["deviceId"] for d in made[:2])  # made[2] synced
    # Another supervisor's filter by this team's employee finds nothing.
    stranger = await system.employee(cpb.ROLE_SUPERVISOR)
    other = await system.http.get(
        "/v1/devices",
        headers=system.management(stranger),
        params={"employeeId": agents[0].subject},
    )
    assert other.status_code == 200 and other.json()["devices"] == []
    # Bad filters: said precisely.
    for params, field in [
        ({"status": "lost"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"pageToken": "not-a-token"}, "pageToken"),
        ({"notSyncedSince": "2026-03-04T06:00:00"}, "notSyncedSince"),
        ({"notSyncedSince": "yesterday"}, "notSyncedSince"),
    ]:
        bad = await system.http.get("/v1/devices", headers=headers, params=params)
        assert bad.status_code == 400, (params, bad.text)
        assert field in bad.text, (params, bad.text)
