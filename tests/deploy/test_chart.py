"""The services' Helm chart (deploy/helm/meridian), rendered by the real helm for every region.

Nothing can be deployed from here, so the tests check what a cluster would be given: `helm lint --strict`, and
the rendered objects' fields that carry the design (the edge's per-pod buffer and drain, probes, the stream's
replica cap, the canary's analysis, non-root pods, default-deny policies). Schema validation of every object
(kubeconform, the CRD schemas) and checkov are test_validate.py's.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from orchestration.exporter.settings import ExporterSettings
from orchestration.settings import DagsterInstanceSettings, LakeSettings
from streaming.edge.settings import EdgeSettings
from streaming.kafka.settings import KafkaSettings
from streaming.realtime.settings import StreamSettings
from tests.deploy.manifests import CHART, KUBE_VERSION, NAMESPACE, RELEASE
from tests.deploy.tools import HELM, ROOT, require

REGIONS = ("us", "eu", "apac")
POD_KINDS = {"Deployment", "StatefulSet", "Rollout"}
Obj = dict[str, Any]


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own tool, fixed arguments
        [str(require(HELM)), *args], capture_output=True, text=True, timeout=60, check=check
    )


def render(region: str | None = "us", *sets: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    args = ["template", RELEASE, str(CHART), "--namespace", NAMESPACE, "--kube-version", KUBE_VERSION]
    if region:
        args += ["-f", str(CHART / f"values-{region}.yaml")]
    for value in sets:
        args += ["--set", value]
    return helm(*args, check=check)


@functools.cache
def objects(region: str | None = "us", *sets: str) -> list[Obj]:
    """The rendered objects, parsed; cached (helm is the slow part), so callers must not modify them."""
    return [doc for doc in yaml.safe_load_all(render(region, *sets).stdout) if doc]


def by_kind(objs: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objs if o["kind"] == kind]


def one(objs: list[Obj], kind: str, component: str) -> Obj:
    found = [o for o in by_kind(objs, kind) if o["metadata"]["labels"]["app.kubernetes.io/component"] == component]
    assert len(found) == 1, f"expected one {kind} for {component}, got {len(found)}"
    return found[0]


def pod_spec(workload: Obj) -> Obj:
    spec: Obj = workload["spec"]["template"]["spec"]
    return spec


@pytest.fixture
def rendered() -> dict[str, list[Obj]]:
    return {region: objects(region) for region in REGIONS}


@pytest.mark.parametrize("region", REGIONS)
def test_lint_strict_per_region(region: str) -> None:
    """Lint fails on warnings too (--strict), with the schema applied to the region's values."""
    result = helm(
        "lint", "--strict", str(CHART), "-f", str(CHART / f"values-{region}.yaml"),
        "--kube-version", KUBE_VERSION, "--namespace", NAMESPACE, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_region_renders_its_own_region(rendered: dict[str, list[Obj]]) -> None:
    """Every object carries its region's label and lives in the release namespace (never an implicit default)."""
    for region, objs in rendered.items():
        assert objs
        for o in objs:
            assert o["metadata"]["labels"]["meridian.io/region"] == region, o["metadata"]["name"]
            assert o["metadata"]["namespace"] == NAMESPACE, o["metadata"]["name"]
            for key in ("name", "instance", "component", "managed-by", "part-of", "version"):
                assert f"app.kubernetes.io/{key}" in o["metadata"]["labels"], (o["kind"], key)
        edge = one(objs, "StatefulSet", "edge")
        env = {e["name"]: e.get("value") for e in pod_spec(edge)["containers"][0]["env"]}
        assert env["MERIDIAN_EDGE_REGION"] == region
        mm2 = one(objs, "ConfigMap", "mirrormaker")["data"]["mm2.properties"]
        peers = [r for r in REGIONS if r != region]
        for peer in peers:  # every peer mirrors into this region, and nothing out of it
            assert f"{peer}->{region}.enabled = true" in mm2
        assert f"{region}->" not in mm2
        assert mm2.startswith(f"clusters = {region}, ")
        assert one(objs, "Deployment", "mirrormaker")["spec"]["template"]["spec"]["containers"][0]["args"][-1] == region


def test_edge_statefulset_keeps_its_buffer_and_drains(rendered: dict[str, list[Obj]]) -> None:
    """A claim per pod that outlives it, mounted where MERIDIAN_EDGE_BUFFER_DIR points; a preStop drain that fits
    the grace period; health on /healthz, readiness on /readyz."""
    for objs in rendered.values():
        sts = one(objs, "StatefulSet", "edge")
        claims = sts["spec"]["volumeClaimTemplates"]
        assert [c["metadata"]["name"] for c in claims] == ["buffer"]
        assert claims[0]["spec"]["resources"]["requests"]["storage"]
        assert sts["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
        assert "replicas" not in sts["spec"]  # KEDA owns the count
        container = pod_spec(sts)["containers"][0]
        assert container["args"] == ["edge"]
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["MERIDIAN_EDGE_BUFFER_DIR"].startswith(mounts["buffer"] + "/")
        assert env["MERIDIAN_EDGE_HTTP_HOST"] == "0.0.0.0"  # noqa: S104 - a pod must listen beyond loopback
        command = container["lifecycle"]["preStop"]["exec"]["command"]
        assert command[1].startswith(mounts["drain"] + "/")
        drain_timeout = int(command[-1])
        assert drain_timeout + 30 <= pod_spec(sts)["terminationGracePeriodSeconds"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert sts["spec"]["serviceName"] in {s["metadata"]["name"] for s in by_kind(objs, "Service")}
        headless = [s for s in by_kind(objs, "Service") if s["metadata"]["name"] == sts["spec"]["serviceName"]]
        assert headless[0]["spec"]["clusterIP"] == "None"


def test_stream_probes_and_keda_on_lag_capped_at_partitions(rendered: dict[str, list[Obj]]) -> None:
    for objs in rendered.values():
        deploy = one(objs, "Deployment", "stream")
        container = pod_spec(deploy)["containers"][0]
        assert container["args"] == ["stream"]
        port = container["ports"][0]["containerPort"]
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["MERIDIAN_STREAM_HTTP_PORT"] == str(port)
        assert deploy["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == 0
        scaled = one(objs, "ScaledObject", "stream")
        assert scaled["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1", "kind": "Deployment", "name": deploy["metadata"]["name"],
        }  # fmt: skip
        (trigger,) = scaled["spec"]["triggers"]
        assert trigger["type"] == "kafka"
        assert trigger["metadata"]["consumerGroup"] == env["MERIDIAN_STREAM_GROUP_ID"]
        assert trigger["metadata"]["topic"] == env["MERIDIAN_EVENTS_TOPIC"]
        assert trigger["metadata"]["bootstrapServers"] == env["KAFKA_BOOTSTRAP_SERVERS"]
        assert 1 <= scaled["spec"]["maxReplicaCount"] <= int(env["MERIDIAN_EVENTS_TOPIC_PARTITIONS"])
        auth = one(objs, "TriggerAuthentication", "stream")  # the regions' clusters use SASL
        assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]


# What each Meridian process composes (orchestration/cli): the variables its pod sets must be theirs.
SETTINGS: dict[str, tuple[type[BaseSettings], ...]] = {
    "edge": (EdgeSettings, KafkaSettings),
    "stream": (StreamSettings, KafkaSettings),
    "exporter": (ExporterSettings, LakeSettings, DagsterInstanceSettings),
}
# Stand-ins for what secretKeyRef would give (the settings validate their shape).
SECRETS = {
    "MERIDIAN_EDGE_API_KEYS": '["test-client:' + "0" * 64 + '"]',
    "MERIDIAN_KAFKA_SASL_PASSWORD": "placeholder",
    "MERIDIAN_DAGSTER_POSTGRES_URL": "postgresql+psycopg2://meridian:placeholder@postgres:5432/dagster",
}


def _env_names(settings: type[BaseSettings]) -> set[str]:
    """The variables a settings class reads: prefix + field, or the field's aliases."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {choice.upper() for choice in alias.choices if isinstance(choice, str)}
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.add(f"{prefix}{name}".upper())
    return names


@pytest.mark.parametrize("region", REGIONS)
def test_pod_environment_is_what_the_settings_read(region: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every MERIDIAN_*/KAFKA_* variable a pod sets is one its settings classes read (a misspelt name would be
    silently ignored), and the settings load from exactly that environment: the region, port, peers and stores
    come out as the chart meant them."""
    objs = objects(region)
    for component, classes in SETTINGS.items():
        (workload,) = [o for o in objs if o["kind"] in POD_KINDS and o["metadata"]["labels"][
            "app.kubernetes.io/component"] == component]  # fmt: skip
        container = pod_spec(workload)["containers"][0]
        env = {e["name"]: e.get("value", SECRETS.get(e["name"])) for e in container["env"]}
        for e in container["env"]:  # the Downward API: the pod's own name
            if e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.name":
                env[e["name"]] = f"{workload['metadata']['name']}-0"
        ours = {name for name in env if name.startswith(("MERIDIAN_", "KAFKA_"))}
        known = set().union(*(_env_names(cls) for cls in classes))
        assert ours <= known, f"{component} sets variables no settings read: {sorted(ours - known)}"
        port = container["ports"][0]["containerPort"]
        with monkeypatch.context() as m:
            for name in [n for n in os.environ if n.startswith(("MERIDIAN_", "KAFKA_"))]:
                m.delenv(name)
            for name in ours:
                assert env[name] is not None, f"{component}: {name} has neither a value nor a stand-in"
                m.setenv(name, env[name])
            for cls in classes:
                cls()  # loads (validates) from exactly this environment
            if component == "edge":
                edge = EdgeSettings()
                assert (edge.region, edge.http_port) == (region, port)
                assert str(edge.buffer_dir) == env["MERIDIAN_EDGE_BUFFER_DIR"]
            if component == "stream":
                assert StreamSettings().http_port == port
            if component in ("edge", "stream"):
                kafka = KafkaSettings()
                assert set(kafka.region_bootstrap_servers) == set(REGIONS) - {region}
                assert (kafka.security_protocol, kafka.sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-512")
            if component == "exporter":
                lake = LakeSettings()
                assert (lake.primary_region, lake.regions) == (region, list(REGIONS))
                assert all(lake.store_uri(r).startswith(("gs://", "s3://")) for r in REGIONS)
                assert ExporterSettings().http_port == port


def test_stream_max_replicas_above_partitions_fails_the_render() -> None:
    """A consumer beyond the partition count owns nothing: the chart refuses it rather than render it."""
    result = render("apac", "kafka.partitions=6", "stream.autoscaling.maxReplicas=7", check=False)
    assert result.returncode != 0
    assert "is above kafka.partitions=6" in result.stderr
    at_cap = one(objects("apac", "kafka.partitions=6", "stream.autoscaling.maxReplicas=6"), "ScaledObject", "stream")
    assert at_cap["spec"]["maxReplicaCount"] == 6
    default = one(objects(None), "ScaledObject", "stream")  # unset: the partition count itself
    assert (
        default["spec"]["maxReplicaCount"] == yaml.safe_load((CHART / "values.yaml").read_text())["kafka"]["partitions"]
    )


def test_analysis_template_queries_the_edge_contract(rendered: dict[str, list[Obj]]) -> None:
    """The two measurements of the issue-16 contract, with `job` and `prometheus` as arguments."""
    for objs in rendered.values():
        template = one(objs, "AnalysisTemplate", "edge")
        args = {a["name"]: a.get("value") for a in template["spec"]["args"]}
        assert args["job"] == "meridian-edge"  # the edge Service's name: its Prometheus job
        assert args["prometheus"].startswith("http")
        metrics = {m["name"]: m for m in template["spec"]["metrics"]}
        errors, latency = metrics["error-ratio"], metrics["latency-p99"]
        assert errors["provider"]["prometheus"]["query"] == (
            '(sum(rate(meridian_edge_requests_total{job="{{args.job}}",status=~"5.."}[1m])) or vector(0)) / '
            '(sum(rate(meridian_edge_requests_total{job="{{args.job}}"}[1m])) or vector(0))'
        )
        assert errors["successCondition"] == "isNaN(result[0]) || result[0] < 0.01"
        assert latency["provider"]["prometheus"]["query"] == (
            "histogram_quantile(0.99, sum by (le) "
            '(rate(meridian_edge_request_seconds_bucket{job="{{args.job}}"}[1m]))) or vector(NaN)'
        )
        assert latency["successCondition"] == "isNaN(result[0]) || result[0] < 0.5"
        for metric in metrics.values():
            assert metric["provider"]["prometheus"]["address"] == "{{args.prometheus}}"
            assert metric["failureLimit"] < metric["count"]  # failures beyond the limit fail the analysis


def test_rollout_canary_runs_the_analysis_and_keeps_a_volume_per_pod() -> None:
    """edge.workload=rollout: an Argo Rollout (no StatefulSet) whose steps pause, run the AnalysisTemplate, and
    reach 100; KEDA then scales the Rollout."""
    objs = objects("eu", "edge.workload=rollout")
    assert not by_kind(objs, "StatefulSet")
    rollout = one(objs, "Rollout", "edge")
    template = one(objs, "AnalysisTemplate", "edge")
    steps = rollout["spec"]["strategy"]["canary"]["steps"]
    weights = [s["setWeight"] for s in steps if "setWeight" in s]
    assert weights == [10, 50, 100]
    analyses = [s["analysis"] for s in steps if "analysis" in s]
    assert len(analyses) == 2
    for analysis in analyses:
        assert analysis["templates"] == [{"templateName": template["metadata"]["name"]}]
        assert {a["name"] for a in analysis["args"]} == {a["name"] for a in template["spec"]["args"]}
    first_analysis = next(i for i, s in enumerate(steps) if "analysis" in s)
    assert "pause" in steps[first_analysis - 1] and steps[0] == {"setWeight": 10}
    assert rollout["spec"]["progressDeadlineAbort"] is True
    volumes = {v["name"]: v for v in pod_spec(rollout)["volumes"]}
    assert "volumeClaimTemplate" in volumes["buffer"]["ephemeral"]
    assert "preStop" in pod_spec(rollout)["containers"][0]["lifecycle"]
    target = one(objs, "ScaledObject", "edge")["spec"]["scaleTargetRef"]
    assert target == {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": rollout["metadata"]["name"]}


def test_every_pod_is_locked_down(rendered: dict[str, list[Obj]]) -> None:
    """Non-root, read-only root filesystem, no capabilities, no privilege escalation, seccomp, no API token,
    requests and limits, probes: for every container of every workload, in every region and both edge modes."""
    variants = [*rendered.values(), objects("us", "edge.workload=rollout")]
    for objs in variants:
        workloads = [o for o in objs if o["kind"] in POD_KINDS]
        assert {o["metadata"]["labels"]["app.kubernetes.io/component"] for o in workloads} == {
            "edge", "stream", "mirrormaker", "exporter",
        }  # fmt: skip
        for workload in workloads:
            spec = pod_spec(workload)
            assert spec["automountServiceAccountToken"] is False
            assert spec["securityContext"]["runAsNonRoot"] is True
            assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
            sa = [s for s in by_kind(objs, "ServiceAccount") if s["metadata"]["name"] == spec["serviceAccountName"]]
            assert sa and sa[0]["automountServiceAccountToken"] is False
            for c in spec["containers"]:
                sc = c["securityContext"]
                assert sc["runAsNonRoot"] is True and sc["runAsUser"] >= 10000, c["name"]
                assert sc["readOnlyRootFilesystem"] is True, c["name"]
                assert sc["allowPrivilegeEscalation"] is False, c["name"]
                assert sc["capabilities"]["drop"] == ["ALL"], c["name"]
                assert {"cpu", "memory"} <= set(c["resources"]["requests"]) & set(c["resources"]["limits"])
                assert "livenessProbe" in c and "readinessProbe" in c, c["name"]
                assert "/tmp" in {m["mountPath"] for m in c["volumeMounts"]}, c["name"]


def test_network_policies_default_deny_then_allow(rendered: dict[str, list[Obj]]) -> None:
    for objs in rendered.values():
        policies = by_kind(objs, "NetworkPolicy")
        deny = one(objs, "NetworkPolicy", "default-deny")
        assert deny["spec"]["policyTypes"] == ["Ingress", "Egress"]
        assert "ingress" not in deny["spec"] and "egress" not in deny["spec"]  # no rule: nothing allowed
        assert deny["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "meridian"
        assert len(policies) == 5  # the deny, and one allow per component
        edge = one(objs, "NetworkPolicy", "edge")
        egress_ports = {p["port"] for rule in edge["spec"]["egress"] for p in rule["ports"]}
        assert {53, 9096} <= egress_ports  # DNS and the regions' brokers (values-*.yaml)
        exporter = one(objs, "NetworkPolicy", "exporter")
        assert 443 in {p["port"] for rule in exporter["spec"]["egress"] for p in rule["ports"]}
        assert 9096 not in {p["port"] for rule in exporter["spec"]["egress"] for p in rule["ports"]}


def test_cilium_flavor_renders_cilium_policies_only() -> None:
    objs = objects("us", "networkPolicy.flavor=cilium")
    assert not by_kind(objs, "NetworkPolicy")
    cilium = by_kind(objs, "CiliumNetworkPolicy")
    assert len(cilium) == 5
    assert all(o["apiVersion"] == "cilium.io/v2" for o in cilium)
    deny = one(objs, "CiliumNetworkPolicy", "default-deny")
    assert deny["spec"]["ingress"] == [{}] and deny["spec"]["egress"] == [{}]


def test_service_monitors_label_targets_with_the_region(rendered: dict[str, list[Obj]]) -> None:
    """Prometheus gets `region` from the pod label, and each job is the Service's name (meridian-<component>)."""
    for objs in rendered.values():
        monitors = by_kind(objs, "ServiceMonitor")
        assert {m["metadata"]["labels"]["app.kubernetes.io/component"] for m in monitors} == {
            "edge", "stream", "mirrormaker", "exporter",
        }  # fmt: skip
        services = by_kind(objs, "Service")
        for m in monitors:
            (endpoint,) = m["spec"]["endpoints"]
            assert {
                "sourceLabels": ["__meta_kubernetes_pod_label_meridian_io_region"],
                "targetLabel": "region",
                "action": "replace",
            } in endpoint["relabelings"]
            selector = m["spec"]["selector"]["matchLabels"]
            absent = [
                e["key"] for e in m["spec"]["selector"].get("matchExpressions", []) if e["operator"] == "DoesNotExist"
            ]
            matched = [
                s
                for s in services
                if selector.items() <= s["metadata"]["labels"].items()
                and not any(key in s["metadata"]["labels"] for key in absent)
            ]
            assert len(matched) == 1, m["metadata"]["name"]  # not the headless Service too: no double scrape
            assert endpoint["port"] in {p["name"] for p in matched[0]["spec"]["ports"]}


def test_prometheus_rule_is_the_rule_file_verbatim(rendered: dict[str, list[Obj]]) -> None:
    rules_file = CHART / "files" / "prometheus-rules.yaml"
    for objs in rendered.values():
        rule = one(objs, "PrometheusRule", "monitoring")
        assert rule["spec"] == yaml.safe_load(rules_file.read_text())


def test_mirrormaker_jmx_config_is_the_local_one() -> None:
    """The chart's copy (Helm reads nothing outside the chart) must equal the one `make run` uses."""
    chart_copy = (CHART / "files" / "mirrormaker-jmx.yaml").read_text()
    assert chart_copy == (ROOT / "deploy" / "monitoring" / "mirrormaker-jmx.yaml").read_text()
    config = one(objects("us"), "ConfigMap", "mirrormaker")
    assert config["data"]["mirrormaker-jmx.yaml"].strip() == chart_copy.strip()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("edge.replica=3", "additional properties 'replica' not allowed"),
        ("networkPolicy.flavor=calico", "networkPolicy/flavor"),
        ("lake.stores.us=bucket-without-scheme", "lake/stores/us"),
        ("edge.workload=deployment", "edge/workload"),
    ],
)
def test_schema_rejects_typos_and_bad_values(value: str, message: str) -> None:
    result = render("us", value, check=False)
    assert result.returncode != 0
    assert message in result.stderr


def _template_text() -> str:
    return "\n".join(p.read_text() for p in sorted((CHART / "templates").iterdir()))


def _leaves(node: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Leaf paths of values.yaml; an empty map or list is a leaf (its content is the user's, passed whole)."""
    if isinstance(node, dict) and node:
        for key, child in node.items():
            yield from _leaves(child, (*path, key))
    else:
        yield path


def test_every_value_is_used() -> None:
    """Each leaf of values.yaml is read by a template: by its own path, or its parent's is handed on whole (toYaml,
    toJson, range, with). A value nothing reads is a setting that silently does nothing."""
    text = _template_text()
    direct = set(re.findall(r"\.Values\.([A-Za-z0-9_.]+)", text))
    whole = set(
        re.findall(r"(?:toYaml|toJson|range[^}]*?|with|include \"[\w.]+\") \$?[\w]*\.Values\.([A-Za-z0-9_.]+)", text)
    )
    unused = []
    for leaf in _leaves(yaml.safe_load((CHART / "values.yaml").read_text())):
        dotted = ".".join(leaf)
        parents = {".".join(leaf[:n]) for n in range(1, len(leaf))}
        if dotted not in direct and not (parents & whole):
            unused.append(dotted)
    assert not unused, f"values nothing reads: {unused}"


def test_every_template_renders_in_some_variant() -> None:
    """Each template file yields an object in the region renders or one of the flavors tests cover."""
    sources: set[str] = set()
    for sets in ((), ("edge.workload=rollout",), ("networkPolicy.flavor=cilium",)):
        out = render("us", *sets).stdout
        sources |= set(re.findall(r"^# Source: meridian/templates/(\S+)$", out, flags=re.MULTILINE))
    files = {p.name for p in (CHART / "templates").glob("*.yaml")}
    assert files == sources


class _Metrics(http.server.BaseHTTPRequestHandler):
    buffered = [1.0]  # each scrape forwards one record
    scrapes = [0]

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = f"# TYPE meridian_edge_buffered_records gauge\nmeridian_edge_buffered_records {self.buffered[0]}\n"
        self.scrapes[0] += 1
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body.encode())
        self.buffered[0] = max(0.0, self.buffered[0] - 1)

    def log_message(self, *_: object) -> None:
        pass


def test_edge_drain_waits_for_an_empty_buffer_and_gives_up_at_its_deadline() -> None:
    """The preStop script itself, against a /metrics whose buffer empties after a few scrapes, then one that
    never empties: it exits 0 once drained, 1 at the deadline."""
    script = CHART / "files" / "edge-drain.py"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Metrics)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = str(server.server_address[1])
    try:
        # The script settles for min(5 s, timeout) before calling an empty buffer drained: short timeouts, fast test.
        drained = subprocess.run([sys.executable, str(script), port, "1.2"], capture_output=True, text=True, timeout=20)  # noqa: S603
        assert drained.returncode == 0, drained.stdout + drained.stderr
        assert "drained" in drained.stdout
        assert _Metrics.scrapes[0] >= 2  # it saw 1 record left, waited, then saw 0
        _Metrics.buffered[0] = 1e9
        stuck = subprocess.run([sys.executable, str(script), port, "0.5"], capture_output=True, text=True, timeout=20)  # noqa: S603
        assert stuck.returncode == 1
        assert "still buffered" in stuck.stdout
    finally:
        server.shutdown()


def test_image_digest_pins_every_meridian_container_and_lifts_the_checkov_skip() -> None:
    """With image.digest the pods run repository@digest and the CKV_K8S_43 skip disappears (checkov checks it);
    without one, each workload says why inline."""
    digest = "sha256:" + "a" * 64
    pinned = objects("eu", f"image.digest={digest}", f"mirrormaker.image.digest={digest}")
    for workload in [o for o in pinned if o["kind"] in POD_KINDS]:
        assert pod_spec(workload)["containers"][0]["image"].endswith("@" + digest)
        annotations = workload["metadata"].get("annotations", {})
        assert not any(v.startswith("CKV_K8S_43=") for v in annotations.values())
    for workload in [o for o in objects("eu") if o["kind"] in POD_KINDS]:
        assert "@" not in pod_spec(workload)["containers"][0]["image"]
        assert any(v.startswith("CKV_K8S_43=") for v in workload["metadata"]["annotations"].values())
