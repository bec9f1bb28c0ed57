"""dbt itself, as a subprocess on the project, against a DuckDB file of the test's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from orchestration.defs.warehouse.project import DBT_PROJECT_DIR


def run_dbt(tmp_path: Path, *args: str, dbt_vars: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``dbt <args>`` with the local target on ``tmp_path/warehouse.duckdb``, artifacts in ``tmp_path/target``."""
    env = {**os.environ, "MERIDIAN_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"), "MERIDIAN_DBT_TARGET": "local"}
    command = [str(Path(sys.executable).parent / "dbt"), *args, "--profiles-dir", "."]
    if dbt_vars is not None:
        command += ["--vars", json.dumps(dbt_vars)]
    return subprocess.run(
        [*command, "--target-path", str(tmp_path / "target")],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
