"""End-to-end: the device gateway over real HTTP, in the system as `./fl up` runs it (separate
processes, real NATS), with devices played by the simulator (fieldline_dev.simulate) on a
small demo company loaded through the public APIs (docs/sync-protocol.md; the model:
docs/contexts/device-gateway.md, *Uploads* and *Consumers, replicas, outages*).

* a full agent day of three agents (one a van seller): activation, a full sync then deltas,
  every document accepted, the orders in orders once each and in the end-of-day delta;
* isolation: another agent's device sees and touches nothing of the first one's, through
  every endpoint of the OpenAPI document (a new endpoint without a case fails);
* a batch whose answer was lost mid-response (a proxy drops it), sent again: duplicates,
  one copy in the services;
* bad input: malformed, unknown field, too many documents, too many bytes, future-dated,
  another agent's outlet — each with its problem code;
* NATS down: uploads still accepted, the deltas catch up once it is back;
* the gateway killed mid-batch and started again: the batch sent again is answered whole,
  each document once.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import signal
import time
import warnings
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import grpc
import httpx
import pytest
import pytest_asyncio
from google.protobuf import field_mask_pb2

from fieldline.clients.v1 import clients_service_pb2 as ccs
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as cts
from fieldline.clients.v1 import visits_service_pb2 as cvs
from fieldline.orders.v1 import orders_service_pb2 as ords
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_dev.demo import Sizes
from fieldline_dev.demo_sales import load_demo
from fieldline_dev.runner import LocalSystem
from fieldline_dev.simulate import (
    Agent,
    Device,
    DeviceReport,
    Report,
    RetryPolicy,
    demo_agents,
    issue_code,
    priced_products,
    simulate,
)
from fieldline_kit.auth.forward import BearerToken
from fieldline_kit.testing.auth import Caller

from ..company import Api, dec
from .devices import (
    FINAL_OK,
    AnswerDroppingProxy,
    batch,
    check_in,
    check_out,
    code_of,
    document,
    final_status,
    gateway_caught_up,
    moment,
    new_id,
    order,
    payment,
)

# The smallest demo company with a van seller (every tenth agent is one); its own seed, so the
# ids are not those of `./fl up --demo`.
SIZES = Sizes(agents=10, outlets=100, bench_outlets=15)
SEED = 29
VISITS = 3  # per agent in the day
# The protocol's retries, with short pauses: a test does not wait minutes for a 503.
QUICK = RetryPolicy(backoff=0.2, max_backoff=5.0)
MIB = 1024 * 1024


def camel(enum_name: str, prefix: str) -> str:
    """ORDER_STATUS_CREDIT_HOLD → creditHold (the protocol's enum spelling)."""
    head, *rest = enum_name.removeprefix(prefix).lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


@dataclass
class Fleet:
    """The running system with the demo company loaded: the services as an administrator
    (gRPC), the gateway (HTTP), the company's field employees."""

    system: LocalSystem
    api: Api
    channels: list[grpc.aio.Channel]
    http: httpx.AsyncClient
    agents: list[Agent]
    business_date: date
    upload_limit: int

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.system.running['device-gateway'].http_port}"

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.system.token_source()()}"}

    def pick(self, role: str) -> Agent:
        """Agents by their part in this module, each its own employee: `day-1`, `day-2` (pre-
        sale agents of the day), `van` (the van seller), `other` (the isolation test's second
        agent), `worker` (the device of the retry and outage tests)."""
        sellers = [a for a in self.agents if a.van_seller]
        presale = [a for a in self.agents if not a.van_seller]
        if role == "van":
            return sellers[0]
        return presale[["day-1", "day-2", "other", "worker"].index(role)]

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """An HTTP call to the gateway, again on a connection the gateway dropped (it is
        killed and started again in this module)."""
        for attempt in range(5):
            try:
                return await self.http.request(method, path, **kwargs)
            except httpx.TransportError:
                if attempt == 4:
                    raise
                await asyncio.sleep(0.5)
        raise AssertionError("unreachable")

    async def device(self, agent: Agent) -> Device:
        """A new device of `agent`'s, activated with a code an administrator issued, synced
        in full."""
        code = await issue_code(self.http, self.system.token_source()(), agent, retry=QUICK)
        device = Device(self.http, agent, retry=QUICK, record=True)
        await device.meta()
        await device.activate(code)
        await device.sync()
        return device


async def route_outlets(api: Api, agent_id: str) -> set[str]:
    """The outlets on `agent_id`'s routes, as clients says."""
    routes = await api.territory.ListRoutes(cts.ListRoutesRequest(agent_id=agent_id))
    found: set[str] = set()
    for route in routes.routes:
        token = ""
        while True:
            page = await api.territory.ListRouteAssignments(
                cts.ListRouteAssignmentsRequest(route_id=route.id, page_size=500, page_token=token)
            )
            found |= {a.outlet_id for a in page.assignments}
            token = page.next_page_token
            if not token:
                break
    return found


async def outlets_of(api: Api, outlet_ids: Iterable[str]) -> dict[str, cpb.Outlet]:
    return {
        i: (await api.clients.GetOutlet(ccs.GetOutletRequest(outlet_id=i))).outlet
        for i in sorted(outlet_ids)
    }


async def orders_of(api: Api, agent_id: str) -> list[opb.Order]:
    """Every order of the agent, as orders lists them to an administrator."""
    found: list[opb.Order] = []
    token = ""
    while True:
        page = await api.orders.ListOrders(
            ords.ListOrdersRequest(agent_id=agent_id, page_size=500, page_token=token)
        )
        found.extend(page.orders)
        token = page.next_page_token
        if not token:
            return found


async def visit_or_none(api: Api, visit_id: str) -> cpb.Visit | None:
    try:
        return (await api.visits.GetVisit(cvs.GetVisitRequest(visit_id=visit_id))).visit
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise


def priced_for(device: Device, client_id: str) -> list[str]:
    """The products the bundle prices for the client (its price type's lists)."""
    terms = {t["clientId"] for t in device.section("clientTerms")}
    return priced_products(device, client_id) if client_id in terms else []


def selling_outlets(device: Device) -> list[dict[str, Any]]:
    """The active outlets of the device's bundle whose client has prices there."""
    return [
        o
        for o in sorted(device.section("outlets"), key=lambda o: o["id"])
        if o["status"] == "active" and priced_for(device, o["clientId"])
    ]


def active_outlet_with_product(device: Device) -> tuple[dict[str, Any], str]:
    """An active outlet of the device's bundle and a product its client has a price for."""
    outlets = selling_outlets(device)
    assert outlets, "the bundle holds no active outlet with a priced product"
    return outlets[0], priced_for(device, outlets[0]["clientId"])[0]


# ----------------------------------------------------------------------------- fixtures
@pytest_asyncio.fixture(scope="module")
async def fleet(system: LocalSystem) -> AsyncIterator[Fleet]:
    """The demo company loaded through the services' APIs, and the gateway caught up with it
    (its consumers have applied every event the load produced)."""
    targets = {name: svc.target for name, svc in system.running.items()}
    await load_demo(targets, SEED, sizes=SIZES, token=system.token_source())
    assert system.nats is not None
    await gateway_caught_up(system.nats.url)
    channel = grpc.aio.insecure_channel(
        system.running["clients"].target, interceptors=[BearerToken(system.token_source())]
    )
    orders = grpc.aio.insecure_channel(
        system.running["orders"].target, interceptors=[BearerToken(system.token_source())]
    )
    settlements = grpc.aio.insecure_channel(
        system.running["settlements"].target, interceptors=[BearerToken(system.token_source())]
    )
    api = Api({"clients": channel, "orders": orders, "settlements": settlements})
    base = f"http://127.0.0.1:{system.running['device-gateway'].http_port}"
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        meta = (await http.get("/v1/meta")).json()
        yield Fleet(
            system,
            api,
            [channel, orders, settlements],
            http,
            demo_agents(SIZES.agents, SEED, SIZES),  # every agent and van seller
            date.fromisoformat(meta["businessDate"]),
            int(meta["limits"]["uploadDocuments"]),
        )
    for c in (channel, orders, settlements):
        await c.close()


@pytest_asyncio.fixture(scope="module")
async def day(fleet: Fleet) -> Report:
    """The simulator's day of two agents and the van seller, a few visits each."""
    agents = [fleet.pick("day-1"), fleet.pick("day-2"), fleet.pick("van")]
    return await simulate(
        fleet.gateway_url,
        agents,
        fleet.system.token_source(),
        days=1,
        concurrency=3,
        visits_per_day=VISITS,
        seed=SEED,
        record=True,
        retry=QUICK,
        catch_up=30.0,
    )


@pytest_asyncio.fixture(scope="module")
async def worker(fleet: Fleet) -> Device:
    """A device of the worker agent, its bundle holding its outlets and their prices."""
    device = await fleet.device(fleet.pick("worker"))
    deadline = time.monotonic() + 30
    while not selling_outlets(device):
        assert time.monotonic() < deadline, "the worker's outlets never reached its bundle"
        await asyncio.sleep(1)
        await device.sync()
    return device


# ----------------------------------------------------------------------------- 1. the day
def placed_ids(device: DeviceReport) -> set[str]:
    """The order and van-sale ids the device placed."""
    ids = set()
    for doc, result in device.exchanges:
        if doc["kind"] in ("order", "vanSale") and final_status(result) in FINAL_OK:
            ids.add(doc.get("orderId") or doc["saleId"])
    return ids


async def test_an_agent_day_played_by_the_simulator(fleet: Fleet, day: Report) -> None:
    api = fleet.api
    assert len(day.devices) == 3
    assert [d.agent.van_seller for d in day.devices] == [False, False, True]
    for device in day.devices:
        who = device.agent.employee_id
        assert device.device_id, device.problems  # activated
        assert device.problems == [], "\n".join(device.problems)
        # The supervisors' view of the device: active, synced (a delta last), uploading.
        seen = await fleet.call("GET", f"/v1/devices/{device.device_id}", headers=fleet.admin())
        assert seen.status_code == 200, seen.text
        assert seen.json()["device"]["employeeId"] == who
        assert seen.json()["device"]["status"] == "active"
        assert seen.json()["device"]["lastSyncMode"] == "delta"
        assert seen.json()["device"].get("lastUploadAt")
        # A full sync, then deltas only (none of them a reset).
        assert device.syncs[0].mode == "full" and device.syncs[0].items > 0
        assert [s.mode for s in device.syncs[1:]] == ["delta"] * (len(device.syncs) - 1)
        assert not any(s.reset for s in device.syncs)
        # A few visits, every document accepted in the end (with a warning or not).
        assert device.visits == VISITS
        statuses = Counter(final_status(result) for _, result in device.exchanges)
        assert set(statuses) <= FINAL_OK, [
            (doc["kind"], result)
            for doc, result in device.exchanges
            if final_status(result) not in FINAL_OK
        ]
        # A `deferred` answer on the way (a service briefly busy or out of reach) is the
        # protocol's "send it again"; the simulator did, and the document was then accepted
        # (above). Anything else deferring a document of a healthy system is a finding.
        transient = {"service-unavailable", "timeout", "busy", "prerequisite-deferred"}
        assert {r["problem"]["code"] for r in device.deferred} <= transient, device.deferred
        if device.deferred or device.retried:
            warnings.warn(
                f"{who}: deferred and sent again: {device.deferred}; requests sent again: "
                f"{device.retried}",
                stacklevel=1,
            )
        kinds = Counter(doc["kind"] for doc, _ in device.exchanges)
        sale = "vanSale" if device.agent.van_seller else "order"
        assert kinds["visitCheckIn"] == kinds["visitCheckOut"] == kinds[sale] == VISITS, kinds
        assert kinds["audit"] == VISITS, kinds
        photo_ids = [p for doc, _ in device.exchanges for p in doc.get("photoIds", [])]
        assert photo_ids and device.photos == Counter({"complete": len(photo_ids)})

        # Orders holds the day's orders (van sales are orders too), each once, no other.
        placed = placed_ids(device)
        assert len(placed) == VISITS
        listed = await orders_of(api, who)
        assert Counter(o.id for o in listed) == Counter(dict.fromkeys(placed, 1))
        by_id = {o.id: o for o in listed}
        for o in listed:
            assert o.kind == (
                opb.ORDER_KIND_VAN_SALE if device.agent.van_seller else opb.ORDER_KIND_PRE_SALE
            )
        # The end-of-day delta brings the agent's own orders, as orders holds them now.
        assert device.catch_up_seconds is not None, device.missing_orders
        end_of_day = {e["key"]: e for s in device.end_of_day for e in s.entries.get("orders", [])}
        assert placed <= set(end_of_day), (placed, set(end_of_day))
        assert {end_of_day[i]["scope"] for i in placed} == {f"agent:{who}"}
        assert all(s.mode == "delta" for s in device.end_of_day)
        in_bundle = {
            key: data for (section, key), data in device.store.items() if section == "orders"
        }
        assert set(in_bundle) == placed
        for order_id, data in in_bundle.items():
            held = by_id[order_id]
            assert data["id"] == order_id and data["outletId"] == held.outlet_id
            assert data["status"] == camel(opb.OrderStatus.Name(held.status), "ORDER_STATUS_")
            assert Decimal(data["grossTotal"]["amount"]) == dec(held.gross_total)

        # Clients holds the visits, completed, the agent's; the audits name their photos,
        # which the gateway holds complete under the audit's document.
        for doc, _ in device.exchanges:
            if doc["kind"] == "visitCheckIn":
                visit = await visit_or_none(api, doc["visitId"])
                assert visit is not None and visit.agent_id == who
                assert visit.status == cpb.VISIT_STATUS_COMPLETED
            if doc["kind"] == "audit":
                audit = (
                    await api.visits.GetAudit(cvs.GetAuditRequest(audit_id=doc["auditId"]))
                ).audit
                refs = {a.photo_ref for a in audit.answers if a.photo_ref}
                assert refs == {f"photo:{p}" for p in doc["photoIds"]}, refs
                for photo_id in doc["photoIds"]:
                    reply = await fleet.call("GET", f"/v1/photos/{photo_id}", headers=fleet.admin())
                    assert reply.status_code == 200, reply.text
                    photo = reply.json()
                    assert photo["status"] == "complete" and photo["employeeId"] == who
                    assert photo["documentId"] == doc["documentId"]
                    content = await fleet.call(
                        "GET", f"/v1/photos/{photo_id}/content", headers=fleet.admin()
                    )
                    assert content.status_code == 200
                    assert hashlib.sha256(content.content).hexdigest() == photo["sha256"]


# ----------------------------------------------------------------------------- 2. isolation
@dataclass
class Isolation:
    """Agent A (a device of the day) and agent B (a new device): what B must not reach."""

    fleet: Fleet
    a: DeviceReport
    b: Device
    b_code: str
    a_outlets: dict[str, cpb.Outlet]  # on A's routes and not on B's
    a_clients: set[str]  # of A's outlets and of none of B's
    b_outlets: dict[str, cpb.Outlet]  # on B's routes
    a_orders: set[str]
    a_visits: set[str]
    a_photo: str
    failures: list[str] = field(default_factory=list)

    @property
    def a_ids(self) -> set[str]:
        """Every id of A's that B must never see."""
        return {
            self.a.agent.employee_id,
            self.a.device_id,
            self.a_photo,
            *self.a_outlets,
            *self.a_clients,
            *self.a_orders,
            *self.a_visits,
        }

    def leaks(self, text: str) -> set[str]:
        return {i for i in self.a_ids if i in text}

    @property
    def an_outlet(self) -> cpb.Outlet:
        return self.a_outlets[sorted(self.a_outlets)[0]]

    async def as_b(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.b.request(method, path, **kwargs)

    # -- the cases, one per operation of the OpenAPI document --------------------------------
    async def jwks(self) -> None:
        reply = await self.as_b("GET", "/.well-known/jwks.json", auth=False)
        assert reply.status_code == 200 and not self.leaks(reply.text)

    async def meta(self) -> None:
        reply = await self.as_b("GET", "/v1/meta", auth=False)
        assert reply.status_code == 200 and not self.leaks(reply.text)

    async def activate(self) -> None:
        """B's code, spent, does not make a second device (nor anyone's)."""
        again = {
            "requestId": new_id(),
            "activationCode": self.b_code,
            "device": {"platform": "android", "appVersion": "2.4.1"},
        }
        reply = await self.as_b("POST", "/v1/device/activate", auth=False, json=again)
        assert reply.status_code == 400 and code_of(reply) == "activation-code-invalid"
        assert not self.leaks(reply.text)

    async def refresh(self) -> None:
        """B's refresh token against A's device: refused, and A's device stays active."""
        body = {"deviceId": self.a.device_id, "refreshToken": self.b.refresh_token}
        reply = await self.as_b("POST", "/v1/device/token", auth=False, json=body)
        assert reply.status_code == 400 and code_of(reply) == "refresh-token-invalid"
        assert not self.leaks(reply.text.replace(self.a.device_id, ""))
        await self.a_device_active()

    async def forbidden(self, method: str, path: str, **kwargs: Any) -> None:
        """A management call by B, with its device's token and with a back-office token of
        B's (role AGENT): 403 forbidden either way, nothing of A's told."""
        back_office = self.fleet.system.token_source(Caller(self.b.agent.employee_id, {"AGENT"}))
        for reply in (
            await self.as_b(method, path, **kwargs),
            await self.fleet.call(
                method, path, headers={"Authorization": f"Bearer {back_office()}"}, **kwargs
            ),
        ):
            assert reply.status_code == 403 and code_of(reply) == "forbidden", reply.text
            assert not self.leaks(reply.text.replace(self.a.device_id, ""))

    async def issue_code(self) -> None:
        body = {"employeeId": self.a.agent.employee_id}
        await self.forbidden("POST", "/v1/activation-codes", json=body)

    async def list_devices(self) -> None:
        await self.forbidden("GET", "/v1/devices")

    async def get_device(self) -> None:
        await self.forbidden("GET", f"/v1/devices/{self.a.device_id}")

    async def revoke_device(self) -> None:
        body = {"reason": "not mine"}
        await self.forbidden("POST", f"/v1/devices/{self.a.device_id}/revoke", json=body)
        await self.a_device_active()

    async def sync(self) -> None:
        """B's full bundle: its own route's outlets and nothing of A's, in no section, key,
        scope or field."""
        self.b.cursor = None
        synced = await self.b.sync()
        assert synced.mode == "full"
        text = json.dumps(synced.entries)
        assert not self.leaks(text), self.leaks(text)
        outlets = {key for (section, key) in self.b.items if section == "outlets"}
        active = {i for i, o in self.b_outlets.items() if o.status == cpb.OUTLET_STATUS_ACTIVE}
        assert active <= outlets <= set(self.b_outlets), (outlets, set(self.b_outlets))
        # A's outlet changes (its card, by an administrator): the change reaches the store,
        # and B's next delta holds nothing of it.
        outlet = self.an_outlet
        await self.fleet.api.clients.UpdateOutletCard(
            ccs.UpdateOutletCardRequest(
                request_id=new_id(),
                outlet_id=outlet.id,
                expected_version=outlet.version,
                card=cpb.OutletCard(name=f"{outlet.card.name} (переименован)"),
                update_mask=field_mask_pb2.FieldMask(paths=["name"]),
            )
        )
        assert self.fleet.system.nats is not None
        await gateway_caught_up(self.fleet.system.nats.url)
        delta = await self.b.sync()
        assert delta.mode == "delta" and not self.leaks(json.dumps(delta.entries))
        # (It did reach the store: a second device of A's holds the new name.)
        a_again = await self.fleet.device(self.a.agent)
        assert a_again.items[("outlets", outlet.id)][1]["card"]["name"].endswith("(переименован)")

    async def uploads(self) -> None:
        """Documents naming A's outlet or client: each refused by its service, nothing kept;
        A's own document sent by B is not answered with A's answer."""
        api, outlet, day = self.fleet.api, self.an_outlet, self.fleet.business_date
        mine = {"id": outlet.id, "clientId": outlet.client_id}
        _, product = active_outlet_with_product(self.b)
        visit = new_id()
        questionnaire = sorted(q["id"] for q in self.b.section("questionnaires"))[0]
        before = Counter(o.id for o in await orders_of(api, self.a.agent.employee_id))
        balance = await api.settlements.GetBalance(ss.GetBalanceRequest(client_id=outlet.client_id))
        documents = [
            check_in(mine, visit, day),
            order(mine, product, day),
            payment(mine, day),
            document(
                "missedVisit",
                visitId=new_id(),
                outletId=outlet.id,
                date=day.isoformat(),
                reason="closed",
            ),
            document(
                "audit",
                auditId=new_id(),
                visitId=new_id(),
                questionnaireId=questionnaire,
                outletId=outlet.id,
            ),
            document(
                "return",
                returnId=new_id(),
                clientId=outlet.client_id,
                outletId=outlet.id,
                date=day.isoformat(),
                lines=[{"productId": product, "quantity": "1"}],
            ),
            document(
                "cardChange",
                proposalId=new_id(),
                outletId=outlet.id,
                card={"name": "Не моя точка"},
                fields=["name"],
            ),
        ]
        answer = await self.b.send(documents)
        for doc, result in zip(documents, answer["results"], strict=True):
            assert result["status"] == "rejected", (doc["kind"], result)
            assert result["problem"]["code"] in ("not-found", "not-permitted"), (
                doc["kind"],
                result,
            )
            assert "entity" not in result
        assert await visit_or_none(api, visit) is None
        assert Counter(o.id for o in await orders_of(api, self.a.agent.employee_id)) == before
        assert (
            await api.settlements.GetBalance(ss.GetBalanceRequest(client_id=outlet.client_id))
        ).balance == balance.balance
        # A's own order document, as it was sent, from B's device: refused, A's answer kept
        # from B (no duplicate with A's order).
        a_order = next(doc for doc, _ in self.a.exchanges if doc["kind"] == "order")
        copied = (await self.b.send([a_order]))["results"][0]
        assert copied["status"] == "rejected" and "entity" not in copied, copied
        assert copied["problem"]["code"] in ("not-found", "not-permitted", "document-id-reused")
        assert not self.leaks(json.dumps(copied).replace(a_order["documentId"], ""))

    async def create_photo(self) -> None:
        """A's photoId is taken (a conflict, nothing of it told); A's bytes' hash alone does
        not complete a photo of B's (the bytes must be sent)."""
        photo = await self.a_photo_record()
        declare = {
            "photoId": self.a_photo,
            "sha256": photo["sha256"],
            "size": photo["size"],
            "contentType": photo["contentType"],
            "kind": "audit",
            "documentId": new_id(),
            "capturedAt": moment(datetime.now(UTC)),
        }
        reply = await self.as_b("POST", "/v1/photos", json=declare)
        assert reply.status_code == 409 and code_of(reply) == "photo-conflict", reply.text
        assert not self.leaks(reply.text.replace(self.a_photo, ""))
        declare["photoId"] = new_id()
        reply = await self.as_b("POST", "/v1/photos", json=declare)
        assert reply.status_code == 201, reply.text
        assert reply.json()["status"] == "uploading" and reply.json()["offset"] == 0
        assert await self.a_photo_record() == photo

    async def get_photo(self) -> None:
        reply = await self.as_b("GET", f"/v1/photos/{self.a_photo}")
        assert reply.status_code == 404 and code_of(reply) == "not-found", reply.text

    async def download_photo(self) -> None:
        reply = await self.as_b("GET", f"/v1/photos/{self.a_photo}/content")
        assert reply.status_code == 404 and code_of(reply) == "not-found", reply.text

    async def photo_offset(self) -> None:
        reply = await self.as_b("HEAD", f"/v1/photos/{self.a_photo}/content")
        assert reply.status_code == 404 and "Upload-Offset" not in reply.headers

    async def append_photo(self) -> None:
        reply = await self.as_b(
            "PATCH",
            f"/v1/photos/{self.a_photo}/content",
            content=b"\x89PNG\r\n\x1a\n",
            headers={"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"},
        )
        assert reply.status_code == 404 and code_of(reply) == "not-found", reply.text
        assert (await self.a_photo_record())["status"] == "complete"

    # -- what A still has ----------------------------------------------------------------------
    async def a_device_active(self) -> None:
        reply = await self.fleet.call(
            "GET", f"/v1/devices/{self.a.device_id}", headers=self.fleet.admin()
        )
        assert reply.status_code == 200 and reply.json()["device"]["status"] == "active"

    async def a_photo_record(self) -> dict[str, Any]:
        reply = await self.fleet.call(
            "GET", f"/v1/photos/{self.a_photo}", headers=self.fleet.admin()
        )
        assert reply.status_code == 200, reply.text
        photo: dict[str, Any] = reply.json()
        assert photo["employeeId"] == self.a.agent.employee_id
        return photo


# Every operation of the gateway's OpenAPI document → its isolation case.
CASES: dict[tuple[str, str], Callable[[Isolation], Awaitable[None]]] = {
    ("GET", "/.well-known/jwks.json"): Isolation.jwks,
    ("GET", "/v1/meta"): Isolation.meta,
    ("POST", "/v1/device/activate"): Isolation.activate,
    ("POST", "/v1/device/token"): Isolation.refresh,
    ("POST", "/v1/activation-codes"): Isolation.issue_code,
    ("GET", "/v1/devices"): Isolation.list_devices,
    ("GET", "/v1/devices/{device_id}"): Isolation.get_device,
    ("POST", "/v1/devices/{device_id}/revoke"): Isolation.revoke_device,
    ("GET", "/v1/sync"): Isolation.sync,
    ("POST", "/v1/uploads"): Isolation.uploads,
    ("POST", "/v1/photos"): Isolation.create_photo,
    ("GET", "/v1/photos/{photo_id}"): Isolation.get_photo,
    ("GET", "/v1/photos/{photo_id}/content"): Isolation.download_photo,
    ("HEAD", "/v1/photos/{photo_id}/content"): Isolation.photo_offset,
    ("PATCH", "/v1/photos/{photo_id}/content"): Isolation.append_photo,
}


async def test_another_agents_device_reaches_nothing_of_the_first_ones(
    fleet: Fleet, day: Report
) -> None:
    api = fleet.api
    a = day.devices[0]
    assert a.device_id and not a.problems
    b_agent = fleet.pick("other")
    a_route = await route_outlets(api, a.agent.employee_id)
    b_route = await route_outlets(api, b_agent.employee_id)
    a_outlets = await outlets_of(api, a_route - b_route)
    b_outlets = await outlets_of(api, b_route)
    assert a_outlets and b_outlets
    b_clients = {o.client_id for o in b_outlets.values()}
    a_clients = {o.client_id for o in a_outlets.values()} - b_clients
    code = await issue_code(fleet.http, fleet.system.token_source()(), b_agent, retry=QUICK)
    b = Device(fleet.http, b_agent, retry=QUICK, record=True)
    await b.meta()
    await b.activate(code)
    photos = [p for doc, _ in a.exchanges for p in doc.get("photoIds", [])]
    case = Isolation(
        fleet=fleet,
        a=a,
        b=b,
        b_code=code,
        a_outlets=a_outlets,
        a_clients=a_clients,
        b_outlets=b_outlets,
        a_orders=placed_ids(a),
        a_visits={doc["visitId"] for doc, _ in a.exchanges if doc["kind"] == "visitCheckIn"},
        a_photo=photos[0],
    )
    assert case.a_orders and case.a_visits and case.a_clients

    reply = await fleet.call("GET", "/schema/openapi.json")
    assert reply.status_code == 200
    operations = {
        (method.upper(), path)
        for path, item in reply.json()["paths"].items()
        for method in item
        if method.lower() in ("get", "put", "post", "delete", "patch", "head", "options")
    }
    assert operations == set(CASES), (
        f"operations without an isolation case: {sorted(operations - set(CASES))}; "
        f"cases of no operation: {sorted(set(CASES) - operations)}"
    )
    for (method, path), run in CASES.items():
        try:
            await run(case)
        except AssertionError as exc:
            case.failures.append(f"{method} {path}: {exc}")
    assert case.failures == [], "\n".join(case.failures)


# ----------------------------------------------------------------------------- 3. lost answer
async def test_a_batch_whose_answer_was_lost_is_answered_again_from_the_receipts(
    fleet: Fleet, worker: Device
) -> None:
    api, who, day = fleet.api, worker.agent.employee_id, fleet.business_date
    outlet, product = active_outlet_with_product(worker)
    visit = new_id()
    documents = [
        check_in(outlet, visit, day),
        order(outlet, product, day, visit),
        payment(outlet, day, visit),
        check_out(visit),
        order(outlet, product, day),
    ]
    body = batch(documents)
    before = Counter(o.id for o in await orders_of(api, who))
    headers = {"Authorization": f"Bearer {worker.access}", "Fieldline-Protocol": "1.0"}
    async with (
        AnswerDroppingProxy(fleet.system.running["device-gateway"].http_port) as proxy,
        httpx.AsyncClient(base_url=proxy.url, timeout=60) as through,
    ):
        with pytest.raises(httpx.TransportError):
            await through.post("/v1/uploads", json=body, headers=headers)
        assert proxy.dropped == 1  # the gateway answered; the device never saw it

    answers = []
    for _ in range(2):  # the same batch directly, twice: answered from the receipts
        reply = await worker.request("POST", "/v1/uploads", json=body)
        assert reply.status_code == 200, reply.text
        answers.append(reply.json()["results"])
    first, second = answers
    assert [r["documentId"] for r in first] == [d["documentId"] for d in documents]
    assert [r["status"] for r in first] == ["duplicate"] * len(documents), first
    assert {r["originalStatus"] for r in first} <= FINAL_OK, first
    assert second == first  # the same answer every time
    placed = [first[1]["entity"], first[4]["entity"]]
    assert [e["id"] for e in placed] == [documents[1]["orderId"], documents[4]["orderId"]]

    after = Counter(o.id for o in await orders_of(api, who))
    assert after - before == Counter({documents[1]["orderId"]: 1, documents[4]["orderId"]: 1})
    for e in placed:
        held = (await api.orders.GetOrder(ords.GetOrderRequest(order_id=e["id"]))).order
        assert held.agent_id == who and e["status"] == camel(
            opb.OrderStatus.Name(held.status), "ORDER_STATUS_"
        )
    visit_now = await visit_or_none(api, visit)
    assert visit_now is not None and visit_now.status == cpb.VISIT_STATUS_COMPLETED


# ----------------------------------------------------------------------------- 6. bad input
async def test_bad_input_is_refused_with_its_problem_code(
    fleet: Fleet, worker: Device, day: Report
) -> None:
    api, day_date = fleet.api, fleet.business_date
    json_type = {"Content-Type": "application/json"}

    async def post(content: Any, headers: dict[str, str] | None = None) -> httpx.Response:
        return await worker.request(
            "POST",
            "/v1/uploads",
            retry=not callable(getattr(content, "__anext__", None)),  # a stream goes once
            content=content,
            headers={**json_type, **(headers or {})},
        )

    reply = await post(b'{"batchId": "' + new_id().encode() + b'", "documents": [')
    assert reply.status_code == 400 and code_of(reply) == "invalid-request", reply.text

    reply = await post(json.dumps({**batch([]), "priority": "high"}).encode())
    assert reply.status_code == 400 and code_of(reply) == "invalid-request", reply.text
    assert reply.json()["field"] == "priority"

    # One document more than the limit /v1/meta announces.
    many = [
        document(
            "missedVisit",
            visitId=new_id(),
            outletId=new_id(),
            date=day_date.isoformat(),
            reason="x",
        )
        for _ in range(fleet.upload_limit + 1)
    ]
    reply = await post(json.dumps(batch(many)).encode())
    assert reply.status_code == 413 and code_of(reply) == "batch-too-large", reply.text

    # Over 4 MiB, refused before it is parsed (it is not even JSON): with a Content-Length,
    # streamed without one, and gzip inflating past it. Just under it is read.
    too_big = b"x" * (4 * MIB + 1)
    reply = await post(too_big)
    assert reply.status_code == 413 and code_of(reply) == "payload-too-large", reply.text

    async def streamed() -> AsyncIterator[bytes]:
        for start in range(0, len(too_big), MIB):
            yield too_big[start : start + MIB]

    reply = await post(streamed())
    assert reply.status_code == 413 and code_of(reply) == "payload-too-large", reply.text
    bomb = gzip.compress(b'{"documents": "' + b" " * (5 * MIB) + b'"}')
    assert len(bomb) < 64 * 1024
    reply = await post(bomb, {"Content-Encoding": "gzip"})
    assert reply.status_code == 413 and code_of(reply) == "payload-too-large", reply.text
    outlet, product = active_outlet_with_product(worker)
    fits = json.dumps(batch([order(outlet, product, day_date)])).encode()
    fits = fits[:-1] + b" " * (4 * MIB - len(fits)) + b"}"
    assert len(fits) == 4 * MIB
    reply = await post(fits)
    assert reply.status_code == 200, reply.text
    assert final_status(reply.json()["results"][0]) in FINAL_OK

    # Future-dated documents: after the batch's sentAt (createdAt, a check-in's time), or
    # after the server's clock (a device whose clock runs two hours ahead, sentAt included).
    now = datetime.now(UTC)
    ahead = check_in(outlet, new_id(), day_date)
    ahead["createdAt"] = moment(now + timedelta(minutes=10))
    late_time = check_in(outlet, new_id(), day_date)
    late_time["time"] = moment(now + timedelta(minutes=10))
    answer = await worker.send([ahead, late_time])
    problems = [r["problem"] for r in answer["results"]]
    assert [r["status"] for r in answer["results"]] == ["rejected"] * 2, answer
    assert [(p["code"], p["field"]) for p in problems] == [
        ("future-dated", "documents[0].createdAt"),
        ("future-dated", "documents[1].time"),
    ]
    skewed = check_in(outlet, new_id(), day_date)
    skewed["createdAt"] = skewed["time"] = moment(now + timedelta(hours=2))
    body = {**batch([skewed]), "sentAt": moment(now + timedelta(hours=2, minutes=1))}
    reply = await worker.request("POST", "/v1/uploads", json=body)
    assert reply.status_code == 200, reply.text
    [result] = reply.json()["results"]
    assert result["status"] == "rejected" and result["problem"]["code"] == "future-dated"
    for doc in (ahead, late_time, skewed):
        assert await visit_or_none(api, doc["visitId"]) is None

    # Another agent's outlet: outside the worker's routes.
    stranger = next(
        data
        for (section, _key), data in day.devices[2].store.items()
        if section == "outlets" and data["status"] == "active"
    )
    assert stranger["id"] not in {o["id"] for o in worker.section("outlets")}
    visit = new_id()
    answer = await worker.send([check_in(stranger, visit, day_date)])
    [result] = answer["results"]
    assert result["status"] == "rejected" and result["problem"]["code"] == "not-permitted", result
    assert await visit_or_none(api, visit) is None


# ----------------------------------------------------------------------------- 5. NATS down
async def test_uploads_go_on_while_nats_is_down_and_the_deltas_catch_up(
    fleet: Fleet, worker: Device
) -> None:
    nats_server = fleet.system.nats
    assert nats_server is not None
    day_date = fleet.business_date
    await worker.sync()  # the cursor from before the outage
    outlet, product = active_outlet_with_product(worker)
    visit = new_id()
    documents = [
        check_in(outlet, visit, day_date),
        order(outlet, product, day_date, visit),
        order(outlet, product, day_date, visit),
        check_out(visit),
    ]
    placed = {documents[1]["orderId"], documents[2]["orderId"]}
    await nats_server.stop()
    try:
        assert not nats_server.running
        results = await worker.upload(documents)
        assert {r["status"] for r in results} <= FINAL_OK, results
        # Sync keeps serving the store meanwhile, stale: the orders reach it through orders'
        # events, which cannot flow.
        stale = await worker.sync()
        assert stale.mode == "delta"
        assert not placed & {o["id"] for o in worker.section("orders")}
    finally:
        await nats_server.start()
    statuses = {r["entity"]["id"]: r["entity"]["status"] for r in results if r["kind"] == "order"}
    deadline = time.monotonic() + 60
    while True:
        in_bundle = {o["id"]: o for o in worker.section("orders")}
        if placed <= set(in_bundle):
            break
        assert time.monotonic() < deadline, (
            "the orders placed while NATS was down never reached the device's deltas"
        )
        await asyncio.sleep(1.5)
        synced = await worker.sync()
        assert synced.mode == "delta" and not synced.reset
    for order_id in placed:
        assert in_bundle[order_id]["status"] == statuses[order_id]
    listed = Counter(o.id for o in await orders_of(fleet.api, worker.agent.employee_id))
    assert all(listed[i] == 1 for i in placed)


# ----------------------------------------------------------------------------- 4. killed
async def test_the_gateway_killed_mid_batch_answers_the_batch_whole_when_sent_again(
    fleet: Fleet, worker: Device
) -> None:
    api, system, who, day_date = (
        fleet.api,
        fleet.system,
        worker.agent.employee_id,
        fleet.business_date,
    )
    outlets = selling_outlets(worker)
    documents: list[dict[str, Any]] = []
    visits: list[str] = []
    for n in range(25):  # 100 documents: 25 visits with two orders each
        outlet = outlets[n % len(outlets)]
        product = priced_for(worker, outlet["clientId"])[0]
        visit = new_id()
        visits.append(visit)
        documents += [
            check_in(outlet, visit, day_date),
            order(outlet, product, day_date, visit),
            order(outlet, product, day_date, visit),
            check_out(visit),
        ]
    orders_sent = {d["orderId"] for d in documents if d["kind"] == "order"}
    before = Counter(o.id for o in await orders_of(api, who))
    gateway = system.running["device-gateway"]
    body = batch(documents)
    in_flight = asyncio.create_task(worker.request("POST", "/v1/uploads", retry=False, json=body))
    # Kill it once orders holds a few of the batch's orders (the batch is under way).
    deadline = time.monotonic() + 30
    while len(orders_sent & {o.id for o in await orders_of(api, who)}) < 3:
        assert not in_flight.done(), "the batch was answered before the gateway could be killed"
        assert time.monotonic() < deadline, "the batch never got under way"
        await asyncio.sleep(0.1)
    code = await asyncio.to_thread(system.stop_service, "device-gateway", signal.SIGKILL)
    assert code == -signal.SIGKILL
    with pytest.raises(httpx.TransportError):
        await in_flight
    placed_before_restart = orders_sent & {o.id for o in await orders_of(api, who)}
    assert 3 <= len(placed_before_restart) < len(orders_sent)

    system.start_service(gateway.definition)
    await asyncio.to_thread(system.wait_ready, gateway)

    # The same documents again until every one has its final answer. A document the killed
    # process held when it died is `busy` until its claim goes stale (10 s here, the
    # system's GATEWAY_UPLOAD_CLAIM_STALE_SECONDS; a minute by default); its visit's
    # later documents wait for it (prerequisite-deferred); the gateway handles one document
    # at a time, so at most one is busy.
    rounds: list[list[dict[str, Any]]] = []
    deadline = time.monotonic() + 100
    while True:
        answer = await worker.send(documents)
        results = answer["results"]
        rounds.append(results)
        deferred = [r for r in results if r["status"] == "deferred"]
        assert {r["problem"]["code"] for r in deferred} <= {"busy", "prerequisite-deferred"}, (
            deferred
        )
        assert sum(r["problem"]["code"] == "busy" for r in deferred) <= 1, deferred
        if not deferred:
            break
        assert time.monotonic() < deadline, f"still deferred: {deferred}"
        await asyncio.sleep(3)
    first = rounds[0]
    # Mid-batch: some documents were answered before the kill, the rest only now.
    assert any(r["status"] == "duplicate" for r in first), first
    assert any(r["status"] in FINAL_OK for r in first), first
    # Every document answered, accepted once: in the services one copy of each.
    finals: dict[str, str] = {}
    for results in rounds:
        for r in results:
            if r["status"] != "deferred":
                finals.setdefault(r["documentId"], final_status(r))
    assert set(finals) == {d["documentId"] for d in documents}
    assert set(finals.values()) <= FINAL_OK, Counter(finals.values())
    after = Counter(o.id for o in await orders_of(api, who))
    assert after - before == Counter(dict.fromkeys(orders_sent, 1))
    for visit in visits:
        held = await visit_or_none(api, visit)
        assert (
            held is not None and held.status == cpb.VISIT_STATUS_COMPLETED and held.agent_id == who
        )
