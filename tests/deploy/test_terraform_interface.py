"""The region interface holds on every cloud, and every module's wiring resolves (what validate would check).

Read from the modules' HCL, never from a hand-kept list: the three cloud modules take the same variables with the
same types and expose the same outputs; modules/region passes each variable through unchanged to each of them and
re-exposes each output; the environments call it with the variables it has. ``terraform validate`` cannot run on
these modules here (it needs the providers, which cannot be downloaded), hence the reference checks.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from tests.deploy.terraform_hcl import (
    CLOUDS,
    ENVS,
    MODULES,
    NAMED_REF,
    REGIONS,
    expression,
    literal,
    load,
    module_dirs,
    strings,
    tfvars,
)


def _id(path: Path) -> str:
    return str(path.relative_to(MODULES.parent))


@pytest.mark.parametrize("path", module_dirs(), ids=_id)
def test_every_variable_is_typed_and_described_and_every_output_described(path: Path) -> None:
    module = load(path)
    untyped = [name for name, body in module.variables.items() if "type" not in body]
    undescribed = [name for name, body in module.variables.items() if not literal(body.get("description", ""))]
    silent = [name for name, body in module.outputs.items() if not literal(body.get("description", ""))]
    assert not untyped, f"variables without a type: {untyped}"
    assert not undescribed, f"variables without a description: {undescribed}"
    assert not silent, f"outputs without a description: {silent}"


@pytest.mark.parametrize("path", module_dirs(), ids=_id)
def test_every_reference_resolves_to_a_declared_variable_local_resource_or_module_output(path: Path) -> None:
    assert load(path).unresolved() == []


def test_the_reference_check_catches_what_it_is_for(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'variable "a" {\n  type = string\n}\n'
        'resource "google_storage_bucket" "lake" {\n  name = var.b\n  location = local.where\n}\n'
        'output "x" {\n  value = google_storage_bucket.lakes.name\n}\n'
        'output "y" {\n  value = "gs://${google_storage_bucket.lake.name}"\n}\n'
        "moved {\n  from = google_storage_bucket.old\n  to   = google_storage_bucket.lake\n}\n"
        "moved {\n  from = google_storage_bucket.lake\n  to   = google_storage_bucket.nowhere\n}\n"
    )
    assert load(tmp_path).unresolved() == [
        "main.tf: google_storage_bucket.lakes is not declared",
        "main.tf: google_storage_bucket.nowhere is not declared",
        "main.tf: local.where is not declared",
        "main.tf: moved from google_storage_bucket.lake, which is still declared",
        "main.tf: var.b is not declared",
    ]


def test_the_three_clouds_take_the_same_variables_with_the_same_types() -> None:
    signatures = {
        cloud: {name: (body.get("type"), "default" in body) for name, body in load(MODULES / cloud).variables.items()}
        for cloud in CLOUDS
    }
    assert signatures["gcp"], "modules/gcp declares no variables"
    for cloud in CLOUDS[1:]:
        assert signatures[cloud] == signatures["gcp"], f"modules/{cloud}'s variables differ from modules/gcp's"


def test_the_three_clouds_expose_the_same_outputs_and_the_region_module_all_of_them() -> None:
    outputs = {cloud: set(load(MODULES / cloud).outputs) for cloud in CLOUDS}
    assert outputs["gcp"], "modules/gcp exposes no outputs"
    for cloud in CLOUDS[1:]:
        assert outputs[cloud] == outputs["gcp"], (
            f"modules/{cloud} vs modules/gcp: missing {sorted(outputs['gcp'] - outputs[cloud])}, "
            f"extra {sorted(outputs[cloud] - outputs['gcp'])}"
        )
    region = load(MODULES / "region")
    assert set(region.outputs) == outputs["gcp"]
    for name, body in region.outputs.items():
        assert expression(body["value"]) == f"local.selected.{name}", f"region output {name} is not passed through"


def test_every_cloud_module_uses_every_interface_variable() -> None:
    for cloud in CLOUDS:
        module = load(MODULES / cloud)
        used = {name for tree in module.files.values() for text in strings(tree) for name in _vars_in(text)}
        assert set(module.variables) - used == set(), f"modules/{cloud} ignores these inputs"


def test_the_region_module_calls_each_cloud_once_by_count_and_passes_every_variable_unchanged() -> None:
    region = load(MODULES / "region")
    interface = set(load(MODULES / "gcp").variables)
    assert set(region.variables) == interface | {"cloud"}
    assert set(region.modules) == set(CLOUDS)
    for cloud, call in region.modules.items():
        assert literal(call["source"]) == f"../{cloud}"
        assert expression(call["count"]) == f'var.cloud == "{cloud}" ? 1 : 0'
        passed = {k: expression(v) for k, v in call.items() if k not in ("source", "count")}
        assert passed == {name: f"var.{name}" for name in interface}, f"module.{cloud} does not pass the interface"


def test_three_regional_environments_call_the_region_module_with_distinct_names_and_networks() -> None:
    networks = []
    for env in REGIONS:
        stack = load(ENVS / env)
        assert literal(stack.modules["region"]["source"]) == "../../modules/region"
        passed = {k for k in stack.modules["region"] if k != "source"}
        assert passed == set(load(MODULES / "region").variables), f"envs/{env} does not pass every variable"
        assert set(stack.outputs) == set(load(MODULES / "region").outputs), f"envs/{env} must re-export the outputs"
        values = tfvars(env)
        assert values["region_name"] == env
        assert values["cloud"] in CLOUDS
        assert values.get("deletion_protection", True) is True, f"envs/{env} turns deletion protection off"
        unknown = set(values) - set(stack.variables)
        assert not unknown, f"envs/{env}/terraform.tfvars sets undeclared variables {unknown}"
        backend = stack.files["backend.tf"]["terraform"][0]["backend"][0]["gcs"]
        assert literal(backend["prefix"]) == f"envs/{env}"
        networks.append(ipaddress.ip_network(values["network_cidr"]))
    for i, a in enumerate(networks):
        for b in networks[i + 1 :]:
            assert not a.overlaps(b), f"{a} overlaps {b}: MirrorMaker and replication route between regions"


def _vars_in(text: str) -> set[str]:
    return {name for kind, name, _ in NAMED_REF.findall(text) if kind == "var"}
