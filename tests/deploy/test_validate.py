"""The rendered chart, for every region, checked offline by the real tools, and the GitOps manifests with it.

- every core Kubernetes object: kubeconform ``-strict`` against Kubernetes 1.31's schemas (from PyPI
  kubernetes-validate, rewritten for offline use by tests/deploy/schemas.py);
- every custom resource (Argo Rollouts, KEDA, Prometheus Operator, Cilium, Argo CD): its CRD schema from the
  pinned @kubernetes-models packages (deploy/tools/crd-validator). Nothing is passed over: the kinds kubeconform
  has no schema for must be exactly the kinds the CRD validator validated;
- those schemas accept unknown fields (a misspelt optional field passes), so the fields that matter are checked
  here too: references between objects resolve (analysis templates, scale targets, ServiceMonitor selectors and
  ports) and every alert carries its severity and runbook;
- checkov on the rendered manifests, 0 failures, every skip an inline annotation with its reason.

Each region is rendered three times: as configured (edge StatefulSet, Kubernetes NetworkPolicies), with the
variants switched on (edge as an Argo Rollout canary, CiliumNetworkPolicies), so every template is checked, and
with images pinned by digest, as the release pipeline renders it.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.manifests import KUBE_VERSION, render_text
from tests.deploy.schemas import SCHEMA_LOCATION, ensure_schemas
from tests.deploy.tools import CHECKOV, CRD_VALIDATOR, KUBECONFORM, ROOT, require

REGIONS = ("us", "eu", "apac")
DIGEST = "sha256:" + "0123456789abcdef" * 4
VARIANTS: dict[str, dict[str, str]] = {
    "default": {},
    "rollout-cilium": {"edge.workload": "rollout", "networkPolicy.flavor": "cilium"},
    # As the release pipeline renders it: images pinned by digest, so checkov's CKV_K8S_43 runs (no skip).
    "digest": {"image.digest": DIGEST, "mirrormaker.image.digest": DIGEST},
}
VALIDATE_MJS = ROOT / "deploy" / "tools" / "crd-validator" / "validate.mjs"
GITOPS = ROOT / "deploy" / "gitops"
CRD_KINDS = {
    "Rollout",
    "AnalysisTemplate",
    "ScaledObject",
    "TriggerAuthentication",
    "ServiceMonitor",
    "PrometheusRule",
    "CiliumNetworkPolicy",
    "ApplicationSet",
    "AppProject",
}
Docs = list[dict[str, Any]]


class Render:
    """One ``helm template`` of the chart: its text on disk (for the command-line tools) and its objects."""

    def __init__(self, region: str, variant: str, directory: Path) -> None:
        self.region, self.variant = region, variant
        self.path = directory / f"{region}-{variant}.yaml"
        self.path.write_text(render_text(region, set_=VARIANTS[variant]))
        self.docs: Docs = [doc for doc in yaml.safe_load_all(self.path.read_text()) if doc is not None]

    def of(self, kind: str) -> Docs:
        return [doc for doc in self.docs if doc["kind"] == kind]


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Render]:
    """Each region and variant rendered once for the whole module."""
    directory = tmp_path_factory.mktemp("rendered")
    return {(r, v): Render(r, v, directory) for r in REGIONS for v in VARIANTS}


def _cases() -> Iterator[Any]:
    for region in REGIONS:
        for variant in VARIANTS:
            yield pytest.param(region, variant, id=f"{region}-{variant}")


CASES = list(_cases())


def kubeconform(paths: list[Path]) -> list[dict[str, Any]]:
    """kubeconform's verdict on every object in ``paths`` (objects with no Kubernetes schema: reported skipped)."""
    ensure_schemas(KUBE_VERSION)
    command = [
        str(require(KUBECONFORM)),
        "-strict",
        "-summary",
        "-verbose",
        "-output",
        "json",
        "-ignore-missing-schemas",
        "-kubernetes-version",
        KUBE_VERSION,
        "-schema-location",
        SCHEMA_LOCATION,
        *map(str, paths),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)  # noqa: S603
    resources = json.loads(result.stdout)["resources"]
    problems = [r for r in resources if r["status"] in ("statusInvalid", "statusError")]
    assert result.returncode == 0 and not problems, json.dumps(problems, indent=2) + result.stderr
    return resources


def crd_validate(*texts: str, directory: Path) -> list[dict[str, Any]]:
    """The CRD validator's verdict on every document (deploy/tools/crd-validator/validate.mjs), one file per text."""
    node = shutil.which("node")
    assert node, "node is missing: run `make system-deps`"
    require(CRD_VALIDATOR / ".synced")
    files = []
    for index, text in enumerate(texts):
        files.append(directory / f"crds-{index}.yaml")
        files[-1].write_text(text)
    command = [node, str(VALIDATE_MJS), "--json", "--modules", str(CRD_VALIDATOR / "node_modules"), *map(str, files)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)  # noqa: S603
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def custom_resources(docs: Docs) -> Docs:
    """Objects of API groups that are not Kubernetes' own (core, apps, ``*.k8s.io``)."""
    groups = [doc["apiVersion"].rpartition("/")[0] for doc in docs]
    return [doc for doc, group in zip(docs, groups, strict=True) if "." in group and not group.endswith(".k8s.io")]


@pytest.fixture(scope="module")
def verdicts(
    renders: dict[tuple[str, str], Render], tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """kubeconform's and the CRD validator's verdicts per render, each tool run once over all of them."""
    keys = list(renders)
    schema = kubeconform([renders[key].path for key in keys])
    crds = crd_validate(
        *(yaml.safe_dump_all(custom_resources(renders[key].docs)) for key in keys),
        directory=tmp_path_factory.mktemp("crds"),
    )
    return {
        key: (
            [r for r in schema if r["filename"] == str(renders[key].path)],
            [r for r in crds if Path(r["file"]).name == f"crds-{index}.yaml"],
        )
        for index, key in enumerate(keys)
    }


@pytest.mark.parametrize(("region", "variant"), CASES)
def test_core_objects_pass_strict_schemas(
    renders: dict[tuple[str, str], Render],
    verdicts: dict[tuple[str, str], tuple[list[dict[str, Any]], list[dict[str, Any]]]],
    region: str,
    variant: str,
) -> None:
    """Every core object is valid against Kubernetes 1.31 (strict: no unknown field); the only objects kubeconform
    skips are the custom resources, and the CRD validator validates exactly those against their CRD schemas."""
    render = renders[(region, variant)]
    schema, crds = verdicts[(region, variant)]
    skipped = sorted((r["kind"], r["name"]) for r in schema if r["status"] == "statusSkipped")
    valid = [r for r in schema if r["status"] == "statusValid"]
    assert skipped == sorted((r["kind"], r["name"]) for r in crds)
    assert all(r["status"] == "valid" for r in crds), [r for r in crds if r["status"] != "valid"]
    assert len(valid) + len(crds) == len(render.docs)
    assert {"Deployment", "Service", "ServiceAccount", "PodDisruptionBudget"} <= {r["kind"] for r in valid}
    assert {r["kind"] for r in crds} >= {"ScaledObject", "ServiceMonitor", "PrometheusRule", "AnalysisTemplate"}


def test_kubeconform_catches_errors(renders: dict[tuple[str, str], Render], tmp_path: Path) -> None:
    """The rewritten schemas are strict and found (not skipped): an unknown field and a wrong type are invalid."""
    deployment = copy.deepcopy(renders[("us", "default")].of("Deployment")[0])
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    service = copy.deepcopy(renders[("us", "default")].of("Service")[0])
    service["spec"]["ports"][0]["port"] = "http"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump_all([deployment, service]))
    command = [str(require(KUBECONFORM)), "-strict", "-output", "json", "-kubernetes-version", KUBE_VERSION]
    command += ["-schema-location", SCHEMA_LOCATION, str(path)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)  # noqa: S603
    statuses = {r["kind"]: r["status"] for r in json.loads(result.stdout)["resources"]}
    assert result.returncode == 1 and statuses == {"Deployment": "statusInvalid", "Service": "statusInvalid"}


def test_every_template_kind_is_rendered(renders: dict[tuple[str, str], Render]) -> None:
    """The two variants together render every kind the issue asks for (so none escapes the checks above)."""
    kinds = {doc["kind"] for render in renders.values() for doc in render.docs}
    expected = {"StatefulSet", "Rollout", "AnalysisTemplate", "ScaledObject", "ServiceMonitor", "PrometheusRule"}
    assert expected | {"NetworkPolicy", "CiliumNetworkPolicy", "PodDisruptionBudget", "Deployment"} <= kinds
    assert kinds - {"Namespace"} <= CRD_KINDS | {
        "ConfigMap",
        "Deployment",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Secret",
        "Service",
        "ServiceAccount",
        "StatefulSet",
        "HorizontalPodAutoscaler",
    }


def _broken(docs: Docs) -> Iterator[tuple[str, dict[str, Any]]]:
    """One deliberately wrong copy of each kind of custom resource (a wrong type or a missing required field)."""
    for doc in docs:
        bad = copy.deepcopy(doc)
        kind = doc["kind"]
        if kind == "Rollout":
            bad["spec"]["replicas"] = "three"
        elif kind == "AnalysisTemplate":
            bad["spec"]["metrics"][0]["count"] = {"every": "minute"}
        elif kind == "ScaledObject":
            bad["spec"]["triggers"] = {"type": "kafka"}
        elif kind == "ServiceMonitor":
            bad["spec"]["endpoints"][0]["port"] = 8090
        elif kind == "PrometheusRule":
            bad["spec"]["groups"][0]["rules"] = "all of them"
        elif kind == "CiliumNetworkPolicy":
            bad["spec"]["endpointSelector"] = ["app"]
        elif kind == "TriggerAuthentication":
            bad["spec"]["secretTargetRef"] = "a secret"
        else:
            continue
        yield kind, bad


def test_crd_validator_catches_errors(renders: dict[tuple[str, str], Render], tmp_path: Path) -> None:
    """The CRD validator can fail: a broken copy of each kind is invalid, and a kind it has no schema for is
    reported unknown (never passed over)."""
    docs = custom_resources(renders[("us", "rollout-cilium")].docs)
    broken = {kind: bad for kind, bad in _broken(docs)}
    assert set(broken) >= {"Rollout", "AnalysisTemplate", "ScaledObject", "ServiceMonitor", "PrometheusRule"}
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    results = crd_validate(yaml.safe_dump_all([*broken.values(), unknown]), directory=tmp_path)
    assert {r["kind"]: r["status"] for r in results} == {**dict.fromkeys(broken, "invalid"), "Widget": "unknown"}


# Our own checks: what the schemas let through.


def _labels(doc: Mapping[str, Any]) -> dict[str, str]:
    return dict(doc["metadata"].get("labels") or {})


def _selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A Kubernetes label selector's verdict; an empty selector counts as selecting nothing here (ours never are)."""
    match = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    operators = {
        "In": lambda key, values: labels.get(key) in values,
        "NotIn": lambda key, values: labels.get(key) not in values,
        "Exists": lambda key, _: key in labels,
        "DoesNotExist": lambda key, _: key not in labels,
    }
    return (
        bool(match or expressions)
        and all(labels.get(k) == v for k, v in match.items())
        and all(operators[e["operator"]](e["key"], e.get("values") or []) for e in expressions)
    )


def _pod_labels(doc: Mapping[str, Any]) -> dict[str, str]:
    return dict(doc["spec"]["template"]["metadata"].get("labels") or {})


def check_rollout(render: Render) -> None:
    """The edge canary has pauses and analysis, its analysis names a rendered AnalysisTemplate with the args it
    passes, and the template's metrics (5xx ratio, p99 latency) query Prometheus with a success condition and a
    failure limit."""
    (rollout,) = render.of("Rollout")
    templates = {doc["metadata"]["name"]: doc for doc in render.of("AnalysisTemplate")}
    canary = rollout["spec"]["strategy"]["canary"]
    steps = canary["steps"]
    assert any("pause" in step for step in steps) and any("setWeight" in step for step in steps)
    analyses = [step["analysis"] for step in steps if "analysis" in step]
    if "analysis" in canary:
        analyses.append(canary["analysis"])
    assert analyses, "the canary runs no analysis"
    for analysis in analyses:
        for ref in analysis["templates"]:
            assert ref["templateName"] in templates, ref
            declared = {arg["name"] for arg in templates[ref["templateName"]]["spec"].get("args", [])}
            assert {arg["name"] for arg in analysis.get("args", [])} <= declared
    for template in templates.values():
        metrics = template["spec"]["metrics"]
        queries = [metric["provider"]["prometheus"]["query"] for metric in metrics]
        assert any('status=~"5.."' in q for q in queries) and any("histogram_quantile(0.99" in q for q in queries)
        for metric in metrics:
            assert metric["successCondition"] and "failureLimit" in metric
    assert _selects(rollout["spec"]["selector"], _pod_labels(rollout))


@pytest.mark.parametrize("region", REGIONS)
def test_rollout_canary_is_complete(renders: dict[tuple[str, str], Render], region: str) -> None:
    check_rollout(renders[(region, "rollout-cilium")])


def check_scaled_objects(render: Render) -> None:
    """Each ScaledObject scales a workload this release renders, within bounds, with triggers whose
    authentication exists, and the workloads KEDA scales leave their replica count to it."""
    workloads = {
        (d["kind"], d["metadata"]["name"]) for d in render.docs if d["kind"] in ("Deployment", "StatefulSet", "Rollout")
    }
    auths = {d["metadata"]["name"] for d in render.of("TriggerAuthentication")}
    scaled = render.of("ScaledObject")
    assert scaled
    for doc in scaled:
        spec = doc["spec"]
        ref = spec["scaleTargetRef"]
        assert (ref.get("kind", "Deployment"), ref["name"]) in workloads, ref
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
        for trigger in spec["triggers"]:
            assert trigger["type"] and trigger["metadata"]
            if "authenticationRef" in trigger:
                assert trigger["authenticationRef"]["name"] in auths
            if trigger["type"] == "kafka":  # capped at the partition count: more consumers would sit idle
                assert trigger["metadata"]["lagThreshold"]
    scaled_names = {doc["spec"]["scaleTargetRef"]["name"] for doc in scaled}
    for kind, name in workloads:  # KEDA owns these replica counts: the workload must not set one too
        workload = next(d for d in render.docs if (d["kind"], d["metadata"]["name"]) == (kind, name))
        if name in scaled_names:
            assert "replicas" not in workload["spec"], (kind, name)


@pytest.mark.parametrize(("region", "variant"), CASES)
def test_scaled_objects_target_rendered_workloads(
    renders: dict[tuple[str, str], Render], region: str, variant: str
) -> None:
    check_scaled_objects(renders[(region, variant)])


def check_service_monitors(render: Render) -> None:
    """Each ServiceMonitor selects a rendered Service whose ports include the named endpoint port, and adds the
    target label `region` from the pod label (the metric contract)."""
    services = render.of("Service")
    monitors = render.of("ServiceMonitor")
    assert monitors
    for monitor in monitors:
        matched = [s for s in services if _selects(monitor["spec"]["selector"], _labels(s))]
        assert matched, monitor["metadata"]["name"]
        ports = {p.get("name") for s in matched for p in s["spec"]["ports"]}
        for endpoint in monitor["spec"]["endpoints"]:
            assert endpoint["port"] in ports, (monitor["metadata"]["name"], endpoint["port"], ports)
            targets = {r.get("targetLabel") for r in endpoint.get("relabelings", [])}
            assert "region" in targets, monitor["metadata"]["name"]


@pytest.mark.parametrize(("region", "variant"), CASES)
def test_service_monitors_find_their_services(
    renders: dict[tuple[str, str], Render], region: str, variant: str
) -> None:
    check_service_monitors(renders[(region, variant)])


def check_alerts(render: Render) -> None:
    """Every alert has an expression, a `for`, a severity and a runbook an on-call person can follow."""
    (rule,) = render.of("PrometheusRule")
    alerts = [r for group in rule["spec"]["groups"] for r in group["rules"] if "alert" in r]
    assert alerts
    for alert in alerts:
        name = alert["alert"]
        assert alert["expr"] and alert.get("for"), name
        assert alert["labels"]["severity"] in ("page", "ticket", "critical", "warning", "info"), name
        annotations = alert["annotations"]
        assert annotations.get("summary"), name
        assert annotations.get("runbook_url") or annotations.get("runbook"), name


@pytest.mark.parametrize("region", REGIONS)
def test_alerts_carry_severity_and_runbook(renders: dict[tuple[str, str], Render], region: str) -> None:
    check_alerts(renders[(region, "default")])


def _mutated(render: Render, kind: str, change: Any) -> Render:
    broken = copy.copy(render)
    broken.docs = copy.deepcopy(render.docs)
    change(next(doc for doc in broken.docs if doc["kind"] == kind))
    return broken


def _set(path: str, value: Any) -> Any:
    """A change that sets the dotted ``path`` (list indexes as numbers) of a document to ``value``."""

    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(last) if last.isdigit() else last] = value

    return change


def _first_alert(key: str, value: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        next(r for g in doc["spec"]["groups"] for r in g["rules"] if "alert" in r)[key] = value

    return change


def test_own_checks_catch_broken_references(renders: dict[tuple[str, str], Render]) -> None:
    """What the CRD schemas let through, the checks above catch: each mutation breaks one of them."""
    render = renders[("us", "rollout-cilium")]
    analysis_step = next(
        i for i, step in enumerate(render.of("Rollout")[0]["spec"]["strategy"]["canary"]["steps"]) if "analysis" in step
    )
    cases = [
        (
            check_rollout,
            "Rollout",
            _set(f"spec.strategy.canary.steps.{analysis_step}.analysis.templates.0.templateName", "nope"),
        ),
        (check_rollout, "AnalysisTemplate", _set("spec.metrics.0.provider.prometheus.query", "up")),
        (check_scaled_objects, "ScaledObject", _set("spec.scaleTargetRef.name", "meridian-nothing")),
        (check_scaled_objects, "ScaledObject", _set("spec.maxReplicaCount", 0)),
        (check_service_monitors, "ServiceMonitor", _set("spec.endpoints.0.port", "metricz")),
        (check_service_monitors, "ServiceMonitor", _set("spec.selector.matchLabels", {"app.kubernetes.io/name": "x"})),
        (check_alerts, "PrometheusRule", _first_alert("labels", {})),
        (check_alerts, "PrometheusRule", _first_alert("annotations", {"summary": "no runbook"})),
    ]
    for check, kind, change in cases:
        check(render)  # the unbroken render passes
        with pytest.raises((AssertionError, KeyError)):
            check(_mutated(render, kind, change))


@pytest.mark.parametrize("region", REGIONS)
def test_network_policies_cover_every_pod(renders: dict[tuple[str, str], Render], region: str) -> None:
    """Both flavours start from default deny for every pod of the release, then each component has its own
    policy (CiliumNetworkPolicy has a schema from @kubernetes-models/cilium; these are the semantics)."""
    for variant, kind, selector_key in (
        ("default", "NetworkPolicy", "podSelector"),
        ("rollout-cilium", "CiliumNetworkPolicy", "endpointSelector"),
    ):
        render = renders[(region, variant)]
        policies = render.of(kind)
        pods = [_pod_labels(d) for d in render.docs if d["kind"] in ("Deployment", "StatefulSet", "Rollout")]
        assert pods
        deny = [p for p in policies if p["metadata"]["name"].endswith("default-deny")]
        assert len(deny) == 1, kind
        for labels in pods:
            assert _selects(deny[0]["spec"][selector_key], labels), (kind, labels)
            own = [p for p in policies if p is not deny[0] and _selects(p["spec"][selector_key], labels)]
            assert own, (kind, labels)
        assert not (render.of("NetworkPolicy") and render.of("CiliumNetworkPolicy"))


SKIP = re.compile(r"^(CKV2?_K8S_\d+)=(.{20,})$")


def _checkov_input(render: Render, directory: Path) -> Path:
    """The render as checkov should see it: checkov knows no Rollout, so each Rollout is also given as the
    Deployment it stands for (same pod template), and its pods are checked like any other."""
    docs = list(render.docs)
    for rollout in [doc for doc in docs if doc["kind"] == "Rollout"]:
        docs.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {**rollout["metadata"], "name": rollout["metadata"]["name"] + "-as-rollout"},
                "spec": {"selector": rollout["spec"]["selector"], "template": rollout["spec"]["template"]},
            }
        )
    path = directory / render.path.name
    path.write_text(yaml.safe_dump_all(docs))
    return path


def test_checkov_passes(renders: dict[tuple[str, str], Render], tmp_path: Path) -> None:
    """checkov's Kubernetes checks pass on every region and variant, and every skip is an inline
    `checkov.io/skip<n>: <check>=<reason>` annotation in the chart with a reason. One scan covers all renders: an
    object identical in two regions but for the region's name is scanned once (a name decides no check)."""
    seen: set[str] = set()
    for render in renders.values():
        unique = []
        for doc in render.docs:
            key = re.sub(r"\b(us|eu|apac)\b", "REGION", yaml.safe_dump(doc))
            if key not in seen:
                seen.add(key)
                unique.append(doc)
        render_unique = copy.copy(render)
        render_unique.docs = unique
        _checkov_input(render_unique, tmp_path)
        for doc in render.docs:
            for key, value in (doc["metadata"].get("annotations") or {}).items():
                if key.startswith("checkov.io/skip"):
                    assert SKIP.match(str(value)), (doc["kind"], doc["metadata"]["name"], value)
                    if render.variant == "digest":  # pinned images: the digest check must run, not be skipped
                        assert not str(value).startswith("CKV_K8S_43="), (doc["kind"], doc["metadata"]["name"])
    command = [str(require(CHECKOV)), "--framework", "kubernetes", "--skip-download", "--quiet", "-o", "json"]
    result = subprocess.run([*command, "-d", str(tmp_path)], capture_output=True, text=True, check=False, timeout=300)  # noqa: S603
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        (f["check_id"], f["resource"], Path(f["file_path"]).name)
        for r in reports
        for f in r["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(map(str, failed))
    assert sum(r["summary"]["passed"] for r in reports) > 0
    assert result.returncode == 0, result.stderr[-2000:]


# GitOps


def _gitops() -> Docs:
    return [
        doc
        for name in ("applicationset.yaml", "project.yaml")
        for doc in yaml.safe_load_all((GITOPS / name).read_text())
        if doc
    ]


def test_gitops_manifests_pass_their_crd_schemas(tmp_path: Path) -> None:
    results = crd_validate(yaml.safe_dump_all(_gitops()), directory=tmp_path)
    assert sorted(r["kind"] for r in results) == ["AppProject", "ApplicationSet", "ApplicationSet"]
    assert all(r["status"] == "valid" for r in results), results


def _wave(doc: Mapping[str, Any]) -> int:
    return int(doc["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])


def test_applicationsets_deploy_both_charts_to_every_region() -> None:
    """One Application per regional cluster per chart: the cluster generator selects clusters by their region
    label, the region picks the values files (which exist), Dagster comes from the official chart at the locked
    version with our values ($values), waves put Dagster before the services, sync is automated with prune and
    self-heal, and the replicas the autoscalers own are ignored."""
    docs = _gitops()
    (project,) = [d for d in docs if d["kind"] == "AppProject"]
    sets = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ApplicationSet"}
    assert set(sets) == {"meridian-dagster", "meridian-services"}
    for appset in sets.values():
        (generator,) = appset["spec"]["generators"]
        (expression,) = generator["clusters"]["selector"]["matchExpressions"]
        assert expression == {"key": "meridian.io/region", "operator": "In", "values": list(REGIONS)}
        template = appset["spec"]["template"]
        spec = template["spec"]
        assert spec["project"] == project["metadata"]["name"]
        assert _wave(template) == _wave(appset) > _wave(project)
        policy = spec["syncPolicy"]
        assert policy["automated"] == {"prune": True, "selfHeal": True}
        assert {"CreateNamespace=true", "ServerSideApply=true"} <= set(policy["syncOptions"])
        sources = spec.get("sources") or [spec["source"]]
        assert {s["repoURL"] for s in sources} <= set(project["spec"]["sourceRepos"])
        assert spec["destination"]["namespace"] in {d["namespace"] for d in project["spec"]["destinations"]}
    dagster_app = sets["meridian-dagster"]["spec"]["template"]["spec"]
    chart = next(s for s in dagster_app["sources"] if s.get("chart") == "dagster")
    assert chart["targetRevision"] == version("dagster")  # the chart's version is dagster's
    ref = next(s for s in dagster_app["sources"] if s.get("ref"))
    region_expr = '{{ index .metadata.labels "meridian.io/region" }}'
    for value_file in chart["helm"]["valueFiles"]:
        assert value_file.startswith(f"${ref['ref']}/")
        for region in REGIONS:
            assert (ROOT / value_file.removeprefix(f"${ref['ref']}/").replace(region_expr, region)).is_file()
    assert chart["helm"]["releaseName"] == "dagster" and dagster_app["destination"]["namespace"] == "dagster"
    services = sets["meridian-services"]["spec"]["template"]["spec"]
    assert _wave(sets["meridian-services"]) > _wave(sets["meridian-dagster"])
    assert services["source"]["path"] == "deploy/helm/meridian"
    for value_file in services["source"]["helm"]["valueFiles"]:
        for region in REGIONS:
            assert (ROOT / services["source"]["path"] / value_file.replace(region_expr, region)).is_file()
    ignored = {(d["group"], d["kind"]): d["jsonPointers"] for d in services["ignoreDifferences"]}
    assert ignored == {
        (g, k): ["/spec/replicas"]
        for g, k in (("apps", "Deployment"), ("apps", "StatefulSet"), ("argoproj.io", "Rollout"))
    }
    assert "RespectIgnoreDifferences=true" in services["syncPolicy"]["syncOptions"]


def test_project_restricts_what_it_deploys() -> None:
    (project,) = [d for d in _gitops() if d["kind"] == "AppProject"]
    spec = project["spec"]
    assert "*" not in spec["sourceRepos"]
    assert {d["namespace"] for d in spec["destinations"]} == {"meridian", "dagster"}
    assert spec["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]
