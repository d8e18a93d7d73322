"""The Helm chart check (fieldline_dev.chart) and chart behaviour it cannot see on its own.

Tests marked `chart` need the helm binary, fetched into .tools/helm on first use. Auth is
required, so every render gives at least ci/default-values.yaml (the least an install needs).
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
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
REQUIRED = ["--values", str(CHART / "ci" / "default-values.yaml")]

IDP = "https://idp.example.com/realms/fieldline"
IDP_JWKS = f"{IDP}/protocol/openid-connect/certs"


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
        "CLIENTS_AUTH_ISSUERS": IDP,
        "CLIENTS_AUTH_JWKS": IDP_JWKS,
        "CLIENTS_GRPC_PORT": "50051",
        "CLIENTS_LOG_LEVEL": "info",
        "CLIENTS_METRICS_PORT": "9464",
        "CLIENTS_NATS_URL": "nats://nats.nats.svc.cluster.local:4222",
    }
    assert [v["name"] for v in pod["volumes"]] == ["tmp"]  # keys from the URL: no Secret
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
    ):
        assert missing in message, message
    # Orders disabled: its key is not asked for, the token-key source still is.
    with pytest.raises(chart.ChartCheckError) as failed:
        chart.render(ROOT, ["--set", "services.orders.enabled=false"])
    assert "/auth/jwks/urls" in str(failed.value)
    assert "serviceTokens" not in str(failed.value)


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
            assert config[f"{prefix}_AUTH_JWKS"] == f"{IDP_JWKS},{files}"
            assert config[f"{prefix}_AUTH_ISSUERS"] == f"{IDP},partner-hub"

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
        f"{IDP_JWKS},{files},/etc/fieldline/auth/services/orders/jwks.json#iss=fieldline-orders"
    )
    assert settlements["SETTLEMENTS_AUTH_ISSUERS"] == f"{IDP},partner-hub,fieldline-orders"
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
    assert _config(docs, "clients")["CLIENTS_AUTH_JWKS"] == "/etc/fieldline/auth/jwks/jwks.json"
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
def test_tls_mounts_the_certificate_sets_the_files_and_probes_tcp() -> None:
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
        # The kubelet's grpc probe cannot speak TLS: tcpSocket on the gRPC port instead.
        (container,) = pod["containers"]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert "grpc" not in container[probe]
            assert container[probe]["tcpSocket"] == {"port": "grpc"}
    # The migration hook mounts no certificate and gets no TLS setting.
    job = _by(docs, "Job", "fieldline-orders-migrate")["spec"]["template"]["spec"]
    assert not [e for e in job["containers"][0]["env"] if "_TLS_" in e["name"]]
    _assert_valid(docs)

    # The HTTP gateway keeps httpGet probes, over HTTPS.
    docs = _render(
        "--set", "tls.enabled=true,tls.existingSecret=t,services.device-gateway.enabled=true"
    )
    container = _pod(docs, "device-gateway")["containers"][0]
    assert container["readinessProbe"]["httpGet"] == {
        "path": "/readyz",
        "port": "http",
        "scheme": "HTTPS",
    }
    assert _config(docs, "device-gateway")["DEVICE_GATEWAY_TLS_CERT_FILE"] == (
        "/etc/fieldline/tls/tls.crt"
    )


@pytest.mark.chart
def test_tls_callee_first_gives_the_caller_the_ca_only() -> None:
    """Turning TLS on in steps: settlements serves TLS while orders does not yet; orders then
    calls it over TLS with settlements' CA (and nothing else from its Secret)."""
    docs = _render(
        "--set",
        "tls.existingSecret=fieldline-tls",
        "--set",
        "services.settlements.tls.enabled=true",
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
    assert settlements["readinessProbe"]["tcpSocket"] == {"port": "grpc"}
    assert not [k for k in _config(docs, "clients") if "_TLS_" in k]  # calls no one
    _assert_valid(docs)
