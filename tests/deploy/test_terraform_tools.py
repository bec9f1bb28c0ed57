"""deploy/terraform through the real tools, offline: terraform fmt, validate and plan where no provider is needed,
tflint (its bundled terraform ruleset), and checkov's Terraform checks with 0 failures.

No provider can be downloaded here, so ``validate`` and ``plan`` run on what needs none: the interface module, and
the region selection itself: modules/region and an environment's root module, copied with each cloud module
replaced by a stand-in that takes the real interface (the same variables.tf) and exposes the real module's output
names. Planning that with each environment's terraform.tfvars runs Terraform's own type checks and validation
rules on the real values and shows which cloud's outputs the region exposes. The stand-ins are the one substitute
here, for the providers nothing can fetch; what the cloud modules declare is checked by tflint, checkov and the
HCL tests (test_terraform_interface.py, test_terraform_properties.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.terraform_hcl import CLOUDS, ENVS, MODULES, REGIONS, TERRAFORM, load, module_dirs, tfvars
from tests.deploy.tools import CHECKOV, TERRAFORM_BIN, TFLINT, require

pytestmark = pytest.mark.integration


def _env(tmp_path: Path) -> dict[str, str]:
    """No checkpoint call home, no CLI config from the machine, plugins nowhere but the test's folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    (tmp_path / "terraformrc").write_text("")
    return {
        **env,
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        "TF_CLI_CONFIG_FILE": str(tmp_path / "terraformrc"),
    }


def terraform(tmp_path: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [str(require(TERRAFORM_BIN)), *args], cwd=cwd, env=_env(tmp_path), capture_output=True, text=True, timeout=180
    )


def test_every_file_is_formatted_as_terraform_fmt_writes_it(tmp_path: Path) -> None:
    result = terraform(tmp_path, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_fmt_check_fails_on_a_misformatted_file(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('variable "x" {\ntype=string\n}\n')
    assert terraform(tmp_path, "fmt", "-check", str(tmp_path), cwd=tmp_path).returncode != 0


def test_the_interface_module_validates(tmp_path: Path) -> None:
    copy = tmp_path / "interface"
    shutil.copytree(MODULES / "interface", copy)
    init = terraform(tmp_path, "init", "-no-color", "-backend=false", "-input=false", cwd=copy)
    assert init.returncode == 0, init.stdout + init.stderr
    result = terraform(tmp_path, "validate", "-json", cwd=copy)
    assert json.loads(result.stdout)["valid"], result.stdout


def _stand_ins(root: Path) -> None:
    """modules/ with the real interface and region module, and each cloud as its outputs' names only."""
    shutil.copytree(MODULES / "interface", root / "modules" / "interface")
    region = root / "modules" / "region"
    region.mkdir(parents=True)
    for name in ("cloud.tf", "main.tf", "outputs.tf", "variables.tf"):  # not versions.tf: it requires the providers
        shutil.copyfile(MODULES / "region" / name, region / name)
    for cloud in CLOUDS:
        stand_in = root / "modules" / cloud
        stand_in.mkdir()
        shutil.copyfile(MODULES / "interface" / "variables.tf", stand_in / "variables.tf")
        outputs = "".join(
            f'output "{name}" {{\n  value = "{cloud}:{name}"\n}}\n' for name in sorted(load(MODULES / cloud).outputs)
        )
        (stand_in / "outputs.tf").write_text(outputs)


def _initialized_env(tmp_path: Path, env: str) -> Path:
    """envs/<env>'s root module over the stand-ins (without its backend and providers), initialized."""
    root = tmp_path / "tree"
    if not root.exists():
        _stand_ins(root)
    stack = root / "envs" / env
    stack.mkdir(parents=True)
    for name in ("main.tf", "variables.tf", "cloud.tf", "outputs.tf", "terraform.tfvars"):
        shutil.copyfile(ENVS / env / name, stack / name)
    init = terraform(tmp_path, "init", "-no-color", "-input=false", cwd=stack)
    assert init.returncode == 0, init.stdout + init.stderr
    return stack


def _plan(tmp_path: Path, env: str, *extra: str) -> dict[str, Any]:
    stack = _initialized_env(tmp_path, env)
    plan = terraform(tmp_path, "plan", "-no-color", "-input=false", "-lock=false", "-out=plan.bin", *extra, cwd=stack)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    shown = terraform(tmp_path, "show", "-json", "plan.bin", cwd=stack)
    assert shown.returncode == 0, shown.stderr
    return {k: v["after"] for k, v in json.loads(shown.stdout)["output_changes"].items()}


@pytest.mark.parametrize("env", REGIONS)
def test_each_environment_plans_its_region_on_its_cloud(tmp_path: Path, env: str) -> None:
    """The tfvars pass the interface's types and validation rules, and the region exposes its cloud's outputs."""
    outputs = _plan(tmp_path, env)
    cloud = tfvars(env)["cloud"]
    assert outputs == {name: f"{cloud}:{name}" for name in load(MODULES / "region").outputs}


def test_moving_a_region_to_another_cloud_is_the_cloud_variable_alone(tmp_path: Path) -> None:
    outputs = _plan(tmp_path, "eu", "-var=cloud=aws", "-var=location=eu-west-1")
    assert outputs["lake_url"] == "aws:lake_url"
    assert outputs["kafka_bootstrap_servers"] == "aws:kafka_bootstrap_servers"


def test_the_interface_rejects_what_a_region_cannot_be(tmp_path: Path) -> None:
    stack = _initialized_env(tmp_path, "us")
    for bad in ("-var=cloud=oracle", "-var=network_cidr=10.0.0.0/24", "-var=kafka_size=huge"):
        plan = terraform(tmp_path, "plan", "-no-color", "-input=false", "-lock=false", bad, cwd=stack)
        assert plan.returncode != 0 and "Invalid value for variable" in plan.stderr, (bad, plan.stderr[-800:])


# modules/interface is a shared file of declarations (each module links it), not a module: unused there by design.
# envs/_stack is linted as each environment that links it.
LINTED = [p for p in module_dirs() if p.name not in ("interface", "_stack")]


def tflint(tmp_path: Path, directory: Path) -> dict[str, Any]:
    result = subprocess.run(  # noqa: S603
        [str(require(TFLINT)), f"--config={TERRAFORM / '.tflint.hcl'}", "--format=json", "--no-color"],
        cwd=directory,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout or "{}")
    assert result.returncode in (0, 2) or report.get("issues"), result.stderr[-2000:]
    return report


@pytest.mark.parametrize("directory", LINTED, ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_tflint_finds_nothing_in_any_module_or_environment(tmp_path: Path, directory: Path) -> None:
    report = tflint(tmp_path, directory)
    issues = [
        f"{i['range']['filename']}:{i['range']['start']['line']} {i['rule']['name']}: {i['message']}"
        for i in report.get("issues", [])
    ]
    assert not issues, "\n".join(issues)
    assert not report.get("errors"), report.get("errors")


def test_tflint_flags_an_unused_variable(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'terraform {\n  required_version = ">= 1.6"\n}\n'
        'variable "unused" {\n  type        = string\n  description = "nothing reads it"\n}\n'
    )
    rules = {i["rule"]["name"] for i in tflint(tmp_path, tmp_path)["issues"]}
    assert "terraform_unused_declarations" in rules


def test_checkov_passes_every_terraform_check_or_says_why_not() -> None:
    """0 failed; a skip is an inline `#checkov:skip=ID:reason` on the resource, and every skip has a reason."""
    # Not --quiet: it leaves the skipped checks out of the report, and their reasons are what is checked.
    command = [str(require(CHECKOV)), "--framework", "terraform", "--skip-download", "-o", "json"]
    result = subprocess.run(  # noqa: S603
        [*command, "-d", str(TERRAFORM)], capture_output=True, text=True, check=False, timeout=600
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    results = [r["results"] for r in reports]
    failed = [(f["check_id"], f["resource"], f["file_path"]) for r in results for f in r["failed_checks"]]
    assert not failed, "\n".join(map(str, failed))
    unexplained = [
        (s["check_id"], s["resource"])
        for r in results
        for s in r["skipped_checks"]
        if not (s.get("check_result", {}).get("suppress_comment") or "").strip()
    ]
    assert not unexplained, unexplained
    skipped = sum(len(r["skipped_checks"]) for r in results)
    assert skipped == sum(r["summary"]["skipped"] for r in reports)  # the report lists every skip it counted
    assert sum(r["summary"]["passed"] for r in reports) > 100
