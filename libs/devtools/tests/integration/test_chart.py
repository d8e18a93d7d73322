"""The Helm chart check (fieldline_dev.chart) and chart behaviour it cannot see on its own.

Tests marked `chart` need the helm binary, fetched into .tools/helm on first use. Auth is
required, so every render gives at least ci/default-values.yaml (the least an install needs).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from fieldline_dev import chart
from fieldline_dev.services import SERVICES

ROOT = Path(__file__).resolve().parents[4]
CHART = ROOT / chart.CHART_DIR
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
REQUIRED = ["--values", str(CHART / "ci" / "default-values.yaml")]

IDP = "https://idp.example.com/realms/fieldline"
IDP_JWKS = f"{IDP}/protocol/openid-connect/certs"
# What every service the device gateway calls (clients, orders, settlements) trusts of it: its
# service key and its device-token keys, each bound to its own issuer.
GATEWAY_JWKS = (
    "/etc/fieldline/auth/services/device-gateway/jwks.json#iss=fieldline-gateway-service,"
    "/etc/fieldline/auth/device-tokens/device-gateway/jwks.json#iss=fieldline-gateway"
)
GATEWAY_ISSUERS = "fieldline-gateway-service,fieldline-gateway"
# ... and of the exchange: its partner-token keys, bound to its issuer (callers in name order).
EXCHANGE_JWKS = "/etc/fieldline/auth/partner-tokens/exchange/jwks.json#iss=fieldline-exchange"
CALLERS_JWKS = f"{GATEWAY_JWKS},{EXCHANGE_JWKS}"
CALLERS_ISSUERS = f"{GATEWAY_ISSUERS},fieldline-exchange"


def _by(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} rendered"
    return matches[0]


def _render(*args: str) -> list[dict[str, Any]]:
    """`helm template` with the required values (ci/default-values.yaml) and `args`."""
    return chart.render(ROOT, [*REQUIRED, *args])


def _config(docs: list[dict[str, Any]], service: str) -> dict[str, str]:
    data: dict[str, str] = _by(docs, "ConfigMap", f"fieldline-{service}")["data"]
    return data


def _pod(docs: list[dict[str, Any]], service: str) -> dict[str, Any]:
    pod: dict[str, Any] = _by(docs, "Deployment", f"fieldline-{service}")["spec"]["template"][
        "spec"
    ]
    return pod


def _health_check(service: str, timeout: str, port: int = 50051) -> list[str]:
    """The exec probe's command of a gRPC service with TLS."""
    return [
        "python",
        "-m",
        "fieldline_kit.grpc.health_check",
        "--prefix",
        service.upper().replace("-", "_"),
        "--port",
        str(port),
        "--authority",
        f"fieldline-{service}",
        "--timeout",
        timeout,
    ]


def _secret_volumes(pod: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Secret volumes of a pod: name -> {secretName, items: {key: path}, defaultMode, mountPath}."""
    mounts = {m["name"]: m for m in pod["containers"][0]["volumeMounts"]}
    out = {}
    for v in pod["volumes"]:
        if "secret" not in v:
            continue
        mount = mounts[v["name"]]
        assert mount["readOnly"] is True, v["name"]
        assert "subPath" not in mount  # a subPath mount never sees a rotated Secret
        out[v["name"]] = {
            "secretName": v["secret"]["secretName"],
            "items": {i["key"]: i["path"] for i in v["secret"]["items"]},
            "defaultMode": v["secret"]["defaultMode"],
            "mountPath": mount["mountPath"],
        }
    return out


def _assert_valid(docs: list[dict[str, Any]]) -> None:
    result = chart.RenderResult("test", docs)
    chart.validate_manifests(result, chart._versions())
    assert result.failures == []
    assert chart.check_policies(docs) == []


def _assert_paths_mounted(docs: list[dict[str, Any]], service: str) -> None:
    """Every file the service's env names is an item of one of its Secret volumes."""
    files = {
        f"{v['mountPath']}/{path}"
        for v in _secret_volumes(_pod(docs, service)).values()
        for path in v["items"].values()
    }
    named = {
        loc.partition("#iss=")[0]  # a JWKS file bound to its issuer
        for value in _config(docs, service).values()
        for loc in value.split(",")
        if loc.startswith("/etc/fieldline/")
    }
    assert named <= files, named - files


def _assert_settings_pass(env: dict[str, str], module: str) -> None:
    """The service's settings from `env` pass its own start-up checks (in a process of its
    own: the settings are read from the environment)."""
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from {module}.entrypoints.main import SPEC; SPEC.settings_from_env()",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr


@pytest.mark.chart
def test_chart_check_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code = chart.check_chart(ROOT)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "SKIP ServiceMonitor/" in out  # the CRD skip is explicit, never silent
    assert "SKIP PrometheusRule/" in out  # … and the rules are checked by promtool instead
    assert "promtool check rules: 12 rules" in out
    assert "promtool test rules ci/alerts-test.yaml: passed" in out
    assert "5 dashboards:" in out and "valid PromQL" in out
    assert "chart check: passed" in out


def test_every_service_has_a_three_line_template() -> None:
    services = yaml.safe_load((CHART / "values.yaml").read_text())["services"]
    for name, block in services.items():
        tpl = CHART / "templates" / f"{name}.yaml"
        assert tpl.is_file(), f"services.{name} has no {tpl.name}"
        assert len(tpl.read_text().splitlines()) == 3
        assert block["kind"] in ("grpc", "http")
    # What is enabled by default is exactly what is built: a package under services/, but for
    # a service built before its part of the chart (ServiceDef.in_chart), which stays disabled.
    built = {p.parent.name for p in (CHART.parents[2] / "services").glob("*/pyproject.toml")}
    not_yet = {d.name for d in SERVICES if not d.in_chart}
    assert not_yet <= built
    assert sorted(n for n, b in services.items() if b["enabled"]) == sorted(built - not_yet)


@pytest.mark.chart
@pytest.mark.parametrize("values", CI_VALUES, ids=[p.name for p in CI_VALUES])
def test_ci_values_lint_render_and_validate(values: Path) -> None:
    """What the chart check does, with each ci/*-values.yaml: lint --strict, render,
    strict kubernetes-validate for every supported version, chart policies."""
    assert values.name in {"default-values.yaml", "opt-ins-values.yaml"}
    lint = chart.run_helm(ROOT, ["lint", "--strict", str(CHART), "--values", str(values)])
    assert lint.returncode == 0, lint.stdout + lint.stderr
    docs = chart.render(ROOT, ["--values", str(values)])
    assert [d for d in docs if d["kind"] == "Deployment"]
    _assert_valid(docs)


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
    docs = _render()
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
        "CLIENTS_AUTH_AUDIENCE": "fieldline",
        "CLIENTS_AUTH_ISSUERS": f"{IDP},{CALLERS_ISSUERS}",
        "CLIENTS_AUTH_JWKS": f"{IDP_JWKS},{CALLERS_JWKS}",
        "CLIENTS_GRPC_PORT": "50051",
        "CLIENTS_LOG_LEVEL": "info",
        "CLIENTS_METRICS_PORT": "9464",
        "CLIENTS_NATS_URL": "nats://nats.nats.svc.cluster.local:4222",
    }
    # the provider's keys from its URL; the gateway's and the exchange's public JWKS from
    # their Secrets
    assert [v["name"] for v in pod["volumes"]] == [
        "tmp",
        "auth-service-jwks-device-gateway",
        "auth-device-jwks-device-gateway",
        "auth-partner-jwks-exchange",
    ]
    assert not [d for d in docs if d["kind"] == "Secret"]  # no default password, no Secret
    migrate = _by(docs, "Job", "fieldline-clients-migrate")
    assert migrate["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    job_pod = migrate["spec"]["template"]["spec"]
    assert job_pod["containers"][0]["command"][-1] == "migrate"
    # hooks run before the release's ServiceAccounts/ConfigMaps exist on first install
    assert job_pod["serviceAccountName"] == "fieldline-hooks"
    assert "envFrom" not in job_pod["containers"][0]
    # `migrate` reads only the DSN: no identity settings, no Secret volume in a hook
    assert not [e for e in job_pod["containers"][0]["env"] if "_AUTH_" in e["name"]]
    assert [v["name"] for v in job_pod["volumes"]] == ["tmp"]
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
        docs = _render("--set", f"services.clients.database.url={url}")
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
        _render(*args)


@pytest.mark.chart
def test_long_names_stay_valid_and_distinct() -> None:
    docs = _render("--set", "fullnameOverride=" + "f" * 63)
    assert not chart.check_policies(docs)
    keys = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert len(keys) == len(set(keys))
    _by(docs, "Deployment", "f" * 55 + "-clients")
    _by(docs, "Job", "f" * 47 + "-clients-migrate")
    _by(docs, "ServiceAccount", "f" * 57 + "-hooks")
    _by(docs, "Service", "f" * 46 + "-clients-headless")


# --------------------------------------------------------------------------- identity and TLS


@pytest.mark.chart
def test_render_without_auth_fails_naming_the_missing_values() -> None:
    with pytest.raises(chart.ChartCheckError) as failed:
        chart.render(ROOT)
    message = str(failed.value)
    for missing in (
        "/auth/jwks/urls",
        "/auth/jwks/existingSecret",
        "/auth/issuers",
        "/services/orders/serviceTokens/existingSecret",
        "/services/orders/serviceTokens/jwks/existingSecret",
        "/services/device-gateway/serviceTokens/existingSecret",
        "/services/device-gateway/serviceTokens/jwks/existingSecret",
        "/services/device-gateway/deviceTokens/existingSecret",
        "/services/device-gateway/deviceTokens/jwks/existingSecret",
    ):
        assert missing in message, message
    # Orders and the gateway disabled: their keys are not asked for, the token-key source
    # still is.
    with pytest.raises(chart.ChartCheckError) as failed:
        chart.render(
            ROOT,
            ["--set", "services.orders.enabled=false,services.device-gateway.enabled=false"],
        )
    assert "/auth/jwks/urls" in str(failed.value)
    assert "serviceTokens" not in str(failed.value)
    assert "deviceTokens" not in str(failed.value)


@pytest.mark.chart
@pytest.mark.parametrize(
    ("args", "message"),
    [
        # an override that empties one service's keys: the template names what is missing
        (
            ["--set-json", 'services.clients.auth={"jwks": {"urls": []}, "issuers": []}'],
            r"services\.clients: auth is required .* missing a token-key source: "
            r"auth\.jwks\.urls .* auth\.issuers",
        ),
        (
            ["--set", "auth.jwks.existingSecret=jwks", "--set-json", "auth.jwks.files=[]"],
            r"auth\.jwks\.files",
        ),
        (["--set", "auth.jwks.urls[0]=http://idp/certs"], r"/auth/jwks/urls/0"),
        (["--set", "tls.enabled=true"], r"/tls/existingSecret"),
        (
            [
                "--set",
                "tls.enabled=true,tls.existingSecret=tls",
                "--set",
                "services.settlements.tls.enabled=false",
            ],
            r"services\.orders \(TLS on\) calls settlements \(TLS off\): a service serving "
            r"TLS never calls in plaintext",
        ),
        (
            [
                "--set",
                "tls.existingSecret=tls",
                "--set",
                "services.settlements.tls.enabled=true,services.settlements.tls.caKey=",
            ],
            r"services\.orders \(TLS off\) calls settlements \(TLS on\), whose tls\.caKey "
            r"is empty",
        ),
        (
            ["--set-json", 'defaults.serviceTokens={"issuer": "x"}'],
            r"services\.(\w+) signs its own service tokens and needs "
            r"services\.\1\.serviceTokens\.existingSecret",
        ),
    ],
)
def test_invalid_identity_values_fail(args: list[str], message: str) -> None:
    with pytest.raises(chart.ChartCheckError, match=message):
        _render(*args)


@pytest.mark.chart
def test_identity_env_and_mounts() -> None:
    docs = _render(
        "--set",
        "auth.jwks.existingSecret=fieldline-jwks",
        "--set-json",
        'auth.jwks.files=["services.json", "partners.json"]',
        "--set-json",
        f'auth.issuers=["{IDP}", "partner-hub"]',
        "--set",
        "auth.audience=fieldline-prod",
        "--set",
        "services.orders.serviceTokens.key=ed25519.pem",
    )
    files = "/etc/fieldline/auth/jwks/services.json,/etc/fieldline/auth/jwks/partners.json"
    jwks_volume = {
        "secretName": "fieldline-jwks",
        "items": {"services.json": "services.json", "partners.json": "partners.json"},
        "defaultMode": 0o444,
        "mountPath": "/etc/fieldline/auth/jwks",
    }
    for service in ("clients", "orders", "settlements"):
        prefix = service.upper()
        config = _config(docs, service)
        assert config[f"{prefix}_AUTH_AUDIENCE"] == "fieldline-prod"
        assert _secret_volumes(_pod(docs, service))["auth-jwks"] == jwks_volume
        _assert_paths_mounted(docs, service)
        assert not any("BEGIN" in v for v in config.values())  # never key material
        if service != "settlements":
            assert config[f"{prefix}_AUTH_JWKS"] == f"{IDP_JWKS},{files},{CALLERS_JWKS}"
            assert config[f"{prefix}_AUTH_ISSUERS"] == f"{IDP},partner-hub,{CALLERS_ISSUERS}"

    # Orders signs its service tokens with a key only its own pods mount.
    orders = _config(docs, "orders")
    assert orders["ORDERS_SERVICE_SIGNING_KEY"] == "/etc/fieldline/auth/service-key/signing-key.pem"
    assert orders["ORDERS_SERVICE_TOKEN_ISSUER"] == "fieldline-orders"
    assert _secret_volumes(_pod(docs, "orders"))["service-signing-key"] == {
        "secretName": "fieldline-orders-service-key",
        "items": {"ed25519.pem": "signing-key.pem"},
        "defaultMode": 0o440,
        "mountPath": "/etc/fieldline/auth/service-key",
    }
    # Settlements, which orders calls, trusts orders' issuer and public JWKS, never its key.
    settlements = _config(docs, "settlements")
    assert settlements["SETTLEMENTS_AUTH_JWKS"] == (
        f"{IDP_JWKS},{files},{CALLERS_JWKS},"
        "/etc/fieldline/auth/services/orders/jwks.json#iss=fieldline-orders"
    )
    assert settlements["SETTLEMENTS_AUTH_ISSUERS"] == (
        f"{IDP},partner-hub,{CALLERS_ISSUERS},fieldline-orders"
    )
    volumes = _secret_volumes(_pod(docs, "settlements"))
    assert volumes["auth-service-jwks-orders"] == {
        "secretName": "fieldline-orders-service-jwks",
        "items": {"jwks.json": "jwks.json"},
        "defaultMode": 0o444,
        "mountPath": "/etc/fieldline/auth/services/orders",
    }
    for service in ("clients", "settlements"):
        assert "service-signing-key" not in _secret_volumes(_pod(docs, service))
        assert not [k for k in _config(docs, service) if "SERVICE_SIGNING_KEY" in k]
    assert "auth-service-jwks-orders" not in _secret_volumes(_pod(docs, "clients"))
    assert "SETTLEMENTS_AUTH_ISSUERS" not in _config(docs, "clients")
    # The chart makes no Secret and no ConfigMap holds key material.
    assert not [d for d in docs if d["kind"] == "Secret"]
    # The OpenID provider's JWKS URL is reachable through the default-deny policy.
    egress = _by(docs, "NetworkPolicy", "fieldline-clients")["spec"]["egress"]
    assert {"ports": [{"port": 443, "protocol": "TCP"}]} in egress
    _assert_valid(docs)


@pytest.mark.chart
def test_issuer_change_rolls_the_pods() -> None:
    def checksum(issuer: str) -> str:
        docs = _render("--set", f"auth.issuers[0]={issuer}")
        annotations = _by(docs, "Deployment", "fieldline-clients")["spec"]["template"]["metadata"]
        return str(annotations["annotations"]["checksum/config"])

    assert checksum("https://a.example.com") != checksum("https://b.example.com")


@pytest.mark.chart
def test_jwks_from_a_secret_alone_and_egress_on_the_urls_port() -> None:
    docs = _render("--set-json", "auth.jwks.urls=[]", "--set", "auth.jwks.existingSecret=keys")
    assert _config(docs, "clients")["CLIENTS_AUTH_JWKS"] == (
        f"/etc/fieldline/auth/jwks/jwks.json,{CALLERS_JWKS}"
    )
    egress = _by(docs, "NetworkPolicy", "fieldline-clients")["spec"]["egress"]
    assert not [r for r in egress if {"port": 443, "protocol": "TCP"} in r.get("ports", [])]

    docs = _render(
        "--set-json",
        'auth.jwks.urls=["https://idp.example.com:8443/certs"]',
        "--set-json",
        'networkPolicy.jwks.to=[{"ipBlock": {"cidr": "10.40.0.0/16"}}]',
    )
    egress = _by(docs, "NetworkPolicy", "fieldline-settlements")["spec"]["egress"]
    assert {
        "ports": [{"port": 8443, "protocol": "TCP"}],
        "to": [{"ipBlock": {"cidr": "10.40.0.0/16"}}],
    } in egress


@pytest.mark.chart
def test_tls_mounts_the_certificate_sets_the_files_and_probes_over_tls() -> None:
    docs = _render(
        "--set",
        "tls.enabled=true,tls.existingSecret=fieldline-tls",
        "--set",
        "services.settlements.tls.existingSecret=settlements-tls",
        "--set",
        "services.settlements.tls.caKey=",
    )
    for service in ("clients", "orders", "settlements"):
        prefix = service.upper()
        config = _config(docs, service)
        assert config[f"{prefix}_TLS_CERT_FILE"] == "/etc/fieldline/tls/tls.crt"
        assert config[f"{prefix}_TLS_KEY_FILE"] == "/etc/fieldline/tls/tls.key"
        pod = _pod(docs, service)
        tls = _secret_volumes(pod)["tls"]
        assert tls["mountPath"] == "/etc/fieldline/tls"
        assert tls["defaultMode"] == 0o440
        if service == "settlements":  # its own certificate; it calls no one: no CA
            assert "SETTLEMENTS_TLS_CA_FILE" not in config
            assert tls["secretName"] == "settlements-tls"
            assert tls["items"] == {"tls.crt": "tls.crt", "tls.key": "tls.key"}
        else:
            assert config[f"{prefix}_TLS_CA_FILE"] == "/etc/fieldline/tls/ca.crt"
            assert tls["secretName"] == "fieldline-tls"
            assert tls["items"] == {"tls.crt": "tls.crt", "tls.key": "tls.key", "ca.crt": "ca.crt"}
        _assert_paths_mounted(docs, service)
        # The kubelet's grpc probe cannot speak TLS: the kit's health check over TLS instead,
        # for the name of the service's Service (settlements, without a CA file: the
        # system's roots, as its calls would).
        (container,) = pod["containers"]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert "grpc" not in container[probe]
            assert "tcpSocket" not in container[probe]
            assert container[probe]["exec"]["command"] == _health_check(service, "1")
    # The migration hook mounts no certificate and gets no TLS setting.
    job = _by(docs, "Job", "fieldline-orders-migrate")["spec"]["template"]["spec"]
    assert not [e for e in job["containers"][0]["env"] if "_TLS_" in e["name"]]
    _assert_valid(docs)

    # The HTTP gateway's port serves no TLS (it ends at the Ingress): plain httpGet probes,
    # and TLS is its calls', verified against the CA alone (no certificate, no key).
    gateway = _config(docs, "device-gateway")
    assert gateway["GATEWAY_TLS_CA_FILE"] == "/etc/fieldline/tls/ca.crt"
    assert not [k for k in gateway if k in ("GATEWAY_TLS_CERT_FILE", "GATEWAY_TLS_KEY_FILE")]
    pod = _pod(docs, "device-gateway")
    assert _secret_volumes(pod)["tls-ca"] == {
        "secretName": "fieldline-tls",
        "items": {"ca.crt": "ca.crt"},
        "defaultMode": 0o444,
        "mountPath": "/etc/fieldline/tls",
    }
    assert "tls" not in _secret_volumes(pod)
    for probe, path in (("startupProbe", "/livez"), ("readinessProbe", "/readyz")):
        assert pod["containers"][0][probe]["httpGet"] == {"path": path, "port": "http"}
    _assert_paths_mounted(docs, "device-gateway")


@pytest.mark.chart
def test_tls_callee_first_gives_the_caller_the_ca_only() -> None:
    """Turning TLS on in steps: settlements serves TLS while orders does not yet; orders then
    calls it over TLS with settlements' CA (and nothing else from its Secret). (Without the
    device gateway and the exchange, which call all three services and so need them alike.)"""
    docs = _render(
        "--set",
        "tls.existingSecret=fieldline-tls",
        "--set",
        "services.settlements.tls.enabled=true,services.device-gateway.enabled=false",
        "--set",
        "services.exchange.enabled=false",
    )
    orders = _config(docs, "orders")
    assert orders["ORDERS_TLS_CA_FILE"] == "/etc/fieldline/tls/ca.crt"
    assert "ORDERS_TLS_CERT_FILE" not in orders
    assert _secret_volumes(_pod(docs, "orders"))["tls-ca"] == {
        "secretName": "fieldline-tls",
        "items": {"ca.crt": "ca.crt"},
        "defaultMode": 0o444,
        "mountPath": "/etc/fieldline/tls",
    }
    assert _pod(docs, "orders")["containers"][0]["readinessProbe"]["grpc"] == {"port": 50051}
    settlements = _pod(docs, "settlements")["containers"][0]
    assert settlements["readinessProbe"]["exec"]["command"] == _health_check("settlements", "1")
    assert not [k for k in _config(docs, "clients") if "_TLS_" in k]  # calls no one
    _assert_valid(docs)


@pytest.mark.chart
def test_tls_probe_timeouts_leave_a_second_to_start_the_check() -> None:
    docs = _render(
        "--set",
        "tls.enabled=true,tls.existingSecret=t",
        "--set",
        "services.orders.probes.readiness.timeoutSeconds=5,services.orders.probes.liveness.timeoutSeconds=1",
        "--set",
        "services.orders.ports.grpc=50052",
    )
    orders = _pod(docs, "orders")["containers"][0]
    assert orders["startupProbe"]["exec"]["command"] == _health_check("orders", "1", 50052)
    assert orders["readinessProbe"]["exec"]["command"] == _health_check("orders", "4", 50052)
    assert orders["livenessProbe"]["exec"]["command"] == _health_check("orders", "0.5", 50052)
    assert orders["readinessProbe"]["timeoutSeconds"] == 5
    _assert_valid(docs)


@pytest.mark.chart
async def test_the_rendered_tls_probe_runs_the_health_check_against_a_tls_server(
    tmp_path: Path,
) -> None:
    """The exec probe's command and the environment the chart gives orders, run as the kubelet
    runs it, against a real kit server serving TLS with a certificate that names what helm.md
    says it must (the Service's names); the Secret's files are local files here."""
    from cryptography import x509

    from fieldline_kit.grpc import health_check, tls
    from fieldline_kit.grpc.server import create_server
    from fieldline_kit.settings import ServiceSettings
    from fieldline_kit.testing.pki import new_authority, new_server_cert

    docs = _render("--set", "tls.enabled=true,tls.existingSecret=fieldline-tls")
    command = _pod(docs, "orders")["containers"][0]["readinessProbe"]["exec"]["command"]
    ca = new_authority(tmp_path, "internal-ca")
    names = ("fieldline-orders", "fieldline-orders-headless", "fieldline-orders.fieldline.svc")
    cert, key = new_server_cert(tmp_path, ca, "orders", names=tuple(x509.DNSName(n) for n in names))
    files = {"tls.crt": cert, "tls.key": key, "ca.crt": ca.file}
    env = {
        name: str(files[value.rsplit("/", 1)[1]])
        if value.startswith("/etc/fieldline/tls/")
        else value
        for name, value in _config(docs, "orders").items()
    }
    settings = ServiceSettings(
        database_url="sqlite://",
        nats_url="nats://127.0.0.1:1",
        tls_cert_file=env["ORDERS_TLS_CERT_FILE"],
        tls_key_file=env["ORDERS_TLS_KEY_FILE"],
    )
    server = await create_server(
        "orders", "127.0.0.1", 0, lambda _s: [], credentials=tls.server_credentials(settings, "X")
    )
    await server.start()
    # 50051 may be taken here: the server's own port instead, the rest as rendered
    argv = [*command[command.index("--prefix") :]]
    argv[argv.index("--port") + 1] = str(server.port)
    env["ORDERS_GRPC_PORT"] = str(server.port)

    async def probe() -> int:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "fieldline_kit.grpc.health_check",
            *argv,
            env={**os.environ, **env},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        return await asyncio.wait_for(process.wait(), 30)

    try:
        assert command[:3] == ["python", "-m", "fieldline_kit.grpc.health_check"]
        assert await probe() == health_check.NOT_SERVING  # starting
        await server.mark_serving()
        assert await probe() == health_check.SERVING
        await server.mark_not_serving()  # draining
        assert await probe() == health_check.NOT_SERVING
    finally:
        await server.stop(0)
    assert await probe() == health_check.NO_ANSWER  # gone


# --------------------------------------------------------------------------- device gateway

# A claim attached to one node at a time (no ReadWriteMany).
GATEWAY_RWO_CLAIM = (
    "services.device-gateway.storage.persistentVolumeClaim="
    '{"enabled": true, "accessModes": ["ReadWriteOnce"]}'
)
INGRESS_NGINX = [
    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
]
BODY_SIZE = {"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}


@pytest.mark.chart
def test_device_gateway_default_render() -> None:
    docs = _render()
    pod = _pod(docs, "device-gateway")
    (container,) = pod["containers"]
    assert container["command"] == ["python", "-m", "fieldline_gateway", "serve"]
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {
        "http": 8000,
        "http-metrics": 9464,
    }
    for probe, path in (
        ("startupProbe", "/livez"),
        ("readinessProbe", "/readyz"),
        ("livenessProbe", "/livez"),
    ):
        assert container[probe]["httpGet"] == {"path": path, "port": "http"}
    assert container["env"] == [
        {
            "name": "GATEWAY_DATABASE_URL",
            "valueFrom": {
                "secretKeyRef": {"name": "fieldline-device-gateway-db", "key": "DATABASE_URL"}
            },
        }
    ]
    assert _config(docs, "device-gateway") == {
        "GATEWAY_NATS_URL": "nats://nats.nats.svc.cluster.local:4222",
        "GATEWAY_HTTP_PORT": "8000",
        "GATEWAY_METRICS_PORT": "9464",
        "GATEWAY_LOG_LEVEL": "info",
        "GATEWAY_CLIENTS_TARGET": "dns:///fieldline-clients-headless:50051",
        "GATEWAY_ORDERS_TARGET": "dns:///fieldline-orders-headless:50051",
        "GATEWAY_SETTLEMENTS_TARGET": "dns:///fieldline-settlements-headless:50051",
        # management callers' tokens: the provider's, as every service; never its own issuer
        "GATEWAY_AUTH_JWKS": IDP_JWKS,
        "GATEWAY_AUTH_ISSUERS": IDP,
        "GATEWAY_AUTH_AUDIENCE": "fieldline",
        "GATEWAY_TOKEN_SIGNING_KEYS": "/etc/fieldline/auth/device-keys/signing-key.pem",
        "GATEWAY_TOKEN_ISSUER": "fieldline-gateway",
        "GATEWAY_SERVICE_SIGNING_KEY": "/etc/fieldline/auth/service-key/signing-key.pem",
        "GATEWAY_SERVICE_TOKEN_ISSUER": "fieldline-gateway-service",
        "GATEWAY_DATA_DIR": "/var/lib/fieldline/gateway",
        "GATEWAY_BLOB_URL": "file:///var/lib/fieldline/gateway/photos",
    }
    # Its private keys, in its own pod only (0440, read by the pod's group 10001).
    assert _secret_volumes(pod) == {
        "service-signing-key": {
            "secretName": "fieldline-gateway-service-key",
            "items": {"signing-key.pem": "signing-key.pem"},
            "defaultMode": 0o440,
            "mountPath": "/etc/fieldline/auth/service-key",
        },
        "device-signing-keys": {
            "secretName": "fieldline-gateway-device-keys",
            "items": {"signing-key.pem": "signing-key.pem"},
            "defaultMode": 0o440,
            "mountPath": "/etc/fieldline/auth/device-keys",
        },
    }
    _assert_paths_mounted(docs, "device-gateway")
    # Its files on a per-pod emptyDir by default (one pod: several need shared storage).
    dep = _by(docs, "Deployment", "fieldline-device-gateway")
    assert dep["spec"]["replicas"] == 1
    assert {"name": "data", "emptyDir": {"sizeLimit": "2Gi"}} in pod["volumes"]
    assert {"name": "data", "mountPath": "/var/lib/fieldline/gateway"} in container["volumeMounts"]
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert not [d for d in docs if d["kind"] in ("PersistentVolumeClaim", "Ingress")]
    # A Service on its HTTP port, no headless one (not gRPC); a PDB as every service.
    service = _by(docs, "Service", "fieldline-device-gateway")
    assert service["spec"]["ports"][0] == {
        "name": "http",
        "port": 8000,
        "targetPort": "http",
        "protocol": "TCP",
    }
    _by(docs, "PodDisruptionBudget", "fieldline-device-gateway")
    # Migrations as every service with a database: its own module, the DSN only.
    job = _by(docs, "Job", "fieldline-device-gateway-migrate")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    job_container = job["spec"]["template"]["spec"]["containers"][0]
    assert job_container["command"] == ["python", "-m", "fieldline_gateway", "migrate"]
    names = [e["name"] for e in job_container["env"]]
    assert "GATEWAY_DATABASE_URL" in names
    assert not [n for n in names if "_AUTH_" in n or "SIGNING" in n or "_DATA_DIR" in n]
    assert [v["name"] for v in job["spec"]["template"]["spec"]["volumes"]] == ["tmp"]
    _assert_valid(docs)


@pytest.mark.chart
def test_the_services_trust_the_gateways_tokens_and_admit_it() -> None:
    docs = _render()
    for service in ("clients", "orders", "settlements"):
        prefix = service.upper()
        config = _config(docs, service)
        assert GATEWAY_JWKS in config[f"{prefix}_AUTH_JWKS"]
        issuers = config[f"{prefix}_AUTH_ISSUERS"].split(",")
        assert {"fieldline-gateway", "fieldline-gateway-service"} <= set(issuers)
        volumes = _secret_volumes(_pod(docs, service))
        assert volumes["auth-device-jwks-device-gateway"] == {
            "secretName": "fieldline-gateway-device-jwks",
            "items": {"jwks.json": "jwks.json"},
            "defaultMode": 0o444,
            "mountPath": "/etc/fieldline/auth/device-tokens/device-gateway",
        }
        assert volumes["auth-service-jwks-device-gateway"]["secretName"] == (
            "fieldline-gateway-service-jwks"
        )
        # public halves only: no private key of the gateway's leaves its pod
        assert "device-signing-keys" not in volumes
        for volume in volumes.values():
            assert volume["secretName"] not in (
                "fieldline-gateway-device-keys",
                "fieldline-gateway-service-key",
            )
        _assert_paths_mounted(docs, service)
        # Its NetworkPolicy admits the gateway's pods (this release's) to the gRPC port.
        policy = _by(docs, "NetworkPolicy", f"fieldline-{service}")["spec"]
        gateway_labels = _by(docs, "Deployment", "fieldline-device-gateway")["spec"]["template"][
            "metadata"
        ]["labels"]
        (api,) = [r for r in policy["ingress"] if {"port": "grpc", "protocol": "TCP"} in r["ports"]]
        assert any(
            set(peer["podSelector"]["matchLabels"].items()) <= set(gateway_labels.items())
            for peer in api["from"]
            if "podSelector" in peer and "namespaceSelector" not in peer
        )
    # The gateway's own policy: port 8000 open (devices come through an ingress controller or
    # a load balancer), egress to the services' gRPC ports, NATS, PostgreSQL and DNS.
    gateway = _by(docs, "NetworkPolicy", "fieldline-device-gateway")["spec"]
    assert {"ports": [{"port": "http", "protocol": "TCP"}]} in gateway["ingress"]
    egress_ports = [p for rule in gateway["egress"] for p in rule["ports"]]
    for port in ("grpc", 4222, 5432, 53):
        assert any(p["port"] == port for p in egress_ports), port
    # Nobody calls the gateway over gRPC: it trusts no service's key but its callers'.
    assert "device-tokens" not in _config(docs, "device-gateway")["GATEWAY_AUTH_JWKS"]


@pytest.mark.chart
def test_the_rendered_trust_verifies_the_gateways_tokens_for_their_issuers_only(
    tmp_path: Path,
) -> None:
    """The keys as helm.md makes them (`python -m fieldline_gateway jwks`), the Secrets' files
    where the chart mounts them: settlements' rendered AUTH_JWKS and AUTH_ISSUERS accept a
    device token and the gateway's service token, each only under its own issuer; the
    gateway's rendered settings pass its own start-up checks."""

    from fieldline_kit.auth.issuer import TokenIssuer
    from fieldline_kit.auth.jwks import JwksSource
    from fieldline_kit.auth.keys import generate_signing_key, private_pem
    from fieldline_kit.auth.verify import TokenVerifier
    from fieldline_kit.errors import Unauthenticated

    keys = {name: generate_signing_key() for name in ("device-1", "device-2", "service")}
    for name, key in keys.items():
        (tmp_path / f"{name}.pem").write_bytes(private_pem(key))

    def jwks(*names: str) -> str:
        pems = [str(tmp_path / f"{n}.pem") for n in names]
        cmd = [sys.executable, "-m", "fieldline_gateway", "jwks", *pems]
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    # The Secrets' keys, as files: Secret name -> {key: file}.
    secrets = {
        "gw-keys": {f"{n}.pem": tmp_path / f"{n}.pem" for n in ("device-2", "device-1")},
        "gw-service-key": {"signing-key.pem": tmp_path / "service.pem"},
        "gw-jwks": {},
        "fieldline-jwks": {},
    }
    for key, names in (("devices.json", ("device-2", "device-1")), ("service.json", ("service",))):
        (tmp_path / key).write_text(jwks(*names))
        secrets["gw-jwks"][key] = tmp_path / key
    (tmp_path / "idp.json").write_text(json.dumps({"keys": []}))
    secrets["fieldline-jwks"]["jwks.json"] = tmp_path / "idp.json"

    docs = _render(
        "--set-json",
        "auth.jwks.urls=[]",
        "--set",
        "auth.jwks.existingSecret=fieldline-jwks",
        "--set-json",
        "services.device-gateway.deviceTokens="
        '{"existingSecret": "gw-keys", "keys": ["device-2.pem", "device-1.pem"],'
        ' "jwks": {"existingSecret": "gw-jwks", "key": "devices.json"}}',
        "--set-json",
        "services.device-gateway.serviceTokens="
        '{"existingSecret": "gw-service-key",'
        ' "jwks": {"existingSecret": "gw-jwks", "key": "service.json"}}',
    )

    def local_env(service: str) -> dict[str, str]:
        """The service's ConfigMap with every mounted file made here replaced by its local
        copy (orders' service JWKS is not made here: its path stays as rendered)."""
        files = {
            f"{v['mountPath']}/{path}": str(secrets[v["secretName"]][key])
            for v in _secret_volumes(_pod(docs, service)).values()
            if v["secretName"] in secrets
            for key, path in v["items"].items()
        }

        def local(value: str) -> str:
            out = []
            for loc in value.split(","):
                path, bound, issuer = loc.partition("#iss=")
                out.append(files.get(path, path) + bound + issuer)
            return ",".join(out)

        return {k: local(v) for k, v in _config(docs, service).items()}

    settlements = local_env("settlements")
    # orders' service JWKS, not made here, left out with its issuer
    locations = [
        loc
        for loc in settlements["SETTLEMENTS_AUTH_JWKS"].split(",")
        if not loc.startswith("/etc/fieldline/")
    ]
    issuers = settlements["SETTLEMENTS_AUTH_ISSUERS"].split(",")
    issuers.remove("fieldline-orders")
    verifier = TokenVerifier(JwksSource.at(",".join(locations)), issuers)

    device = TokenIssuer([keys["device-2"], keys["device-1"]], "fieldline-gateway")
    principal = verifier.verify(device.mint("emp-1", "employee", ["AGENT"], device="dev-1"))
    assert principal.subject == "emp-1"
    older = TokenIssuer([keys["device-1"]], "fieldline-gateway")  # the key being rotated out
    assert verifier.verify(older.mint("emp-2", "employee", ["AGENT"])).subject == "emp-2"
    service = TokenIssuer([keys["service"]], "fieldline-gateway-service")
    assert verifier.verify(service.mint("svc:gateway", "service", ["SERVICE"])).subject == (
        "svc:gateway"
    )
    # Each key signs its own issuer's tokens only: a device key cannot mint a service token
    # nor a token in the provider's name, the service key no device token.
    for forged in (
        TokenIssuer([keys["device-2"]], "fieldline-gateway-service").mint(
            "svc:x", "service", ["SERVICE"]
        ),
        TokenIssuer([keys["device-2"]], IDP).mint("admin", "employee", ["ADMIN"]),
        TokenIssuer([keys["service"]], "fieldline-gateway").mint("emp-1", "employee", ["AGENT"]),
    ):
        with pytest.raises(Unauthenticated, match="not the one its key signs for"):
            verifier.verify(forged)

    # The gateway's own rendered settings (paths made local) pass its start-up validation.
    env = {**os.environ, **local_env("device-gateway")}
    env["GATEWAY_DATABASE_URL"] = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    _assert_settings_pass(env, "fieldline_gateway")


@pytest.mark.chart
def test_gateway_ingress() -> None:
    docs = _render(
        "--set",
        "services.device-gateway.ingress.enabled=true,services.device-gateway.ingress.className=nginx",
        "--set-json",
        'services.device-gateway.ingress.hosts=["devices.example.com"]',
        "--set-json",
        "services.device-gateway.ingress.tls="
        '[{"secretName": "devices-tls", "hosts": ["devices.example.com"]}]',
        "--set-json",
        f"services.device-gateway.ingress.annotations={json.dumps(BODY_SIZE)}",
    )
    ingress = _by(docs, "Ingress", "fieldline-device-gateway")
    assert ingress["metadata"]["annotations"] == BODY_SIZE
    assert ingress["spec"] == {
        "ingressClassName": "nginx",
        "tls": [{"secretName": "devices-tls", "hosts": ["devices.example.com"]}],
        "rules": [
            {
                "host": "devices.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {
                                "service": {
                                    "name": "fieldline-device-gateway",
                                    "port": {"name": "http"},
                                }
                            },
                        }
                    ]
                },
            }
        ],
    }
    _assert_valid(docs)


@pytest.mark.chart
def test_gateway_port_open_to_the_ingress_controller_only() -> None:
    peers = INGRESS_NGINX
    docs = _render(
        "--set",
        "services.device-gateway.networkPolicy.ingressFromAnywhere=false",
        "--set-json",
        f"services.device-gateway.networkPolicy.ingressFrom={json.dumps(peers)}",
    )
    ingress = _by(docs, "NetworkPolicy", "fieldline-device-gateway")["spec"]["ingress"]
    api = ingress[0]
    assert api["ports"] == [{"port": "http", "protocol": "TCP"}]
    assert api["from"][1:] == peers  # after this release's pods
    # the other services stay closed to anywhere
    clients = _by(docs, "NetworkPolicy", "fieldline-clients")["spec"]["ingress"]
    assert all("from" in rule for rule in clients)
    _assert_valid(docs)


@pytest.mark.chart
def test_gateway_storage_shared_by_several_pods() -> None:
    # A ReadWriteMany claim the chart makes (kept on uninstall), shared by every pod.
    docs = _render(
        "--set",
        "services.device-gateway.replicaCount=3",
        "--set",
        "services.device-gateway.storage.persistentVolumeClaim.enabled=true",
        "--set",
        "services.device-gateway.storage.persistentVolumeClaim.storageClassName=nfs",
    )
    pvc = _by(docs, "PersistentVolumeClaim", "fieldline-device-gateway-data")
    assert pvc["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"}
    assert pvc["spec"] == {
        "accessModes": ["ReadWriteMany"],
        "storageClassName": "nfs",
        "resources": {"requests": {"storage": "20Gi"}},
    }
    pod = _pod(docs, "device-gateway")
    assert {
        "name": "data",
        "persistentVolumeClaim": {"claimName": "fieldline-device-gateway-data"},
    } in pod["volumes"]
    _assert_valid(docs)

    # A claim of yours: trusted to be shared; the chart makes none.
    docs = _render(
        "--set",
        "services.device-gateway.autoscaling.enabled=true",
        "--set",
        "services.device-gateway.storage.persistentVolumeClaim.enabled=true",
        "--set",
        "services.device-gateway.storage.persistentVolumeClaim.existingClaim=gateway-photos",
    )
    assert not [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "gateway-photos"}} in _pod(
        docs, "device-gateway"
    )["volumes"]
    _assert_valid(docs)

    # ReadWriteOnce: one pod, the old one stopped before the new one starts.
    docs = _render(
        "--set-json",
        GATEWAY_RWO_CLAIM,
        "--set-json",
        'services.device-gateway.strategy={"type": "Recreate"}',
    )
    dep = _by(docs, "Deployment", "fieldline-device-gateway")
    assert dep["spec"]["strategy"] == {"type": "Recreate"}  # the defaults' rollingUpdate dropped
    _assert_valid(docs)


GATEWAY_S3 = "services.device-gateway.storage.s3"
# Photos in a MinIO bucket, the access key from a Secret.
MINIO = {
    "enabled": True,
    "url": "s3://fieldline-photos/gateway",
    "endpoint": "http://minio.minio:9000",
    "region": "us-east-1",
    "existingSecret": "gateway-s3",
}


def _s3(block: dict[str, Any]) -> list[str]:
    return ["--set-json", f"{GATEWAY_S3}={json.dumps(block)}"]


def _key_ref(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _photo_env(docs: list[dict[str, Any]]) -> dict[str, str]:
    return {
        k: v
        for k, v in _config(docs, "device-gateway").items()
        if k in ("GATEWAY_DATA_DIR", "GATEWAY_BLOB_URL") or k.startswith("GATEWAY_S3_")
    }


@pytest.mark.chart
def test_gateway_photos_in_an_s3_bucket() -> None:
    # A bucket every pod shares: several pods, and no volume, claim or data dir.
    docs = _render(*_s3(MINIO), "--set", "services.device-gateway.replicaCount=2")
    assert _photo_env(docs) == {
        "GATEWAY_BLOB_URL": "s3://fieldline-photos/gateway",
        "GATEWAY_S3_ENDPOINT": "http://minio.minio:9000",
        "GATEWAY_S3_REGION": "us-east-1",
    }
    assert _by(docs, "Deployment", "fieldline-device-gateway")["spec"]["replicas"] == 2
    pod = _pod(docs, "device-gateway")
    (container,) = pod["containers"]
    # The access key by secretKeyRef only: never in values or the ConfigMap.
    assert container["env"] == [
        _key_ref("GATEWAY_DATABASE_URL", "fieldline-device-gateway-db", "DATABASE_URL"),
        _key_ref("GATEWAY_S3_ACCESS_KEY_ID", "gateway-s3", "AWS_ACCESS_KEY_ID"),
        _key_ref("GATEWAY_S3_SECRET_ACCESS_KEY", "gateway-s3", "AWS_SECRET_ACCESS_KEY"),
    ]
    assert "data" not in {v["name"] for v in pod["volumes"]}
    assert "data" not in {m["name"] for m in container["volumeMounts"]}
    assert not [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    # Egress to the store on the endpoint's port; the migration hook and the services get none
    # of it.
    assert {"ports": [{"port": 9000, "protocol": "TCP"}]} in _egress(
        docs, "fieldline-device-gateway"
    )
    assert {"ports": [{"port": 9000, "protocol": "TCP"}]} not in _egress(docs, "fieldline-orders")
    job = _by(docs, "Job", "fieldline-device-gateway-migrate")["spec"]["template"]["spec"]
    assert not [e for e in job["containers"][0]["env"] if "_S3_" in e["name"]]
    assert not [k for k in _config(docs, "orders") if "_S3_" in k or "_BLOB_" in k]
    _assert_valid(docs)

    # AWS under the HPA, credentials from the store's own chain (no Secret): no endpoint
    # variable, no key variables, egress on 443 to the given peers.
    aws = {"enabled": True, "url": "s3://acme-fieldline-photos", "region": "eu-central-1"}
    s3_peers = [{"ipBlock": {"cidr": "52.219.0.0/16"}}]
    docs = _render(
        *_s3(aws),
        "--set",
        "services.device-gateway.autoscaling.enabled=true",
        "--set-json",
        f"networkPolicy.s3.to={json.dumps(s3_peers)}",
    )
    assert _photo_env(docs) == {
        "GATEWAY_BLOB_URL": "s3://acme-fieldline-photos",
        "GATEWAY_S3_REGION": "eu-central-1",
    }
    assert [e["name"] for e in _env(docs, "device-gateway")] == ["GATEWAY_DATABASE_URL"]
    _by(docs, "HorizontalPodAutoscaler", "fieldline-device-gateway")
    assert {"ports": [{"port": 443, "protocol": "TCP"}], "to": s3_peers} in _egress(
        docs, "fieldline-device-gateway"
    )
    _assert_valid(docs)

    # Ceph RGW on plain http without a port (80), the Secret's own key names.
    rgw = {
        **MINIO,
        "endpoint": "http://rook-ceph-rgw-store.rook-ceph",
        "accessKeyIdKey": "access-key",
        "secretAccessKeyKey": "secret-key",
    }
    docs = _render(*_s3(rgw))
    assert _env(docs, "device-gateway")[1:] == [
        _key_ref("GATEWAY_S3_ACCESS_KEY_ID", "gateway-s3", "access-key"),
        _key_ref("GATEWAY_S3_SECRET_ACCESS_KEY", "gateway-s3", "secret-key"),
    ]
    assert {"ports": [{"port": 80, "protocol": "TCP"}]} in _egress(docs, "fieldline-device-gateway")
    _assert_valid(docs)


@pytest.mark.chart
@pytest.mark.parametrize(
    ("args", "message"),
    [
        # the device keys are required: the schema names them, so does the template
        (
            ["--set", "services.device-gateway.deviceTokens.existingSecret="],
            r"/services/device-gateway/deviceTokens/existingSecret",
        ),
        (
            ["--set-json", "services.device-gateway.deviceTokens.keys=[]"],
            r"/services/device-gateway/deviceTokens/keys",
        ),
        (
            ["--set-json", 'defaults.deviceTokens={"issuer": "x"}'],
            r"services\.(\w+) signs devices' tokens and needs "
            r"services\.\1\.deviceTokens\.existingSecret",
        ),
        # the gateway refuses to start with its own issuer among the accepted ones
        (
            ["--set-json", f'services.device-gateway.auth.issuers=["{IDP}", "fieldline-gateway"]'],
            r"services\.device-gateway: auth\.issuers must not name deviceTokens\.issuer "
            r"fieldline-gateway",
        ),
        (
            ["--set", "services.device-gateway.serviceTokens.issuer=fieldline-gateway"],
            r"deviceTokens\.issuer and serviceTokens\.issuer are both fieldline-gateway",
        ),
        # it calls all three services
        (
            ["--set", "services.clients.enabled=false"],
            r"services\.(device-gateway|exchange) calls clients \(dependsOn\), which is not "
            r"enabled",
        ),
        # several pods need shared storage for the photos
        (
            ["--set", "services.device-gateway.replicaCount=2"],
            r"services\.device-gateway: replicaCount 2, but its files are on a per-pod emptyDir: "
            r"several pods need shared storage\. Put them in an S3-compatible bucket",
        ),
        (
            [
                "--set",
                "services.device-gateway.autoscaling.enabled=true",
                "--set-json",
                GATEWAY_RWO_CLAIM,
            ],
            r"autoscaling\.maxReplicas 6, but its files are on a claim without ReadWriteMany",
        ),
        (
            [
                "--set-json",
                GATEWAY_RWO_CLAIM,
            ],
            r"attach the volume to one node at a time; set "
            r"services\.device-gateway\.strategy: \{type: Recreate\}",
        ),
        # photos in a bucket: an s3:// URL and a region, an address without credentials, and no
        # claim beside it (it would hold nothing)
        (
            _s3({**MINIO, "url": "https://fieldline-photos.s3.amazonaws.com"}),
            r"/services/device-gateway/storage/s3/url': 'https://",
        ),
        (
            _s3({**MINIO, "url": "s3://Fieldline_Photos"}),
            r"/services/device-gateway/storage/s3/url",
        ),
        (
            _s3({**MINIO, "url": "s3://fieldline-photos/a/../b"}),
            r"/services/device-gateway/storage/s3/url",
        ),
        (
            _s3({**MINIO, "url": ""}),
            r"/services/device-gateway/storage/s3/url': minLength",
        ),
        (
            _s3({**MINIO, "region": ""}),
            r"/services/device-gateway/storage/s3/region': minLength",
        ),
        (
            _s3({**MINIO, "endpoint": "http://key:secret@minio.minio:9000"}),
            r"/services/device-gateway/storage/s3/endpoint",
        ),
        (
            _s3({**MINIO, "accessKey": "AKIA..."}),
            r"/services/device-gateway/storage/s3': additional properties 'accessKey'",
        ),
        (
            [
                *_s3(MINIO),
                "--set",
                "services.device-gateway.storage.persistentVolumeClaim.enabled=true",
            ],
            r"services\.device-gateway: storage\.s3\.enabled keeps the photos in the bucket and "
            r"mounts no volume, so storage\.persistentVolumeClaim would hold nothing",
        ),
        # merged: the defaults' bucket reaches every service but the gateway (its own block
        # turns S3 off), and no other service keeps its files in a bucket (they are read as a
        # file system)
        (
            [
                "--set-json",
                f"defaults.storage.s3={json.dumps({**MINIO, 'existingSecret': ''})}",
            ],
            r"services\.(clients|exchange|orders|settlements)\.storage\.s3: only the device "
            r"gateway keeps its files in a bucket",
        ),
        # an Ingress needs a host, and routes HTTP services only
        (
            ["--set", "services.device-gateway.ingress.enabled=true"],
            r"services\.device-gateway\.ingress\.enabled needs ingress\.hosts",
        ),
        (
            [
                "--set",
                "services.clients.ingress.enabled=true",
                "--set-json",
                'services.clients.ingress.hosts=["c.example.com"]',
            ],
            r"services\.clients\.ingress: an Ingress routes HTTP; clients is kind grpc",
        ),
        # its port serves no TLS: TLS is its calls', which need the CA
        (
            [
                "--set",
                "tls.enabled=true,tls.existingSecret=t",
                "--set",
                "services.device-gateway.tls.caKey=",
            ],
            r"services\.device-gateway \(kind http\): tls\.enabled with an empty tls\.caKey",
        ),
        # one TLS setting for all its channels: the three services alike
        (
            ["--set", "tls.existingSecret=t,services.settlements.tls.enabled=true"],
            r"services\.(device-gateway|exchange) \(TLS off\) calls settlements \(TLS on\) and "
            r"clients, orders \(TLS off\)",
        ),
    ],
)
def test_invalid_gateway_values_fail(args: list[str], message: str) -> None:
    with pytest.raises(chart.ChartCheckError, match=message):
        _render(*args)


# ---------------------------------------------------------------------------- the exchange


@pytest.mark.chart
def test_exchange_default_render() -> None:
    docs = _render()
    pod = _pod(docs, "exchange")
    (container,) = pod["containers"]
    assert container["command"] == ["python", "-m", "fieldline_exchange", "serve"]
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {
        "http": 8000,
        "http-metrics": 9464,
    }
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert _config(docs, "exchange") == {
        "EXCHANGE_NATS_URL": "nats://nats.nats.svc.cluster.local:4222",
        "EXCHANGE_HTTP_PORT": "8000",
        "EXCHANGE_METRICS_PORT": "9464",
        "EXCHANGE_LOG_LEVEL": "info",
        "EXCHANGE_CLIENTS_TARGET": "dns:///fieldline-clients-headless:50051",
        "EXCHANGE_ORDERS_TARGET": "dns:///fieldline-orders-headless:50051",
        "EXCHANGE_SETTLEMENTS_TARGET": "dns:///fieldline-settlements-headless:50051",
        # administrators' tokens: the provider's; never its own partner tokens' issuer
        "EXCHANGE_AUTH_JWKS": IDP_JWKS,
        "EXCHANGE_AUTH_ISSUERS": IDP,
        "EXCHANGE_AUTH_AUDIENCE": "fieldline",
        "EXCHANGE_TOKEN_SIGNING_KEYS": "/etc/fieldline/auth/partner-keys/signing-key.pem",
        "EXCHANGE_TOKEN_ISSUER": "fieldline-exchange",
        # its files, and no photo store (the gateway's BLOB_URL is not its setting)
        "EXCHANGE_DATA_DIR": "/var/lib/fieldline/exchange",
    }
    assert _secret_volumes(pod) == {
        "partner-signing-keys": {
            "secretName": "fieldline-exchange-partner-keys",
            "items": {"signing-key.pem": "signing-key.pem"},
            "defaultMode": 0o440,
            "mountPath": "/etc/fieldline/auth/partner-keys",
        },
    }
    _assert_paths_mounted(docs, "exchange")
    assert _by(docs, "Deployment", "fieldline-exchange")["spec"]["replicas"] == 1
    assert {"name": "data", "emptyDir": {"sizeLimit": "10Gi"}} in pod["volumes"]
    assert {"name": "data", "mountPath": "/var/lib/fieldline/exchange"} in container["volumeMounts"]
    job = _by(docs, "Job", "fieldline-exchange-migrate")
    job_container = job["spec"]["template"]["spec"]["containers"][0]
    assert job_container["command"] == ["python", "-m", "fieldline_exchange", "migrate"]
    names = [e["name"] for e in job_container["env"]]
    assert "EXCHANGE_DATABASE_URL" in names
    assert not [n for n in names if "_AUTH_" in n or "SIGNING" in n or "_DATA_DIR" in n]
    # ERPs come from outside: its port is open (an Ingress in front when enabled).
    policy = _by(docs, "NetworkPolicy", "fieldline-exchange")["spec"]
    assert {"ports": [{"port": "http", "protocol": "TCP"}]} in policy["ingress"]
    _assert_valid(docs)


@pytest.mark.chart
def test_the_services_trust_the_exchanges_partner_tokens(tmp_path: Path) -> None:
    """What a partner's import does in a service it does under a partner token: the three
    services mount the exchange's public JWKS (never its keys) bound to its issuer. With the
    keys made as helm.md makes them (`python -m fieldline_exchange jwks`), settlements'
    rendered settings accept a partner token under that issuer only, and the exchange's own
    rendered settings pass its start-up checks."""

    from fieldline_kit.auth.issuer import TokenIssuer
    from fieldline_kit.auth.jwks import JwksSource
    from fieldline_kit.auth.keys import generate_signing_key, private_pem
    from fieldline_kit.auth.verify import TokenVerifier
    from fieldline_kit.errors import Unauthenticated

    docs = _render()
    for service in ("clients", "orders", "settlements"):
        prefix = service.upper()
        config = _config(docs, service)
        assert EXCHANGE_JWKS in config[f"{prefix}_AUTH_JWKS"].split(",")
        assert "fieldline-exchange" in config[f"{prefix}_AUTH_ISSUERS"].split(",")
        volumes = _secret_volumes(_pod(docs, service))
        assert volumes["auth-partner-jwks-exchange"] == {
            "secretName": "fieldline-exchange-partner-jwks",
            "items": {"jwks.json": "jwks.json"},
            "defaultMode": 0o444,
            "mountPath": "/etc/fieldline/auth/partner-tokens/exchange",
        }
        assert "fieldline-exchange-partner-keys" not in {v["secretName"] for v in volumes.values()}
    assert "partner-tokens" not in _config(docs, "device-gateway")["GATEWAY_AUTH_JWKS"]

    key, other = generate_signing_key(), generate_signing_key()
    (tmp_path / "partner.pem").write_bytes(private_pem(key))
    made = subprocess.run(
        [sys.executable, "-m", "fieldline_exchange", "jwks", str(tmp_path / "partner.pem")],
        capture_output=True,
        text=True,
        check=True,
    )
    (tmp_path / "jwks.json").write_text(made.stdout)
    settlements = _config(docs, "settlements")
    [bound] = [
        loc for loc in settlements["SETTLEMENTS_AUTH_JWKS"].split(",") if "partner-tokens" in loc
    ]
    location = bound.replace(
        "/etc/fieldline/auth/partner-tokens/exchange/jwks.json", str(tmp_path / "jwks.json")
    )
    verifier = TokenVerifier(
        JwksSource.at(location), settlements["SETTLEMENTS_AUTH_ISSUERS"].split(",")
    )
    partner = TokenIssuer([key], "fieldline-exchange")
    principal = verifier.verify(partner.mint("partner:p-1", "partner", ["SERVICE"]))
    assert principal.subject == "partner:p-1"
    for forged in (
        TokenIssuer([key], "fieldline-gateway").mint("emp-1", "employee", ["AGENT"]),
        TokenIssuer([key], IDP).mint("admin", "employee", ["ADMIN"]),
    ):
        with pytest.raises(Unauthenticated, match="not the one its key signs for"):
            verifier.verify(forged)
    with pytest.raises(Unauthenticated):
        verifier.verify(TokenIssuer([other], "fieldline-exchange").mint("x", "partner", []))

    env = {**os.environ, **_config(docs, "exchange")}
    env["EXCHANGE_TOKEN_SIGNING_KEYS"] = str(tmp_path / "partner.pem")
    env["EXCHANGE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'exchange.sqlite3'}"
    _assert_settings_pass(env, "fieldline_exchange")


@pytest.mark.chart
def test_exchange_files_shared_by_several_pods_and_its_ingress() -> None:
    docs = _render(
        "--set",
        "services.exchange.replicaCount=2",
        "--set",
        "services.exchange.storage.persistentVolumeClaim.enabled=true",
        "--set",
        "services.exchange.ingress.enabled=true",
        "--set-json",
        'services.exchange.ingress.hosts=["erp.example.com"]',
    )
    pvc = _by(docs, "PersistentVolumeClaim", "fieldline-exchange-data")
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    assert {
        "name": "data",
        "persistentVolumeClaim": {"claimName": "fieldline-exchange-data"},
    } in _pod(docs, "exchange")["volumes"]
    ingress = _by(docs, "Ingress", "fieldline-exchange")["spec"]
    [rule] = ingress["rules"]
    assert rule["host"] == "erp.example.com"
    assert rule["http"]["paths"][0]["backend"]["service"] == {
        "name": "fieldline-exchange",
        "port": {"name": "http"},
    }
    _assert_valid(docs)


@pytest.mark.chart
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--set", "services.exchange.partnerTokens.existingSecret="],
            r"/services/exchange/partnerTokens/existingSecret': minLength",
        ),
        (
            ["--set-json", f'services.exchange.auth.issuers=["{IDP}", "fieldline-exchange"]'],
            r"services\.exchange: auth\.issuers must not name partnerTokens\.issuer "
            r"fieldline-exchange",
        ),
        (
            ["--set", "services.exchange.replicaCount=2"],
            r"services\.exchange: replicaCount 2, but its files are on a per-pod emptyDir: "
            r"several pods need shared storage\. Set services\.exchange\.storage\."
            r"persistentVolumeClaim\.enabled",
        ),
        (
            [
                "--set-json",
                f"services.exchange.storage.s3={json.dumps({**MINIO, 'existingSecret': ''})}",
            ],
            r"services\.exchange\.storage\.s3: only the device gateway keeps its files in a "
            r"bucket",
        ),
        (
            ["--set", "services.orders.enabled=false"],
            r"services\.(device-gateway|exchange) calls orders \(dependsOn\), which is not enabled",
        ),
    ],
)
def test_invalid_exchange_values_fail(args: list[str], message: str) -> None:
    with pytest.raises(chart.ChartCheckError, match=message):
        _render(*args)


@pytest.mark.chart
def test_tls_for_the_gateway_calls_the_three_services_over_tls() -> None:
    """TLS on for the three gRPC services and off for the gateway: it takes their CA (the same
    Secret) and calls all three over TLS; its probes stay plain HTTP."""
    docs = _render(
        "--set",
        "tls.enabled=true,tls.existingSecret=fieldline-tls,services.device-gateway.tls.enabled=false",
    )
    gateway = _config(docs, "device-gateway")
    assert gateway["GATEWAY_TLS_CA_FILE"] == "/etc/fieldline/tls/ca.crt"
    assert _secret_volumes(_pod(docs, "device-gateway"))["tls-ca"]["items"] == {"ca.crt": "ca.crt"}
    assert _pod(docs, "device-gateway")["containers"][0]["readinessProbe"]["httpGet"] == {
        "path": "/readyz",
        "port": "http",
    }
    _assert_valid(docs)


def test_policies_catch_an_ingress_naming_no_service_port() -> None:
    service = {
        "kind": "Service",
        "metadata": {"name": "gw"},
        "spec": {"selector": {}, "ports": [{"name": "http", "port": 8000}]},
    }

    def ingress(name: str, port: dict[str, Any]) -> dict[str, Any]:
        backend = {"service": {"name": name, "port": port}}
        path = {"path": "/", "pathType": "Prefix", "backend": backend}
        return {
            "kind": "Ingress",
            "metadata": {"name": "i"},
            "spec": {"rules": [{"host": "h", "http": {"paths": [path]}}]},
        }

    def problems(name: str, port: dict[str, Any]) -> list[str]:
        found = chart.check_policies([service, ingress(name, port)])
        return [p for p in found if "matches no Deployment" not in p]

    assert problems("gw", {"name": "http"}) == []
    assert problems("gw", {"number": 8000}) == []
    (missing,) = problems("other", {"name": "http"})
    assert "Ingress/i: backend names Service other, which is not rendered" in missing
    (wrong,) = problems("gw", {"name": "grpc"})
    assert "Ingress/i: Service gw has no port" in wrong


# --------------------------------------------------------------------------- calls spread over pods


@pytest.mark.chart
def test_every_grpc_service_has_a_headless_service_and_callers_dial_it() -> None:
    docs = _render("--set", "services.device-gateway.enabled=true")
    for service in ("clients", "orders", "settlements"):
        cluster_ip = _by(docs, "Service", f"fieldline-{service}")
        headless = _by(docs, "Service", f"fieldline-{service}-headless")
        assert headless["spec"] == {
            "type": "ClusterIP",
            "clusterIP": "None",  # headless: DNS answers with the ready pods' addresses
            "publishNotReadyAddresses": False,
            "selector": cluster_ip["spec"]["selector"],
            "ports": [{"name": "grpc", "port": 50051, "targetPort": "grpc", "protocol": "TCP"}],
        }
        assert headless["metadata"]["labels"] == cluster_ip["metadata"]["labels"]
    # The HTTP gateway is no gRPC service: no headless Service.
    assert not [d for d in docs if d["metadata"]["name"] == "fieldline-device-gateway-headless"]
    assert _config(docs, "orders")["ORDERS_SETTLEMENTS_TARGET"] == (
        "dns:///fieldline-settlements-headless:50051"
    )
    assert not [k for k in _config(docs, "clients") if k.endswith("_TARGET")]
    _assert_valid(docs)


@pytest.mark.chart
def test_per_connection_balancing_and_the_callees_own_port() -> None:
    docs = _render(
        "--set",
        "services.orders.grpcClientBalancing=perConnection",
        "--set",
        "services.settlements.ports.grpc=50052",
    )
    assert _config(docs, "orders")["ORDERS_SETTLEMENTS_TARGET"] == "fieldline-settlements:50052"
    headless = _by(docs, "Service", "fieldline-settlements-headless")
    assert headless["spec"]["ports"][0]["port"] == 50052  # rendered all the same
    _assert_valid(docs)

    docs = _render("--set", "defaults.grpcClientBalancing=perConnection")
    assert _config(docs, "orders")["ORDERS_SETTLEMENTS_TARGET"] == "fieldline-settlements:50051"
    docs = _render("--set", "services.settlements.ports.grpc=50052")
    assert _config(docs, "orders")["ORDERS_SETTLEMENTS_TARGET"] == (
        "dns:///fieldline-settlements-headless:50052"
    )
    _assert_valid(docs)


@pytest.mark.chart
def test_invalid_balancing_fails() -> None:
    with pytest.raises(chart.ChartCheckError, match="grpcClientBalancing"):
        _render("--set", "services.orders.grpcClientBalancing=random")


def test_policies_catch_a_target_naming_no_service() -> None:
    def config_map(target: str) -> dict[str, Any]:
        return {
            "kind": "ConfigMap",
            "metadata": {"name": "fieldline-orders"},
            "data": {"ORDERS_SETTLEMENTS_TARGET": target, "ORDERS_LOG_LEVEL": "info"},
        }

    def service(name: str, headless: bool) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "selector": {},
            "ports": [{"name": "grpc", "port": 50051, "targetPort": "grpc"}],
        }
        if headless:
            spec["clusterIP"] = "None"
        return {"kind": "Service", "metadata": {"name": name}, "spec": spec}

    def target_problems(target: str) -> list[str]:
        problems = chart.check_policies([config_map(target), *services])
        return [p for p in problems if "matches no Deployment" not in p]  # none here

    services = [service("s", False), service("s-headless", True)]
    for good in ("dns:///s-headless:50051", "s:50051"):
        assert target_problems(good) == []
    for bad, problem in [
        ("dns:///t-headless:50051", "names Service t-headless, which is not rendered"),
        ("dns:///s-headless:50052", "s-headless has no port 50052"),
        ("dns:///s:50051", "s is not headless"),
        ("t:50051", "names Service t, which is not rendered"),
    ]:
        (found,) = target_problems(bad)
        assert found.startswith("ConfigMap/fieldline-orders: ORDERS_SETTLEMENTS_TARGET"), found
        assert problem in found, found


# --------------------------------------------------------------------------- tracing

COLLECTOR = "http://otel-collector.observability:4317"
TRACING = ["--set", f"tracing.enabled=true,tracing.endpoint={COLLECTOR},tracing.insecure=true"]
OBSERVABILITY = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "o11y"}}}]


def _env(docs: list[dict[str, Any]], service: str) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = _pod(docs, service)["containers"][0].get("env", [])
    return env


def _egress(docs: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = _by(docs, "NetworkPolicy", name)["spec"].get("egress", [])
    return rules


def _ref(doc: dict[str, Any]) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def _kubelet_expand(value: str, env: dict[str, str]) -> str:
    """What the kubelet makes of an EnvVar's value: `$(VAR)` from earlier variables, `$$` -> `$`."""
    return re.sub(
        r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
        lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)),
        value,
    )


@pytest.mark.chart
def test_tracing_is_off_by_default() -> None:
    docs = _render()
    for doc in docs:
        if doc["kind"] == "ConfigMap":
            assert not [k for k in doc["data"] if k.startswith("OTEL_")], _ref(doc)
        elif doc["kind"] in ("Deployment", "Job"):
            container = doc["spec"]["template"]["spec"]["containers"][0]
            assert not [e for e in container.get("env", []) if "OTEL_" in e["name"]], _ref(doc)
        elif doc["kind"] == "NetworkPolicy":
            for rule in doc["spec"].get("egress", []):
                assert {"port": 4317, "protocol": "TCP"} not in rule.get("ports", []), _ref(doc)


@pytest.mark.chart
def test_tracing_sets_the_otel_variables_of_every_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    docs = _render(
        *TRACING,
        "--set-json",
        'tracing.resourceAttributes={"deployment.environment": "prod", "team": "a,b%$x"}',
        "--set-json",  # a number, as a values file gives it
        "services.settlements.tracing.samplerArg=0.1",
    )
    attributes = (
        "deployment.environment=prod,k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),"
        "service.namespace=fieldline,team=a%2Cb%25$$x"
    )
    for service in ("clients", "orders", "settlements"):
        otel = {k: v for k, v in _config(docs, service).items() if k.startswith("OTEL_")}
        assert otel == {
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_ENDPOINT": COLLECTOR,
            "OTEL_EXPORTER_OTLP_INSECURE": "true",
            "OTEL_SERVICE_NAME": service,
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.1" if service == "settlements" else "1.0",
        }
        # The pod's name only an EnvVar can give (downward API), defined before the variable
        # that names it, for the kubelet to expand; after the DSN, before any extraEnv.
        assert _env(docs, service)[1:] == [
            {
                "name": "OTEL_RESOURCE_ATTRIBUTES_POD_NAME",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
            },
            {"name": "OTEL_RESOURCE_ATTRIBUTES", "value": attributes},
        ]
    # Hooks are not traced.
    for doc in docs:
        if doc["kind"] == "Job":
            container = doc["spec"]["template"]["spec"]["containers"][0]
            assert not [e for e in container["env"] if "OTEL_" in e["name"]], _ref(doc)
    _assert_valid(docs)

    # What a settlements pod makes of it: the kit's tracing, on, with these settings.
    from opentelemetry.sdk.trace import TracerProvider

    from fieldline_kit import tracing

    pod_env = dict(_config(docs, "settlements"))
    pod_env["OTEL_RESOURCE_ATTRIBUTES_POD_NAME"] = "fieldline-settlements-7d9f-x2x4q"
    pod_env["OTEL_RESOURCE_ATTRIBUTES"] = _kubelet_expand(attributes, pod_env)
    for name, value in pod_env.items():
        monkeypatch.setenv(name, value)
    assert tracing.configure_from_env("settlements")
    try:
        provider = tracing._provider
        assert isinstance(provider, TracerProvider)
        expected = {
            "service.name": "settlements",
            "service.namespace": "fieldline",
            "k8s.pod.name": "fieldline-settlements-7d9f-x2x4q",
            "deployment.environment": "prod",
            "team": "a,b%$x",
        }
        assert expected.items() <= dict(provider.resource.attributes).items()
        assert "TraceIdRatioBased{0.1}" in provider.sampler.get_description()
    finally:
        tracing.uninstall()


@pytest.mark.chart
def test_tracing_variables_a_service_sets_itself_win() -> None:
    docs = _render(
        *TRACING,
        "--set",
        "services.orders.env.OTEL_TRACES_SAMPLER=always_off",
        "--set-json",
        'services.settlements.extraEnv=[{"name": "OTEL_RESOURCE_ATTRIBUTES", "value": "team=x"}]',
        "--set-json",
        'services.clients.env={"OTEL_RESOURCE_ATTRIBUTES": "team=y"}',
    )
    assert _config(docs, "orders")["OTEL_TRACES_SAMPLER"] == "always_off"
    # Their own OTEL_RESOURCE_ATTRIBUTES, once: the chart adds none (no duplicate EnvVar).
    assert _env(docs, "settlements")[1:] == [
        {"name": "OTEL_RESOURCE_ATTRIBUTES", "value": "team=x"}
    ]
    assert _config(docs, "clients")["OTEL_RESOURCE_ATTRIBUTES"] == "team=y"
    assert [e["name"] for e in _env(docs, "clients")] == ["CLIENTS_DATABASE_URL"]
    _assert_valid(docs)


@pytest.mark.chart
def test_tracing_egress_on_the_endpoints_port() -> None:
    docs = _render(
        *TRACING,
        "--set-json",
        f"networkPolicy.tracing.to={json.dumps(OBSERVABILITY)}",
        "--set",
        "services.clients.tracing.enabled=false",
    )
    rule = {"ports": [{"port": 4317, "protocol": "TCP"}], "to": OBSERVABILITY}
    assert rule in _egress(docs, "fieldline-orders")
    assert rule in _egress(docs, "fieldline-settlements")
    # Tracing off for one service: no OTEL_ variables, no egress to the collector.
    assert not [k for k in _config(docs, "clients") if k.startswith("OTEL_")]
    assert rule not in _egress(docs, "fieldline-clients")
    assert rule not in _egress(docs, "fieldline-hooks")  # hooks are not traced
    _assert_valid(docs)

    # The endpoint's own port; no peers given: any destination on it.
    docs = _render(
        "--set",
        "tracing.enabled=true,tracing.endpoint=otel.example.com:14317,tracing.insecure=true",
    )
    assert _config(docs, "clients")["OTEL_EXPORTER_OTLP_ENDPOINT"] == "otel.example.com:14317"
    assert {"ports": [{"port": 14317, "protocol": "TCP"}]} in _egress(docs, "fieldline-clients")


@pytest.mark.chart
def test_tracing_changes_roll_the_pods() -> None:
    def checksum(*args: str) -> str:
        dep = _by(_render(*args), "Deployment", "fieldline-orders")
        return str(dep["spec"]["template"]["metadata"]["annotations"]["checksum/config"])

    off = checksum()
    assert checksum(*TRACING) != off
    assert checksum(*TRACING, "--set", "tracing.samplerArg=0.5") not in (off, checksum(*TRACING))


@pytest.mark.chart
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "tracing.enabled=true"], r"/tracing/endpoint"),
        # an override turning it on for one service: the template names what is missing
        (
            ["--set", "services.clients.tracing.enabled=true"],
            r"services\.clients: tracing\.enabled needs tracing\.endpoint",
        ),
        # no port: gRPC would dial 443, not the collector's 4317
        (["--set", "tracing.enabled=true,tracing.endpoint=http://otel"], r"/tracing/endpoint"),
        (
            [
                "--set",
                "tracing.enabled=true,tracing.endpoint=https://otel:4317,tracing.insecure=true",
            ],
            r"tracing\.insecure with the https:// endpoint https://otel:4317",
        ),
        (["--set", "tracing.sampler=sometimes"], r"/tracing/sampler"),
        (["--set", "tracing.samplerArg=1.5"], r"/tracing/samplerArg"),
    ],
)
def test_invalid_tracing_values_fail(args: list[str], message: str) -> None:
    with pytest.raises(chart.ChartCheckError, match=message):
        _render(*args)


# --------------------------------------------------------------------------- monitoring

MONITORING = [
    "--set",
    "metrics.serviceMonitor.enabled=true",
    "--set",
    "monitoring.dashboards.enabled=true",
    "--set",
    "monitoring.prometheusRule.enabled=true",
    "--set",
    "monitoring.prometheusRule.runbookBaseUrl=https://wiki.example.com/runbook.md",
]


def _check_monitoring(docs: list[dict[str, Any]], tmp_path: Path) -> tuple[list[str], list[str]]:
    return chart.check_monitoring(chart.ensure_promtool(ROOT), docs, CHART, tmp_path)


@pytest.mark.chart
def test_monitoring_is_off_by_default() -> None:
    docs = _render()
    assert not [d for d in docs if d["kind"] == "PrometheusRule"]
    assert not [d for d in docs if "grafana_dashboard" in d["metadata"].get("labels", {})]


@pytest.mark.chart
def test_dashboards_ship_as_labelled_config_maps() -> None:
    docs = _render(
        *MONITORING,
        "--set",
        "monitoring.dashboards.label=grafana_dashboard_fieldline",
        "--set",
        "monitoring.dashboards.labelValue=yes",
    )
    maps = {
        d["metadata"]["name"]: d
        for d in docs
        if d["kind"] == "ConfigMap" and "dashboard" in d["metadata"]["name"]
    }
    assert sorted(maps) == [
        f"fieldline-dashboard-{n}"
        for n in ("clients", "device-gateway", "orders", "overview", "settlements")
    ]
    files = sorted((CHART / "dashboards").glob("*.json"))
    for path in files:
        cm = maps[f"fieldline-dashboard-{path.stem.removeprefix('fieldline-')}"]
        assert cm["metadata"]["labels"]["grafana_dashboard_fieldline"] == "yes"
        assert cm["metadata"]["namespace"] == "fieldline"
        assert cm["data"] == {path.name: path.read_text().rstrip("\n")}
    _assert_valid(docs)


@pytest.mark.chart
def test_alerts_select_the_enabled_services_and_link_the_runbook() -> None:
    docs = _render(*MONITORING, "--set", "services.device-gateway.enabled=true")
    rule = _by(docs, "PrometheusRule", "fieldline-alerts")
    rules = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}
    assert sorted(rules) == [
        "FieldlineConsumerLagging",
        "FieldlineDatabaseUnreachable",
        "FieldlineDeadLetters",
        "FieldlineErrorRatioHigh",
        "FieldlineGatewayErrorRatioHigh",
        "FieldlineGatewayFanoutLagHigh",
        "FieldlineGatewayLatencyP99High",
        "FieldlineGatewayRefreshTokenReuse",
        "FieldlineGatewayUploadsDeferred",
        "FieldlineLatencyP99High",
        "FieldlineOutboxBacklogGrowing",
        "FieldlineServiceDown",
    ]
    jobs = (
        "fieldline-clients|fieldline-device-gateway|fieldline-exchange|fieldline-orders|"
        "fieldline-settlements"
    )
    runbook = (ROOT / "docs" / "operations" / "runbook.md").read_text()
    for name, r in rules.items():
        assert f'namespace="fieldline", job=~"{jobs}"' in r["expr"], name
        url = r["annotations"]["runbook_url"]
        assert url == f"https://wiki.example.com/runbook.md#{name.lower()}"
        assert f"\n### {name}\n" in runbook, f"runbook.md has no section for {name}"
    down = rules["FieldlineServiceDown"]["expr"]
    assert 'absent(up{namespace="fieldline", job="fieldline-device-gateway"})' in down

    # The gateway's alerts only while it is enabled.
    docs = _render(*MONITORING, "--set", "services.device-gateway.enabled=false")
    rule = _by(docs, "PrometheusRule", "fieldline-alerts")
    names = [r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]]
    assert len(names) == 7 and not [n for n in names if n.startswith("FieldlineGateway")]


@pytest.mark.chart
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "--set",
                "monitoring.prometheusRule.enabled=true",
                "--set",
                "monitoring.prometheusRule.runbookBaseUrl=https://wiki.example.com/runbook.md",
            ],
            "needs metrics.serviceMonitor.enabled",
        ),
        (
            [
                "--set",
                "monitoring.prometheusRule.enabled=true",
                "--set",
                "metrics.serviceMonitor.enabled=true",
            ],
            "runbookBaseUrl",
        ),
        (["--set", "monitoring.prometheusRule.alerts.errorRatio.threshold=5"], "threshold"),
        (["--set", "monitoring.prometheusRule.alerts.serviceDown.for=soon"], "for"),
    ],
)
def test_invalid_monitoring_values_fail(args: list[str], message: str) -> None:
    with pytest.raises(chart.ChartCheckError, match=message):
        _render(*args)


@pytest.mark.chart
def test_alert_unit_tests_fail_when_an_alert_changes(tmp_path: Path) -> None:
    """ci/alerts-test.yaml holds the alerts to what it expects: a threshold that would no
    longer catch 10 % of settlements' RPCs failing fails it."""
    docs = chart.render(
        ROOT,
        [
            "--values",
            str(CHART / "ci" / "opt-ins-values.yaml"),
            "--set-json",  # --set makes 0.2 a string
            "monitoring.prometheusRule.alerts.errorRatio.threshold=0.2",
        ],
    )
    failures, checked = _check_monitoring(docs, tmp_path)
    assert any("promtool check rules: 12 rules" in c for c in checked)
    (failure,) = failures
    assert "promtool test rules" in failure and "FieldlineErrorRatioHigh" in failure


@pytest.mark.chart
def test_dashboard_checks_catch_bad_json_queries_and_data_sources(tmp_path: Path) -> None:
    good = json.loads((CHART / "dashboards" / "fieldline-overview.json").read_text())
    bad_query = copy.deepcopy(good)
    bad_query["panels"][1]["targets"][0]["expr"] = "sum by (job) (rate(fieldline_x[5m]"
    fixed_source = copy.deepcopy(good)
    fixed_source["panels"][1]["datasource"] = {"type": "prometheus", "uid": "prometheus"}
    no_variable = copy.deepcopy(good)
    no_variable["templating"]["list"] = no_variable["templating"]["list"][1:]
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "dashboards"},
        "data": {
            "good.json": json.dumps(good),
            "broken.json": "{not json",
            "source.json": json.dumps(fixed_source),
            "variable.json": json.dumps(no_variable),
        },
    }
    failures, _ = _check_monitoring([config_map], tmp_path)
    text = "\n".join(failures)
    assert "broken.json: not JSON" in text
    assert "source.json: panel 'Request rate': datasource is not the ${datasource}" in text
    assert "variable.json: no variable 'datasource'" in text
    assert not any(f.startswith("ConfigMap/dashboards/good.json") for f in failures)

    config_map["data"] = {"query.json": json.dumps(bad_query)}
    (failure,) = _check_monitoring([config_map], tmp_path)[0]
    assert "not valid PromQL" in failure and "rate(fieldline_x[5m]" in failure


def test_grafana_queries_become_promql() -> None:
    assert (
        chart.as_promql('sum(rate(m{job=~"$job", ns="${namespace}"}[$__rate_interval]))')
        == 'sum(rate(m{job=~"x", ns="x"}[5m]))'
    )
    assert chart.as_promql('label_values(m{namespace="$namespace"}, job)') == ('m{namespace="x"}')
    assert chart.as_promql("increase(m[$__range])") == "increase(m[5m])"
