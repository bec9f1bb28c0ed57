"""The alerting and recording rules: valid for Prometheus, unit-tested alert by alert, documented, and on real names.

``promtool check rules`` and ``promtool test rules`` (Prometheus' own tools) run on the committed files, and
must also fail on a broken copy, so a test that could never fail is caught. Which alerts have a firing and a
silent unit test is read from the promtool test files themselves, never from a list kept here, so a new alert
without tests fails. Every alert names its severity and a runbook section that exists. The metric names the
rules read are compared with what the services' code registers (the edge's and the stream's registries, the
MirrorMaker JMX exporter's rules); the lake exporter's names are checked live (test_monitoring_live.py).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import CollectorRegistry

from streaming.edge.metrics import EdgeMetrics
from streaming.realtime.metrics import StreamMetrics, WindowsCollector
from streaming.realtime.view import WindowsView
from tests.deploy.tools import PROMTOOL, ROOT, require

RULES = ROOT / "deploy" / "helm" / "meridian" / "files" / "prometheus-rules.yaml"
RULE_TESTS = ROOT / "deploy" / "monitoring" / "rules-tests"
RUNBOOKS = ROOT / "docs" / "runbooks.md"
JMX_CONFIG = ROOT / "deploy" / "monitoring" / "mirrormaker-jmx.yaml"
SEVERITIES = {"critical", "warning"}
# What a PrometheusRule's spec.groups[] and its rules[] may hold (monitoring.coreos.com/v1): the chart embeds
# this file as that spec, so a field plain Prometheus accepts but the CRD does not would break the chart.
GROUP_FIELDS = {"name", "interval", "rules", "limit", "partial_response_strategy"}
RULE_FIELDS = {"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}


def promtool(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    require(PROMTOOL)
    return subprocess.run([str(PROMTOOL), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


def rules(path: Path = RULES) -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"]]


def alerts() -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for rule in rules() if "alert" in rule}


def rule_test_files() -> list[Path]:
    return sorted(RULE_TESTS.glob("*.yaml"))


def test_promtool_checks_the_rule_file() -> None:
    result = promtool("check", "rules", RULES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and f"{len(rules())} rules found" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    files = rule_test_files()
    assert files, f"no promtool tests in {RULE_TESTS}"
    result = promtool("test", "rules", *files)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert output.count("SUCCESS") == len(files) and "FAILED" not in output, output


def test_every_test_file_reads_the_charts_rule_file() -> None:
    """The tests must exercise the file the chart ships, not a copy that could drift from it."""
    for path in rule_test_files():
        listed = yaml.safe_load(path.read_text())["rule_files"]
        assert [(path.parent / f).resolve() for f in listed] == [RULES.resolve()], path


def test_every_alert_has_a_firing_and_a_silent_unit_test() -> None:
    firing: set[str] = set()
    silent: set[str] = set()
    for path in rule_test_files():
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                (firing if case.get("exp_alerts") else silent).add(case["alertname"])
    defined = set(alerts())
    assert not (firing | silent) - defined, f"tests of alerts that do not exist: {sorted((firing | silent) - defined)}"
    assert not defined - firing, f"alerts never tested firing: {sorted(defined - firing)}"
    assert not defined - silent, f"alerts never tested silent: {sorted(defined - silent)}"


def runbook_anchors() -> set[str]:
    """GitHub's anchors of the runbook's headings: lowercase, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#{1,6} (.+)$", RUNBOOKS.read_text(), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_alert_has_severity_a_for_and_a_runbook_section() -> None:
    anchors = runbook_anchors()
    for name, rule in alerts().items():
        assert rule.get("labels", {}).get("severity") in SEVERITIES, name
        assert re.fullmatch(r"\d+[smh]", str(rule.get("for", ""))), f"{name}: no `for`"
        annotations = rule.get("annotations", {})
        assert {"summary", "description", "runbook_url"} <= set(annotations), name
        url = annotations["runbook_url"]
        assert url == f"docs/runbooks.md#{name.lower()}", f"{name}: runbook_url {url!r}"
        assert name.lower() in anchors, f"{name}: no section '## {name}' in {RUNBOOKS}"


def test_the_rule_file_is_also_a_prometheusrule_spec() -> None:
    document = yaml.safe_load(RULES.read_text())
    assert set(document) == {"groups"}
    names = [group["name"] for group in document["groups"]]
    assert len(names) == len(set(names))
    for group in document["groups"]:
        assert set(group) <= GROUP_FIELDS, group["name"]
        for rule in group["rules"]:
            assert set(rule) <= RULE_FIELDS and ("alert" in rule) != ("record" in rule), rule
            assert isinstance(rule["expr"], str)
            assert all(isinstance(v, str) for v in {**rule.get("labels", {}), **rule.get("annotations", {})}.values())


def exported_names() -> set[str]:
    """Every series name the edge and stream code registers, and every name the JMX rules can produce."""
    stream = StreamMetrics()
    empty = WindowsView(window_ms=60_000, lateness_ms=0, partitions=[], late_events=0, open=[], closed=[])
    stream.registry.register(WindowsCollector(lambda: empty, lambda: True, lambda: 0.0))
    names: set[str] = set()
    registry: CollectorRegistry
    for registry in (EdgeMetrics().registry, stream.registry):
        for family in registry.collect():
            suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}.get(family.type, [""])
            names |= {family.name + suffix for suffix in suffixes}
    for rule in yaml.safe_load(JMX_CONFIG.read_text())["rules"]:
        name = rule["name"]
        if "$" not in name:
            names.add(name)
            continue
        groups = re.findall(r"\(([^()]*)\)", rule["pattern"])
        ref = int(re.search(r"\$(\d+)", name).group(1))  # type: ignore[union-attr]
        names |= {re.sub(r"\$\d+", alt.replace("-", "_"), name) for alt in groups[ref - 1].split("|")}
    return names


def test_the_rules_read_only_names_the_services_export() -> None:
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    used = {name for rule in rules() for name in re.findall(r"\bmeridian_[a-z0-9_]+\b", rule["expr"])}
    ours = {n for n in used - recorded if n.startswith(("meridian_edge_", "meridian_stream_", "meridian_mirror_"))}
    missing = ours - exported_names()
    assert not missing, f"rules read series no service exports: {sorted(missing)}"
    assert ours >= {
        "meridian_edge_buffer_capacity_bytes",
        "meridian_stream_ready",
        "meridian_mirror_replication_latency_ms_max",
    }


def copy_tree(tmp_path: Path, rules_text: str) -> Path:
    """The rule file and its tests at the same relative places under ``tmp_path``; returns the tests' folder."""
    rules_copy = tmp_path / RULES.relative_to(ROOT)
    rules_copy.parent.mkdir(parents=True)
    rules_copy.write_text(rules_text)
    tests_copy = tmp_path / RULE_TESTS.relative_to(ROOT)
    shutil.copytree(RULE_TESTS, tests_copy)
    return tests_copy


def test_a_broken_rule_fails_the_check_and_a_changed_threshold_fails_the_unit_tests(tmp_path: Path) -> None:
    """Both tools run on mutated copies: the checks above would catch what these mutations break."""
    text = RULES.read_text()
    broken = text.replace(
        "meridian_edge_buffered_bytes / meridian_edge_buffer_capacity_bytes > 0.8",
        "meridian_edge_buffered_bytes / meridian_edge_buffer_capacity_bytes > > 0.8",
    )
    assert broken != text
    bad = tmp_path / "broken" / "rules.yaml"
    bad.parent.mkdir()
    bad.write_text(broken)
    result = promtool("check", "rules", bad)
    assert result.returncode != 0 and "SUCCESS" not in result.stdout

    drifted = text.replace(
        "meridian_edge_buffered_bytes / meridian_edge_buffer_capacity_bytes > 0.8",
        "meridian_edge_buffered_bytes / meridian_edge_buffer_capacity_bytes > 0.9",
    )
    assert drifted != text
    tests = copy_tree(tmp_path / "drifted", drifted)
    result = promtool("test", "rules", *sorted(tests.glob("*.yaml")), cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "EdgeBufferNearlyFull" in output and "FAILED" in output
