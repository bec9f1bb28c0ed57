"""Build Meridian's Grafana dashboards from code and write them as JSON beside it.

    .venv/bin/python deploy/monitoring/dashboards/build.py          # (re)write json/*.json
    .venv/bin/python deploy/monitoring/dashboards/build.py --check  # exit 1 if json/ is not what the code builds

The committed JSON is what Grafana (a provisioning sidecar, or the Grafana Operator) loads; the code is
what people edit. The modules import each other as ``deploy.monitoring.dashboards.*``: a namespace
package found from the repository root, which the project's editable install puts on ``sys.path``
(and pytest's rootdir does in tests), so this file runs as a script and imports in tests alike.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model

from deploy.monitoring.dashboards.health import platform_dashboard
from deploy.monitoring.dashboards.overview import overview_dashboard
from deploy.monitoring.dashboards.region import region_dashboard
from streaming.events.contract import REGIONS

JSON_DIR = Path(__file__).resolve().parent / "json"


def _builders() -> dict[str, Callable[[], model.Dashboard]]:
    builders: dict[str, Callable[[], model.Dashboard]] = {
        "meridian-overview.json": lambda: overview_dashboard(REGIONS),
        "meridian-platform-health.json": lambda: platform_dashboard(REGIONS),
    }
    for region in REGIONS:
        builders[f"meridian-region-{region}.json"] = partial(region_dashboard, region)
    return builders


def encode(dashboard: model.Dashboard) -> str:
    """The dashboard as the JSON Grafana loads: keys sorted and indented, so a diff shows what changed."""
    return json.dumps(dashboard, cls=JSONEncoder, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render() -> dict[str, str]:
    """File name -> JSON text, for every dashboard."""
    return {name: encode(build()) for name, build in sorted(_builders().items())}


def write(directory: Path = JSON_DIR) -> list[Path]:
    """Write every dashboard into ``directory``, removing dashboards the code no longer builds."""
    directory.mkdir(parents=True, exist_ok=True)
    rendered = render()
    for stale in directory.glob("*.json"):
        if stale.name not in rendered:
            stale.unlink()
    paths = []
    for name, text in rendered.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def differences(directory: Path = JSON_DIR) -> list[str]:
    """What in ``directory`` differs from what the code builds (empty when they agree)."""
    rendered = render()
    committed = {p.name: p.read_text(encoding="utf-8") for p in directory.glob("*.json")}
    problems = [f"{name}: missing (run build.py)" for name in sorted(rendered.keys() - committed.keys())]
    problems += [f"{name}: not built by the code (delete it)" for name in sorted(committed.keys() - rendered.keys())]
    problems += [
        f"{name}: differs from what the code builds (run build.py)"
        for name in sorted(rendered.keys() & committed.keys())
        if rendered[name] != committed[name]
    ]
    return problems


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel of a dashboard's JSON that queries data (rows are containers, not panels)."""
    for panel in dashboard.get("panels") or []:
        if panel.get("type") == "row":
            yield from panel.get("panels") or []
        else:
            yield panel


def substitute(text: str, variables: dict[str, str]) -> str:
    """Replace Grafana's ``$name`` and ``${name}`` with values, as Grafana does before querying."""
    return re.sub(
        r"\$\{(\w+)\}|\$(\w+)",
        lambda m: variables.get(m.group(1) or m.group(2), m.group(0)),
        text,
    )


def queries(region: str = "us", rate_interval: str = "1m") -> list[tuple[str, str, str]]:
    """(dashboard uid, panel title, PromQL) for every query a viewer of ``region`` would run.

    Variables are substituted as Grafana would with ``region`` picked (``$region``) and ``$__rate_interval``
    set to ``rate_interval``; the other regions' dashboards are left out (their queries are fixed to
    another region). Meant for running each query against a real Prometheus.
    """
    if region not in REGIONS:
        raise ValueError(f"region {region!r} is not one of {list(REGIONS)}")
    variables = {"region": region, "__rate_interval": rate_interval}
    other_regions = {f"meridian-region-{r}.json" for r in REGIONS if r != region}
    found = []
    for name, text in render().items():
        if name in other_regions:
            continue
        dashboard = json.loads(text)
        for panel in panels(dashboard):
            title = substitute(panel["title"], variables)
            for target in panel.get("targets") or []:
                found.append((dashboard["uid"], title, substitute(target["expr"], variables)))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed JSON differs from the code")
    args = parser.parse_args(argv)
    if args.check:
        problems = differences()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    for path in write():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
