"""Imports over real HTTP into real services: a catalog and an offers package become orders'
groups, products, price types, price lists and stock, applied as the partner; the same file
twice changes nothing; a file naming unknown products is refused with nothing applied; a key
without the scope is refused (docs/contexts/exchange.md, *Import jobs*)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
import uuid
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import pytest
from prometheus_client import REGISTRY

from fieldline.clients.v1 import clients_service_pb2 as ccs
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as cts
from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_exchange.adapters import id_sets, own_format
from fieldline_exchange.domain import own_records as own
from fieldline_exchange.service_layer import commerceml_import
from fieldline_kit.external_ids import (
    PRICE_LIST,
    PRODUCT,
    client_id,
    employee_id,
    orders_catalog_id,
    route_id,
)
from fieldline_kit.testing.helpers import eventually

from . import cml
from .exchange_harness import Exchange, basic, bearer


def _metric(name: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(name, {"format": "commerceml", "outcome": outcome})
    return value or 0.0


async def _partner(system: Exchange, *scopes: str) -> str:
    partner_id, _ = await system.partner("ERP", f"erp-{uuid.uuid4().hex[:8]}")
    return await system.key(partner_id, *scopes)


async def _import(system: Exchange, key: str, name: str, content: bytes) -> dict[str, Any]:
    sent = await system.http.post(
        "/v1/imports", params={"filename": name}, content=content, headers=bearer(key)
    )
    assert sent.status_code == 202, sent.text
    [job] = sent.json()["imports"]
    return dict(job)


async def _finished(system: Exchange, key: str, import_id: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    async def finished() -> bool:
        reply = await system.http.get(f"/v1/imports/{import_id}", headers=bearer(key))
        assert reply.status_code == 200, reply.text
        found.update(reply.json())
        return found["state"] in ("done", "refused", "failed")

    await eventually(finished, within=60, what=f"import {import_id} finished")
    return found


def _ids(prefix: str, n: int) -> list[str]:
    tag = uuid.uuid4().hex[:6]
    return [f"{prefix}-{tag}-{i:03}" for i in range(n)]


async def _product(system: Exchange, external_id: str) -> Any:
    assert system.services is not None
    reply = await system.services.api.catalog.GetProduct(
        cs.GetProductRequest(product_id=orders_catalog_id(PRODUCT, external_id))
    )
    return reply.product


async def test_a_catalog_then_offers_reach_orders(system: Exchange) -> None:
    key = await _partner(system, "catalog:import", "offers:import", "jobs:read")
    top, child = _ids("g", 2)
    products = _ids("p", 4)
    content = cml.catalog(
        [(top, "Напитки", [(child, "Соки")])],
        [(p, f"Сок {i}", child if i % 2 else top) for i, p in enumerate(products)],
    )
    imports_done = _metric("fieldline_exchange_imports_total", "done")
    applied = _metric("fieldline_exchange_records_total", "applied")
    job = await _import(system, key, "import.xml", content)
    done = await _finished(system, key, job["importId"])
    assert done["state"] == "done", done
    assert done["counts"]["groups"] == 2 and done["counts"]["products"] == 4
    assert done["recordsApplied"] == 6 and done["progress"] == 1.0
    # counted as the worker ends the job (just after it is seen done)
    await eventually(
        lambda: _metric("fieldline_exchange_imports_total", "done") == imports_done + 1,
        what="the import counted",
    )
    assert _metric("fieldline_exchange_records_total", "applied") == applied + 6
    product = await _product(system, products[1])
    assert product.name == "Сок 1" and product.vat_rate == "20"
    assert product.group_id == orders_catalog_id("product_group", child)

    # The offers: a price type, two warehouses, prices and stock; and an offer of a variant
    # of a known product, which becomes a product of its own.
    price_type, store_a, store_b = _ids("pt", 1)[0], *_ids("w", 2)
    variant = f"{products[0]}#red"
    rows = [
        (products[0], "Сок 0", [(price_type, "10.50")], [(store_a, "5"), (store_b, "2")]),
        (products[1], "Сок 1", [(price_type, "11")], [(store_a, "0")]),
        (variant, "Сок 0 (красный)", [(price_type, "12.25")], [(store_a, "3")]),
    ]
    content = cml.offers([(price_type, "Оптовая")], [(store_a, "A"), (store_b, "B")], rows)
    job = await _import(system, key, "offers.xml", content)
    done = await _finished(system, key, job["importId"])
    assert done["state"] == "done", done
    assert (done["counts"]["offers"], done["counts"]["prices"], done["counts"]["stock_rows"]) == (
        3,
        3,
        4,
    )
    report = await system.http.get(f"/v1/imports/{job['importId']}/report", headers=bearer(key))
    assert report.json()["lines"] == [], [
        (x["externalId"], x["detail"]) for x in report.json()["lines"]
    ]
    made = await _product(system, variant)
    assert made.name == "Сок 0 (красный)"
    assert (made.vat_rate, made.group_id) == ("20", orders_catalog_id("product_group", top))
    assert system.services is not None
    entries = await system.services.api.catalog.ListPriceListEntries(
        cs.ListPriceListEntriesRequest(
            price_list_id=orders_catalog_id(PRICE_LIST, price_type), page_size=100
        )
    )
    prices = {e.product_id: (e.price.units, e.price.nanos) for e in entries.entries}
    assert prices == {
        orders_catalog_id(PRODUCT, products[0]): (10, 500_000_000),
        orders_catalog_id(PRODUCT, products[1]): (11, 0),
        orders_catalog_id(PRODUCT, variant): (12, 250_000_000),
    }

    # The same file again: the same import, nothing done.
    again = await _import(system, key, "offers-again.xml", content)
    assert again["importId"] == job["importId"] and again["state"] == "done"


async def test_a_file_naming_unknown_products_is_refused_and_applies_nothing(
    system: Exchange,
) -> None:
    key = await _partner(system, "offers:import", "jobs:read")
    price_type = _ids("pt", 1)[0]
    known, unknown = _ids("p", 1)[0], _ids("ghost", 1)[0]
    rows = [(known, "x", [(price_type, "1")], []), (unknown, "y", [(price_type, "2")], [])]
    # Not even the price type may arrive: the whole file is refused at its check.
    refused = _metric("fieldline_exchange_imports_total", "refused")
    job = await _import(system, key, "offers.xml", cml.offers([(price_type, "T")], [], rows))
    done = await _finished(system, key, job["importId"])
    assert done["state"] == "refused", done
    await eventually(
        lambda: _metric("fieldline_exchange_imports_total", "refused") == refused + 1,
        what="the refusal counted",
    )
    assert done["refusal"]["code"] == "unknown-reference"
    assert unknown in done["refusal"]["message"]
    assert system.services is not None
    types = await system.services.api.catalog.ListPriceTypes(
        cs.ListPriceTypesRequest(page_size=1000)
    )
    assert price_type not in {t.external_id for t in types.price_types}


async def test_scopes_and_credentials(system: Exchange) -> None:
    key = await _partner(system, "offers:import", "jobs:read")
    content = cml.catalog([], [(p, "x", "") for p in _ids("p", 1)])
    job = await _import(system, key, "import.xml", content)
    done = await _finished(system, key, job["importId"])
    assert done["state"] == "refused" and done["refusal"]["code"] == "not-allowed"
    inspect_only = await _partner(system, "inspect")
    refused = await system.http.post(
        "/v1/imports", params={"filename": "a.xml"}, content=content, headers=bearer(inspect_only)
    )
    assert refused.status_code == 403
    wrong = await system.http.post(
        "/v1/imports",
        params={"filename": "a.xml"},
        content=content,
        headers=bearer(key[:-4] + "AAAA"),
    )
    assert wrong.status_code == 401 and wrong.json()["code"] == "unauthenticated"
    # Another partner's import is not found.
    other = await _partner(system, "jobs:read")
    hidden = await system.http.get(f"/v1/imports/{job['importId']}", headers=bearer(other))
    assert hidden.status_code == 404


# ------------------------------------------------------------------ the 1C protocol
async def _onec(
    system: Exchange, mode: str, *, kind: str = "catalog", cookie: str = "", **kw: Any
) -> Any:
    """One call of the protocol as 1C makes it (the session's cookie in its header)."""
    params = {"type": kind, "mode": mode, **kw.pop("params", {})}
    headers = {**kw.pop("headers", {}), **({"Cookie": f"flx_session={cookie}"} if cookie else {})}
    system.http.cookies.clear()
    if "content" in kw:
        return await system.http.post("/1c/exchange", params=params, headers=headers, **kw)
    return await system.http.get("/1c/exchange", params=params, headers=headers, **kw)


async def _imported_by_1c(system: Exchange, cookie: str, name: str) -> None:
    """mode=import of `name` until `success` (`progress` meanwhile, nothing else)."""

    async def imported() -> bool:
        reply = await _onec(system, "import", cookie=cookie, params={"filename": name})
        first = reply.text.split("\n")[0]
        assert first in ("progress", "success"), reply.text
        return first == "success"

    await eventually(imported, within=60, what=f"1C import of {name}")


async def test_a_1c_exchange_in_the_protocols_sequence(system: Exchange) -> None:
    login = f"erp-{uuid.uuid4().hex[:8]}"
    _, password = await system.partner("1C:УТ", login)
    answer = await _onec(system, "checkauth", headers=basic(login, password))
    assert answer.status_code == 200, answer.text
    status, cookie_name, cookie = answer.text.split("\n")
    assert (status, cookie_name) == ("success", "flx_session")
    assert answer.headers["content-type"].startswith("text/plain")
    init = await _onec(system, "init", cookie=cookie)
    assert init.text.split("\n")[0] == "zip=yes" and init.text.split("\n")[1].startswith(
        "file_limit="
    )

    # import.xml and offers.xml in one archive, sent in two chunks.
    group = _ids("g", 1)[0]
    products = _ids("p", 3)
    price_type = _ids("pt", 1)[0]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr(
            "import.xml", cml.catalog([(group, "Все", [])], [(p, p, group) for p in products])
        )
        zipped.writestr(
            "offers.xml",
            cml.offers(
                [(price_type, "Розница")],
                [],
                [(p, p, [(price_type, "9.90")], []) for p in products],
            ),
        )
    data = archive.getvalue()
    half = len(data) // 2
    for chunk in (data[:half], data[half:]):
        sent = await _onec(
            system, "file", cookie=cookie, params={"filename": "x.zip"}, content=chunk
        )
        assert sent.text == "success", sent.text
    for name in ("import.xml", "offers.xml"):
        await _imported_by_1c(system, cookie, name)
    assert (await _product(system, products[2])).name == products[2]

    # What the protocol refuses, each said in its first line.
    wrong = await _onec(system, "checkauth", headers=basic(login, "not-the-password"))
    assert wrong.status_code == 401 and wrong.text.startswith("failure")
    nosession = await _onec(system, "init")
    assert nosession.status_code == 401 and nosession.text.startswith("failure")
    missing = await _onec(system, "import", cookie=cookie, params={"filename": "nothing.xml"})
    assert missing.text.startswith("failure\nnothing.xml: no such file")
    odd = await _onec(system, "deploy", cookie=cookie)
    assert odd.status_code == 400 and odd.text.startswith("failure")
    # A refused file says why.
    sent = await _onec(
        system,
        "file",
        cookie=cookie,
        params={"filename": "bad.xml"},
        content=b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
    )
    assert sent.text == "success"

    async def refused() -> bool:
        reply = await _onec(system, "import", cookie=cookie, params={"filename": "bad.xml"})
        return reply.text.startswith("failure\nbad.xml: dtd-forbidden")

    await eventually(refused, within=30, what="the hostile file refused")


# ------------------------------------------------------------------ counterparties, documents
async def test_counterparties_and_documents_from_the_erp(system: Exchange) -> None:
    assert system.services is not None
    api = system.services.api
    key = await _partner(system, "counterparties:import", "documents:import", "jobs:read")
    buyer, other = _ids("cp", 2)
    content = cml.counterparties(
        [
            (buyer, "ООО Ромашка", "7707083893", "770701001"),
            (other, "ИП Петров", "500100732259", ""),
        ]
    )
    done = await _finished(system, key, (await _import(system, key, "c.xml", content))["importId"])
    assert done["state"] == "done" and done["counts"]["counterparties"] == 2, done
    made = await api.clients.GetClient(ccs.GetClientRequest(client_id=client_id(buyer)))
    assert (made.client.name, made.client.inn, made.client.external_id) == (
        "ООО Ромашка",
        "7707083893",
        buyer,
    )

    # An invoice and its payment, and a status of an order Fieldline never sent.
    invoice_id, payment_id = _ids("inv", 1)[0], _ids("pay", 1)[0]
    party = (buyer, "ООО Ромашка", "7707083893", "770701001")
    stranger = str(uuid.uuid4())
    content = cml.documents(
        [
            (invoice_id, "РН-1", "Отпуск товара", "2026-12-01", "1500.00", party, []),
            (payment_id, "ПП-7", "Оплата", "2026-12-03", "500.00", party, []),
            (stranger, "З-9", "Заказ товара", "2026-12-01", "10", party, [("Проведен", "true")]),
        ]
    )
    job = await _import(system, key, "d.xml", content)
    done = await _finished(system, key, job["importId"])
    assert done["state"] == "done", done
    assert done["counts"]["documents"] == 3
    report = await system.http.get(f"/v1/imports/{job['importId']}/report", headers=bearer(key))
    assert [(x["externalId"], x["reason"]) for x in report.json()["lines"]] == [
        (stranger, "unknown-order")
    ]
    invoices = await api.settlements.ListInvoices(
        ss.ListInvoicesRequest(client_id=client_id(buyer), page_size=10)
    )
    [invoice] = invoices.invoices
    assert (invoice.id, invoice.number, invoice.amount.units) == (invoice_id, "РН-1", 1500)
    assert (invoice.open_amount.units, invoice.open_amount.nanos) == (1000, 0)  # 500 paid
    # The same documents again (another exchange, another file name): nothing twice.
    again = await _import(system, key, "d-again.xml", content + b"\n")
    assert (await _finished(system, key, again["importId"]))["state"] == "done"
    invoices = await api.settlements.ListInvoices(
        ss.ListInvoicesRequest(client_id=client_id(buyer), page_size=10)
    )
    assert [(i.id, i.open_amount.units) for i in invoices.invoices] == [(invoice_id, 1000)]


# ------------------------------------------------------------------ hostile and broken input
XXE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b"<\xd0\x9a\xd0\xbe\xd0\xbc>&e;</\xd0\x9a\xd0\xbe\xd0\xbc>"
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><x>&c;</x>'
)
EXTERNAL_DTD = b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd"><x/>'


def _hostile() -> list[tuple[str, bytes, str]]:
    catalog = cml.catalog([("g", "G", [])], [("p-h", "P", "g")])
    duplicated = cml.catalog([("g", "G", [])], [("p-d", "A", "g"), ("p-d", "B", "g")])
    return [
        ("xxe", XXE, "dtd-forbidden"),
        ("billion-laughs", LAUGHS, "dtd-forbidden"),
        ("external-dtd", EXTERNAL_DTD, "dtd-forbidden"),
        ("truncated", catalog[: len(catalog) // 2], "malformed"),
        ("wrong-encoding", catalog.replace(b"UTF-8", b"UTF-16", 1), "bad-encoding"),
        (
            "unknown-namespace",
            catalog.replace(b"urn:1C.ru:commerceml_210", b"urn:example:other"),
            "unknown-namespace",
        ),
        ("duplicate-ids", duplicated, "duplicate-id"),
        ("commerceml-3", catalog.replace(b'"2.08"', b'"3.1"'), "unsupported-version"),
    ]


async def test_hostile_and_broken_files_are_refused_and_apply_nothing(system: Exchange) -> None:
    key = await _partner(system, "catalog:import", "jobs:read")
    for name, content, code in _hostile():
        job = await _import(system, key, f"{name}.xml", content)
        done = await _finished(system, key, job["importId"])
        assert (done["state"], done["refusal"]["code"]) == ("refused", code), (name, done)
        assert done["recordsApplied"] == 0, name
    assert system.services is not None
    for external_id in ("p-h", "p-d"):
        try:
            await system.services.api.catalog.GetProduct(
                cs.GetProductRequest(product_id=orders_catalog_id(PRODUCT, external_id))
            )
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.NOT_FOUND
        else:
            raise AssertionError(f"{external_id} was applied")


async def test_a_zip_bomb_is_refused_before_it_is_unpacked(system: Exchange) -> None:
    key = await _partner(system, "catalog:import", "jobs:read")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
        zipped.writestr("import.xml", b"<" + b" " * (64 * 2**20) + b"/>")
    sent = await system.http.post(
        "/v1/imports", params={"filename": "bomb.zip"}, content=bomb.getvalue(), headers=bearer(key)
    )
    assert sent.status_code == 422, sent.text
    assert (sent.json()["code"], sent.json()["field"]) == ("file-refused", "zip-bomb")
    listed = await system.http.get("/v1/imports", headers=bearer(key))
    assert listed.json()["imports"] == []


# ------------------------------------------------------------------ Fieldline's own format
async def test_an_own_format_file_reaches_settlements(system: Exchange, tmp_path: Path) -> None:
    assert system.services is not None
    api = system.services.api
    partner_id, _ = await system.partner("ERP", f"erp-{uuid.uuid4().hex[:8]}")
    key = await system.key(partner_id, "own:import", "jobs:read")
    client = _ids("cl", 1)[0]
    invoice = _ids("inv", 1)[0]
    records = [
        own.Invoice(
            invoice,
            "СЧ-1",
            client,
            date(2026, 12, 1),
            date(2026, 12, 15),
            Decimal("700.00"),
            Decimal("700.00"),
            "RUB",
        ),
        own.CreditLimit(client, Decimal("5000.00"), "RUB"),
        own.TareBalance(client, "keg-50", 3, Decimal("4500.00"), "RUB"),
        own.TareBalance(client, "crate-20", 10, Decimal("1000.00"), "RUB"),
        own.TareBalance(client, "keg-50", 2, Decimal("3000.00"), "RUB", outlet_id="SHOP-2"),
    ]
    path = tmp_path / "debts.xml"
    own_format.write(records, path, partner=partner_id, created=datetime.now(UTC))
    job = await _import(system, key, "debts.xml", path.read_bytes())
    done = await _finished(system, key, job["importId"])
    assert done["state"] == "done", done
    assert (done["kind"], done["counts"]["invoices"], done["counts"]["tare_balances"]) == (
        "fieldline",
        1,
        3,
    )
    assert done["recordsApplied"] == 5
    report = await system.http.get(f"/v1/imports/{job['importId']}/report", headers=bearer(key))
    assert report.json()["lines"] == []
    balance = await api.settlements.GetBalance(ss.GetBalanceRequest(client_id=client_id(client)))
    assert (balance.balance.balance.units, balance.balance.credit_limit.units) == (700, 5000)

    # The tare rows are the ERP's count: the client's and its outlet's kegs added up.
    async def tare() -> dict[str, str]:
        got = await api.settlements.GetTareBalance(
            ss.GetTareBalanceRequest(client_id=client_id(client))
        )
        return {b.container_type: b.balance for b in got.balances}

    assert await tare() == {"keg-50": "5", "crate-20": "10"}
    # A later count (another file: the outlet's 2 kegs only): the balance brought to it, once.
    later = tmp_path / "count.xml"
    own_format.write(records[4:], later, partner=partner_id, created=datetime.now(UTC))
    for _ in range(2):
        job = await _import(system, key, "count.xml", later.read_bytes())
        done = await _finished(system, key, job["importId"])
        assert (done["state"], done["recordsApplied"]) == ("done", 1), done
    assert await tare() == {"keg-50": "2", "crate-20": "10"}

    # Another partner's file, and an invalid one: refused, nothing applied.
    path = tmp_path / "other.xml"
    own_format.write(records[:1], path, partner="someone-else", created=datetime.now(UTC))
    job = await _import(system, key, "other.xml", path.read_bytes())
    done = await _finished(system, key, job["importId"])
    assert (done["state"], done["refusal"]["code"]) == ("refused", "not-the-partners")
    broken = path.read_bytes().replace(b"700.00", b"7e2", 1)
    job = await _import(system, key, "broken.xml", broken)
    done = await _finished(system, key, job["importId"])
    assert (done["state"], done["refusal"]["code"]) == ("refused", "schema-invalid"), done
    assert done["refusal"]["line"]


async def test_own_format_staff_and_their_routes_reach_clients(
    system: Exchange, tmp_path: Path
) -> None:
    """Employees upserted by their ERP ids (a supervisor named by its ERP id), and who works a
    route from which day: the route's agent is the period's in force today; a period of a
    route Fieldline does not know is reported, the rest applies."""
    assert system.services is not None
    api = system.services.api
    partner_id, _ = await system.partner("ERP", f"erp-{uuid.uuid4().hex[:8]}")
    key = await system.key(partner_id, "own:import", "jobs:read")
    boss, agent, ghost_route = _ids("emp", 2) + _ids("route", 1)
    route = _ids("route", 1)[0]
    first_agent = await api.employee(cpb.ROLE_AGENT, "Первый Агент")
    await api.territory.CreateRoute(
        cts.CreateRouteRequest(
            request_id=str(uuid.uuid4()),
            route=cpb.Route(
                id=route_id(route), name="Север-3", agent_id=first_agent.subject, external_id=route
            ),
        )
    )
    today = date.today()
    records = [
        own.Employee(boss, "Ольга Миронова", (own.Role.SUPERVISOR,), True, "+79031112233"),
        own.Employee(agent, "Иван Петров", (own.Role.AGENT, own.Role.VAN_SELLER), True, None, boss),
        own.RouteAssignment(route, agent, today - timedelta(days=1)),
        own.RouteAssignment(ghost_route, agent, today),
    ]
    path = tmp_path / "staff.xml"
    own_format.write(records, path, partner=partner_id, created=datetime.now(UTC))
    done = await _finished(
        system, key, (await _import(system, key, "staff.xml", path.read_bytes()))["importId"]
    )
    assert done["state"] == "done", done
    assert (done["counts"]["employees"], done["counts"]["route_assignments"]) == (2, 2)
    assert done["recordsApplied"] == 3
    report = await system.http.get(f"/v1/imports/{done['importId']}/report", headers=bearer(key))
    [line] = report.json()["lines"]
    assert (line["externalId"], line["reason"]) == (ghost_route, "refused-by-service")
    made = await api.territory.GetEmployee(cts.GetEmployeeRequest(employee_id=employee_id(agent)))
    assert (made.employee.full_name, made.employee.external_id) == ("Иван Петров", agent)
    assert made.employee.supervisor_id == employee_id(boss)
    assert set(made.employee.roles) == {cpb.ROLE_AGENT, cpb.ROLE_VAN_SELLER}
    worked = await api.territory.GetRoute(cts.GetRouteRequest(route_id=route_id(route)))
    assert worked.route.agent_id == employee_id(agent)


async def test_own_format_telesellers_work_their_call_lists(
    system: Exchange, tmp_path: Path
) -> None:
    """1.1: a teleseller imported by its ERP id, and a period of a PHONE route (made in
    Fieldline: the file names no route kind) naming it — the route's agent from today; a
    period naming an agent for the same call list is clients' refusal, a report line."""
    assert system.services is not None
    api = system.services.api
    partner_id, _ = await system.partner("ERP", f"erp-{uuid.uuid4().hex[:8]}")
    key = await system.key(partner_id, "own:import", "jobs:read")
    caller, agent, calls = _ids("emp", 2) + _ids("calls", 1)
    first = await api.employee(cpb.ROLE_TELESELLER, "Первая Операторша")
    await api.territory.CreateRoute(
        cts.CreateRouteRequest(
            request_id=str(uuid.uuid4()),
            route=cpb.Route(
                id=route_id(calls),
                name="Обзвон-1",
                agent_id=first.subject,
                external_id=calls,
                kind=cpb.ROUTE_KIND_PHONE,
            ),
        )
    )
    today = date.today()
    records = [
        own.Employee(caller, "Анна Звонарёва", (own.Role.TELESELLER,), True),
        own.Employee(agent, "Пётр Полевой", (own.Role.AGENT,), True),
        own.RouteAssignment(calls, caller, today - timedelta(days=1), today + timedelta(days=9)),
        own.RouteAssignment(calls, agent, today + timedelta(days=10)),
    ]
    path = tmp_path / "telesales.xml"
    own_format.write(records, path, partner=partner_id, created=datetime.now(UTC))
    assert own_format.read_header(path).version == "1.1"
    done = await _finished(
        system, key, (await _import(system, key, "telesales.xml", path.read_bytes()))["importId"]
    )
    assert done["state"] == "done", done
    assert done["recordsApplied"] == 3
    report = await system.http.get(f"/v1/imports/{done['importId']}/report", headers=bearer(key))
    [line] = report.json()["lines"]
    assert (line["externalId"], line["reason"]) == (calls, "refused-by-service")
    assert "does not hold ROLE_TELESELLER, which a PHONE route needs" in line["detail"]
    made = await api.territory.GetEmployee(cts.GetEmployeeRequest(employee_id=employee_id(caller)))
    assert list(made.employee.roles) == [cpb.ROLE_TELESELLER]
    worked = await api.territory.GetRoute(cts.GetRouteRequest(route_id=route_id(calls)))
    assert (worked.route.agent_id, worked.route.kind) == (employee_id(caller), cpb.ROUTE_KIND_PHONE)


def _tare_document(
    doc: str, client: str, *lines: tuple[str, own.TareDirection, int], on: date, **more: Any
) -> own.TareDocument:
    return own.TareDocument(
        doc, on, client, tuple(own.TareLine(c, d, q) for c, d, q in lines), **more
    )


async def test_own_format_tare_documents_move_containers_once(
    system: Exchange, tmp_path: Path
) -> None:
    """1.1: the ERP's tare documents become settlements' movements (RecordTareDocuments, kind
    ERP_DOCUMENT); a document settlements refuses is a report line and the rest applies (more
    refused in one batch than settlements names in one answer: each still reported); the same
    documents again, in the same file or another, move nothing; a document changed under its
    id is reported and moves nothing; a file saying 1.0 may not hold tare documents."""
    assert system.services is not None
    api = system.services.api
    partner_id, _ = await system.partner("ERP", f"erp-{uuid.uuid4().hex[:8]}")
    key = await system.key(partner_id, "own:import", "jobs:read")
    client = _ids("cl", 1)[0]
    tag = uuid.uuid4().hex[:8]
    issued, returned = own.TareDirection.ISSUED, own.TareDirection.RETURNED
    day = date(2026, 12, 5)
    good = [
        _tare_document(
            f"TN-{tag}-1",
            client,
            ("keg-50", issued, 4),
            ("keg-50", returned, 1),
            on=day,
            outlet_id="SHOP-1",  # not a Fieldline id: left out
            order_id=str(uuid.uuid4()),  # carried, not applied
        ),
        _tare_document(f"TN-{tag}-2", client, ("crate-20", issued, 5), on=day),
    ]
    # Keys settlements does not take as a document's (a space inside): each refused.
    bad = [
        _tare_document(f"ТН {tag} {n}", client, ("keg-50", issued, 1), on=day) for n in range(20)
    ]
    records: list[own.OwnRecord] = [bad[0], good[0], *bad[1:], good[1]]
    path = tmp_path / "tare.xml"
    own_format.write(records, path, partner=partner_id, created=datetime.now(UTC))

    async def imported(content: bytes, name: str = "tare.xml") -> tuple[dict[str, Any], list[Any]]:
        done = await _finished(system, key, (await _import(system, key, name, content))["importId"])
        assert done["state"] == "done", done
        report = await system.http.get(
            f"/v1/imports/{done['importId']}/report", headers=bearer(key)
        )
        return done, report.json()["lines"]

    done, lines = await imported(path.read_bytes())
    assert done["counts"]["tare_documents"] == 22
    assert done["recordsApplied"] == 2
    assert sorted(line["externalId"] for line in lines) == sorted(d.external_id for d in bad)
    assert {line["reason"] for line in lines} == {"refused-by-service"}
    assert all("document_id" in line["detail"] for line in lines)

    async def tare() -> dict[str, str]:
        got = await api.settlements.GetTareBalance(
            ss.GetTareBalanceRequest(client_id=client_id(client))
        )
        return {b.container_type: b.balance for b in got.balances}

    async def movements() -> list[tuple[str, str, int, str, str]]:
        got = await api.settlements.ListTareMovements(
            ss.ListTareMovementsRequest(client_id=client_id(client), page_size=100)
        )
        assert all(m.document_kind == spb.TARE_DOCUMENT_KIND_ERP_DOCUMENT for m in got.movements)
        assert all(not m.outlet_id for m in got.movements)
        return sorted(
            (m.document_id, m.container_type, m.direction, m.quantity, m.balance_after)
            for m in got.movements
        )

    assert await tare() == {"keg-50": "3", "crate-20": "5"}
    moved = await movements()
    assert moved == [
        (f"TN-{tag}-1", "keg-50", spb.TARE_DIRECTION_ISSUED, "4", "4"),
        (f"TN-{tag}-1", "keg-50", spb.TARE_DIRECTION_RETURNED, "1", "3"),
        (f"TN-{tag}-2", "crate-20", spb.TARE_DIRECTION_ISSUED, "5", "5"),
    ]

    # The same file: the same job. Another file repeating the good documents: nothing moves.
    again = await _import(system, key, "tare.xml", path.read_bytes())
    assert again["importId"] == done["importId"]
    repeat = tmp_path / "repeat.xml"
    own_format.write(good, repeat, partner=partner_id, created=datetime.now(UTC))
    done, lines = await imported(repeat.read_bytes(), "repeat.xml")
    assert (done["recordsApplied"], lines) == (2, [])
    assert await tare() == {"keg-50": "3", "crate-20": "5"}
    assert await movements() == moved

    # A document changed under its id: reported, nothing moved (the other applies: once).
    changed = replace(good[1], lines=(own.TareLine("crate-20", issued, 50),))
    third = tmp_path / "changed.xml"
    own_format.write([good[0], changed], third, partner=partner_id, created=datetime.now(UTC))
    done, lines = await imported(third.read_bytes(), "changed.xml")
    [line] = lines
    assert (done["recordsApplied"], line["externalId"]) == (1, changed.external_id)
    assert "already moved" in line["detail"]
    assert await tare() == {"keg-50": "3", "crate-20": "5"}
    assert await movements() == moved

    # Tare documents in a file that says 1.0: refused by the 1.0 schema, nothing applied.
    old = repeat.read_bytes().replace(b'version="1.1"', b'version="1.0"', 1)
    job = await _import(system, key, "old.xml", old)
    done = await _finished(system, key, job["importId"])
    assert (done["state"], done["refusal"]["code"]) == ("refused", "schema-invalid"), done
    assert "fieldline-exchange-1.0.xsd" in done["refusal"]["message"]


async def test_a_full_package_replaces_the_lists_and_a_changes_only_one_merges(
    system: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The import's id sets (the ids seen, the products known, the offers priced) past two ids
    # on disk: the same answers as in memory.
    monkeypatch.setattr(id_sets, "LIMIT", 2)
    key = await _partner(system, "catalog:import", "offers:import", "jobs:read")
    products = _ids("p", 3)
    price_type = _ids("pt", 1)[0]
    catalog = cml.catalog([("g-full", "G", [])], [(p, p, "g-full") for p in products])
    assert (
        await _finished(system, key, (await _import(system, key, "i.xml", catalog))["importId"])
    )["state"] == "done"

    async def prices() -> dict[str, int]:
        assert system.services is not None
        reply = await system.services.api.catalog.ListPriceListEntries(
            cs.ListPriceListEntriesRequest(
                price_list_id=orders_catalog_id(PRICE_LIST, price_type), page_size=100
            )
        )
        return {e.product_id: e.price.units for e in reply.entries}

    async def offers(rows: list[tuple[str, str]], changes_only: bool) -> None:
        content = cml.offers(
            [(price_type, "T")],
            [],
            [(p, p, [(price_type, amount)], []) for p, amount in rows],
            changes_only=changes_only,
        )
        job = await _import(system, key, "o.xml", content)
        done = await _finished(system, key, job["importId"])
        assert done["state"] == "done" and done["recordsApplied"] == len(rows) + 1, (
            done
        )  # + the type

    ids = [orders_catalog_id(PRODUCT, p) for p in products]
    await offers([(products[0], "1"), (products[1], "2"), (products[2], "3")], False)
    assert await prices() == {ids[0]: 1, ids[1]: 2, ids[2]: 3}
    await offers([(products[0], "10"), (products[1], "20")], False)  # the third not offered
    assert await prices() == {ids[0]: 10, ids[1]: 20}
    await offers([(products[2], "30")], True)  # changes only: the others stay
    assert await prices() == {ids[0]: 10, ids[1]: 20, ids[2]: 30}


# ------------------------------------------------------------------ the CLI
async def test_the_import_cli_sends_files_and_follows_them_to_their_end(
    system: Exchange, tmp_path: Path
) -> None:
    """`./fl exchange import`: the key from the environment, a progress bar on stderr, one
    JSON line a job; a refused file makes the exit status 1."""
    key = await _partner(system, "catalog:import", "offers:import", "jobs:read")
    products = _ids("p", 2)
    good = tmp_path / "import.xml"
    good.write_bytes(cml.catalog([("g-cli", "G", [])], [(p, p, "g-cli") for p in products]))
    bad = tmp_path / "offers.xml"
    ghost = (_ids("ghost", 1)[0], "x", [("pt-cli", "1")], [])
    bad.write_bytes(cml.offers([("pt-cli", "T")], [], [ghost]))

    async def run(*files: Path) -> tuple[int, list[dict[str, Any]], str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "fieldline_exchange.entrypoints.import_cli",
            "--url",
            str(system.http.base_url),
            "--every",
            "0.05",
            *map(str, files),
            env={**os.environ, "FIELDLINE_EXCHANGE_KEY": key},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        lines = [json.loads(line) for line in out.decode().splitlines()]
        return process.returncode or 0, lines, err.decode()

    status, [summary], _ = await run(good)
    assert status == 0, summary
    assert (summary["state"], summary["recordsApplied"], summary["reportLines"]) == ("done", 3, 0)
    status, [summary], _ = await run(bad)
    assert status == 1 and summary["state"] == "refused"
    assert summary["refusal"]["code"] == "unknown-reference"
    # Without a key, nothing is sent.
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fieldline_exchange.entrypoints.import_cli",
        str(good),
        env={k: v for k, v in os.environ.items() if k != "FIELDLINE_EXCHANGE_KEY"},
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    assert process.returncode == 2 and "FIELDLINE_EXCHANGE_KEY" in err.decode()


async def test_a_file_of_unknown_offers_is_counted_whole_with_few_kept(
    system: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check pass keeps the lines of at most MAX_WANTED unknown references (a hostile file
    cannot grow it), and still counts every one."""
    monkeypatch.setattr(commerceml_import, "MAX_WANTED", 1)
    key = await _partner(system, "offers:import", "jobs:read")
    ghosts = [(g, "x", [("pt-many", "1")], []) for g in _ids("ghost", 3)]
    job = await _import(system, key, "o.xml", cml.offers([("pt-many", "T")], [], ghosts))
    done = await _finished(system, key, job["importId"])
    assert (done["state"], done["refusal"]["code"]) == ("refused", "unknown-reference")
    assert done["refusal"]["message"].startswith("3 products are neither in the file nor known")
