"""The Helm chart check (fieldline_dev.chart) and chart behaviour it cannot see on its own.

Tests marked `chart` need the helm binary, fetched into .tools/helm on first use.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from fieldline_dev import chart

ROOT = Path(__file__).resolve().parents[4]
CHART = ROOT / chart.CHART_DIR


def _by(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} rendered"
    return matches[0]


@pytest.mark.chart
def test_chart_check_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code = chart.check_chart(ROOT)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "SKIP ServiceMonitor/" in out  # the CRD skip is explicit, never silent
    assert "chart check: passed" in out


def test_every_service_has_a_three_line_template() -> None:
    services = yaml.safe_load((CHART / "values.yaml").read_text())["services"]
    for name, block in services.items():
        tpl = CHART / "templates" / f"{name}.yaml"
        assert tpl.is_file(), f"services.{name} has no {tpl.name}"
        assert len(tpl.read_text().splitlines()) == 3
        assert block["kind"] in ("grpc", "http")
    # What is enabled by default is exactly what is built: a package under services/.
    built = sorted(p.parent.name for p in (CHART.parents[2] / "services").glob("*/pyproject.toml"))
    assert sorted(n for n, b in services.items() if b["enabled"]) == built


def test_values_documentation_check(tmp_path: Path) -> None:
    assert chart.check_values_documented(CHART / "values.yaml") == []
    values = tmp_path / "values.yaml"
    values.write_text("## @param a.b documented\na:\n  b: 1\n  c: {}\nd:\n  e: x\n")
    assert chart.check_values_documented(values) == ["a.c", "d.e"]


def test_strict_validation_rejects_unknown_fields_and_unlisted_kinds() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "x", "image": "x", "bogus": 1}]},
            },
        },
    }
    good = copy.deepcopy(deployment)
    del good["spec"]["template"]["spec"]["containers"][0]["bogus"]
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    monitor = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {}}
    result = chart.RenderResult("t", [deployment, good, widget, monitor])
    chart.validate_manifests(result, ["1.30"])
    assert result.validated == 1
    assert result.skipped == ["ServiceMonitor/?"]
    assert any("bogus" in f for f in result.failures)
    assert any("Widget" in f and "not an allowed custom resource" in f for f in result.failures)


def test_policies_catch_replicas_under_hpa() -> None:
    deployment = {
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app.kubernetes.io/component": "d"}},
            "template": {"metadata": {"labels": {}}, "spec": {"containers": []}},
        },
    }
    hpa = {
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "d"},
        "spec": {"scaleTargetRef": {"name": "d"}},
    }
    problems = chart.check_policies([deployment, hpa])
    assert any("replicas must be omitted" in p for p in problems)
    assert any("selector must be exactly" in p for p in problems)
    assert any("automountServiceAccountToken" in p for p in problems)


@pytest.mark.chart
def test_default_render() -> None:
    docs = chart.render(ROOT)
    dep = _by(docs, "Deployment", "fieldline-clients")
    pod = dep["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["python", "-m", "fieldline_clients", "serve"]
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {
        "grpc": 50051,
        "http-metrics": 9464,
    }
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"] == {"port": 50051}
    assert pod["terminationGracePeriodSeconds"] == 30
    assert container["env"] == [
        {
            "name": "CLIENTS_DATABASE_URL",
            "valueFrom": {"secretKeyRef": {"name": "fieldline-clients-db", "key": "DATABASE_URL"}},
        }
    ]
    config = _by(docs, "ConfigMap", "fieldline-clients")["data"]
    assert config == {
        "CLIENTS_GRPC_PORT": "50051",
        "CLIENTS_LOG_LEVEL": "info",
        "CLIENTS_METRICS_PORT": "9464",
        "CLIENTS_NATS_URL": "nats://nats.nats.svc.cluster.local:4222",
    }
    assert not [d for d in docs if d["kind"] == "Secret"]  # no default password, no Secret
    migrate = _by(docs, "Job", "fieldline-clients-migrate")
    assert migrate["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    job_pod = migrate["spec"]["template"]["spec"]
    assert job_pod["containers"][0]["command"][-1] == "migrate"
    # hooks run before the release's ServiceAccounts/ConfigMaps exist on first install
    assert job_pod["serviceAccountName"] == "fieldline-hooks"
    assert "envFrom" not in job_pod["containers"][0]
    topology = _by(docs, "Job", "fieldline-nats-topology")["spec"]["template"]["spec"]
    assert topology["containers"][0]["command"] == [
        "python",
        "-m",
        "fieldline_kit.messaging.topology",
        "apply",
    ]
    assert topology["containers"][0]["env"][0]["name"] == "FIELDLINE_NATS_URL"


@pytest.mark.chart
def test_database_url_value_creates_secrets_and_rolls_pods() -> None:
    def checksum(url: str) -> str:
        docs = chart.render(ROOT, ["--set", f"services.clients.database.url={url}"])
        _by(docs, "Secret", "fieldline-clients-db")
        hook_secret = _by(docs, "Secret", "fieldline-clients-migrate")
        assert hook_secret["metadata"]["annotations"]["helm.sh/hook-weight"] == "-20"
        dep = _by(docs, "Deployment", "fieldline-clients")
        annotations: dict[str, str] = dep["spec"]["template"]["metadata"]["annotations"]
        return annotations["checksum/config"]

    assert checksum("postgresql://a@db/a") != checksum("postgresql://b@db/b")


@pytest.mark.chart
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "--set",
                "services.clients.database.url=postgresql://db/x",
                "--set",
                "services.clients.database.existingSecret=x",
            ],
            "either url or existingSecret",
        ),
        (["--set", "services.billing.enabled=true,services.billing.kind=grpc"], "billing"),
        (["--set", "services.clients.kind=soap"], "kind"),
        (["--set", "defaults.replicaCount=two"], "replicaCount"),
    ],
)
def test_invalid_values_fail(args: list[str], message: str) -> None:
    with pytest.raises(chart.ChartCheckError, match=message):
        chart.render(ROOT, args)


@pytest.mark.chart
def test_long_names_stay_valid_and_distinct() -> None:
    docs = chart.render(ROOT, ["--set", "fullnameOverride=" + "f" * 63])
    assert not chart.check_policies(docs)
    keys = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert len(keys) == len(set(keys))
    _by(docs, "Deployment", "f" * 55 + "-clients")
    _by(docs, "Job", "f" * 47 + "-clients-migrate")
    _by(docs, "ServiceAccount", "f" * 57 + "-hooks")
