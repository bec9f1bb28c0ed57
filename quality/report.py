"""A readable HTML page per suite validation: every rule, observed against expected, failing rows.

Our own page rather than GX Data Docs: Data Docs need a file-backed GX context and site builders,
and we keep GX ephemeral. The page is linked from each check's metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, select_autoescape

from quality.rules import Suite
from quality.runner import RuleOutcome

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ suite.name }}: {{ label }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}.fail{background:#fde2e1}
.pass{background:#e3f6e5}pre{margin:0;white-space:pre-wrap}
</style></head><body>
<h1>{{ suite.name }}</h1>
<p>{{ label }} &middot; run {{ run_id }} &middot; {{ generated }} &middot;
{{ failed }} of {{ outcomes|length }} rule(s) failing</p>
<details><summary>What this suite adds to the dbt tests</summary><pre>{{ suite.adds }}</pre></details>
<table><tr><th>rule</th><th>severity</th><th>result</th><th>observed</th><th>expected</th>
<th>failing rows (sample)</th></tr>
{% for o in outcomes %}<tr class="{{ 'pass' if o.passed else 'fail' }}">
<td>{{ o.rule }}<br><small>{{ o.description }}</small></td><td>{{ o.severity.value }}</td>
<td>{{ 'passed' if o.passed else 'FAILED' }}</td><td>{{ o.observed }}</td><td>{{ o.expected }}</td>
<td>{% for row in o.sample %}<pre>{{ row }}</pre>{% endfor %}</td></tr>
{% endfor %}</table></body></html>
"""

_ENV = Environment(autoescape=select_autoescape(default=True))


def render_report(suite: Suite, outcomes: Sequence[RuleOutcome], label: str, run_id: str) -> str:
    return _ENV.from_string(_TEMPLATE).render(
        suite=suite,
        outcomes=outcomes,
        label=label,
        run_id=run_id,
        failed=sum(not o.passed for o in outcomes),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    )


def write_report(folder: Path, suite: Suite, outcomes: Sequence[RuleOutcome], label: str, run_id: str) -> Path:
    """``<folder>/<suite>/<run_id>.html``, written whole (temp file + rename)."""
    path = folder / suite.name / f"{run_id}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_report(suite, outcomes, label, run_id), encoding="utf-8")
    tmp.replace(path)
    return path
