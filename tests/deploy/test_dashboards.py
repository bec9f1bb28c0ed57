"""The Grafana dashboards: the committed JSON is what the code builds, and it is JSON Grafana can use.

Grafana's server cannot be had here, so the checks are what stands in for loading the dashboards:
the SDK decodes every file back (the typed decoder fails on a panel whose options are null), every
panel carries what it needs to draw (options, the ``${datasource}`` variable, a unit, a query), and
every query is parsed by Prometheus' own parser (``promtool check rules`` on the queries as recording
rules). Whether the queries return data is the live test's job (tests/deploy/test_monitoring_live.py,
through ``build.queries``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import prometheus, stat, table, timeseries

from deploy.monitoring.dashboards import build
from streaming.events.contract import REGIONS
from tests.deploy.tools import PROMTOOL, ROOT, require

FILES = sorted(build.JSON_DIR.glob("*.json"))
UIDS = {"meridian-overview", "meridian-platform-health", *(f"meridian-region-{r}" for r in REGIONS)}
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
OPTIONS = {"timeseries": timeseries.Options, "stat": stat.Options, "table": table.Options}
METRIC = re.compile(r"\bmeridian_[a-z0-9_]+")
SELECTOR = re.compile(r"\b(meridian_[a-z0-9_]+)\{([^}]*)\}")

# The metric names of the contract (/tmp/issue16/contract.md; MirrorMaker's from the names
# deploy/monitoring/mirrormaker-jmx.yaml makes). A typo in a dashboard fails here, offline; whether the
# services really export each name is checked by the live test.
CONTRACT = {
    *(
        f"meridian_edge_{n}"
        for n in (
            "requests_total",
            "request_seconds_bucket",
            "request_seconds_sum",
            "request_seconds_count",
            "events_accepted_total",
            "events_rejected_total",
            "events_forwarded_total",
            "kafka_errors_total",
            "buffer_full_total",
            "buffered_records",
            "buffered_bytes",
            "forward_lag_seconds",
            "buffer_capacity_bytes",
            "ready",
        )
    ),
    *(
        f"meridian_stream_{n}"
        for n in (
            "records_total",
            "consumer_lag",
            "partitions_owned",
            "checkpoints_total",
            "recoveries_total",
            "late_events_total",
            "invalid_records_total",
            "window_emit_delay_seconds_bucket",
            "window_emit_delay_seconds_sum",
            "window_emit_delay_seconds_count",
            "window_events",
            "window_errors",
            "window_revenue_usd",
            "window_latency_p95_seconds",
            "window_end_timestamp_seconds",
            "last_checkpoint_timestamp_seconds",
            "ready",
        )
    ),
    *(
        f"meridian_mirror_{n}"
        for n in (
            "replication_latency_ms_max",
            "replication_latency_ms_avg",
            "record_age_ms_max",
            "records_total",
            "bytes_total",
            "byte_rate",
            "connector_status",
            "task_status",
            "connector_failed_tasks",
            "connector_running_tasks",
        )
    ),
    "meridian_lake_bronze_last_landed_timestamp_seconds",
    "meridian_lake_bronze_landed_offset",
    "meridian_lake_replication_lag_seconds",
    "meridian_lake_gold_last_build_timestamp_seconds",
    "meridian_quality_check_failed",
    "meridian_exporter_scrape_errors_total",
}


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def exprs(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in build.panels(dashboard) for t in p.get("targets") or []]


def test_committed_json_is_what_the_code_builds() -> None:
    """Someone edited the code and not the JSON (or the JSON by hand): Grafana would load stale dashboards."""
    assert {p.name for p in FILES} == {f"{uid}.json" for uid in UIDS}
    assert build.differences() == []


def test_check_reports_drift_and_write_repairs_it(tmp_path: Path) -> None:
    """``--check`` must notice an edited, a missing and a stray file, or it would pass on stale JSON."""
    for path in FILES:
        shutil.copy(path, tmp_path / path.name)
    edited = tmp_path / "meridian-overview.json"
    edited.write_text(edited.read_text().replace("global overview", "global overvue"))
    (tmp_path / "meridian-region-eu.json").unlink()
    (tmp_path / "hand-made.json").write_text("{}")
    assert build.differences(tmp_path) == [
        "meridian-region-eu.json: missing (run build.py)",
        "hand-made.json: not built by the code (delete it)",
        "meridian-overview.json: differs from what the code builds (run build.py)",
    ]
    build.write(tmp_path)
    assert build.differences(tmp_path) == []


def test_build_script_runs_from_anywhere(tmp_path: Path) -> None:
    """The documented command works outside the repository root (the modules import as a namespace package)."""
    script = ROOT / "deploy/monitoring/dashboards/build.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_json_round_trips_through_the_sdk(path: Path) -> None:
    """The SDK decodes each file into typed panels and encodes it back unchanged (a null options fails here)."""
    register_default_plugins()
    text = path.read_text(encoding="utf-8")
    decoded = model.Dashboard.from_json(json.loads(text))
    assert build.encode(decoded) == text
    panels = [p for p in decoded.panels or [] if isinstance(p, model.Panel)]
    assert panels
    for panel in panels:
        assert isinstance(panel.options, OPTIONS[panel.type_val]), panel.title
        assert panel.targets and all(isinstance(t, prometheus.Dataquery) for t in panel.targets), panel.title


def test_a_panel_without_options_does_not_decode() -> None:
    """Why every helper sets options: the failure the round trip above guards against is real."""
    register_default_plugins()
    broken = load(FILES[0])
    panel = next(build.panels(broken))
    panel["options"] = None
    with pytest.raises(TypeError):
        model.Dashboard.from_json(json.loads(json.dumps(broken, cls=JSONEncoder)))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_panel_is_complete(path: Path) -> None:
    """Each panel draws from ``${datasource}`` with options, a unit, a description and a query; ids are stable."""
    dashboard = load(path)
    assert dashboard["uid"] == path.stem
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    everything = dashboard["panels"]
    ids = [p["id"] for p in everything]
    assert ids == list(range(1, len(everything) + 1)), "panel ids must be assigned in order, so links stay valid"
    panels = list(build.panels(dashboard))
    titles = [p["title"] for p in panels]
    assert len(set(titles)) == len(titles), "two panels with one title cannot be told apart"
    for panel in panels:
        title = panel["title"]
        assert panel["type"] in OPTIONS, title
        assert isinstance(panel["options"], dict) and panel["options"], title
        assert panel["datasource"] == DATASOURCE, title
        assert panel["fieldConfig"]["defaults"].get("unit"), title
        assert len(panel.get("description", "")) > 30, title
        position = panel["gridPos"]
        assert position["x"] + position["w"] <= 24 and position["h"] > 0, title
        targets = panel["targets"]
        assert targets, title
        assert len({t["refId"] for t in targets}) == len(targets), title
        for target in targets:
            assert target["expr"].strip() and target["datasource"] == DATASOURCE, title


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_panels_do_not_overlap(path: Path) -> None:
    """Grafana pushes overlapping panels around on load, so a layout that overlaps is not the one built."""
    taken: dict[tuple[int, int], str] = {}
    for panel in load(path)["panels"]:
        g = panel["gridPos"]
        for cell in ((x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])):
            assert cell not in taken, f"{panel['title']!r} overlaps {taken[cell]!r}"
            taken[cell] = panel["title"]


def test_variables() -> None:
    """The overview and platform health pick regions (all by default); a region's dashboard has none to forget."""
    for uid in ("meridian-overview", "meridian-platform-health"):
        region = {v["name"]: v for v in load(build.JSON_DIR / f"{uid}.json")["templating"]["list"]}["region"]
        assert region["query"].split(",") == list(REGIONS)
        assert region["multi"] and region["includeAll"] and region["current"]["value"] == "$__all"
    overview = load(build.JSON_DIR / "meridian-overview.json")
    repeated = [p for p in overview["panels"] if p.get("repeat")]
    assert [(p["type"], p["repeat"]) for p in repeated] == [("row", "region")]
    for region in REGIONS:
        dashboard = load(build.JSON_DIR / f"meridian-region-{region}.json")
        assert [v["name"] for v in dashboard["templating"]["list"]] == ["datasource"]


def test_metric_names_and_labels_are_the_contracts() -> None:
    """Only the contract's names, and window metrics filtered on ``event_region`` (``region`` is the target's)."""
    used: set[str] = set()
    for path in FILES:
        for expr in exprs(load(path)):
            used |= set(METRIC.findall(expr))
            for metric, matchers in SELECTOR.findall(expr):
                if metric.startswith("meridian_stream_window_") and "emit_delay" not in metric:
                    labels = re.findall(r'(\w+)\s*(?:=~|!~|!=|=)\s*"', matchers)
                    assert labels and "region" not in labels, expr
    assert used - CONTRACT == set()
    # Real-time analytics, not only operations: every window metric is on a dashboard.
    assert {m for m in CONTRACT if m.startswith("meridian_stream_window_") and "emit" not in m} <= used


@pytest.mark.parametrize("region", REGIONS)
def test_a_region_dashboard_is_fixed_to_its_region(region: str) -> None:
    """Every selector of region R's dashboard names R; the dashboards differ only in the region (one function)."""
    dashboard = load(build.JSON_DIR / f"meridian-region-{region}.json")
    fixing = re.compile(rf'\b(event_region|region|lake_region|source_region|target_region|target)="{region}"')
    for expr in exprs(dashboard):
        assert "$region" not in expr, expr
        for _, matchers in SELECTOR.findall(expr):
            assert fixing.search(matchers), expr
    us = load(build.JSON_DIR / "meridian-region-us.json")
    assert exprs(dashboard) == [e.replace('"us"', f'"{region}"') for e in exprs(us)]


def test_queries_lists_what_a_viewer_of_one_region_runs() -> None:
    """``build.queries`` (the live test's input): substituted, complete, and only this region's dashboard."""
    listed = build.queries("eu", rate_interval="30s")
    expected = sum(
        len(exprs(load(build.JSON_DIR / f"{uid}.json")))
        for uid in ("meridian-overview", "meridian-platform-health", "meridian-region-eu")
    )
    assert len(listed) == expected
    assert {uid for uid, _, _ in listed} == {"meridian-overview", "meridian-platform-health", "meridian-region-eu"}
    for _, title, expr in listed:
        assert "$" not in title + expr, (title, expr)
        assert '"us"' not in expr, expr
        if "rate(" in expr:
            assert "[30s]" in expr, expr
    age = 'time() - max(meridian_stream_window_end_timestamp_seconds{event_region=~"eu"})'
    assert ("meridian-overview", "Window age (eu)", age) in listed
    with pytest.raises(ValueError, match="not one of"):
        build.queries("mars")


def test_every_query_parses(tmp_path: Path) -> None:
    """Prometheus' own parser accepts every query (as a recording rule), with the variables substituted."""
    require(PROMTOOL)
    listed = sorted({expr for region in REGIONS for _, _, expr in build.queries(region)})
    rules = [{"record": f"dashboard:query_{i}:expr", "expr": expr} for i, expr in enumerate(listed)]
    path = tmp_path / "dashboard-queries.yaml"  # JSON is YAML: no quoting to get wrong
    path.write_text(json.dumps({"groups": [{"name": "dashboards", "rules": rules}]}))
    done = subprocess.run([str(PROMTOOL), "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(rules)} rules found" in done.stdout
