"""The chart's dashboards and alerts query only metrics the running services really export.

The system runs as `./fl up` runs it (the local runner, separate processes, real NATS); a
little traffic makes the labelled series appear (a pre-sale order through the clients feed, a
visit with an audit and a visit plan, a van sale whose cash settlements books); then each
service's metrics port is scraped and parsed, and every metric name of every dashboard query
(panels and variables) and of every alert expression must be among the scraped samples.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from prometheus_client.parser import text_string_to_metric_families

from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.clients.v1 import territory_service_pb2 as cts
from fieldline.clients.v1 import visits_service_pb2 as cvs
from fieldline.clients.v1 import visits_service_pb2_grpc as cvs_grpc
from fieldline.orders.v1 import orders_service_pb2 as ords
from fieldline.orders.v1 import van_service_pb2 as van
from fieldline_dev.runner import LocalSystem
from fieldline_kit.auth.forward import BearerToken
from fieldline_kit.grpc.convert import pb_date, ts
from fieldline_kit.testing.helpers import eventually, new_id

from ..company import TODAY, questionnaire_request, rub, through_the_feed
from .test_sales import Company, submit

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "fieldline"
# A metric name in PromQL: the services' own all start so (histograms as _bucket, counters as
# _total: the sample names the exposition has).
METRIC = re.compile(r"\bfieldline_[a-z0-9_]+")


def metric_names(text: str) -> set[str]:
    return set(METRIC.findall(text))


def dashboard_queries() -> Iterator[tuple[str, str]]:
    """(where, query) of every dashboard's panel targets and query variables."""
    for path in sorted((CHART / "dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text())
        panels = list(dashboard["panels"])
        panels += [p for row in dashboard["panels"] for p in row.get("panels", [])]
        for panel in panels:
            for target in panel.get("targets", []):
                yield f"{path.name}: {panel['title']}", target["expr"]
        for var in dashboard["templating"]["list"]:
            if var["type"] == "query":
                yield f"{path.name}: ${var['name']}", var["query"]["query"]


def alert_expressions() -> Iterator[tuple[str, str]]:
    """(where, text) of the PrometheusRule template: its expressions name metrics literally."""
    yield "templates/monitoring.yaml", (CHART / "templates" / "monitoring.yaml").read_text()


def scrape(port: int) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Sample name → [(labels, value)] of one service's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples.setdefault(s.name, []).append((s.labels, s.value))
    return samples


def total(
    samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str
) -> float:
    return sum(v for lbl, v in samples.get(name, []) if labels.items() <= lbl.items())


async def drive_traffic(system: LocalSystem) -> None:
    """A little of everything the dashboards show, so labelled series exist."""
    company = Company(system)
    try:
        agent = await company.employee(cpb.ROLE_AGENT, "Агентов Агент")
        route_id = await company.route_of(agent)
        product_id, price_type_id = await company.catalog_with_beer()
        client_id, outlet = await company.client_with_outlet(901)
        await company.assign(route_id, outlet.id)
        await company.known_to_orders(client_id, price_type_id)
        # A pre-sale order, once the outlet reached orders through the clients feed.
        await submit(company, agent, new_id(), client_id, outlet.id, product_id)

        # Field work at the outlet: the agent's visit with an audit, and its visit plan.
        clients_as_agent = grpc.aio.insecure_channel(
            system.running["clients"].target,
            interceptors=[BearerToken(system.token_source(agent))],
        )
        company.channels["clients as agent"] = clients_as_agent
        visits = cvs_grpc.VisitsServiceStub(clients_as_agent)
        questionnaire = (
            await company.visits.CreateQuestionnaire(questionnaire_request())
        ).questionnaire
        visit_id, now = new_id(), datetime.now(UTC)
        await visits.CheckIn(
            cvs.CheckInRequest(
                request_id=new_id(), visit_id=visit_id, outlet_id=outlet.id, time=ts(now)
            )
        )
        await visits.SubmitAudit(
            cvs.SubmitAuditRequest(
                request_id=new_id(),
                audit=cpb.Audit(
                    id=new_id(),
                    visit_id=visit_id,
                    questionnaire_id=questionnaire.id,
                    answers=[cpb.Answer(question_id="facings", number="3")],
                ),
            )
        )
        await visits.CheckOut(
            cvs.CheckOutRequest(
                request_id=new_id(),
                visit_id=visit_id,
                time=ts(now + timedelta(minutes=10)),
                outcome=cpb.VISIT_OUTCOME_ORDER_TAKEN,
            )
        )
        await company.territory.GetVisitPlan(
            cts.GetVisitPlanRequest(agent_id=agent.subject, date=pb_date(TODAY))
        )

        # A van sale: its cash reaches settlements through orders' events.
        seller = await company.employee(cpb.ROLE_VAN_SELLER, "Продавцов Продавец")
        await company.assign(await company.route_of(seller), outlet.id)
        van_id = await company.loaded_van(seller, product_id, 1, unit="crate")
        sale = van.CompleteVanSaleRequest(
            request_id=new_id(),
            sale_id=new_id(),
            van_id=van_id,
            client_id=client_id,
            outlet_id=outlet.id,
            date=pb_date(TODAY),
            lines=[ords.OrderLineInput(product_id=product_id, unit="pcs", quantity="2")],
            cash_collected=rub("160"),
        )
        await through_the_feed(lambda: company.orders_as(seller).vans.CompleteVanSale(sale))
    finally:
        await company.close()


async def test_every_dashboard_and_alert_metric_is_exported(system: LocalSystem) -> None:
    await drive_traffic(system)
    ports = {name: svc.metrics_port for name, svc in system.running.items()}

    async def cash_booked() -> bool:  # settlements' consumer booked the van sale's cash
        return total(scrape(ports["settlements"]), "fieldline_settlements_payments_total") >= 1

    await eventually(cash_booked, within=30)
    scraped = {name: scrape(port) for name, port in ports.items()}
    exported = {sample for samples in scraped.values() for sample in samples}

    wanted: dict[str, set[str]] = {}
    for where, text in [*dashboard_queries(), *alert_expressions()]:
        names = metric_names(text)
        assert names or "fieldline_" not in text, f"{where}: no metric name found in {text!r}"
        for name in names:
            wanted.setdefault(name, set()).add(where)
    missing = {name: sorted(where) for name, where in wanted.items() if name not in exported}
    assert not missing, f"queried but not exported by any service: {missing}"
    # Every part of the dashboards is there: RPCs, outbox, consumers, database, business.
    assert len(wanted) >= 20, sorted(wanted)

    # What the traffic did shows in the business figures, counted where it committed.
    orders, clients = scraped["orders"], scraped["clients"]
    assert total(orders, "fieldline_orders_submitted_total", kind="pre_sale") >= 1
    assert total(orders, "fieldline_orders_submitted_total", kind="van_sale") >= 1
    assert total(clients, "fieldline_clients_visits_total", event="started") >= 1
    assert total(clients, "fieldline_clients_visits_total", event="completed") >= 1
    assert total(clients, "fieldline_clients_audits_total") >= 1
    assert total(scraped["settlements"], "fieldline_settlements_payments_total", kind="cash") >= 1
    for name, samples in scraped.items():
        assert total(samples, "fieldline_db_reachable") == 1, name
        assert total(samples, "fieldline_db_pool_max_connections") > 0, name
        if not system.running[name].http_port:  # the gateway serves HTTP, no gRPC
            assert "fieldline_grpc_server_in_flight_rpcs" in samples, name
    assert total(orders, "fieldline_consumer_pending_messages") == 0  # caught up
